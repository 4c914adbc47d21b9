// The oidc-auth Flask hooks against the real MLflow emulator: the measured decisions of mlflow-oidc-auth.md §8.1
// (run 2, DEFAULT_MLFLOW_PERMISSION=NO_PERMISSIONS) and run 1 (default MANAGE, a user without a DB row: §3.2
// B1-B1d), the validators' reading of requests (§4.4) and 7.3.1's holes.
import { describe, expect, test } from 'vitest';
import { experimentPermission, registeredModelPermission } from '../../../../src/mlflow/auth/oidc/hooks.js';
import { DENIED, hookLab } from './support.js';

/** Alice, Bob and Carol as the plugin saw them (§8): groups from their last browser login. */
async function measuredLab(
  settings: Parameters<typeof hookLab>[0] = { DEFAULT_MLFLOW_PERMISSION: 'NO_PERMISSIONS' },
  o: Parameters<typeof hookLab>[1] = {},
) {
  const lab = await hookLab(settings, o);
  await lab.user('alice@example.com', ['team-a-editors']);
  await lab.user('bob@example.com', ['team-b-viewers']);
  await lab.user('carol@example.com', ['mlflow-admins'], { admin: true });
  return {
    ...lab,
    alice: lab.as('alice@example.com'),
    bob: lab.as('bob@example.com'),
    carol: lab.as('carol@example.com'),
  };
}

