// `mlflow-authlab/jest/global-setup`: jest's globalSetup. Workers get the lab only through process.env
// (anchors.md §6): AUTHLAB_CONTEXT for labFromEnv(), and the MLflow SDK's variables for alice.
import { startLab, type StartedLab } from '../lab/start-lab.js';
import { CONTEXT_ENV, labContextOf } from '../testing/context.js';
import { testRunOptions } from '../testing/options.js';

declare global {
  var __AUTHLAB__: StartedLab | undefined;
}

export default async function globalSetup(): Promise<void> {
  const lab = await startLab(testRunOptions());
  globalThis.__AUTHLAB__ = lab;
  process.env[CONTEXT_ENV] = JSON.stringify(labContextOf(lab));
  Object.assign(process.env, await lab.env({ user: 'alice' }));
}
