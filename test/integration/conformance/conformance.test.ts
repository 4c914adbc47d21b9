/**
 * The conformance suite: one scripted scenario through the whole lab (proxy → gate → MLflow) against every MLflow
 * backend this machine can run (backends.ts). Each backend's replies are recorded as a normalized transcript
 * (status + body, volatile values such as ids and server timestamps replaced by placeholders after a shape check)
 * that must equal the emulator's, so drift between backends fails here. Key values are also asserted inline, so
 * each backend's tests mean something on their own.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLab, type StartedLab } from '../../../src/index.js';
import { BACKENDS } from './backends.js';

const PORTS = { proxy: 0, idp: 0, kube: 0, mlflow: 0 };
const API = '/api/2.0/mlflow';
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts';

const DENIED = {
  error: { code: 'PERMISSION_DENIED', message: 'Permission denied for requested operation.' },
};

const AREAS = ['tracking', 'registry', 'artifacts', 'workspaces'] as const;
type Area = (typeof AREAS)[number];

/** One request of the scenario as observed by the client, normalized. */
interface Entry {
  step: string;
  status: number;
  body: unknown;
}
type Transcript = Partial<Record<Area, Entry[]>>;

/** The emulator's transcript, filled area by area by its tests (they run first); every other backend's must equal it. */
const emulatorTranscript: Transcript = {};

type User = 'alice' | 'bob' | 'carol';

/** What one lab's run of the scenario has learnt so far: tokens, ids, and the values to normalize away. */
interface Scenario {
  lab: StartedLab;
  /** Makes the names of this run unique (replaced by `<tag>` in the transcript). */
  tag: string;
  startedAt: number;
  tokens: Record<User, string>;
  experimentId?: string;
  runId?: string;
  artifactUri?: string;
  transcript: Required<Transcript>;
}

async function scenarioFor(lab: StartedLab): Promise<Scenario> {
  const [alice, bob, carol] = await Promise.all(
    (['alice', 'bob', 'carol'] as const).map((user) => lab.token({ user })),
  );
  return {
    lab,
    tag: randomBytes(4).toString('hex'),
    startedAt: Date.now(),
    tokens: { alice: alice!, bob: bob!, carol: carol! },
    transcript: { tracking: [], registry: [], artifacts: [], workspaces: [] },
  };
}

interface Reply {
  status: number;
  contentType: string | null;
  bytes: Buffer;
  json: any;
}

interface Call {
  user: User;
  workspace?: string;
  json?: unknown;
  bytes?: Buffer;
}

/** One request through the proxy as the SDK makes it: Bearer token, workspace header, JSON (or raw bytes). */
async function call(s: Scenario, method: string, route: string, c: Call): Promise<Reply> {
  const res = await fetch(`${s.lab.trackingUri}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${s.tokens[c.user]}`,
      accept: 'application/json',
      ...(c.workspace !== undefined && { 'x-mlflow-workspace': c.workspace }),
      ...(c.json !== undefined && { 'content-type': 'application/json' }),
      ...(c.bytes !== undefined && { 'content-type': 'application/octet-stream' }),
    },
    ...(c.json !== undefined && { body: JSON.stringify(c.json) }),
    ...(c.bytes !== undefined && { body: c.bytes }),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const contentType = res.headers.get('content-type');
  let json: any;
  if (contentType?.startsWith('application/json')) json = JSON.parse(bytes.toString('utf8'));
  return { status: res.status, contentType, bytes, json };
}

/** Server-side timestamps (milliseconds): checked to be now-ish, then recorded as `<time>`. */
const SERVER_TIMES = new Set([
  'creation_time',
  'last_update_time',
  'creation_timestamp',
  'last_updated_timestamp',
]);