describe('§8.1 group-based decisions (run 2, DEFAULT_MLFLOW_PERMISSION=NO_PERMISSIONS)', () => {
  test('experiments and runs: D1-D7', async () => {
    const lab = await measuredLab();
    const { alice, bob, carol, store } = lab;
    const aliceRow = store.user('alice@example.com')!;
    const bobRow = store.user('bob@example.com')!;

    // D1, D1b: nobody has a rule on Default.
    expect(await alice.get('experiments/get?experiment_id=0')).toMatchObject(DENIED);
    expect(await alice.post('runs/create', { experiment_id: '0' })).toMatchObject(DENIED);

    // D2-D2c: CreateExperiment is unchecked; the creator gets MANAGE (P1d).
    const created = await alice.post('experiments/create', { name: 'alice-exp' });
    expect(created).toMatchObject({ status: 200, json: { experiment_id: '1' } });
    expect(store.rule('experiment', '1', { user: aliceRow.id })?.permission).toBe('MANAGE');
    const run = await alice.post('runs/create', { experiment_id: '1' });
    expect(run.status).toBe(200);
    const runId: string = run.json.run.info.run_id;
    const metric = { run_id: runId, key: 'loss', value: 0.5, timestamp: 1, step: 0 };
    expect((await alice.post('runs/log-metric', metric)).status).toBe(200);

    // D3-D3h: Bob sees nothing of it, except through the SearchRuns hole.
    expect(await bob.get('experiments/get?experiment_id=1')).toMatchObject(DENIED);
    expect(await bob.post('experiments/search', { max_results: 100 })).toMatchObject({
      status: 200,
      json: {},
    });
    const runs = await bob.post('runs/search', { experiment_ids: ['1'] });
    expect(runs.status).toBe(200);
    expect(runs.json.runs.map((r: any) => r.info.run_id)).toEqual([runId]);
    expect(await bob.get(`runs/get?run_id=${runId}`)).toMatchObject(DENIED);
    expect(await bob.post('runs/log-metric', metric)).toMatchObject(DENIED);
    expect(await bob.call('GET', '/ajax-api/2.0/mlflow/experiments/get?experiment_id=1')).toMatchObject(
      DENIED,
    );

    // D5-D5e: Carol grants the group READ: reading works at once, updating does not.
    store.addRule('experiment', '1', { group: lab.groupId('team-b-viewers') }, 'READ');
    expect((await bob.get('experiments/get?experiment_id=1')).status).toBe(200);
    expect(await bob.post('experiments/update', { experiment_id: '1', new_name: 'x' })).toMatchObject(DENIED);
    const search = await bob.post('experiments/search', { max_results: 100 });
    expect(search.json.experiments.map((e: any) => e.name)).toEqual(['alice-exp']);
    expect(
      await experimentPermission(lab.deps, '1', lab.identity('bob@example.com'), undefined),
    ).toMatchObject({
      permission: { name: 'READ' },
      kind: 'group',
    });

    // D6-D6e: a user rule beats the group's, even a weaker source order-wise; EDIT cannot delete.
    store.addRule('experiment', '1', { user: bobRow.id }, 'EDIT');
    expect((await bob.post('experiments/update', { experiment_id: '1', new_name: 'alice-exp' })).status).toBe(
      200,
    );
    expect(await bob.post('experiments/delete', { experiment_id: '1' })).toMatchObject(DENIED);

    // D7-D7d: a group regex on the NAME, looked up by id.
    store.addPattern(
      'experiment',
      { group: lab.groupId('team-b-viewers') },
      {
        regex: '^shared-',
        priority: 1,
        permission: 'READ',
      },
    );
    const shared = await alice.post('experiments/create', { name: 'shared-x' });
    expect(shared.json).toEqual({ experiment_id: '2' });
    expect((await bob.get('experiments/get?experiment_id=2')).json.experiment.name).toBe('shared-x');
    expect(await bob.post('experiments/update', { experiment_id: '2', new_name: 'y' })).toMatchObject(DENIED);
    expect(
      await experimentPermission(lab.deps, '2', lab.identity('bob@example.com'), undefined),
    ).toMatchObject({
      permission: { name: 'READ' },
      kind: 'group-regex',
    });

    // Carol is an admin: no check and no filter (§4.2).
    expect((await carol.post('experiments/delete', { experiment_id: '2' })).status).toBe(200);
    const all = await carol.post('experiments/search', { max_results: 100, view_type: 'ALL' });
    expect(all.json.experiments.map((e: any) => e.name).sort()).toEqual(['Default', 'alice-exp', 'shared-x']);
  });

  test('registered models: D9-D9d', async () => {
    const { alice, bob, store } = await measuredLab();
    const created = await alice.post('registered-models/create', { name: 'alice-model' });
    expect(created.json.registered_model.name).toBe('alice-model');
    expect(
      store.rule('registered_model', 'alice-model', { user: store.user('alice@example.com')!.id }),
    ).toBeDefined();
    expect(await bob.get('registered-models/get?name=alice-model')).toMatchObject(DENIED);
    expect(await bob.get('registered-models/search')).toMatchObject({ status: 200, json: {} });
    const mine = await alice.get('registered-models/search');
    expect(mine.json.registered_models.map((m: any) => m.name)).toEqual(['alice-model']);
    // Versions are filtered by their model's name.
    await alice.post('model-versions/create', { name: 'alice-model', source: 'mlflow-artifacts:/x' });
    expect(
      (await alice.get("model-versions/search?filter=name%3D'alice-model'")).json.model_versions,
    ).toHaveLength(1);
    expect(await bob.get("model-versions/search?filter=name%3D'alice-model'")).toMatchObject({
      status: 200,
      json: {},
    });
  });

  test('within the group source the highest priority number wins: NO_PERMISSIONS beats MANAGE (§4.3)', async () => {
    const lab = await measuredLab({ DEFAULT_MLFLOW_PERMISSION: 'MANAGE' });
    await lab.user('dave@example.com', ['managers', 'blocked']);
    await lab.alice.post('experiments/create', { name: 'alice-exp' });
    lab.store.addRule('experiment', '1', { group: lab.groupId('managers') }, 'MANAGE');
    lab.store.addRule('experiment', '1', { group: lab.groupId('blocked') }, 'NO_PERMISSIONS');
    expect(await lab.as('dave@example.com').get('experiments/get?experiment_id=1')).toMatchObject(DENIED);
    // A user READ beats the same user's groups' MANAGE: the first source with a rule decides.
    lab.store.addRule('experiment', '1', { user: lab.store.user('dave@example.com')!.id }, 'READ');
    const dave = lab.identity('dave@example.com');
    expect(await experimentPermission(lab.deps, '1', dave, undefined)).toMatchObject({
      permission: { name: 'READ' },
      kind: 'user',
    });
    // A model: the same within the model tables.
    lab.store.addRule('registered_model', 'm', { group: lab.groupId('managers') }, 'MANAGE');
    lab.store.addRule('registered_model', 'm', { group: lab.groupId('blocked') }, 'NO_PERMISSIONS');
    expect((await registeredModelPermission(lab.deps, 'm', dave, undefined)).permission.name).toBe(
      'NO_PERMISSIONS',
    );
  });
});

