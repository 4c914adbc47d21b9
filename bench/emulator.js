// The MLflow emulator's figures of DESIGN.md ("Performance") for `npm run bench`, called from bench/run.js:
// runs/log-batch with 1,000 metrics (≤ 20 ms), runs/search over 10,000 runs (≤ 50 ms), metrics/get-history of a
// 100,000-point metric (recorded, no target), and createMlflowEmulator() start to ready (< 100 ms, issue 3).
//
// The reference. There is no real MLflow server on this machine, so the latency figures are read against the
// emulator's own floor, measured in the same run: an experiments/get (a trivial request: one map look-up and a
// small JSON answer) sent over the same keep-alive connection, interleaved one for one with the heavy call. That
// floor holds everything the heavy call pays besides its own work (HTTP parsing on both sides, the event loops,
// loopback TCP, the emulator's routing and workspace resolution, the machine's noise of the moment), so the ratio
// and the difference say how much the call itself adds over a trivial round trip, and they hold on a noisy
// machine as the token figures' ratios to oauth2-mock-server do. The start figure's reference is
// oauth2-mock-server's in-process start, which bench/run.js measures anyway, in the same alternating rounds.
//
// The client is Node's own http with a keep-alive Agent of one socket (not the project's code), in this process;
// the emulator runs in a child process (bench/emulator-server.js) so the two do not share an event loop. Each
// request is timed from http.request() to the last byte of the answer; request bodies are encoded before the
// clock starts. The data is seeded through the same HTTP API, untimed, once per bench, and is the same every run
// (a seeded PRNG).
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const API = '/api/2.0/mlflow';

/** The data set: 10,000 runs for runs/search, one metric of 100,000 points for get-history. */
const SEARCH_RUNS = 10_000;
const HISTORY_POINTS = 100_000;
/** MLflow's batch limit, and the chunk the seeding logs the long metric in. */
const BATCH_METRICS = 1000;
/** The Python client reads a metric's history in pages of GET_METRIC_HISTORY_MAX_RESULTS = 25,000 (golden README). */
const HISTORY_PAGE = 25_000;
/** The Python client's default `max_results` of search_runs (SEARCH_MAX_RESULTS_DEFAULT). */
const SEARCH_MAX_RESULTS = 1000;
const SEARCH_REQUEST = {
  experiment_ids: [], // filled in once the experiment exists
  filter: "metrics.loss < 0.5 and params.model = 'a'",
  order_by: ['metrics.loss DESC'],
  max_results: SEARCH_MAX_RESULTS,
  run_view_type: 'ACTIVE_ONLY',
};

/**
 * Timed pairs (heavy call + floor) per round, and untimed warm-up pairs before the first round. Per-round p99 is
 * interpolated between the two slowest samples at these counts (linear, as numpy's default); results.json also
 * holds the p99 of all rounds' samples pooled.
 */
const PER_ROUND = { logBatch: 100, search: 50, history: 10 };
const WARMUP = { logBatch: 10, search: 5, history: 1 };

const FLOOR = 'experiments/get, same conn.';
const target = (limit) => ({ text: `≤ ${limit} ms`, met: (ours) => ours <= limit });
const p99Target = (limit) => ({ text: `— (p50 ≤ ${limit} ms carries it)` });

