// `mlflow-authlab/vitest`: a vitest globalSetup that starts one lab for the run (anchors.md §6, §11).
//   vitest.config.ts: test: { globalSetup: ['mlflow-authlab/vitest'] }
//   a test:           const lab = labClient(inject('authlab'))   (labClient from 'mlflow-authlab/testing')
import type {} from 'vitest';
import { startLab } from './lab/start-lab.js';
import { labContextOf, type LabContext } from './testing/context.js';
import { testRunOptions } from './testing/options.js';

declare module 'vitest' {
  export interface ProvidedContext {
    authlab: LabContext;
  }
}

/** The part of vitest's TestProject this setup uses (vitest 3, 4 and 5 pass a TestProject). */
interface ProjectLike {
  provide(key: 'authlab', value: LabContext): void;
  onTestsRerun?(cb: () => void | Promise<void>): void;
}

export default async function setup(project: ProjectLike): Promise<() => Promise<void>> {
  const lab = await startLab(testRunOptions());
  project.provide('authlab', labContextOf(lab));
  // Watch mode: each rerun starts from an empty MLflow (the emulator's reset; other backends keep their data).
  project.onTestsRerun?.(() => {
    try {
      lab.reset();
    } catch {
      // not the emulator: nothing to reset in-process
    }
  });
  return () => lab.dispose();
}
