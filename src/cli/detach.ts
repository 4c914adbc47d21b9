// `up --detach`: the same `up`, in a process of its own that outlives the terminal (DESIGN.md "CLI"). The parent
// waits for the child's one JSON line ("ready"), then leaves it running; the child's banner and logs go to
// `lab.log` beside the state file, and `down` stops it.
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { AuthlabError } from '../errors.js';
import { readLabState, stateFilePath } from '../lab/state-file.js';
import { DETACHED_ENV } from './lifeline.js';

export interface Detached {
  info: Record<string, unknown>;
  pid: number;
  logFile: string;
}

/** Starts `up <args> --json` detached; resolves once it printed its JSON line, or fails with its log's tail. */
export async function upDetached(args: string[]): Promise<Detached> {
  const stateFile = stateFilePath();
  const running = await readLabState(stateFile);
  if (running)
    throw new AuthlabError(
      'AUTHLAB_LAB_ALREADY_RUNNING',
      `a lab is already running here (pid ${running.pid}, issuer ${running.issuer}, state ${stateFile})`,
      { hint: 'Stop it with "mlflow-authlab down", or set AUTHLAB_HOME to run a second lab.' },
    );
  await mkdir(path.dirname(stateFile), { recursive: true, mode: 0o700 });
  const logFile = path.join(path.dirname(stateFile), 'lab.log');
  const log = openSync(logFile, 'w', 0o600);
  const child = spawn(process.execPath, [process.argv[1]!, 'up', ...args, '--json'], {
    detached: true,
    stdio: ['ignore', 'pipe', log],
    // It outlives this process on purpose: it does not watch its starter.
    env: { ...process.env, [DETACHED_ENV]: '1' },
  });
  const info = await new Promise<Record<string, unknown> | undefined>((resolve) => {
    createInterface({ input: child.stdout! }).once('line', (line) =>
      resolve(JSON.parse(line) as Record<string, unknown>),
    );
    child.once('exit', () => resolve(undefined));
  });
  if (!info) {
    const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-20).join('\n');
    throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', `the detached lab did not start:\n${tail}`, {
      hint: `The whole log is in ${logFile}.`,
    });
  }
  // From here on the child owns itself: no pipe, no reference that would keep this process alive.
  child.stdout!.destroy();
  child.unref();
  return { info, pid: child.pid!, logFile };
}

/** SIGTERM to the recorded lab, then wait until it is gone (it removes its state file on the way out). */
export async function stopLab(pid: number, timeoutMs = 15_000): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(pid, 'SIGKILL');
  return true;
}
