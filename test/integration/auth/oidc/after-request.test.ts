// The after-request hook against the real MLflow emulator (mlflow-oidc-auth.md §4.3 "Creators get MANAGE",
// §4.5 search filtering with refetch, §4.7 workspaces): what the caller may read is kept, further pages are read
// from MLflow to fill max_results, and next_page_token points past what was read.
import { describe, expect, test } from 'vitest';
import {
  experimentPermission,
  promptPermission,
  registeredModelPermission,
  workspacePermission,
} from '../../../../src/mlflow/auth/oidc/hooks.js';
import { dispatchMlflowReader } from '../../../../src/mlflow/auth/oidc/mlflow-reader.js';
import { DENIED, hookLab } from './support.js';

/** MLflow's page token, as Python's json.dumps and base64 write it. */
const token = (offset: number) => Buffer.from(`{"offset": ${offset}}`).toString('base64');

describe('search filtering refills pages from MLflow (§4.5)', () => {
  test('SearchExperiments: unreadable pages are skipped, the page is filled, the token moved', async () => {
    const lab = await hookLab({ DEFAULT_MLFLOW_PERMISSION: 'NO_PERMISSIONS' });
    await lab.user('alice@example.com', ['team-a-editors']);
    const bob = await lab.user('bob@example.com', ['team-b-viewers']);
    const alice = lab.as('alice@example.com');
    for (const name of ['e1', 'e2', 'e3', 'e4', 'e5', 'e6']) await alice.post('experiments/create', { name });
    // By name: Default, e1 … e6 (ids 0 … 6). Bob reads e2 (user rule), e5 and e6 (a user regex on the name).
    lab.store.addRule('experiment', '2', { user: bob.id }, 'READ');
    lab.store.addPattern('experiment', { user: bob.id }, { regex: 'e[56]', priority: 1, permission: 'READ' });
    const search = (page_token?: string) =>
      lab.as('bob@example.com').post('experiments/search', {
        max_results: 2,
        order_by: ['name ASC'],
        ...(page_token && { page_token }),
      });
    // MLflow's first page (Default, e1) has nothing readable; e2-e3 give e2; then one at a time (only one is
    // missing): e4 no, e5 yes. The token counts what was read: 6.
    const first = await search();
    expect(first.json).toEqual({
      experiments: [expect.objectContaining({ name: 'e2' }), expect.objectContaining({ name: 'e5' })],
      next_page_token: token(6),
    });
    const second = await search(first.json.next_page_token);
    expect(second.json).toEqual({ experiments: [expect.objectContaining({ name: 'e6' })] });
    // Alice (her own MANAGE on e1-e6, none on Default) reads MLflow's pages as they are, Default dropped.
    const hers = await alice.post('experiments/search', { max_results: 3, order_by: ['name ASC'] });
    expect(hers.json.experiments.map((e: any) => e.name)).toEqual(['e1', 'e2', 'e3']);
    expect(hers.json.next_page_token).toBe(token(4));
  });

  test('SearchRegisteredModels over GET, by regex on the name; nothing readable → {}', async () => {
    const lab = await hookLab({ DEFAULT_MLFLOW_PERMISSION: 'NO_PERMISSIONS' });
    await lab.user('alice@example.com');
    const bob = await lab.user('bob@example.com');
    for (const name of ['m1', 'm2', 'm3', 'm4', 'm5'])
      await lab.as('alice@example.com').post('registered-models/create', { name });
    lab.store.addPattern(
      'registered_model',
      { user: bob.id },
      { regex: 'm[24]$', priority: 1, permission: 'READ' },
    );
    const search = (query = '') =>
      lab.as('bob@example.com').get(`registered-models/search?max_results=1${query}`);
    const first = await search();
    expect(first.json).toEqual({
      registered_models: [expect.objectContaining({ name: 'm2' })],
      next_page_token: token(2),
    });
    const second = await search(`&page_token=${encodeURIComponent(first.json.next_page_token)}`);
    expect(second.json).toEqual({
      registered_models: [expect.objectContaining({ name: 'm4' })],
      next_page_token: token(4),
    });
    const third = await search(`&page_token=${encodeURIComponent(second.json.next_page_token)}`);
    expect(third).toMatchObject({ status: 200, json: {} });
  });
});

