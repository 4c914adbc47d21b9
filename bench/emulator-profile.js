// A quick CPU profile of the emulator serving the bench's emulator calls, for the performance work:
// `npm run build && node bench/emulator-profile.js [logBatch|search|history …]` seeds the same data as
// `npm run bench`, runs one round of the named calls (all three by default) with their floor, and prints the
// functions that took the emulator's CPU while it served them, by self time and by total time (the function and
// what it called). The .cpuprofile is kept for Chrome DevTools (Performance → Load profile).
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EMULATOR_FIGURES, emulatorLatency } from './emulator.js';

const OPS = ['logBatch', 'search', 'history'];
const ops = process.argv.slice(2);
for (const op of ops)
  if (!OPS.includes(op)) throw new Error(`usage: node bench/emulator-profile.js [${OPS.join('|')} …]`);
const TOP = Number(process.env.TOP ?? 20);

const file = path.join(
  await mkdtemp(path.join(os.tmpdir(), 'emulator-profile-')),
  `${(ops.length ? ops : OPS).join('+')}.cpuprofile`,
);
const samples = Object.fromEntries(EMULATOR_FIGURES.map((f) => [f.id, { ours: [], reference: [] }]));
await emulatorLatency({ rounds: 1, samples, ops: ops.length ? ops : OPS, profileFile: file });
for (const [id, s] of Object.entries(samples))
  if (s.ours.length)
    console.log(`  ${id}: ${s.ours[0].toFixed(1)} ms (floor ${s.reference[0].toFixed(1)} ms)`);

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
profile.samples.forEach((id, i) => {
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
  console.log(`\n${title}`);
  const rows = [...map]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP);
  for (const [k, us] of rows)
    console.log(
      `  ${(us / 1000).toFixed(0).padStart(7)} ms  ${((100 * us) / busyUs).toFixed(1).padStart(5)} %  ${k}`,
    );
};
console.log(
  `\nprofile: ${(allUs / 1000).toFixed(0)} ms, of which busy (not idle) ${(busyUs / 1000).toFixed(0)} ms; percentages of busy time`,
);
print('top functions by self time', self);
print('top functions by total time (self and callees)', total);
console.log(`\n${file}`);

function shortUrl(url) {
  const m = /\/(dist|node_modules)\/(.*)$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url.replace(/^file:\/\//, '').replace(/^node:/, 'node:');
}