describe('run 1 (default MANAGE): a user without a DB row (§3.2 "Effect of the missing DB row")', () => {
  test('B1-B1d: searches work; creating answers 404 although the experiment was created', async () => {
    const lab = await measuredLab({ DEFAULT_MLFLOW_PERMISSION: 'MANAGE' });
    const pipeline = lab.as('mlflow-pipeline');
    expect((await pipeline.post('experiments/search', { max_results: 10 })).status).toBe(200);
    const created = await pipeline.post('experiments/create', { name: 'cc-exp' });
    expect(created.status).toBe(404);
    expect(created.json).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'User with username=mlflow-pipeline not found',
      sqlstate: 'KAM00',
      error_class: 'RESOURCE_NOT_FOUND',
    });
    const after = await pipeline.post('experiments/search', { max_results: 10 });
    expect(after.json.experiments.map((e: any) => e.name)).toContain('cc-exp');
    // Everything else falls to the default MANAGE: reading, deleting.
    const id = after.json.experiments.find((e: any) => e.name === 'cc-exp').experiment_id;
    expect(
      await experimentPermission(lab.deps, id, lab.identity('mlflow-pipeline'), undefined),
    ).toMatchObject({
      permission: { name: 'MANAGE' },
      kind: 'fallback',
    });
    expect((await pipeline.post('experiments/delete', { experiment_id: id })).status).toBe(200);
    // The same for a registered model: 404, yet it exists.
    expect((await pipeline.post('registered-models/create', { name: 'cc-model' })).status).toBe(404);
    expect((await lab.carol.get('registered-models/get?name=cc-model')).status).toBe(200);
  });

  test("P1: with no rules every signed-in user manages everything (Bob renames Alice's experiment)", async () => {
    const { alice, bob } = await measuredLab({ DEFAULT_MLFLOW_PERMISSION: 'MANAGE' });
    await alice.post('experiments/create', { name: 'alice-exp' });
    expect(
      (await alice.post('experiments/update', { experiment_id: '1', new_name: 'alice-exp' })).status,
    ).toBe(200);
    const renamed = await bob.post('experiments/update', {
      experiment_id: '1',
      new_name: 'alice-exp-renamed-by-bob',
    });
    expect(renamed.status).toBe(200);
  });
});