/** The reply with this run's volatile values replaced by placeholders; values of the wrong shape are kept. */
function normalize(s: Scenario, value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => normalize(s, v));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(s, v, k)]));
  if (typeof value === 'number' && key !== undefined && SERVER_TIMES.has(key))
    return value >= s.startedAt - 60_000 && value <= Date.now() + 60_000 ? '<time>' : value;
  if (typeof value !== 'string') return value;
  let text = value;
  if (s.runId) text = text.replaceAll(s.runId, '<run_id>');
  text = text.replaceAll(s.tag, '<tag>');
  if (s.experimentId) {
    if (key === 'experiment_id' && text === s.experimentId) return '<experiment_id>';
    // In artifact locations (mlflow-artifacts:/workspaces/team-a/<experiment_id>/…) and messages (id=<experiment_id>).
    const id = (whole: string, before: string, digits: string) =>
      digits === s.experimentId ? `${before}<experiment_id>` : whole;
    text = text.replace(/(\/workspaces\/[^/]+\/)(\d+)(?=\/|$)/, id).replace(/(\bid=)(\d+)\b/g, id);
  }
  return text;
}

/** Records a reply in the transcript of `area`, and returns it for the inline assertions. */
function record(s: Scenario, area: Area, step: string, reply: Reply, body?: unknown): Reply {
  s.transcript[area].push({
    step,
    status: reply.status,
    body: normalize(
      s,
      body ?? reply.json ?? { contentType: reply.contentType, text: reply.bytes.toString() },
    ),
  });
  return reply;
}

const get = (s: Scenario, route: string, c: Call) => call(s, 'GET', route, c);
const post = (s: Scenario, route: string, c: Call) => call(s, 'POST', route, c);

// ---- The scenario, one area at a time; later areas use the experiment and run the tracking area made. ----

