/**
 * Runs a command (the MLflow server) so that it dies with the lab, even when the lab is killed with SIGKILL and
 * has no chance to clean up. Started by the process backend as
 * `node watchdog.js <graceMs> <tempDir|-> <command> [args…]` with an IPC channel; `tempDir` (MLflow's throwaway data
 * directory) is removed once the command has exited, so a killed lab leaves no files behind either.
 *
 * Why a separate process: Node cannot ask the kernel to signal a child when its parent dies (Linux's
 * PR_SET_PDEATHSIG is not exposed, and other systems lack it), and a dead parent runs no exit handlers. This small
 * process notices the lab's death in two independent ways and then stops the command's whole process group (MLflow
 * runs uvicorn/gunicorn workers):
 * - the IPC channel to the lab closes (`disconnect`): immediate, the kernel closes the socket of a dead process;
 * - its parent pid changes (the orphan is re-parented to init or a subreaper): polled every 500 ms, in case the
 *   channel is not there.
 *
 * The command runs in its own process group (so the group can be signalled as one, and a terminal's Ctrl-C reaches
 * only the lab, which then stops it in order), with its stdout/stderr inherited: the lab reads them from the
 * watchdog's pipes. Self-contained (node: imports only) so that it also runs straight from the TypeScript source.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { constants } from 'node:os';

const [graceArg, tempDir, command, ...args] = process.argv.slice(2);
const graceMs = Number(graceArg);
if (command === undefined || !Number.isFinite(graceMs)) {
  process.stderr.write('usage: watchdog <graceMs> <tempDir|-> <command> [args…]\n');
  process.exit(2);
}

const parent = process.ppid;
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true });

/** Signals the command's process group; a group that is gone already is fine. */
const signalGroup = (signal: NodeJS.Signals) => {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
};

let stopping = false;
/** SIGTERM to the group, SIGKILL after the grace period; the watchdog exits when the command has. */
const stop = () => {
  if (stopping) return;
  stopping = true;
  signalGroup('SIGTERM');
  setTimeout(() => signalGroup('SIGKILL'), graceMs).unref();
};

child.on('spawn', () => {
  if (process.send) process.send({ type: 'started', pid: child.pid });
  // A stop that came before the command was running.
  if (stopping) signalGroup('SIGTERM');
});
child.on('error', (error: NodeJS.ErrnoException) => {
  // The command could not be started at all (ENOENT, EACCES): say so the way a shell would, exit 127.
  process.stderr.write(`cannot start ${command}: ${error.code ?? ''} ${error.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  // Workers the server left behind go with it, and so does a throwaway data directory.
  signalGroup('SIGKILL');
  if (tempDir !== undefined && tempDir !== '-') rmSync(tempDir, { recursive: true, force: true });
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
});

for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, stop);
process.on('disconnect', stop);
setInterval(() => {
  if (process.ppid !== parent) stop();
}, 500).unref();