/** The rows this module adds to bench/run.js's table; `delta` rows also show the milliseconds added. */
export const EMULATOR_FIGURES = [
  {
    id: 'emulatorImportMs',
    label: 'emulator in-process: import (ms)',
    reference: 'oauth2-mock-server import',
    unit: 'ms',
    better: 'lower',
    target: { text: '—' },
  },
  {
    id: 'emulatorStartMs',
    label: 'emulator in-process: start to ready (ms)',
    reference: 'oauth2-mock-server 1st start',
    unit: 'ms',
    better: 'lower',
    // Issue 3: createMlflowEmulator({ port: 0 }) to listening, the module already imported.
    target: { text: '< 100 ms', met: (ours) => ours < 100 },
  },
  {
    id: 'logBatchP50Ms',
    label: 'emulator: runs/log-batch 1,000 metrics, p50 (ms)',
    reference: FLOOR,
    unit: 'ms',
    better: 'lower',
    delta: true,
    target: target(20),
  },
  {
    id: 'logBatchP99Ms',
    label: '  runs/log-batch 1,000 metrics, p99 (ms)',
    reference: FLOOR,
    unit: 'ms',
    better: 'lower',
    delta: true,
    target: p99Target(20),
  },
  {
    id: 'searchP50Ms',
    label: 'emulator: runs/search 10,000 runs, p50 (ms)',
    reference: FLOOR,
    unit: 'ms',
    better: 'lower',
    delta: true,
    target: target(50),
  },
  {
    id: 'searchP99Ms',
    label: '  runs/search 10,000 runs, p99 (ms)',
    reference: FLOOR,
    unit: 'ms',
    better: 'lower',
    delta: true,
    target: p99Target(50),
  },
  {
    id: 'historyP50Ms',
    label: `emulator: get-history 100,000 points, ${HISTORY_POINTS / HISTORY_PAGE} pages, p50 (ms)`,
    reference: `${HISTORY_POINTS / HISTORY_PAGE}× ${FLOOR}`,
    unit: 'ms',
    better: 'lower',
    delta: true,
    target: { text: '— (recorded)' },
  },
  {
    id: 'historyP99Ms',
    label: `  get-history 100,000 points, ${HISTORY_POINTS / HISTORY_PAGE} pages, p99 (ms)`,
    reference: `${HISTORY_POINTS / HISTORY_PAGE}× ${FLOOR}`,
    unit: 'ms',
    better: 'lower',
    delta: true,
    target: { text: '— (recorded)' },
  },
];

/** Children still running, so an aborted bench does not leave an emulator behind. */
const live = new Set();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Seeds one emulator process and measures the three calls, `rounds` rounds of PER_ROUND pairs each, pushing each
 * round's p50 and p99 (heavy call as `ours`, its floor as `reference`) into `samples`. Returns what results.json
 * records besides the figures.
 */
export async function emulatorLatency({
  rounds,
  samples,
  log = console.log,
  ops = Object.keys(PER_ROUND),
  profileFile,
}) {
  const server = await startEmulatorServer(profileFile);
  try {
    const seedT0 = performance.now();
    const data = await seed(server.url, rounds);
    const seedingS = (performance.now() - seedT0) / 1000;
    log(
      `  emulator: seeded ${SEARCH_RUNS.toLocaleString('en-US')} runs and a ${HISTORY_POINTS.toLocaleString('en-US')}-point metric over HTTP in ${seedingS.toFixed(1)} s (not timed)`,
    );

    const conn = connection(server.url, 1);
    const calls = timedCalls(conn, data);
    const pooled = Object.fromEntries(ops.map((name) => [name, { heavy: [], floor: [] }]));
    for (const name of ops) await pairs(calls[name], WARMUP[name]);
    await server.startProfile();

    for (let round = 0; round < rounds; round++) {
      for (const name of ops) {
        await calls[name].check();
        const { heavy, floor } = await pairs(calls[name], PER_ROUND[name]);
        pooled[name].heavy.push(...heavy);
        pooled[name].floor.push(...floor);
        for (const [q, suffix] of [
          [0.5, 'P50Ms'],
          [0.99, 'P99Ms'],
        ]) {
          samples[`${name}${suffix}`].ours.push(percentile(heavy, q));
          samples[`${name}${suffix}`].reference.push(percentile(floor, q));
        }
      }
      log(`  emulator latency: round ${round + 1}/${rounds} done`);
    }
    conn.close();
    if (conn.socketsOpened() !== 1)
      throw new Error(`the timed requests used ${conn.socketsOpened()} connections, not one`);

    return {
      client: 'node:http, keep-alive Agent, maxSockets 1 (one connection for every timed request)',
      server: 'bench/emulator-server.js: createMlflowEmulator({ port: 0 }) in a child process',
      floor: 'GET experiments/get, interleaved one for one with the heavy call on the same connection',
      perRound: PER_ROUND,
      warmup: WARMUP,
      data: {
        searchRuns: SEARCH_RUNS,
        searchRequest: { ...SEARCH_REQUEST, experiment_ids: ['<bench-search>'] },
        searchMatches: data.searchMatches,
        searchResponseBytes: data.searchResponseBytes,
        perSearchRun:
          '3 metrics (loss, accuracy, epoch_seconds), 3 params (model ∈ a–d, lr, batch_size), 4 tags as the Python client sets them',
        logBatch: `${BATCH_METRICS} metrics (10 keys × 100 steps), each request into a run of its own created empty during seeding`,
        logBatchRequestBytes: data.logBatchRequestBytes,
        history: `${HISTORY_POINTS} points of one key, read as the Python client does: ${HISTORY_POINTS / HISTORY_PAGE} pages of max_results=${HISTORY_PAGE}, each page token taken from the answer before`,
        historyResponseBytes: data.historyResponseBytes,
      },
      seeding: {
        durationS: round1(seedingS),
        // The long metric's chunks, first and last: what one 1,000-metric log-batch costs into a key that
        // already holds 0 and 99,000 points.
        historyChunkMs: { first: round1(data.chunkMs[0]), last: round1(data.chunkMs.at(-1)) },
      },
      pooled: Object.fromEntries(
        Object.entries(pooled).map(([name, { heavy, floor }]) => [
          name,
          {
            count: heavy.length,
            heavy: { p50: round1(percentile(heavy, 0.5)), p99: round1(percentile(heavy, 0.99)) },
            floor: { p50: round1(percentile(floor, 0.5)), p99: round1(percentile(floor, 0.99)) },
          },
        ]),
      ),
    };
  } finally {
    await server.stop();
  }
}

