/**
 * The MLflow backends the conformance suite runs against (conformance.test.ts): each says whether it can run on
 * this machine (or why not) and the `mlflow` options that start it behind the lab.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LabMlflowOptions } from '../../../src/index.js';
import { probeContainerEngine, type ContainerEngine } from '../../../src/mlflow/backends/engine.js';
import { buildStandinImage } from '../../e2e/backends/standin-image.js';

export interface ConformanceBackend {
  name: string;
  /** `true` when the backend can run here, else why not (one line, for the skipped test's name). */
  available(): Promise<string | true>;
  /** The lab's `mlflow` options for this backend; may build what it needs (the container's image). */
  mlflowOptions(): Promise<LabMlflowOptions>;
  /** How long starting a lab on it may take, for the beforeAll hook. */
  startTimeoutMs: number;
}

/** The emulator's `mlflow server`-compatible entry point, built by `npm run build`. */
export const SERVER_MAIN = fileURLToPath(
  new URL('../../../dist/mlflow/emulator/server-main.js', import.meta.url),
);
const NOT_BUILT = 'dist/ is not built: run npm run build';

/** An answering engine answers in milliseconds; a machine without one should not hold the suite up. */
const ENGINE_PROBE_MS = 3_000;

let engine: Promise<{ engine: ContainerEngine } | { error: string }> | undefined;
const probeOnce = () => (engine ??= probeContainerEngine(ENGINE_PROBE_MS));

let standin: Promise<string> | undefined;
/** The stand-in image is built once per test file (and the engine reuses it while its content is unchanged). */
async function standinImage(): Promise<string> {
  const probe = await probeOnce();
  if ('error' in probe) throw new Error(`no container engine: ${probe.error}`);
  return (standin ??= buildStandinImage(probe.engine));
}

export const BACKENDS: ConformanceBackend[] = [
  {
    name: 'emulator',
    available: () => Promise.resolve(true),
    mlflowOptions: () => Promise.resolve({ backend: 'emulator' }),
    startTimeoutMs: 20_000,
  },
  {
    name: 'process',
    available: () => Promise.resolve(existsSync(SERVER_MAIN) || NOT_BUILT),
    mlflowOptions: () =>
      Promise.resolve({ backend: 'process', command: `${process.execPath} ${SERVER_MAIN}` }),
    startTimeoutMs: 60_000,
  },
  {
    // The official MLflow image needs a registry; this is the emulator packaged as a local image, run through the
    // same container code path, so the name says so.
    name: 'container (local stand-in image, not the official MLflow image)',
    available: async () => {
      const probe = await probeOnce();
      if ('error' in probe) return `no container engine: ${probe.error}; CI runs Podman`;
      return existsSync(SERVER_MAIN) || NOT_BUILT;
    },
    mlflowOptions: async () => ({ backend: 'container', image: await standinImage() }),
    startTimeoutMs: 180_000,
  },
];
