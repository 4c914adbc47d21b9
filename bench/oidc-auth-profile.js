// A CPU profile of the oidc-auth front door serving the bench's call, for the performance work:
// `npm run build && node bench/oidc-auth-profile.js [bearer|basic|direct] [seconds]` starts the bench's lab
// (`up --auth oidc-auth`) under `--cpu-prof`, loads it as bench/oidc-auth.js does (16 connections), stops it and
// prints the functions that took the lab's CPU during the load (not its start or the warm-up), per call too, with
// the lab's CPU per call (bench/process-cpu.js). `direct` is the emulator's own port: the floor. TOP=n rows.
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { printProfile, profileClockUs } from './cpu-profile.js';
import { oidcTargets } from './oidc-auth.js';
import { processCpuMs } from './process-cpu.js';
import { startLabProcess } from './proxy.js';

const SIDES = ['bearer', 'basic', 'direct'];
const side = process.argv[2] ?? 'bearer';
const seconds = Number(process.argv[3] ?? 5);
if (!SIDES.includes(side) || !(seconds > 0))
  throw new Error(`usage: node bench/oidc-auth-profile.js [${SIDES.join('|')}] [seconds]`);

const dir = await mkdtemp(path.join(os.tmpdir(), 'oidc-auth-profile-'));
const lab = await startLabProcess(['--auth', 'oidc-auth'], {
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${dir}`.trim(),
});
let window;
let calls;
try {
  const sides = await oidcTargets(lab);
  const target = side === 'basic' ? await sides.basic() : sides[side];
  // Warm-up: the JIT, and for `basic` the new token's one scrypt check.
  await autocannon({ url: target.url, headers: target.headers, connections: 16, duration: 1 });
  const cpuBefore = await processCpuMs(lab.pid);
  const fromUs = profileClockUs();
  const r = await autocannon({
    url: target.url,
    headers: target.headers,
    connections: 16,
    duration: seconds,
  });
  window = { fromUs, toUs: profileClockUs() };
  calls = r.requests.total;
  const cpuMs = (await processCpuMs(lab.pid)) - cpuBefore;
  console.log(
    `${side}: ${Math.round(r.requests.average)} req/s, ${r.non2xx} non-2xx, lab CPU per call ${((1000 * cpuMs) / calls).toFixed(1)} µs`,
  );
} finally {
  await lab.stop();
}
// Named CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile. `up` replaces its process image (same pid) to set its
// heap flags, and the first image writes a short profile of its own: the lab's is the last one.
const file = (await readdir(dir))
  .filter((f) => f.includes(`.${lab.pid}.`) && f.endsWith('.cpuprofile'))
  .sort()
  .at(-1);
if (!file) throw new Error(`the lab (pid ${lab.pid}) wrote no profile into ${dir}`);
await printProfile(path.join(dir, file), { top: Number(process.env.TOP ?? 25), window, calls });
