// A quick CPU profile of the emulator serving the bench's emulator calls, for the performance work:
// `npm run build && node bench/emulator-profile.js [logBatch|search|history …]` seeds the same data as
// `npm run bench`, runs one round of the named calls (all three by default) with their floor, and prints the
// functions that took the emulator's CPU while it served them, by self time and by total time (the function and
// what it called). The .cpuprofile is kept for Chrome DevTools (Performance → Load profile).
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { printProfile } from './cpu-profile.js';
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

await printProfile(file, { top: TOP });
