// The soak (issue 18; DESIGN.md "Performance": 20,000 mixed requests, several users, 16 connections, through the
// front door: 0 errors, p99 and RSS before/after recorded), called from bench/run.js. One `mlflow-authlab up` lab,
// a mix of what its users do all day: alice logging runs and reading her experiment, bob reading team-b and being
// refused in team-a, carol searching both, mallory refused, a client without a token, the health check. Every
// answer is checked against the status that request must get; a wrong status counts as an error like a socket one.
import autocannon from 'autocannon';
import { setTimeout as delay } from 'node:timers/promises';
import { TOKEN_REQUEST } from './lab.js';
import { rssMb, startLabProcess } from './proxy.js';

const REQUESTS = 20_000;
const CONNECTIONS = 16;
const API = '/api/2.0/mlflow';

export const SOAK_FIGURES = [
  {
    id: 'soakErrors',
    label: `soak: ${REQUESTS.toLocaleString('en-US')} mixed requests, 4 users, ${CONNECTIONS} conn.: errors (wrong status, socket, timeout)`,
    reference: '—',
    unit: 'count',
    better: 'lower',
    target: { text: '0', met: (ours) => ours === 0 },
  },
  {
    id: 'soakRps',
    label: '  throughput (req/s)',
    reference: '—',
    unit: 'tokens/s',
    better: 'higher',
    target: { text: '— (recorded)' },
  },
  {
    id: 'soakP50Ms',
    label: '  p50 (ms)',
    reference: '—',
    unit: 'ms',
    better: 'lower',
    target: { text: '— (recorded)' },
  },
  {
    id: 'soakP99Ms',
    label: '  p99 (ms)',
    reference: '—',
    unit: 'ms',
    better: 'lower',
    target: { text: '— (recorded)' },
  },
  {
    id: 'soakRssMb',
    label: '  lab resident memory after the soak (MB)',
    reference: 'the same lab before it',
    unit: 'MB',
    better: 'lower',
    target: { text: '— (recorded)' },
  },
];

/** Runs the soak once and records its figures in `samples`; returns what results.json keeps of it. */
export async function soak({ samples, log = console.log }) {
  const lab = await startLabProcess();
  try {
    const token = async (user) => {
      const body = TOKEN_REQUEST.body.replace('alice', user).replace('alice-password', `${user}-password`);
      const res = await globalThis.fetch(lab.tokenEndpoint, { ...TOKEN_REQUEST, body });
      return (await res.json()).id_token;
    };
    const bearer = {};
    for (const user of ['alice', 'bob', 'carol', 'mallory']) bearer[user] = `Bearer ${await token(user)}`;
    const as = (user, workspace) => ({
      authorization: bearer[user],
      'x-mlflow-workspace': workspace,
      'content-type': 'application/json',
    });
    // alice's experiment in team-a and carol's in team-b, made before the soak (untimed).
    const created = async (user, workspace, name) => {
      const res = await globalThis.fetch(`${lab.proxy}${API}/experiments/create`, {
        method: 'POST',
        headers: as(user, workspace),
        body: JSON.stringify({ name }),
      });
      if (res.status !== 200) throw new Error(`soak setup: ${res.status} ${await res.text()}`);
      return (await res.json()).experiment_id;
    };
    const teamA = await created('alice', 'team-a', 'soak-a');
    const teamB = await created('carol', 'team-b', 'soak-b');

    const wrong = [];
    const expect = (status) => (got, body) => {
      if (got !== status && wrong.length < 20)
        wrong.push(`${status} expected, got ${got}: ${body.slice(0, 160)}`);
      if (got !== status) wrongStatuses++;
    };
    let wrongStatuses = 0;
    const request = (method, path, headers, body, status) => ({
      method,
      path,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      onResponse: expect(status),
    });
    // One user's day, in the order a connection cycles through it.
    const mix = [
      request('GET', `${API}/experiments/get?experiment_id=${teamA}`, as('alice', 'team-a'), undefined, 200),
      request('POST', `${API}/runs/create`, as('alice', 'team-a'), { experiment_id: teamA }, 200),
      request('POST', `${API}/experiments/search`, as('alice', 'team-a'), { max_results: 10 }, 200),
      request('GET', `${API}/experiments/get?experiment_id=${teamB}`, as('bob', 'team-b'), undefined, 200),
      request('POST', `${API}/experiments/create`, as('bob', 'team-a'), { name: 'not-bobs' }, 403),
      request('POST', `${API}/experiments/search`, as('carol', 'team-b'), { max_results: 10 }, 200),
      request('GET', `${API}/registered-models/search?max_results=5`, as('carol', 'team-a'), undefined, 200),
      request('POST', `${API}/experiments/search`, as('mallory', 'team-a'), { max_results: 10 }, 200),
      request(
        'GET',
        `${API}/experiments/get?experiment_id=${teamA}`,
        as('mallory', 'team-a'),
        undefined,
        403,
      ),
      request(
        'GET',
        `${API}/experiments/search?max_results=1`,
        { accept: 'application/json' },
        undefined,
        401,
      ),
      request('GET', '/ping', {}, undefined, 200),
      request('GET', `${API}/experiments/get?experiment_id=${teamA}`, as('alice', 'team-b'), undefined, 403),
    ];
    await delay(1000);
    const rssBefore = rssMb(lab.pid);
    const r = await autocannon({ url: lab.proxy, connections: CONNECTIONS, amount: REQUESTS, requests: mix });
    await delay(1000);
    const rssAfter = rssMb(lab.pid);
    const errors = wrongStatuses + r.errors + r.timeouts;
    const alive = (await globalThis.fetch(`${lab.proxy}/ping`)).status === 200;
    samples.soakErrors.ours.push(alive ? errors : errors + 1);
    samples.soakRps.ours.push(r.requests.total / r.duration);
    samples.soakP50Ms.ours.push(r.latency.p50);
    samples.soakP99Ms.ours.push(r.latency.p99);
    samples.soakRssMb.ours.push(rssAfter);
    samples.soakRssMb.reference.push(rssBefore);
    log(
      `  soak: ${r.requests.total} requests, ${wrongStatuses} wrong statuses, ${r.errors} socket errors, ${r.timeouts} timeouts; p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms; RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB`,
    );
    for (const line of wrong) log(`    ${line}`);
    return {
      requests: r.requests.total,
      connections: CONNECTIONS,
      mix: mix.length,
      wrongStatuses,
      socketErrors: r.errors,
      timeouts: r.timeouts,
      latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
      rssMb: { before: Math.round(rssBefore), after: Math.round(rssAfter) },
      alive,
    };
  } finally {
    await lab.stop();
  }
}