async function tracking(s: Scenario): Promise<void> {
  const alice = { user: 'alice', workspace: 'team-a' } as const;
  const name = `conformance-${s.tag}`;
  const rec = (step: string, reply: Reply) => record(s, 'tracking', step, reply);

  const created = await post(s, `${API}/experiments/create`, { ...alice, json: { name } });
  expect(created.status).toBe(200);
  expect(created.json.experiment_id).toMatch(/^\d+$/);
  s.experimentId = created.json.experiment_id;
  rec('experiments/create', created);

  const byName = rec(
    'experiments/get-by-name',
    await get(s, `${API}/experiments/get-by-name?experiment_name=${name}`, alice),
  );
  expect(byName.status).toBe(200);
  expect(byName.json.experiment).toMatchObject({
    experiment_id: s.experimentId,
    name,
    lifecycle_stage: 'active',
    artifact_location: `mlflow-artifacts:/workspaces/team-a/${s.experimentId}`,
  });

  const duplicate = rec(
    'experiments/create (duplicate name)',
    await post(s, `${API}/experiments/create`, { ...alice, json: { name } }),
  );
  expect(duplicate.status).toBe(400);
  expect(duplicate.json).toMatchObject({ error_code: 'RESOURCE_ALREADY_EXISTS' });
  expect(duplicate.json.message).toContain(`Experiment(name=${name}) already exists.`);

  const missing = rec(
    'experiments/get (missing)',
    await get(s, `${API}/experiments/get?experiment_id=987654321`, alice),
  );
  expect(missing.status).toBe(404);
  expect(missing.json).toMatchObject({
    error_code: 'RESOURCE_DOES_NOT_EXIST',
    message: 'No Experiment with id=987654321 exists',
  });

  const run = await post(s, `${API}/runs/create`, {
    ...alice,
    json: {
      experiment_id: s.experimentId,
      run_name: 'conformance-run',
      start_time: 1_700_000_000_000,
      tags: [{ key: 'stage', value: 'conformance' }],
    },
  });
  expect(run.status).toBe(200);
  expect(run.json.run.info.run_id).toMatch(/^[0-9a-f]{32}$/);
  s.runId = run.json.run.info.run_id;
  s.artifactUri = run.json.run.info.artifact_uri;
  rec('runs/create', run);
  expect(run.json.run.info).toMatchObject({
    run_uuid: s.runId,
    experiment_id: s.experimentId,
    user_id: 'alice@example.com',
    status: 'RUNNING',
    artifact_uri: `mlflow-artifacts:/workspaces/team-a/${s.experimentId}/${s.runId}/artifacts`,
  });

  const batch = rec(
    'runs/log-batch',
    await post(s, `${API}/runs/log-batch`, {
      ...alice,
      json: {
        run_id: s.runId,
        metrics: [
          { key: 'loss', value: 0.5, timestamp: 1_700_000_001_000, step: 0 },
          { key: 'loss', value: 0.125, timestamp: 1_700_000_002_000, step: 1 },
          { key: 'accuracy', value: 0.9, timestamp: 1_700_000_002_000, step: 1 },
        ],
        params: [
          { key: 'lr', value: '0.01' },
          { key: 'optimizer', value: 'adam' },
        ],
        tags: [{ key: 'team', value: 'a' }],
      },
    }),
  );
  expect([batch.status, batch.json]).toEqual([200, {}]);

  const read = rec('runs/get', await get(s, `${API}/runs/get?run_id=${s.runId}`, alice));
  expect(read.status).toBe(200);
  expect(read.json.run.data.params).toEqual(
    expect.arrayContaining([
      { key: 'lr', value: '0.01' },
      { key: 'optimizer', value: 'adam' },
    ]),
  );
  expect(read.json.run.data.metrics).toEqual(
    expect.arrayContaining([{ key: 'loss', value: 0.125, timestamp: 1_700_000_002_000, step: 1 }]),
  );
  expect(read.json.run.data.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'a' }]));

  const search = (filter: string) =>
    post(s, `${API}/runs/search`, { ...alice, json: { experiment_ids: [s.experimentId], filter } });
  const found = rec(
    'runs/search (matching filter)',
    await search("params.optimizer = 'adam' and metrics.loss < 0.2 and tags.team = 'a'"),
  );
  expect(found.status).toBe(200);
  expect(found.json.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([s.runId]);
  const none = rec('runs/search (no match)', await search("params.optimizer = 'sgd'"));
  expect(none.status).toBe(200);
  expect(none.json.runs ?? []).toEqual([]);

  const finished = rec(
    'runs/update FINISHED',
    await post(s, `${API}/runs/update`, {
      ...alice,
      json: { run_id: s.runId, status: 'FINISHED', end_time: 1_700_000_060_000 },
    }),
  );
  expect(finished.status).toBe(200);
  expect(finished.json.run_info).toMatchObject({ status: 'FINISHED', end_time: 1_700_000_060_000 });
  const after = rec('runs/get (finished)', await get(s, `${API}/runs/get?run_id=${s.runId}`, alice));
  expect(after.json.run.info.status).toBe('FINISHED');
}

async function registry(s: Scenario): Promise<void> {
  const alice = { user: 'alice', workspace: 'team-a' } as const;
  const name = `conformance-model-${s.tag}`;
  const rec = (step: string, reply: Reply) => record(s, 'registry', step, reply);

  const created = rec(
    'registered-models/create',
    await post(s, `${API}/registered-models/create`, {
      ...alice,
      json: { name, description: 'conformance' },
    }),
  );
  expect(created.status).toBe(200);
  expect(created.json.registered_model).toMatchObject({ name, description: 'conformance' });

  const duplicate = rec(
    'registered-models/create (duplicate name)',
    await post(s, `${API}/registered-models/create`, { ...alice, json: { name } }),
  );
  expect(duplicate.status).toBe(400);
  expect(duplicate.json.error_code).toBe('RESOURCE_ALREADY_EXISTS');

  const version = rec(
    'model-versions/create',
    await post(s, `${API}/model-versions/create`, {
      ...alice,
      json: { name, source: `${s.artifactUri}/model`, run_id: s.runId },
    }),
  );
  expect(version.status).toBe(200);
  expect(version.json.model_version).toMatchObject({ name, version: '1', run_id: s.runId, status: 'READY' });

  const model = rec(
    'registered-models/get',
    await get(s, `${API}/registered-models/get?name=${name}`, alice),
  );
  expect(model.status).toBe(200);
  expect(model.json.registered_model.latest_versions).toEqual([
    expect.objectContaining({ name, version: '1', current_stage: 'None' }),
  ]);

  const filter = encodeURIComponent(`name='${name}'`);
  const versions = rec(
    'model-versions/search',
    await get(s, `${API}/model-versions/search?filter=${filter}`, alice),
  );
  expect(versions.status).toBe(200);
  expect(versions.json.model_versions.map((v: { version: string }) => v.version)).toEqual(['1']);
}

