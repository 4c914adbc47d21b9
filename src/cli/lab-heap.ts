// The young generation of the long-running `up` process. V8 sizes its semi-spaces for throughput on the machine's
// memory (16 MB each on a 24 GB machine, grown during start-up already), which made a whole lab ~160 MB resident
// after 10,000 proxied calls. A lab is a small server: 4 MB semi-spaces kept it at ~140 MB with no throughput
// change measurable in `npm run bench` (issue 10; DESIGN.md "Performance": ≤ 150 MB).

/** The V8 flag `up` runs with, unless the user's own Node options already size the young generation. */
export const LAB_HEAP_FLAG = '--max-semi-space-size=4';

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/**
 * Replaces this process with the same command under `LAB_HEAP_FLAG` (same pid, stdio and environment: nothing a
 * caller sees changes) when it runs `up`. The flag sizes the heap when V8 starts, so it cannot be set later.
 * Where `process.execve` is missing (Node < 23.11, Windows) the lab runs as it is, with V8's default sizing.
 */
export function relaunchUpWithLabHeap(argv: readonly string[]): void {
  if (argv[2] !== 'up') return;
  const sized = (flags: string) => flags.includes('--max-semi-space-size');
  if (process.execArgv.some(sized) || sized(process.env.NODE_OPTIONS ?? '')) return;
  const execve = (process as { execve?: Execve }).execve;
  if (typeof execve !== 'function' || process.platform === 'win32') return;
  execve.call(
    process,
    process.execPath,
    [process.execPath, LAB_HEAP_FLAG, ...process.execArgv, ...argv.slice(1)],
    process.env,
  );
}