/** The heavy call and its floor, per figure, plus an untimed check that the heavy call answers what it should. */
function timedCalls(conn, data) {
  const experimentsGet = `${API}/experiments/get?experiment_id=${data.searchExperiment}`;
  const floor = async () => (await conn.ok('GET', experimentsGet)).ms;
  const searchBody = json({ ...SEARCH_REQUEST, experiment_ids: [data.searchExperiment] });
  const historyPath = (token) =>
    `${API}/metrics/get-history?run_id=${data.historyRun}&run_uuid=${data.historyRun}&metric_key=loss&max_results=${HISTORY_PAGE}${token ? `&page_token=${encodeURIComponent(token)}` : ''}`;
  const pages = HISTORY_POINTS / HISTORY_PAGE;
  let nextRun = 0;

  return {
    logBatch: {
      heavy: async () => {
        const runId = data.logBatchRuns[nextRun++];
        if (runId === undefined) throw new Error('out of seeded log-batch runs');
        return (await conn.ok('POST', `${API}/runs/log-batch`, logBatchBody(runId))).ms;
      },
      floor,
      check: async () => {},
    },
    search: {
      heavy: async () => (await conn.ok('POST', `${API}/runs/search`, searchBody)).ms,
      floor,
      check: async () => {
        const { body } = await conn.ok('POST', `${API}/runs/search`, searchBody);
        checkSearch(JSON.parse(body));
        data.searchResponseBytes = body.length;
      },
    },
    history: {
      // Page after page as the client pages: the token comes from the answer before, read from its tail (it is
      // the last field) so the client does not parse 25,000 points inside the timing.
      heavy: async () => {
        let ms = 0;
        let token;
        for (let page = 0; page < pages; page++) {
          const r = await conn.ok('GET', historyPath(token));
          ms += r.ms;
          token = /"next_page_token":"([^"]+)"\}\s*$/.exec(r.body.subarray(-200).toString())?.[1];
          if ((token === undefined) !== (page === pages - 1))
            throw new Error(`get-history page ${page + 1}: next_page_token ${token ?? 'missing'}`);
        }
        return ms;
      },
      floor: async () => {
        let ms = 0;
        for (let page = 0; page < pages; page++) ms += await floor();
        return ms;
      },
      check: async () => {
        const values = [];
        let bytes = 0;
        let token;
        do {
          const r = await conn.ok('GET', historyPath(token));
          const body = JSON.parse(r.body);
          bytes += r.body.length;
          values.push(...body.metrics.map((m) => m.step));
          token = body.next_page_token;
        } while (token);
        data.historyResponseBytes = bytes;
        if (values.length !== HISTORY_POINTS || values.some((step, i) => step !== i))
          throw new Error(`get-history returned ${values.length} points, not steps 0…${HISTORY_POINTS - 1}`);
      },
    },
  };
}

