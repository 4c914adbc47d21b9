// The cost of the auth proxy and the kubernetes-auth gate (issue 4; DESIGN.md "Performance": added latency ≤ 0.5 ms at p50, throughput ≥ 70 % of
// calling MLflow directly), called from bench/run.js. The reference is the same MLflow emulator called straight on
// its own port, in the same run and alternating with the proxied calls, so the ratio holds on a noisy machine.
// The proxied call carries alice's bearer token, so every request pays what oauth2-proxy pays for it: header
// stripping, JWT verification (RS256) and the upstream hop. The lab is `mlflow-authlab up --json` in a process of its
// own, the clients (autocannon for throughput, Node's http with one keep-alive socket for latency) in this one.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import autocannon from 'autocannon';
import { processCpuMs } from './process-cpu.js';
import { TOKEN_REQUEST, UP_ARGS } from './lab.js';

/** A small, real MLflow call: an experiments/get in team-a (the experiment is created first, untimed). */
const API = '/api/2.0/mlflow';
const CONNECTIONS = 16;
const LOAD_S = 3;
const WARMUP_S = 2;
const LATENCY_PAIRS = 400;
/** The memory figure: a running lab after this many calls. */
const MEMORY_CALLS = 10_000;

const DIRECT = 'emulator, direct (same run)';

export const PROXY_FIGURES = [
  {
    id: 'proxyRps_c16',
    label: `proxy + gate: experiments/get with a bearer, ${CONNECTIONS} conn. (req/s)`,
    reference: DIRECT,
    unit: 'tokens/s',
    better: 'higher',
    target: { text: '≥ 70 % of direct', met: (ours, ref) => ours >= 0.7 * ref },
  },
  {
    id: 'proxyCpuUsPerCall_c16',
    label: `  lab CPU per call, ${CONNECTIONS} conn. (µs)`,
    reference: DIRECT,
    unit: 'µs',
    better: 'lower',
    target: { text: '— (throughput is one core ÷ this)' },
  },
  {
    id: 'proxyP50Ms',
    label: 'proxy + gate: experiments/get with a bearer, 1 conn., p50 (ms)',
    reference: DIRECT,
    unit: 'ms',
    better: 'lower',
    delta: true,
    target: { text: '≤ +0.5 ms', met: (ours, ref) => ours - ref <= 0.5 },
  },
  {
    id: 'proxyP99Ms',
    label: '  1 conn., p99 (ms)',
    reference: DIRECT,
    unit: 'ms',
    better: 'lower',
    delta: true,
    target: { text: '— (recorded)' },
  },
  {
    id: 'labRssMb',
    label: 'whole lab (up, emulator), resident memory after 10,000 calls (MB)',
    reference: 'the same lab, idle after start',
    unit: 'MB',
    better: 'lower',
    target: { text: '≤ 150 MB', met: (ours) => ours <= 150 },
  },
  {
    id: 'labRssAfterLoadMb',
    label: '  after all the load rounds above (MB)',
    reference: 'the same lab, idle after start',
    unit: 'MB',
    better: 'lower',
    target: { text: '— (recorded)' },
  },
];

