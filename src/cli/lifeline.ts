// A foreground lab ends with whoever started it. `npx mlflow-authlab up & … kill $!` signals npx, which runs the CLI
// under `sh -c`; nothing passes the signal on, so the lab lived on as an orphan holding every port, and `status`
// said it ran (issue 18, item 6). The lab therefore watches its parent and, where stdin is a pipe or socket its
// starter holds, stdin: a parent that is replaced (reparenting) or a stdin that reaches its end means the starter
// is gone.
import { fstatSync } from 'node:fs';

/** How often the parent is looked at; `process.ppid` is one system call. */
const PARENT_POLL_MS = 500;

/** `up --detach` marks the lab it starts: that one outlives its starter on purpose. */
export const DETACHED_ENV = 'AUTHLAB_DETACHED';

/** Carries the starter's pid across `up`'s relaunch of itself (lab-heap), which the starter could outlive. */
export const STARTER_ENV = 'AUTHLAB_STARTER_PID';

/**
 * The parent this process had when it started, read when this module loads: the CLI loads it first, before its
 * other modules and before the relaunch, so a starter that ends during start-up is noticed too. Taken out of the
 * environment at once, so no child of the lab inherits it.
 */
export const STARTER_PID: number = takeStarter();

function takeStarter(): number {
  const passed = Number(process.env[STARTER_ENV]);
  delete process.env[STARTER_ENV];
  return Number.isInteger(passed) && passed > 0 ? passed : process.ppid;
}

export interface LifelineOptions {
  /** Also end when stdin (a pipe or socket) closes; off where a child command reads the same stdin (`exec`). */
  stdin: boolean;
}

/**
 * Calls `onGone` once, with the reason, when the process that started this one goes away. Returns the function
 * that stops watching (it lets go of stdin, so the process can end).
 */
export function watchStarter(onGone: (why: string) => void, options: LifelineOptions): () => void {
  if (process.env[DETACHED_ENV] === '1' || process.platform === 'win32') return () => {};
  let gone = false;
  const fire = (why: string) => {
    if (gone) return;
    gone = true;
    release();
    onGone(why);
  };
  const parent = STARTER_PID;
  const check = () => {
    if (process.ppid !== parent) fire(`the process that started the lab (pid ${parent}) is gone`);
  };
  const timer = setInterval(check, PARENT_POLL_MS);
  timer.unref();
  // Gone already, while the lab was loading: stopped as soon as it is ready.
  setImmediate(check).unref();

  let onEnd: (() => void) | undefined;
  if (options.stdin && stdinIsPipe()) {
    onEnd = () => fire("the lab's stdin was closed (the process that started it is gone)");
    process.stdin.on('end', onEnd);
    process.stdin.on('error', onEnd);
    // Read and dropped: nothing else reads the lab's stdin.
    process.stdin.resume();
  }
  function release() {
    clearInterval(timer);
    if (onEnd) {
      process.stdin.off('end', onEnd);
      process.stdin.off('error', onEnd);
      // An open stdin keeps the event loop alive: the lab could not end once stopped.
      process.stdin.destroy();
    }
  }
  return release;
}

/** A pipe or a socket, as a parent process holds them; a terminal, a file and /dev/null are not watched. */
function stdinIsPipe(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}
