// The cost of the auth proxy and the kubernetes-auth gate (issue 4; DESIGN.md "Performance": added latency ≤ 0.5 ms at p50, throughput ≥ 70 % of
// calling MLflow directly), called from bench/run.js. The reference is the same MLflow emulator called straight on
// its own port, in the same run and alternating with the proxied calls, so the ratio holds on a noisy machine.
// The proxied call carries alice's bearer token, so every request pays what oauth2-proxy pays for it: header
// stripping, JWT verification (RS256) and the upstream hop. The lab runs in a child process (bench/proxy-server.js),
// the clients (autocannon for throughput, Node's http with one keep-alive socket for latency) in this one.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
/** A small, real MLflow call: an experiments/get in team-a (the experiment is created first, untimed). */
const API = '/api/2.0/mlflow';
const CONNECTIONS = 16;
const LOAD_S = 3;
const LATENCY_PAIRS = 400;

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
    id: 'proxyP50Ms',
    label: 'proxy + gate: experiments/get with a bearer, 1 conn., p50 (ms)',
    reference: DIRECT,
    unit: 'ms',
    better: 'lower',
    delta: true,
    target: { text: '≤ +0.5 ms', met: (ours, ref) => ours - ref <= 0.5 },
  },
  {
    id: 'labRssMb',
    label: 'whole lab (emulator), resident memory after the load rounds (MB)',
    reference: 'the same lab, idle after start',
    unit: 'MB',
    better: 'lower',
    target: { text: '≤ 150 MB', met: (ours) => ours <= 150 },
  },
];

/** The resident set of a process, in MB (Linux /proc), or NaN where there is none. */
function rssMb(pid) {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

export async function proxyCost({ rounds, samples, log = console.log }) {
  const lab = await startLabProcess();
  try {
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
    const idleRss = rssMb(lab.pid);
    let proxiedRequests = 0;
    await latencyPairs(proxied, direct, 50); // warm-up
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
        const r = await autocannon({
          url: target.url,
          headers: target.headers,
          connections: CONNECTIONS,
          duration: LOAD_S,
        });
        if (r.non2xx > 0 || r.errors > 0)
          throw new Error(`${target.url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        samples.proxyRps_c16[side].push(r.requests.average);
        if (side === 'ours') proxiedRequests += r.requests.total;
      }
      const { ours, reference } = await latencyPairs(proxied, direct, LATENCY_PAIRS);
      samples.proxyP50Ms.ours.push(median(ours));
      samples.proxyP50Ms.reference.push(median(reference));
      log(`  proxy: round ${round + 1}/${rounds} done`);
    }
    samples.labRssMb.reference.push(idleRss);
    samples.labRssMb.ours.push(rssMb(lab.pid));
    log(
      `  lab memory: ${idleRss.toFixed(0)} MB idle, ${rssMb(lab.pid).toFixed(0)} MB after ${proxiedRequests} proxied requests`,
    );
  } finally {
    lab.stop();
  }
}

/** Both targets must answer 200 with the same experiment, or the comparison means nothing. */
async function check(target) {
  const res = await globalThis.fetch(target.url, { headers: target.headers });
  const body = await res.text();
  if (res.status !== 200 || !body.includes('"name":"bench-proxy"'))
    throw new Error(`${target.url} answered ${res.status}: ${body.slice(0, 200)}`);
}

/** Interleaved one for one over one keep-alive socket each, timed from request to the last byte. */
async function latencyPairs(a, b, n) {
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

function median(values) {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function startLabProcess() {
  const child = spawn(process.execPath, [path.join(BENCH, 'proxy-server.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) =>
      reject(new Error(`bench/proxy-server.js exited ${code} before it was ready`)),
    );
  });
  return { ...JSON.parse(line), pid: child.pid, stop: () => child.kill('SIGTERM') };
}