/** The resident set of a process, in MB (Linux /proc), or NaN where there is none. */
export function rssMb(pid) {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

export async function proxyCost({ rounds, samples, log = console.log }) {
  // Memory first, in fresh labs: idle, then after exactly MEMORY_CALLS proxied calls (the measure).
  for (let round = 0; round < rounds; round++) {
    const lab = await startLabProcess();
    try {
      const { proxied } = await targets(lab);
      await settle();
      samples.labRssMb.reference.push(rssMb(lab.pid));
      const r = await autocannon({
        url: proxied.url,
        headers: proxied.headers,
        connections: CONNECTIONS,
        amount: MEMORY_CALLS,
      });
      if (r.non2xx > 0 || r.errors > 0)
        throw new Error(`${proxied.url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      await settle();
      samples.labRssMb.ours.push(rssMb(lab.pid));
    } finally {
      await lab.stop();
    }
  }
  log(
    `  lab memory: ${samples.labRssMb.reference.map(mb).join(' / ')} MB idle, ${samples.labRssMb.ours.map(mb).join(' / ')} MB after ${MEMORY_CALLS} calls`,
  );

  const lab = await startLabProcess();
  try {
    const { proxied, direct } = await targets(lab);
    const idleRss = rssMb(lab.pid);
    let proxiedRequests = 0;
    // Warm-up, untimed: both paths compiled by the JIT and their connections open, as in a lab that has been
    // serving for a while (the token load does the same).
    for (const target of [proxied, direct])
      await autocannon({
        url: target.url,
        headers: target.headers,
        connections: CONNECTIONS,
        duration: WARMUP_S,
      });
    await latencyPairs(proxied, direct, 50);
    for (let round = 0; round < rounds; round++) {
      for (const [side, target] of round % 2 === 0
        ? [
            ['ours', proxied],
            ['reference', direct],
          ]
        : [
            ['reference', direct],
            ['ours', proxied],
          ]) {
        const cpuBefore = await processCpuMs(lab.pid);
        const r = await autocannon({
          url: target.url,
          headers: target.headers,
          connections: CONNECTIONS,
          duration: LOAD_S,
        });
        const cpuMs = (await processCpuMs(lab.pid)) - cpuBefore;
        if (r.non2xx > 0 || r.errors > 0)
          throw new Error(`${target.url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        samples.proxyRps_c16[side].push(r.requests.average);
        if (Number.isFinite(cpuMs) && r.requests.total > 0)
          samples.proxyCpuUsPerCall_c16[side].push((1000 * cpuMs) / r.requests.total);
        if (side === 'ours') proxiedRequests += r.requests.total;
      }
      const { ours, reference } = await latencyPairs(proxied, direct, LATENCY_PAIRS);
      samples.proxyP50Ms.ours.push(median(ours));
      samples.proxyP50Ms.reference.push(median(reference));
      samples.proxyP99Ms.ours.push(quantile(ours, 0.99));
      samples.proxyP99Ms.reference.push(quantile(reference, 0.99));
      log(`  proxy: round ${round + 1}/${rounds} done`);
    }
    samples.labRssAfterLoadMb.reference.push(idleRss);
    samples.labRssAfterLoadMb.ours.push(rssMb(lab.pid));
    log(
      `  lab memory: ${mb(idleRss)} MB idle, ${mb(rssMb(lab.pid))} MB after ${proxiedRequests} proxied calls and the direct ones`,
    );
  } finally {
    await lab.stop();
  }
}

const mb = (v) => v.toFixed(0);
/** Lets a just-finished burst's sockets close and timers run before memory is read. */
const settle = () => delay(1000);

/**
 * The two sides of every comparison: experiments/get of one experiment in team-a (created untimed), through the
 * proxy with alice's bearer token, and straight to the emulator's own port.
 */
async function targets(lab) {
  const headers = { 'x-mlflow-workspace': 'team-a' };
  const created = await globalThis.fetch(`${lab.direct}${API}/experiments/create`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench-proxy' }),
  });
  const { experiment_id: id } = await created.json();
  const PATH = `${API}/experiments/get?experiment_id=${id}`;
  const proxied = {
    url: `${lab.proxy}${PATH}`,
    headers: { ...headers, authorization: `Bearer ${lab.token}` },
  };
  const direct = { url: `${lab.direct}${PATH}`, headers };
  for (const target of [proxied, direct]) await check(target);
  return { proxied, direct };
}

/** Both targets must answer 200 with the same experiment, or the comparison means nothing. */
async function check(target) {
  const res = await globalThis.fetch(target.url, { headers: target.headers });
  const body = await res.text();
  if (res.status !== 200 || !body.includes('"name":"bench-proxy"'))
    throw new Error(`${target.url} answered ${res.status}: ${body.slice(0, 200)}`);
}

/** Interleaved one for one over one keep-alive socket each, timed from request to the last byte. */
export async function latencyPairs(a, b, n) {
  const agentA = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const agentB = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ours = [];
  const reference = [];
  for (let i = 0; i < n; i++) {
    ours.push(await timed(a, agentA));
    reference.push(await timed(b, agentB));
  }
  agentA.destroy();
  agentB.destroy();
  return { ours, reference };
}

function timed(target, agent) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(target.url, { agent, headers: target.headers }, (res) => {
      res.on('data', () => {});
      res.on('end', () =>
        res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`${res.statusCode}`)),
      );
    });
    req.on('error', reject);
  });
}

/** The value below which a fraction q of the samples fall (nearest rank). */
export function quantile(values, q) {
  const s = [...values].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

export function median(values) {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The lab as users run it: `mlflow-authlab up --json` with the emulator, a process of its own (`args` added to
 * up's, e.g. another auth stack; `env` to the environment, e.g. a profiler's NODE_OPTIONS). alice's token comes
 * from its token endpoint by the password grant, as `mlflow-authlab token` gets it.
 */
export async function startLabProcess(args = [], env = {}) {
  const child = spawn(
    process.execPath,
    [...UP_ARGS, ...args],
    // The banner and warnings go to stderr, kept for an error message only.
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-2000)));
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) =>
      reject(new Error(`mlflow-authlab up exited ${code} before it was ready:\n${stderr}`)),
    );
  });
  const info = JSON.parse(line);
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  try {
    const response = await globalThis.fetch(info.tokenEndpoint, TOKEN_REQUEST);
    const body = await response.json();
    if (typeof body.id_token !== 'string')
      throw new Error(`no token from ${info.tokenEndpoint}: ${JSON.stringify(body)}`);
    return {
      proxy: info.trackingUri.replace(/\/$/, ''),
      direct: info.mlflow.url.replace(/\/$/, ''),
      token: body.id_token,
      tokenEndpoint: info.tokenEndpoint,
      pid: info.pid,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