describe('registered-model rules follow the model (§4.3; after_request.py)', () => {
  test('rename moves user and group rules; with no group rule the answer is 404 though renamed; delete wipes', async () => {
    const lab = await hookLab({ DEFAULT_MLFLOW_PERMISSION: 'NO_PERMISSIONS' });
    const aliceRow = await lab.user('alice@example.com');
    await lab.user('bob@example.com', ['viewers']);
    const alice = lab.as('alice@example.com');
    const bob = lab.as('bob@example.com');
    await alice.post('registered-models/create', { name: 'm' });
    lab.store.addRule('registered_model', 'm', { group: lab.groupId('viewers') }, 'READ');
    expect((await alice.post('registered-models/rename', { name: 'm', new_name: 'm2' })).status).toBe(200);
    expect((await bob.get('registered-models/get?name=m2')).status).toBe(200);
    expect(lab.store.rulesFor('registered_model', 'm')).toEqual([]);

    // No group rule on m2 any more: the user rules move, then the group rename raises (§4.3, [src]).
    lab.store.deleteRule('registered_model', 'm2', { group: lab.groupId('viewers') });
    const renamed = await alice.post('registered-models/rename', { name: 'm2', new_name: 'm3' });
    expect(renamed).toMatchObject({
      status: 404,
      json: {
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: 'No registered model group permissions found for name: m2',
      },
    });
    expect((await alice.get('registered-models/get?name=m3')).status).toBe(200);
    expect(lab.store.rule('registered_model', 'm3', { user: aliceRow.id })?.permission).toBe('MANAGE');

    // Deleting wipes every rule, so a model made again under the name starts afresh.
    const deleted = await alice.call('DELETE', '/api/2.0/mlflow/registered-models/delete', { name: 'm3' });
    expect(deleted.status).toBe(200);
    expect(lab.store.rulesFor('registered_model', 'm3')).toEqual([]);
    expect(await bob.get('registered-models/get?name=m3')).toMatchObject(DENIED);
  });

  test('prompts: the registered-model user and group rules, but the prompt regex tables (§4.3)', async () => {
    const lab = await hookLab({ DEFAULT_MLFLOW_PERMISSION: 'NO_PERMISSIONS' });
    const bob = await lab.user('bob@example.com');
    const who = lab.identity('bob@example.com');
    lab.store.addPattern('prompt', { user: bob.id }, { regex: '^p-', priority: 1, permission: 'READ' });
    expect(await promptPermission(lab.deps, 'p-1', who, undefined)).toMatchObject({
      permission: { name: 'READ' },
      kind: 'regex',
    });
    expect((await registeredModelPermission(lab.deps, 'p-1', who, undefined)).kind).toBe('fallback');
    lab.store.addRule('registered_model', 'p-1', { user: bob.id }, 'EDIT');
    expect(await promptPermission(lab.deps, 'p-1', who, undefined)).toMatchObject({
      permission: { name: 'EDIT' },
      kind: 'user',
    });
  });
});

