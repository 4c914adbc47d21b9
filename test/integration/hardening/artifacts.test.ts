// Issue 18, item 2: no identity lists or reads another workspace's artifacts, whatever it puts in a location.
import { describe, expect, onTestFinished, test } from 'vitest';
import { workspaceScopedPath } from '../../../src/mlflow/emulator/artifacts/paths.js';
import { createMlflowEmulator } from '../../../src/mlflow/emulator/create-emulator.js';
import { testLab } from '../helpers.js';

const API = '/api/2.0/mlflow';

describe('artifact locations stay inside their workspace (issue 18, item 2)', () => {
  test('experiments/create with an artifact_location: 400, as MLflow 3.11 with workspaces answers', async () => {
    const lab = await testLab();
    const alice = {
      authorization: `Bearer ${await lab.token({ user: 'alice' })}`,
      'content-type': 'application/json',
      'x-mlflow-workspace': 'team-a',
    };
    const create = (body: unknown) =>
      fetch(`${lab.trackingUri}${API}/experiments/create`, {
        method: 'POST',
        headers: alice,
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const refused = (message: string) => ({
      status: 400,
      body: {
        error_code: 'INVALID_PARAMETER_VALUE',
        message,
        sqlstate: 'KAM00',
        error_class: 'INVALID_PARAMETER_VALUE',
      },
    });
    const workspaces = 'artifact_location cannot be specified when workspaces are enabled';
    // The report's way out: a location in alice's own workspace that climbs to the store's root.
    expect(
      await create({ name: 'escape', artifact_location: 'mlflow-artifacts:/workspaces/team-a/../..#' }),
    ).toEqual(refused(workspaces));
    expect(
      await create({ name: 'plain', artifact_location: 'mlflow-artifacts:/workspaces/team-a/x' }),
    ).toEqual(refused(workspaces));
    expect(await create({ name: 'file', artifact_location: 'file:///tmp/elsewhere' })).toEqual(
      refused(workspaces),
    );
    // handlers.py's own checks come first.
    expect(await create({ name: 'frag', artifact_location: 'mlflow-artifacts:/x#frag' })).toEqual(
      refused("'artifact_location' URL can't include fragments or params."),
    );
    expect(await create({ name: 'params', artifact_location: 'http://host/a;..%2F..%2Fetc' })).toEqual(
      refused("'artifact_location' URL can't include fragments or params."),
    );
    expect(await create({ name: 'query', artifact_location: 'http://host/a?p=%2E%2E/x' })).toEqual(
      refused('Invalid query string'),
    );
    // The location is refused before the name is looked at, as the workspace store does.
    expect(await create({ name: 'n'.repeat(600), artifact_location: 's3://b/x' })).toEqual(
      refused(workspaces),
    );
    // An empty location is no location.
    const made = await create({ name: 'no-location', artifact_location: '' });
    expect(made.status).toBe(200);
  });

  test('a run whose stored root climbs out of its workspace lists nothing of the store: 400 Invalid path', async () => {
    const lab = await testLab();
    const store = lab.mlflow!.emulator!.store;
    const token = await lab.token({ user: 'carol' });
    const call = async (path: string, init: RequestInit = {}, workspace = 'team-a') => {
      const res = await fetch(`${lab.trackingUri}${API}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'x-mlflow-workspace': workspace,
        },
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    // team-b has an artifact that nobody in team-a may see.
    const inB = await call(
      '/experiments/create',
      { method: 'POST', body: JSON.stringify({ name: 'b-exp' }) },
      'team-b',
    );
    const runB = await call(
      '/runs/create',
      { method: 'POST', body: JSON.stringify({ experiment_id: inB.body.experiment_id }) },
      'team-b',
    );
    const put = await fetch(
      `${lab.trackingUri}/api/2.0/mlflow-artifacts/artifacts/${inB.body.experiment_id}/${runB.body.run.info.run_id}/artifacts/secret.txt`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'x-mlflow-workspace': 'team-b' },
        body: 'b only',
      },
    );
    expect(put.status).toBe(200);

    // An experiment stored with a location that escapes (data from before this check, or a store edited by hand).
    for (const location of [
      'mlflow-artifacts:/workspaces/team-a/../..#',
      'mlflow-artifacts:/workspaces/team-a/../team-b',
      'mlflow-artifacts:/workspaces/team-a/x/../../../workspaces/team-b',
    ]) {
      const e = store.createExperiment('team-a', `escape-${location.length}-${Math.random()}`, [], location);
      const run = await call('/runs/create', {
        method: 'POST',
        body: JSON.stringify({ experiment_id: e.id }),
      });
      expect(run.status).toBe(200);
      const listed = await call(`/artifacts/list?run_id=${run.body.run.info.run_id}`);
      expect(listed).toEqual({
        status: 400,
        body: {
          error_code: 'INVALID_PARAMETER_VALUE',
          message: 'Invalid path',
          sqlstate: 'KAM00',
          error_class: 'INVALID_PARAMETER_VALUE',
        },
      });
      expect(JSON.stringify(listed.body)).not.toContain('secret.txt');
    }
  });

  test("the default workspace's legacy paths cannot reach another workspace's part of the store", async () => {
    // A second reading found `./workspaces/team-a/…` (and `.%2Fworkspaces/…` in a URL) passing as a legacy path.
    for (const escape of [
      './workspaces/team-a/x',
      'workspaces',
      'a/../workspaces/team-b',
      './workspaces',
      '../x',
    ])
      expect(() => workspaceScopedPath(escape, 'default'), escape).toThrow('Invalid path');
    for (const fine of ['2/abc/artifacts', 'a/./b', './workspaces/default/x', 'workspaces/default/1'])
      expect(workspaceScopedPath(fine, 'default')).toBe(fine);

    const emu = await createMlflowEmulator({ port: 0 });
    onTestFinished(() => emu.dispose());
    const at = (ws: string) => ({ 'x-mlflow-workspace': ws });
    const secret = `${emu.url.href}api/2.0/mlflow-artifacts/artifacts/x/keep.txt`;
    const made = await fetch(`${emu.url.href}api/3.0/mlflow/workspaces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"team-a"}',
    });
    expect(made.status).toBe(201);
    const put = await fetch(secret, { method: 'PUT', headers: at('team-a'), body: 'team-a only' });
    expect(put.status).toBe(200);
    const base = `${emu.url.href}api/2.0/mlflow-artifacts/artifacts`;
    for (const [method, url] of [
      ['GET', `${base}/.%2Fworkspaces/team-a/x/keep.txt`],
      ['DELETE', `${base}/.%2Fworkspaces/team-a/x/keep.txt`],
      ['GET', `${base}?path=${encodeURIComponent('./workspaces/team-a/x')}`],
      ['GET', `${base}?path=workspaces`],
    ] as const) {
      const res = await fetch(url, { method, headers: at('default') });
      expect([method, url, res.status], await res.text()).toEqual([method, url, 400]);
    }
    expect(await (await fetch(secret, { headers: at('team-a') })).text()).toBe('team-a only');
  });
});
