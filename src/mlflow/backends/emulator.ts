import type { LabClock } from '../../clock.js';
import type { Logger } from '../../log.js';
import { createMlflowEmulator, type StartedEmulator } from '../emulator/create-emulator.js';
import type { LabWorkspace, MlflowBackend } from './types.js';

export interface EmulatorBackend extends MlflowBackend {
  kind: 'emulator';
  /** The in-process server itself: its store, artifact root and state directory. */
  emulator: StartedEmulator;
  reset(): void;
}

export interface EmulatorBackendOptions {
  reason: string;
  host?: string;
  port: number;
  clock: LabClock;
  log: Logger;
  workspaces: readonly LabWorkspace[];
  /** Where the emulator keeps its data (already the `mlflow` subdirectory of the lab's state directory). */
  stateDir?: string;
}

/** The in-process emulator behind the backend interface; its workspaces are seeded directly, no HTTP needed. */
export async function startEmulatorBackend(options: EmulatorBackendOptions): Promise<EmulatorBackend> {
  const emulator = await createMlflowEmulator({
    clock: options.clock,
    log: options.log,
    port: options.port,
    workspaces: [...options.workspaces],
    ...(options.host !== undefined && { host: options.host }),
    ...(options.stateDir !== undefined && { stateDir: options.stateDir }),
  });
  return {
    kind: 'emulator',
    url: emulator.url.href.replace(/\/$/, ''),
    reason: options.reason,
    emulator,
    // The emulator logs through the lab's logger; it has no output of its own to keep.
    logs: () => [],
    reset: () => emulator.reset(),
    dispose: () => emulator.dispose(),
  };
}