/** The reply must hold the first page of the matches, in order, and say that more follow. */
function checkSearch(body) {
  const runs = body.runs ?? [];
  const value = (run, kind, key) => run.data[kind]?.find((e) => e.key === key)?.value;
  const losses = runs.map((r) => value(r, 'metrics', 'loss'));
  const wrong = runs.find((r, i) => value(r, 'params', 'model') !== 'a' || !(losses[i] < 0.5));
  if (runs.length !== SEARCH_MAX_RESULTS || !body.next_page_token || wrong)
    throw new Error(
      `runs/search: ${runs.length} runs, next_page_token ${body.next_page_token}, a wrong run: ${!!wrong}`,
    );
  if (losses.some((l, i) => i > 0 && l > losses[i - 1]))
    throw new Error('runs/search: not ordered by loss DESC');
}

/** `n` pairs, the floor first in even pairs and second in odd ones, so neither always follows the other. */
async function pairs(call, n) {
  const heavy = [];
  const floor = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      floor.push(await call.floor());
      heavy.push(await call.heavy());
    } else {
      heavy.push(await call.heavy());
      floor.push(await call.floor());
    }
  }
  return { heavy, floor };
}

/** Seeds the data set through the HTTP API, several requests in flight; nothing here is timed as a figure. */
async function seed(url, rounds) {
  const conn = connection(url, 8);
  const random = mulberry32(0x6d6c666c);
  const create = async (name) =>
    JSON.parse((await conn.ok('POST', `${API}/experiments/create`, json({ name }))).body).experiment_id;
  const [searchExperiment, logBatchExperiment, historyExperiment] = [
    await create('bench-search'),
    await create('bench-log-batch'),
    await create('bench-history'),
  ];
  const t = 1_700_000_000_000;
  const createRun = async (experimentId, i) => {
    const body = json({
      experiment_id: experimentId,
      user_id: 'bench',
      run_name: `run-${i}`,
      start_time: t + i,
      tags: [
        { key: 'mlflow.user', value: 'bench' },
        { key: 'mlflow.source.name', value: 'train.py' },
        { key: 'mlflow.source.type', value: 'LOCAL' },
        { key: 'mlflow.runName', value: `run-${i}` },
      ],
    });
    return JSON.parse((await conn.ok('POST', `${API}/runs/create`, body)).body).run.info.run_id;
  };

  // The 10,000 runs are drawn before any request, so their values do not depend on the order of completion.
  const searchRuns = Array.from({ length: SEARCH_RUNS }, (_, i) => ({
    i,
    loss: random(),
    accuracy: random(),
    seconds: 10 + 50 * random(),
    model: 'abcd'[Math.floor(random() * 4)],
    lr: [0.1, 0.01, 0.001][Math.floor(random() * 3)],
  }));
  const searchMatches = searchRuns.filter((r) => r.loss < 0.5 && r.model === 'a').length;
  await pool(searchRuns, 8, async (r) => {
    const runId = await createRun(searchExperiment, r.i);
    const metric = (key, value) => ({ key, value, timestamp: t + r.i, step: 0 });
    const param = (key, value) => ({ key, value: String(value) });
    await conn.ok(
      'POST',
      `${API}/runs/log-batch`,
      json({
        run_id: runId,
        metrics: [metric('loss', r.loss), metric('accuracy', r.accuracy), metric('epoch_seconds', r.seconds)],
        params: [param('model', r.model), param('lr', r.lr), param('batch_size', 32)],
      }),
    );
  });

  const logBatchRuns = [];
  const needed = WARMUP.logBatch + rounds * PER_ROUND.logBatch;
  await pool(
    Array.from({ length: needed }, (_, i) => i),
    8,
    async (i) => logBatchRuns.push(await createRun(logBatchExperiment, i)),
  );

  const historyRun = await createRun(historyExperiment, 0);
  const chunkMs = [];
  for (let from = 0; from < HISTORY_POINTS; from += BATCH_METRICS) {
    const metrics = Array.from({ length: BATCH_METRICS }, (_, k) => ({
      key: 'loss',
      value: 1 / (1 + from + k),
      timestamp: t + from + k,
      step: from + k,
    }));
    chunkMs.push((await conn.ok('POST', `${API}/runs/log-batch`, json({ run_id: historyRun, metrics }))).ms);
  }
  conn.close();

  return {
    searchExperiment,
    logBatchRuns,
    historyRun,
    chunkMs,
    searchMatches,
    logBatchRequestBytes: logBatchBody('0'.repeat(32)).length,
  };
}

