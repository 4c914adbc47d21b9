// The oidc-auth stack's front door (issue 19; DESIGN.md "Performance": every auth stack's front door and auth app
// over a direct call to the emulator, with the proxy + gate targets), called from bench/run.js right after the
// proxy's figures. The lab is `mlflow-authlab up --auth oidc-auth --json`, a process of its own: the mlflow-oidc-auth
// plugin's front door on the tracking URI, the emulator behind it. The reference is the same emulator called on its
// own port, in the same lab and alternating with the front door's calls, as for the proxy.
//
// The call is the proxy bench's experiments/get in team-a, of an experiment created straight on the emulator, so
// alice holds no rule of her own on it: the plugin's slower path (the experiment's name looked up for the regex
// sources, then the workspace's permission). Two credentials: alice's bearer JWT (the target), and an access token
// from the plugin's API sent as Basic (recorded: the plugin checks it with scrypt, the lab once per token).
import { Buffer } from 'node:buffer';
import autocannon from 'autocannon';
import { processCpuMs } from './process-cpu.js';
import { latencyPairs, median, quantile, startLabProcess } from './proxy.js';

const API = '/api/2.0/mlflow';
const CONNECTIONS = 16;
const LOAD_S = 3;
const WARMUP_S = 2;
const LATENCY_PAIRS = 400;

const DIRECT = 'emulator, direct (same run)';

export const OIDC_AUTH_FIGURES = [
  {
    id: 'oidcStartMs',
    label: 'in-process: startLab({ auth: oidc-auth }), first start to ready (ms)',
    reference: 'startLab(), kubernetes-auth',
    unit: 'ms',
    better: 'lower',
    // DESIGN.md: startLab() to ready ≤ 400 ms median, whichever stack.
    target: { text: '≤ 400 ms', met: (ours) => ours <= 400 },
  },
  {
    id: 'oidcRps_c16',
    label: `oidc-auth front door: experiments/get with a bearer, ${CONNECTIONS} conn. (req/s)`,
    reference: DIRECT,
    unit: 'tokens/s',
    better: 'higher',
    target: { text: '≥ 70 % of direct', met: (ours, ref) => ours >= 0.7 * ref },
  },
  {
    id: 'oidcCpuUsPerCall_c16',
    label: `  lab CPU per call, ${CONNECTIONS} conn. (µs)`,
    reference: DIRECT,
    unit: 'µs',
    better: 'lower',
    target: { text: '— (throughput is one core ÷ this)' },
  },
  {
    id: 'oidcBasicRps_c16',
    label: `  the same with Basic (an access token), ${CONNECTIONS} conn. (req/s)`,
    reference: DIRECT,
    unit: 'tokens/s',
    better: 'higher',
    target: { text: '— (recorded)' },
  },
  {
    id: 'oidcP50Ms',
    label: 'oidc-auth front door: experiments/get with a bearer, 1 conn., p50 (ms)',
    reference: DIRECT,
    unit: 'ms',
    better: 'lower',
    delta: true,
    target: { text: '≤ +0.5 ms', met: (ours, ref) => ours - ref <= 0.5 },
  },
  {
    id: 'oidcP99Ms',
    label: '  1 conn., p99 (ms)',
    reference: DIRECT,
    unit: 'ms',
    better: 'lower',
    delta: true,
    target: { text: '— (recorded)' },
  },
  {
    id: 'oidcBasicP50Ms',
    label: '  with Basic, 1 conn., p50 (ms)',
    reference: DIRECT,
    unit: 'ms',
    better: 'lower',
    delta: true,
    target: { text: '— (recorded)' },
  },
  {
    id: 'oidcBasicFirstMs',
    label: "  with Basic, a new token's first call (scrypt) (ms)",
    reference: DIRECT,
    unit: 'ms',
    better: 'lower',
    delta: true,
    target: { text: '— (recorded)' },
  },
];