describe('workspaces (§4.7, MLFLOW_ENABLE_WORKSPACES)', () => {
  test('creating needs workspace MANAGE; the workspace permission is the fallback; lists and searches filtered', async () => {
    const lab = await hookLab({ DEFAULT_MLFLOW_PERMISSION: 'MANAGE', MLFLOW_ENABLE_WORKSPACES: true });
    const aliceRow = await lab.user('alice@example.com');
    await lab.user('bob@example.com', ['team-a-viewers']);
    await lab.user('dave@example.com');
    const alice = lab.as('alice@example.com', 'team-a');
    const bob = lab.as('bob@example.com', 'team-a');
    const dave = lab.as('dave@example.com', 'team-a');

    expect(await alice.post('experiments/create', { name: 'a1' })).toMatchObject(DENIED);
    lab.store.addRule('workspace', 'team-a', { user: aliceRow.id }, 'MANAGE');
    const id = (await alice.post('experiments/create', { name: 'a1' })).json.experiment_id;
    expect(await alice.post('registered-models/create', { name: 'ma' })).toMatchObject({ status: 200 });

    // Bob's group reads the workspace: no resource rule, so the workspace permission decides.
    lab.store.addRule('workspace', 'team-a', { group: lab.groupId('team-a-viewers') }, 'READ');
    expect((await bob.get(`experiments/get?experiment_id=${id}`)).status).toBe(200);
    expect(await bob.post('experiments/update', { experiment_id: id, new_name: 'b' })).toMatchObject(DENIED);
    expect(await experimentPermission(lab.deps, id, lab.identity('bob@example.com'), 'team-a')).toMatchObject(
      {
        permission: { name: 'READ' },
        kind: 'workspace',
      },
    );
    expect((await bob.post('experiments/search', { max_results: 10 })).json.experiments).toHaveLength(1);
    // Dave has nothing in the workspace: workspace-deny, not the default MANAGE.
    expect(await dave.get(`experiments/get?experiment_id=${id}`)).toMatchObject(DENIED);
    expect(
      await experimentPermission(lab.deps, id, lab.identity('dave@example.com'), 'team-a'),
    ).toMatchObject({
      permission: { name: 'NO_PERMISSIONS' },
      kind: 'workspace-deny',
    });
    expect(await dave.post('experiments/search', { max_results: 10 })).toMatchObject({
      status: 200,
      json: {},
    });
    expect(await dave.get('registered-models/search')).toMatchObject({ status: 200, json: {} });

    // Workspace routes: list filtered, get needs READ, create is for admins only.
    const listed = await bob.call('GET', '/api/3.0/mlflow/workspaces');
    expect(listed.json.workspaces.map((w: any) => w.name)).toEqual(['team-a']);
    expect((await bob.call('GET', '/api/3.0/mlflow/workspaces/team-a')).status).toBe(200);
    expect(await bob.call('GET', '/api/3.0/mlflow/workspaces/team-b')).toMatchObject(DENIED);
    expect(await alice.call('POST', '/api/3.0/mlflow/workspaces', { name: 'new' })).toMatchObject(DENIED);
  });

  test('workspace regexes: the lowest priority tier, and within it the highest permission number', async () => {
    const lab = await hookLab({ MLFLOW_ENABLE_WORKSPACES: true });
    const bob = await lab.user('bob@example.com');
    const who = lab.identity('bob@example.com');
    lab.store.addPattern(
      'workspace',
      { user: bob.id },
      { regex: 'team-', priority: 2, permission: 'MANAGE' },
    );
    expect(workspacePermission(lab.deps, 'team-a', who)).toMatchObject({
      permission: { name: 'MANAGE' },
      kind: 'regex',
    });
    lab.store.addPattern('workspace', { user: bob.id }, { regex: 'team-a', priority: 1, permission: 'READ' });
    lab.store.addPattern('workspace', { user: bob.id }, { regex: 'team', priority: 1, permission: 'EDIT' });
    expect(workspacePermission(lab.deps, 'team-a', who).permission.name).toBe('EDIT');
    expect(workspacePermission(lab.deps, 'other', who)).toMatchObject({ kind: 'workspace-deny' });
    // Workspaces off: no workspace permission at all, and the workspace routes are refused.
    const off = await hookLab();
    await off.user('bob@example.com');
    expect(await off.as('bob@example.com').call('GET', '/api/3.0/mlflow/workspaces')).toMatchObject(DENIED);
  });
});

describe('MLflow readers (mlflow-reader.ts)', () => {
  test("over HTTP and over the emulator's in-process dispatch, the same answers, in the workspace asked", async () => {
    const lab = await hookLab();
    const http = lab.deps.mlflow;
    const local = dispatchMlflowReader(lab.mlflow.dispatch);
    for (const reader of [http, local]) {
      const created = await reader.call('POST', '/api/2.0/mlflow/experiments/create', {
        json: { name: `x-${reader === http ? 'http' : 'local'}` },
        workspace: 'team-a',
      });
      expect(created.status).toBe(200);
      const id = String(created.json?.experiment_id);
      expect(
        (await reader.call('GET', '/api/2.0/mlflow/experiments/get', { query: { experiment_id: id } }))
          .status,
      ).toBe(404);
      const found = await reader.call('GET', '/api/2.0/mlflow/experiments/get', {
        query: { experiment_id: id },
        workspace: 'team-a',
      });
      expect(found.json).toMatchObject({ experiment: { experiment_id: id } });
      // A Werkzeug page is no JSON.
      expect(await reader.call('GET', '/nowhere')).toEqual({ status: 404, json: undefined });
    }
  });
});