/** 1,000 metrics as a training loop logs them: 10 keys × 100 steps, the same values in every request. */
const LOG_BATCH_METRICS = JSON.stringify(
  Array.from({ length: BATCH_METRICS }, (_, k) => ({
    key: `metric_${k % 10}`,
    value: Math.sin(k) * 10,
    timestamp: 1_700_000_000_000 + k,
    step: Math.floor(k / 10),
  })),
);
const logBatchBody = (runId) => Buffer.from(`{"run_id":"${runId}","metrics":${LOG_BATCH_METRICS}}`);

/**
 * Plain node:http over a keep-alive Agent. `ok` resolves with the time from http.request() to the answer's last
 * byte and the body, and throws on anything but a 200.
 */
function connection(base, maxSockets) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const { hostname, port } = new URL(base);
  const sockets = new Set();
  return {
    /** How many TCP connections the requests went over. */
    socketsOpened: () => sockets.size,
    close: () => agent.destroy(),
    ok(method, requestPath, body) {
      const headers = body ? { 'content-type': 'application/json', 'content-length': body.length } : {};
      return new Promise((resolve, reject) => {
        const t0 = performance.now();
        const req = http.request({ agent, hostname, port, method, path: requestPath, headers }, (res) => {
          const chunks = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const ms = performance.now() - t0;
            const text = Buffer.concat(chunks);
            if (res.statusCode !== 200)
              reject(new Error(`${method} ${requestPath}: ${res.statusCode} ${text.subarray(0, 300)}`));
            else resolve({ ms, body: text });
          });
        });
        req.on('socket', (socket) => sockets.add(socket));
        req.on('error', reject);
        req.end(body);
      });
    },
  };
}

/** Runs `task` over `items` with at most `width` in flight. */
async function pool(items, width, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await task(items[next++]);
    }),
  );
}

function startEmulatorServer(profileFile) {
  const child = spawn(process.execPath, [path.join(BENCH, 'emulator-server.js')], {
    env: { ...process.env, BENCH_CPU_PROFILE: profileFile ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = (async () => {
    for await (const line of createInterface({ input: child.stdout })) {
      try {
        return JSON.parse(line);
      } catch {
        // not the ready line
      }
    }
    throw new Error('stdout closed before a JSON line');
  })();
  return Promise.race([
    ready,
    exited.then(({ code, signal }) => {
      throw new Error(`bench/emulator-server.js exited (${signal ?? code}) before ready:\n${stderr}`);
    }),
    delay(15_000, undefined, { ref: false }).then(() => {
      throw new Error(`bench/emulator-server.js not ready after 15 s:\n${stderr}`);
    }),
  ]).then((info) => ({
    url: info.url,
    pid: child.pid,
    /** SIGUSR2 starts the server's profiler, where bench/emulator-server.js was asked for one. */
    async startProfile() {
      if (profileFile) {
        child.kill('SIGUSR2');
        await delay(200);
      }
    },
    async stop() {
      child.kill('SIGTERM');
      const outcome = await Promise.race([
        exited,
        delay(10_000, undefined, { ref: false }).then(() => undefined),
      ]);
      live.delete(child);
      if (!outcome) {
        child.kill('SIGKILL');
        throw new Error(`bench/emulator-server.js did not exit within 10 s of SIGTERM:\n${stderr}`);
      }
      if (outcome.code !== 0)
        throw new Error(`bench/emulator-server.js exited with ${outcome.signal ?? outcome.code}:\n${stderr}`);
    },
  }));
}

/** Linear interpolation between the closest ranks (numpy's default). */
function percentile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
}

const json = (value) => Buffer.from(JSON.stringify(value));

function mulberry32(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function round1(v) {
  return Math.round(v * 10) / 10;
}