describe('how the validators read a request (§4.4, validators/*.py)', () => {
  test('missing resources and parameters: MLflow errors from the hook, or MANAGE for get-by-name', async () => {
    const lab = await measuredLab();
    const { alice, bob } = lab;
    await alice.post('experiments/create', { name: 'alice-exp' });
    // An experiment that does not exist by name: MANAGE, so MLflow itself answers.
    const byName = await bob.get('experiments/get-by-name?experiment_name=nope');
    expect(byName).toMatchObject({
      status: 404,
      json: { message: "Could not find experiment with name 'nope'" },
    });
    expect(await bob.get('experiments/get-by-name?experiment_name=alice-exp')).toMatchObject(DENIED);
    // A run that does not exist: the lookup's own 404, from the hook.
    expect(await bob.get('runs/get?run_id=nope')).toMatchObject({
      status: 404,
      json: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=nope not found' },
    });
    // Missing parameters: the plugin's messages (run_id is looked for as run_uuid).
    expect(await bob.get('runs/get')).toMatchObject({
      status: 400,
      json: {
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          "Missing value for required parameter 'run_uuid'. See the API docs for more information about request parameters.",
      },
    });
    expect((await bob.get('experiments/get')).json.message).toBe(
      "Either 'experiment_id' or 'experiment_name' must be provided in the request data.",
    );
    expect((await bob.get('registered-models/get')).json.message).toBe(
      'Model name must be provided in the request data.',
    );
    // experiment_name instead of experiment_id: looked up; unknown → 400.
    expect((await bob.post('runs/create', { experiment_name: 'alice-exp' })).status).toBe(403);
    expect((await bob.post('runs/create', { experiment_name: 'nope' })).json.message).toBe(
      "Experiment with name 'nope' not found.",
    );
    // An experiment id MLflow refuses: its error reaches the client once a regex source needs the name.
    expect(await bob.get('experiments/get?experiment_id=abc')).toMatchObject({
      status: 400,
      json: { message: "Invalid experiment ID 'abc'. Experiment ID must be a valid integer." },
    });
    // A user without a row never looks the name up: the fallback decides.
    expect(await lab.as('ghost').get('experiments/get?experiment_id=abc')).toMatchObject(DENIED);
  });

  test("upload-artifact reads run_id from the form, so 7.3.1 refuses the UI's query-string upload", async () => {
    const { alice } = await measuredLab({ DEFAULT_MLFLOW_PERMISSION: 'MANAGE' });
    const answer = await alice.call(
      'POST',
      '/ajax-api/2.0/mlflow/upload-artifact?run_uuid=abc&path=x.txt',
      Buffer.from('data'),
      { 'content-type': 'application/octet-stream' },
    );
    expect(answer).toMatchObject({
      status: 400,
      json: { message: expect.stringContaining("Missing value for required parameter 'run_uuid'") },
    });
  });

  test('bulk routes: every run or experiment must be readable, and at least one named', async () => {
    const lab = await measuredLab();
    await lab.alice.post('experiments/create', { name: 'alice-exp' });
    const runId = (await lab.alice.post('runs/create', { experiment_id: '1' })).json.run.info.run_id;
    const bulk = `/ajax-api/2.0/mlflow/metrics/get-history-bulk?run_id=${runId}&metric_key=loss`;
    expect(await lab.bob.call('GET', bulk)).toMatchObject(DENIED);
    expect((await lab.alice.call('GET', bulk)).status).not.toBe(403);
    expect((await lab.bob.call('GET', '/ajax-api/2.0/mlflow/metrics/get-history-bulk')).json.message).toBe(
      'GetMetricHistoryBulk request must specify at least one run_id.',
    );
    const interval = `/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=${runId}&metric_key=loss`;
    expect(await lab.bob.call('GET', `/ajax-api${interval}`)).toMatchObject(DENIED);
    // Only the Flask route of the /ajax-api root is in the table: the /api twin is unchecked.
    expect((await lab.bob.call('GET', `/api${interval}`)).status).not.toBe(403);
    const datasets = '/ajax-api/2.0/mlflow/experiments/search-datasets';
    expect(await lab.bob.call('POST', datasets, { experiment_ids: ['1'] })).toMatchObject(DENIED);
    expect((await lab.bob.call('POST', datasets, { experiment_ids: [] })).json.message).toBe(
      'SearchDatasets request must specify at least one experiment_id.',
    );
  });

  test('unprotected prefixes and admins pass; CreateExperiment and SearchRuns are holes', async () => {
    const lab = await measuredLab();
    expect((await lab.bob.call('GET', '/health')).status).toBe(200);
    expect((await lab.bob.post('experiments/create', { name: 'bobs' })).status).toBe(200);
    expect((await lab.bob.post('runs/search', { experiment_ids: ['0'] })).status).toBe(200);
    expect((await lab.carol.get('experiments/get?experiment_id=0')).status).toBe(200);
  });
});

