import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { STATE_DIR_NAME, STATE_FILE_NAME, type AuthStack } from '../config/defaults.js';
import { AuthlabError } from '../errors.js';
import { looksLikeLab, processStartTime } from './process-identity.js';

/** What a running lab records about itself (DESIGN.md "CLI": `.mlflow-authlab/lab.json`). */
export interface LabState {
  /** The stack in front of MLflow (absent in files written before issue 19: kubernetes-auth). */
  auth?: AuthStack;
  trackingUri?: string;
  issuer: string;
  tokenEndpoint: string;
  kubeApiUrl?: string;
  mlflow?: { backend: string; url: string; reason?: string };
  stateFile: string;
  pid: number;
  /** When that process started (`processStartTime`): with the pid, which process is the lab. */
  processStart?: string;
  /** The config file the lab was started with; `token` reads credentials from it. */
  configFile: string;
  startedAt: string;
  /** Under TLS, the lab's CA bundle (what `env` points clients at, and what the CLI trusts). */
  caFile?: string;
  /** The gate's decision log (`GET` → `{"decisions":[…]}`, newest first); `logs --decisions` reads it. */
  decisionsUrl?: string;
  /**
   * The bearer token the decision log requires: a per-lab secret, kept only in this file (0600, in a 0700
   * directory) and never printed (`status --json` leaves it out).
   */
  controlToken?: string;
}

/** The state as `status --json` shows it: without the lab's secret. */
export function publicState(state: LabState): Omit<LabState, 'controlToken'> {
  const { controlToken: _secret, ...shown } = state;
  return shown;
}

/** `$AUTHLAB_HOME/lab.json`, else `.mlflow-authlab/lab.json` under the working directory. */
export function stateFilePath(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const home = env.AUTHLAB_HOME ? path.resolve(cwd, env.AUTHLAB_HOME) : path.join(cwd, STATE_DIR_NAME);
  return path.join(home, STATE_FILE_NAME);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The running lab's state, or undefined. A stale file is removed: its process is gone, or its pid now names
 * another process (one that started at another time than the lab did), which nothing here may signal.
 */
export async function readLabState(file = stateFilePath()): Promise<LabState | undefined> {
  let state: LabState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
  if (
    typeof state !== 'object' ||
    state === null ||
    typeof state.pid !== 'number' ||
    !Number.isInteger(state.pid) ||
    state.pid <= 0 ||
    !alive(state.pid) ||
    !(await sameProcess(state))
  ) {
    await rm(file, { force: true });
    return undefined;
  }
  return state;
}

/**
 * Whether the state's pid still names the lab that wrote it: the same start time; for a file without one (written
 * by an older version), a command line that runs `up` or `exec`. A start time that cannot be read at all (`ps`
 * failed or timed out) is no evidence either way: the file is kept, as a live lab's would be.
 */
async function sameProcess(state: LabState): Promise<boolean> {
  if (state.processStart === undefined) return looksLikeLab(state.pid);
  const started = await processStartTime(state.pid);
  return started === undefined || started === state.processStart;
}

export async function requireLabState(file = stateFilePath()): Promise<LabState> {
  const state = await readLabState(file);
  if (!state) {
    throw new AuthlabError('AUTHLAB_LAB_NOT_RUNNING', `no running lab recorded in ${file}`, {
      hint: 'Start one with "npx mlflow-authlab up" in this directory (or set AUTHLAB_HOME to where it runs).',
    });
  }
  return state;
}

/** Records the lab; refuses when another live lab already owns the file. */
export async function writeLabState(state: LabState): Promise<void> {
  const running = await readLabState(state.stateFile);
  if (running && running.pid !== state.pid) {
    throw new AuthlabError(
      'AUTHLAB_LAB_ALREADY_RUNNING',
      `a lab is already running here (pid ${running.pid}, issuer ${running.issuer}, state ${state.stateFile})`,
      {
        hint: 'Stop it first (Ctrl-C in its terminal, or kill that pid), or set AUTHLAB_HOME to run a second lab.',
      },
    );
  }
  await mkdir(path.dirname(state.stateFile), { recursive: true, mode: 0o700 });
  // This process's start time goes with its pid, so a later reader can tell the lab from a reused pid.
  const processStart =
    state.processStart ?? (state.pid === process.pid ? await processStartTime(process.pid) : undefined);
  const recorded = processStart === undefined ? state : { ...state, processStart };
  const tmp = `${state.stateFile}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(recorded, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, state.stateFile);
}

export async function removeLabState(file: string, pid = process.pid): Promise<void> {
  try {
    const state = JSON.parse(await readFile(file, 'utf8')) as LabState;
    if (state.pid === pid) await rm(file, { force: true });
  } catch {
    // already gone
  }
}

/** The state `up` and `exec` record for a lab they started in this process. */
export function labStateOf(
  lab: {
    info(): Omit<LabState, 'stateFile' | 'pid' | 'configFile' | 'startedAt'>;
    gate?: { url: URL; controlToken: string } | undefined;
  },
  configFile: string,
): LabState {
  return {
    ...lab.info(),
    stateFile: stateFilePath(),
    pid: process.pid,
    configFile,
    startedAt: new Date().toISOString(),
    ...(lab.gate && {
      decisionsUrl: `${lab.gate.url.href}_authlab/decisions`,
      controlToken: lab.gate.controlToken,
    }),
  };
}