export async function oidcAuthCost({ rounds, samples, log = console.log }) {
  const lab = await startLabProcess(['--auth', 'oidc-auth']);
  try {
    const { bearer, direct, basic } = await oidcTargets(lab);
    // Warm-up, untimed: every path compiled by the JIT and its connections open (as in bench/proxy.js).
    for (const target of [bearer, direct, await basic()])
      await autocannon({
        url: target.url,
        headers: target.headers,
        connections: CONNECTIONS,
        duration: WARMUP_S,
      });
    await latencyPairs(bearer, direct, 50);
    for (let round = 0; round < rounds; round++) {
      // A new access token each round (the old one stops working), its first call timed: the one scrypt check.
      const withBasic = await basic();
      // Both on a new connection, the direct call right after it.
      const first = await latencyPairs(withBasic, direct, 1);
      samples.oidcBasicFirstMs.ours.push(first.ours[0]);
      samples.oidcBasicFirstMs.reference.push(first.reference[0]);

      const sides = [
        ['ours', bearer, 'oidcRps_c16'],
        ['reference', direct, undefined],
        ['ours', withBasic, 'oidcBasicRps_c16'],
      ];
      // Each side first in turn, so drift between them cancels over the rounds.
      for (const [side, target, figure] of rotate(sides, round)) {
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
        if (figure) samples[figure].ours.push(r.requests.average);
        else
          for (const id of ['oidcRps_c16', 'oidcBasicRps_c16'])
            samples[id].reference.push(r.requests.average);
        if (figure !== 'oidcBasicRps_c16' && Number.isFinite(cpuMs) && r.requests.total > 0)
          samples.oidcCpuUsPerCall_c16[side].push((1000 * cpuMs) / r.requests.total);
      }

      const bearerPairs = await latencyPairs(bearer, direct, LATENCY_PAIRS);
      samples.oidcP50Ms.ours.push(median(bearerPairs.ours));
      samples.oidcP50Ms.reference.push(median(bearerPairs.reference));
      samples.oidcP99Ms.ours.push(quantile(bearerPairs.ours, 0.99));
      samples.oidcP99Ms.reference.push(quantile(bearerPairs.reference, 0.99));
      const basicPairs = await latencyPairs(withBasic, direct, LATENCY_PAIRS);
      samples.oidcBasicP50Ms.ours.push(median(basicPairs.ours));
      samples.oidcBasicP50Ms.reference.push(median(basicPairs.reference));
      log(`  oidc-auth front door: round ${round + 1}/${rounds} done`);
    }
  } finally {
    await lab.stop();
  }
}

function rotate(list, by) {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/**
 * The three sides: experiments/get of one experiment in team-a (created untimed, straight on the emulator) through
 * the front door with alice's bearer token, the same straight to the emulator's own port, and (`basic()`, a new
 * access token from the plugin's API each time) through the front door with Basic.
 */
export async function oidcTargets(lab) {
  const headers = { 'x-mlflow-workspace': 'team-a' };
  const created = await globalThis.fetch(`${lab.direct}${API}/experiments/create`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench-oidc-auth' }),
  });
  const { experiment_id: id } = await created.json();
  const PATH = `${API}/experiments/get?experiment_id=${id}`;
  const bearer = {
    url: `${lab.proxy}${PATH}`,
    headers: { ...headers, authorization: `Bearer ${lab.token}` },
  };
  const direct = { url: `${lab.direct}${PATH}`, headers };
  for (const target of [bearer, direct]) await check(target);
  const basic = async () => {
    const minted = await globalThis.fetch(`${lab.proxy}${API}/users/access-token`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${lab.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const { token } = await minted.json();
    if (typeof token !== 'string') throw new Error(`no access token from the plugin's API: ${minted.status}`);
    const credentials = Buffer.from(`alice@example.com:${token}`).toString('base64');
    return { url: bearer.url, headers: { ...headers, authorization: `Basic ${credentials}` } };
  };
  return { bearer, direct, basic };
}

/** Every side must answer 200 with the same experiment, or the comparison means nothing. */
async function check(target) {
  const res = await globalThis.fetch(target.url, { headers: target.headers });
  const body = await res.text();
  if (res.status !== 200 || !body.includes('"name":"bench-oidc-auth"'))
    throw new Error(`${target.url} answered ${res.status}: ${body.slice(0, 200)}`);
}