describe('the artifact proxy (§4.4: experiment id parsed from the path)', () => {
  test('download needs READ, upload UPDATE; no experiment in the path → the default; /ajax-api unchecked', async () => {
    const lab = await measuredLab();
    const { alice, bob } = lab;
    await alice.post('experiments/create', { name: 'alice-exp' });
    const run = (await alice.post('runs/create', { experiment_id: '1' })).json.run.info;
    const root = String(run.artifact_uri).replace('mlflow-artifacts:/', '');
    expect(root).toMatch(/^workspaces\/default\/1\//);
    const file = `/api/2.0/mlflow-artifacts/artifacts/${root}/model.txt`;
    const upload = (who: typeof alice, path = file) =>
      who.call('PUT', path, Buffer.from('weights'), { 'content-type': 'application/octet-stream' });
    expect((await upload(alice)).status).toBe(200);
    expect(await bob.call('GET', file)).toMatchObject(DENIED);
    lab.store.addRule('experiment', '1', { group: lab.groupId('team-b-viewers') }, 'READ');
    expect(await bob.call('GET', file)).toMatchObject({ status: 200, text: 'weights' });
    expect(await upload(bob)).toMatchObject(DENIED);
    expect(await bob.call('DELETE', file)).toMatchObject(DENIED);
    // A path that names no experiment: DEFAULT_MLFLOW_PERMISSION (NO_PERMISSIONS here).
    expect(await bob.call('GET', '/api/2.0/mlflow-artifacts/artifacts/elsewhere/x.txt')).toMatchObject(
      DENIED,
    );
    expect(await bob.call('GET', '/api/2.0/mlflow-artifacts/artifacts/')).toMatchObject(DENIED);
    // The listing route has no trailing slash, so it is not an artifact-proxy path at all.
    expect(
      (await lab.as('ghost').call('GET', `/api/2.0/mlflow-artifacts/artifacts?path=${root}`)).status,
    ).toBe(200);
    // Nor is the /ajax-api twin.
    expect((await upload(lab.as('ghost'), file.replace('/api/', '/ajax-api/'))).status).toBe(200);
  });
});

// The lab's front door reads the in-process emulator's data directly for the plugin's plain store reads (the plugin
// reads its stores in its own process too); every answer must be the one MLflow's API gives.
describe.each([false, true])('store reads straight from the emulator: %s', (local) => {
  test("the name the regexes match is the experiment's current one; a missing or bad id is MLflow's answer", async () => {
    const lab = await measuredLab(undefined, { local });
    const { alice, bob, store } = lab;
    store.addPattern(
      'experiment',
      { group: lab.groupId('team-b-viewers') },
      { regex: '^shared-', priority: 1, permission: 'READ' },
    );
    expect((await alice.post('experiments/create', { name: 'shared-x' })).json).toEqual({
      experiment_id: '1',
    });
    expect((await bob.get('experiments/get?experiment_id=1')).status).toBe(200);
    // Renamed on MLflow's own port, past the plugin: the next check reads the new name.
    const renamed = await fetch(new URL('/api/2.0/mlflow/experiments/update', lab.mlflow.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment_id: '1', new_name: 'private-x' }),
    });
    expect(renamed.status).toBe(200);
    expect(await bob.get('experiments/get?experiment_id=1')).toMatchObject(DENIED);
    // No such experiment (here, or only in another workspace): no name, so the fallback (NO_PERMISSIONS) decides.
    expect(await bob.get('experiments/get?experiment_id=999')).toMatchObject(DENIED);
    expect(
      (await lab.as('alice@example.com', 'team-a').post('experiments/create', { name: 'shared-a' })).status,
    ).toBe(200);
    expect(await bob.get('experiments/get?experiment_id=2')).toMatchObject(DENIED);
    // An id only Python's int() reads (" 1" is 1), then one MLflow refuses: its own error.
    expect(await bob.get('experiments/get?experiment_id=%201')).toMatchObject(DENIED);
    expect(await bob.get('experiments/get?experiment_id=abc')).toMatchObject({
      status: 400,
      json: { message: "Invalid experiment ID 'abc'. Experiment ID must be a valid integer." },
    });
  });
});