/** Text, multi-byte UTF-8 and bytes that are no text at all: what comes back must be these bytes exactly. */
const PAYLOAD = Buffer.concat([
  Buffer.from('conformance: naïve café ✓\r\nsecond line\n', 'utf8'),
  Buffer.from([0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff]),
]);

async function artifacts(s: Scenario): Promise<void> {
  const alice = { user: 'alice', workspace: 'team-a' } as const;
  const rec = (step: string, reply: Reply, body?: unknown) => record(s, 'artifacts', step, reply, body);
  const dir = s.artifactUri!.replace(/^mlflow-artifacts:\//, '');
  expect(dir).toBe(`workspaces/team-a/${s.experimentId}/${s.runId}/artifacts`);

  const upload = rec(
    'PUT mlflow-artifacts file.txt',
    await call(s, 'PUT', `${ARTIFACTS}/${dir}/file.txt`, { ...alice, bytes: PAYLOAD }),
  );
  expect([upload.status, upload.json]).toEqual([200, {}]);

  const listed = rec('artifacts/list (run)', await get(s, `${API}/artifacts/list?run_id=${s.runId}`, alice));
  expect(listed.status).toBe(200);
  expect(listed.json).toEqual({
    root_uri: s.artifactUri,
    files: [{ path: 'file.txt', is_dir: false, file_size: PAYLOAD.length }],
  });

  const dirList = rec(
    'GET mlflow-artifacts ?path=<run dir>',
    await get(s, `${ARTIFACTS}?path=${encodeURIComponent(dir)}`, alice),
  );
  expect(dirList.status).toBe(200);
  expect(dirList.json.files).toEqual([{ path: 'file.txt', is_dir: false, file_size: PAYLOAD.length }]);

  const download = await get(s, `${ARTIFACTS}/${dir}/file.txt`, alice);
  rec('GET mlflow-artifacts file.txt', download, {
    contentType: download.contentType,
    base64: download.bytes.toString('base64'),
  });
  expect(download.status).toBe(200);
  expect(download.bytes.equals(PAYLOAD)).toBe(true);
}

async function workspaces(s: Scenario): Promise<void> {
  const rec = (step: string, reply: Reply) => record(s, 'workspaces', step, reply);
  const name = `conformance-${s.tag}`;
  const names = (r: Reply, key: 'workspaces' | 'experiments') =>
    ((r.json[key] ?? []) as Array<{ name: string }>).map((w) => w.name);

  // Carol (admin) sees every workspace; alice only those she may list resources in (the plugin's filter).
  const all = rec('GET workspaces (carol)', await get(s, '/api/3.0/mlflow/workspaces', { user: 'carol' }));
  expect(all.status).toBe(200);
  expect(names(all, 'workspaces')).toEqual(expect.arrayContaining(['team-a', 'team-b']));
  const alices = rec('GET workspaces (alice)', await get(s, '/api/3.0/mlflow/workspaces', { user: 'alice' }));
  expect(alices.status).toBe(200);
  expect(names(alices, 'workspaces')).toEqual(['team-a']);

  // The experiment alice made in team-a is there in team-a, and in team-b it is not, even for carol.
  const inA = rec(
    'experiments/search team-a (alice)',
    await post(s, `${API}/experiments/search`, {
      user: 'alice',
      workspace: 'team-a',
      json: { max_results: 100, filter: `name = '${name}'` },
    }),
  );
  expect([inA.status, names(inA, 'experiments')]).toEqual([200, [name]]);
  const byId = rec(
    'experiments/get team-b (carol)',
    await get(s, `${API}/experiments/get?experiment_id=${s.experimentId}`, {
      user: 'carol',
      workspace: 'team-b',
    }),
  );
  expect(byId.status).toBe(404);
  expect(byId.json.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  const byName = rec(
    'experiments/get-by-name team-b (carol)',
    await get(s, `${API}/experiments/get-by-name?experiment_name=${name}`, {
      user: 'carol',
      workspace: 'team-b',
    }),
  );
  expect(byName.status).toBe(404);
  expect(byName.json.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  for (const user of ['carol', 'bob'] as const) {
    const inB = rec(
      `experiments/search team-b (${user})`,
      await post(s, `${API}/experiments/search`, { user, workspace: 'team-b', json: { max_results: 100 } }),
    );
    expect(inB.status).toBe(200);
    expect(names(inB, 'experiments')).not.toContain(name);
  }
  const runInB = rec(
    'runs/get team-b (carol)',
    await get(s, `${API}/runs/get?run_id=${s.runId}`, { user: 'carol', workspace: 'team-b' }),
  );
  expect(runInB.status).toBe(404);

  // Alice may not read team-b; bob (a team-b viewer) may not write in team-a.
  const aliceInB = rec(
    'experiments/get team-b (alice)',
    await get(s, `${API}/experiments/get?experiment_id=${s.experimentId}`, {
      user: 'alice',
      workspace: 'team-b',
    }),
  );
  expect([aliceInB.status, aliceInB.json]).toEqual([403, DENIED]);
  const bobInA = rec(
    'experiments/create team-a (bob)',
    await post(s, `${API}/experiments/create`, {
      user: 'bob',
      workspace: 'team-a',
      json: { name: `bob-${s.tag}` },
    }),
  );
  expect([bobInA.status, bobInA.json]).toEqual([403, DENIED]);
}

const SCRIPT: Record<Area, (s: Scenario) => Promise<void>> = { tracking, registry, artifacts, workspaces };

/**
 * The emulator's transcript of `area`. Normally its tests made it already; when they were filtered out (`-t`), the
 * whole scenario runs once on a throwaway emulator lab.
 */
async function reference(area: Area): Promise<Entry[]> {
  if (!emulatorTranscript[area]) {
    const lab = await startLab({ ports: PORTS, env: {}, mlflow: { backend: 'emulator' } });
    try {
      const s = await scenarioFor(lab);
      for (const a of AREAS) await SCRIPT[a](s);
      Object.assign(emulatorTranscript, s.transcript);
    } finally {
      await lab.dispose();
    }
  }
  return emulatorTranscript[area]!;
}

const availability = await Promise.all(BACKENDS.map((b) => b.available()));

for (const [i, backend] of BACKENDS.entries()) {
  const available = availability[i]!;
  if (available !== true) {
    test.skip(`backend ${backend.name}: skipped, ${available.replace(/\s+/g, ' ')}`, () => undefined);
    continue;
  }
  const isReference = backend.name === 'emulator';

  describe(`backend ${backend.name}`, () => {
    let lab: StartedLab | undefined;
    let s: Scenario;
    beforeAll(async () => {
      lab = await startLab({ ports: PORTS, env: {}, mlflow: await backend.mlflowOptions() });
      s = await scenarioFor(lab);
    }, backend.startTimeoutMs);
    afterAll(() => lab?.dispose(), 60_000);

    for (const area of AREAS) {
      test(`${area}: ${isReference ? 'the reference transcript' : "the transcript equals the emulator's"}`, async () => {
        await SCRIPT[area](s);
        if (isReference) emulatorTranscript[area] = s.transcript[area];
        else expect(s.transcript[area]).toEqual(await reference(area));
      });
    }
  });
}
