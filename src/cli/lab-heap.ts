// How the long-running `up` process runs (issue 10; DESIGN.md "Performance": a whole lab ≤ 150 MB, tokens/s).
// - V8 sizes the young generation for throughput on the machine's memory: 16 MB semi-spaces on a 24 GB machine,
//   grown during start-up already. A lab is a small server; 4 MB semi-spaces cost no throughput measurable in
//   `npm run bench` and saved ~18 MB.
// - glibc gives each thread that allocates its own malloc arena and keeps what it freed: V8's compiler and GC
//   threads held ~20 MB that way. Two arenas (MALLOC_ARENA_MAX, the usual setting for small multi-threaded
//   servers) saved ~10 MB under sustained load. Other C libraries ignore the variable.
// Together: ~160 → ~140 MB resident after 10,000 proxied calls at the time; see the README's Benchmarks for now.
// - libuv's thread pool is sized to the cores (see labThreadpoolSize).

import { availableParallelism } from 'node:os';

/** The V8 flag `up` runs with, unless the user's own Node options already size the young generation. */
export const LAB_HEAP_FLAG = '--max-semi-space-size=4';
/** The malloc arenas `up` runs with, unless the environment sets its own. */
export const LAB_MALLOC_ARENAS = '2';

/**
 * libuv's thread pool, which signs every token (two RSA signatures per response): as many threads as cores, 2 to 4,
 * unless the environment sets its own. libuv's fixed 4 threads on a 2-core machine preempt the main thread, which
 * serves the requests: the password grant measured 5-10 % more tokens/s with 2 (issue 10).
 */
export function labThreadpoolSize(cores = availableParallelism()): string {
  return String(Math.min(4, Math.max(2, cores)));
}

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/**
 * Replaces this process with the same command under `LAB_HEAP_FLAG`, `LAB_MALLOC_ARENAS` and
 * `labThreadpoolSize()` (same pid and stdio: nothing a caller sees changes) when it runs `up`. Each takes effect
 * only when a process starts, so none can be set later. Where `process.execve` is missing (Node < 23.11, Windows) the lab runs with the defaults.
 * `carry` is added to the relaunched process's environment (what it must know of this one).
 */
export function relaunchUpWithLabHeap(argv: readonly string[], carry: Record<string, string> = {}): void {
  if (argv[2] !== 'up') return;
  const sized = (flags: string) => flags.includes('--max-semi-space-size');
  if (process.execArgv.some(sized) || sized(process.env.NODE_OPTIONS ?? '')) return;
  const execve = (process as { execve?: Execve }).execve;
  if (typeof execve !== 'function' || process.platform === 'win32') return;
  execve.call(
    process,
    process.execPath,
    [process.execPath, LAB_HEAP_FLAG, ...process.execArgv, ...argv.slice(1)],
    {
      ...process.env,
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? LAB_MALLOC_ARENAS,
      UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? labThreadpoolSize(),
      ...carry,
    },
  );
}
