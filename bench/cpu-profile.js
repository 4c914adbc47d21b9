// Reads a V8 .cpuprofile (node --cpu-prof) into the functions that took the CPU, by self time and by total time (the
// function and what it called), for the profiling scripts: bench/emulator-profile.js, bench/oidc-auth-profile.js.
import { readFile } from 'node:fs/promises';

/** Now on the clock V8 stamps profile samples with (the monotonic clock, µs), as `window` wants it. */
export const profileClockUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * `window` ({ fromUs, toUs } from profileClockUs(), possibly taken in another process on the same machine) counts only
 * the samples inside it: the load, not the process's start-up and module loading. With `calls` (how many calls the
 * window served), each function's time per call in µs too.
 */
export async function printProfile(file, { top = 20, window, calls, log = console.log } = {}) {
  const profile = JSON.parse(await readFile(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);

  const name = ({ callFrame: f }) => {
    const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : '';
    return `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
  };
  const self = new Map();
  const total = new Map();
  let busyUs = 0;
  let allUs = 0;
  let stamp = profile.startTime;
  profile.samples.forEach((id, i) => {
    stamp += profile.timeDeltas[i];
    if (window && (stamp < window.fromUs || stamp > window.toUs)) return;
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    allUs += us;
    const node = nodes.get(id);
    const key = name(node);
    self.set(key, (self.get(key) ?? 0) + us);
    if (key === '(idle)') return;
    busyUs += us;
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const k = name(nodes.get(at));
      if (seen.has(k) || k === '(root)') continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + us);
    }
  });

  const print = (title, map) => {
    log(`\n${title}`);
    const rows = [...map]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top);
    for (const [k, us] of rows) {
      const perCall = calls ? `${(us / calls).toFixed(1).padStart(7)} µs/call  ` : '';
      log(
        `  ${(us / 1000).toFixed(0).padStart(7)} ms  ${perCall}${((100 * us) / busyUs).toFixed(1).padStart(5)} %  ${k}`,
      );
    }
  };
  log(
    `\nprofile${window ? ' (the load only)' : ''}: ${(allUs / 1000).toFixed(0)} ms, of which busy (not idle) ${(busyUs / 1000).toFixed(0)} ms; percentages of busy time`,
  );
  print('top functions by self time', self);
  print('top functions by total time (self and callees)', total);
  log(`\n${file}`);
}

function shortUrl(url) {
  const m = /\/(dist|node_modules)\/(.*)$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url.replace(/^file:\/\//, '').replace(/^node:/, 'node:');
}
