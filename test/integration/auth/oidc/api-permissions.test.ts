import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { apiLab, type ApiLab } from './api-support.js';

/**
 * The plugin's permission-management REST API against the measured answers of mlflow-oidc-auth.md §4.8 (appendix
 * L6, P1d-P1f, P5, D4-D7, D10), with MLflow's experiments and models read from the lab's emulator. Bodies are
 * compared as the text sent, so key order counts.
 */

const P = '/api/2.0/mlflow/permissions';
const ADMIN_ONLY = '{"detail":"Administrator privileges required for this operation"}';

/** Experiments created a moment apart, so MLflow's newest-first order is the measured one. */
async function experiments(lab: ApiLab, list: Array<[string, string | undefined]>) {
  const ids = [];
  for (const [name, owner] of list) {
    ids.push(await lab.experiment(name, owner));
    await sleep(3);
  }
  return ids;
}

describe('run 1: DEFAULT_MLFLOW_PERMISSION=MANAGE (P1, L6, P5)', () => {
  test("a creator's rule, who holds it, and every experiment as MANAGE by fallback (P1d-P1f)", async () => {
    const lab = await apiLab();
    const [cc, mine] = await experiments(lab, [
      ['cc-exp', undefined],
      ['alice-exp', 'alice@example.com'],
    ]);
    expect([cc, mine]).toEqual(['1', '2']);
    await lab.mlflowCall('POST', '/api/2.0/mlflow/experiments/update', {
      experiment_id: '2',
      new_name: 'alice-exp-renamed-by-bob',
    });
    const p1d = await lab.call('alice@example.com', 'GET', `${P}/users/alice@example.com/experiments/2`);
    expect([p1d?.status, p1d?.text]).toEqual([
      200,
      '{"experiment_permission":{"experiment_id":"2","permission":"MANAGE","user_id":1,"group_id":null}}',
    ]);
    const p1e = await lab.call('alice@example.com', 'GET', `${P}/experiments/2/users`);
    expect([p1e?.status, p1e?.text]).toEqual([
      200,
      '[{"name":"alice@example.com","permission":"MANAGE","kind":"user"}]',
    ]);
    const p1f = await lab.call('bob@example.com', 'GET', `${P}/users/bob@example.com/experiments`);
    expect([p1f?.status, p1f?.text]).toEqual([
      200,
      '[{"name":"alice-exp-renamed-by-bob","id":"2","permission":"MANAGE","kind":"fallback"},' +
        '{"name":"cc-exp","id":"1","permission":"MANAGE","kind":"fallback"},' +
        '{"name":"Default","id":"0","permission":"MANAGE","kind":"fallback"}]',
    ]);
    // Everyone manages everything by default, so bob may read alice's rule.
    expect(
      (await lab.call('bob@example.com', 'GET', `${P}/users/alice@example.com/experiments/2`))?.status,
    ).toBe(200);
  });

  test('groups for anyone (L6); the trash for admins (P5, P5b)', async () => {
    const lab = await apiLab();
    const l6 = await lab.call('alice@example.com', 'GET', `${P}/groups`);
    expect([l6?.status, l6?.text]).toEqual([200, '["team-a-editors","team-b-viewers","mlflow-admins"]']);
    expect((await lab.call('mlflow-pipeline', 'GET', `${P}/groups`))?.status).toBe(200);
    const p5 = await lab.call('alice@example.com', 'GET', '/oidc/trash/experiments');
    expect([p5?.status, p5?.text]).toEqual([403, ADMIN_ONLY]);
    const p5b = await lab.call('carol@example.com', 'GET', '/oidc/trash/experiments');
    expect([p5b?.status, p5b?.text]).toEqual([200, '{"deleted_experiments":[]}']);
    const members = await lab.call('carol@example.com', 'GET', `${P}/groups/team-b-viewers/users`);
    expect(members?.text).toBe('[{"username":"bob@example.com","is_admin":false}]');
    expect((await lab.call('alice@example.com', 'GET', `${P}/groups/team-b-viewers/users`))?.text).toBe(
      ADMIN_ONLY,
    );
    const none = await lab.call('carol@example.com', 'GET', `${P}/groups/nope/users`);
    expect([none?.status, none?.text]).toEqual([
      404,
      '{"detail":"Group not found or error retrieving users"}',
    ]);
  });

  test('the trash lists, and restores, deleted experiments and runs', async () => {
    const lab = await apiLab();
    const [id] = await experiments(lab, [['old', 'alice@example.com']]);
    const run = await lab.mlflowCall('POST', '/api/2.0/mlflow/runs/create', { experiment_id: id });
    const runId = run.run.info.run_id as string;
    await lab.mlflowCall('POST', '/api/2.0/mlflow/runs/delete', { run_id: runId });
    const runs = await lab.call('carol@example.com', 'GET', '/oidc/trash/runs');
    expect(runs?.json.deleted_runs.map((r: any) => [r.run_id, r.experiment_id, r.lifecycle_stage])).toEqual([
      [runId, id, 'deleted'],
    ]);
    expect(Object.keys(runs?.json.deleted_runs[0])).toEqual([
      'run_id',
      'experiment_id',
      'run_name',
      'status',
      'start_time',
      'end_time',
      'lifecycle_stage',
    ]);
    expect((await lab.call('carol@example.com', 'GET', '/oidc/trash/runs?experiment_ids=0'))?.text).toBe(
      '{"deleted_runs":[]}',
    );
    const badTime = await lab.call('carol@example.com', 'GET', '/oidc/trash/runs?older_than=soon');
    expect([badTime?.status, badTime?.text]).toEqual([400, '{"error":"Invalid time format"}']);
    const restoredRun = await lab.call('carol@example.com', 'POST', `/oidc/trash/runs/${runId}/restore`);
    expect(restoredRun?.json.run.lifecycle_stage).toBe('active');

    await lab.mlflowCall('POST', '/api/2.0/mlflow/experiments/delete', { experiment_id: id });
    const listed = await lab.call('carol@example.com', 'GET', '/oidc/trash/experiments');
    expect(
      listed?.json.deleted_experiments.map((e: any) => [e.experiment_id, e.name, e.lifecycle_stage]),
    ).toEqual([[id, 'old', 'deleted']]);
    expect(Object.keys(listed?.json.deleted_experiments[0])).toEqual([
      'experiment_id',
      'name',
      'lifecycle_stage',
      'artifact_location',
      'tags',
      'creation_time',
      'last_update_time',
    ]);
    const restored = await lab.call('carol@example.com', 'POST', `/oidc/trash/experiments/${id}/restore`);
    expect([
      restored?.status,
      Object.keys(restored?.json.experiment),
      restored?.json.experiment.lifecycle_stage,
    ]).toEqual([200, ['experiment_id', 'name', 'lifecycle_stage', 'last_update_time'], 'active']);
    const notDeleted = await lab.call('carol@example.com', 'POST', `/oidc/trash/experiments/${id}/restore`);
    expect([notDeleted?.status, notDeleted?.text]).toEqual([400, '{"error":"Experiment is not deleted"}']);
    const missing = await lab.call('carol@example.com', 'POST', '/oidc/trash/experiments/99/restore');
    expect([missing?.status, missing?.text]).toEqual([404, '{"error":"Experiment 99 not found"}']);
  });
});

describe('run 2: DEFAULT_MLFLOW_PERMISSION=NO_PERMISSIONS (D4-D7, D10)', () => {
  test('grants on one experiment: who may, group then user rules, duplicates and bad names (D4-D6)', async () => {
    const lab = await apiLab({ DEFAULT_MLFLOW_PERMISSION: 'NO_PERMISSIONS' });
    await experiments(lab, [['alice-exp', 'alice@example.com']]);
    const rule = `${P}/users/bob@example.com/experiments/1`;
    const d4 = await lab.call('bob@example.com', 'POST', rule, { permission: 'READ' });
    expect([d4?.status, d4?.text]).toEqual([
      403,
      '{"detail":"Insufficient permissions to manage experiment 1"}',
    ]);
    const d5 = await lab.call('alice@example.com', 'POST', `${P}/groups/team-b-viewers/experiments/1`, {
      permission: 'READ',
    });
    expect([d5?.status, d5?.text]).toEqual([
      201,
      '{"status":"success","message":"Experiment permission created for group team-b-viewers on experiment 1"}',
    ]);
    const d5f = await lab.call('bob@example.com', 'GET', `${P}/users/bob@example.com/experiments`);
    expect([d5f?.status, d5f?.text]).toEqual([
      200,
      '[{"name":"alice-exp","id":"1","permission":"READ","kind":"group"}]',
    ]);
    const d5g = await lab.call('alice@example.com', 'GET', `${P}/experiments/1/groups`);
    expect([d5g?.status, d5g?.text]).toEqual([
      200,
      '[{"name":"team-b-viewers","permission":"READ","kind":"group"}]',
    ]);

    const d6 = await lab.call('alice@example.com', 'POST', rule, { permission: 'EDIT' });
    expect([d6?.status, d6?.text]).toEqual([200, '{"message":"Experiment permission has been created."}']);
    const d6b = await lab.call('alice@example.com', 'POST', rule, { permission: 'EDIT' });
    expect(d6b?.status).toBe(409);
    expect(Object.keys(d6b?.json)).toEqual(['error_code', 'message', 'details']);
    expect(d6b?.json.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    // The measured message, up to where the appendix cuts it.
    expect(d6b?.json.message).toMatch(
      /^Permission already exists \(1, bob@example\.com\): \(sqlite3\.IntegrityError\) UNIQUE constraint failed: experiment/,
    );
    expect(d6b?.json.details).toBe(d6b?.json.message);
    const d6c = await lab.call('alice@example.com', 'POST', rule, { permission: 'WRITE' });
    const invalid =
      "Invalid permission 'WRITE'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS')";
    expect([d6c?.status, d6c?.text]).toEqual([
      400,
      JSON.stringify({ error_code: 'INVALID_PARAMETER_VALUE', message: invalid, details: invalid }),
    ]);
    // The user rule now comes first (§4.3).
    expect((await lab.call('bob@example.com', 'GET', `${P}/users/bob@example.com/experiments`))?.text).toBe(
      '[{"name":"alice-exp","id":"1","permission":"EDIT","kind":"user"}]',
    );

    const changed = await lab.call('alice@example.com', 'PATCH', rule, { permission: 'READ' });
    expect(changed?.text).toBe('{"message":"Experiment permission has been changed."}');
    const deleted = await lab.call('alice@example.com', 'DELETE', rule);
    expect(deleted?.text).toBe('{"message":"Experiment permission has been deleted."}');
    const gone = await lab.call('alice@example.com', 'GET', rule);
    expect([gone?.status, gone?.json.message]).toEqual([
      404,
      'No permission for experiment_id=1, user=bob@example.com',
    ]);
    const nobody = await lab.call(
      'alice@example.com',
      'POST',
      `${P}/users/nobody@example.com/experiments/1`,
      {
        permission: 'READ',
      },
    );
    expect([nobody?.status, nobody?.json.message]).toEqual([
      404,
      'User with username=nobody@example.com not found',
    ]);
    // The dependency runs before the body is validated; then FastAPI's 422.
    expect((await lab.call('bob@example.com', 'POST', rule, {}))?.status).toBe(403);
    const noPermission = await lab.call('alice@example.com', 'POST', rule, {});
    expect(noPermission?.text).toBe(
      '{"detail":[{"type":"missing","loc":["body","permission"],"msg":"Field required","input":{}}]}',
    );
    // The group routes wrap every failure in their own 500.
    const badGroup = await lab.call('alice@example.com', 'POST', `${P}/groups/team-b-viewers/experiments/1`, {
      permission: 'READ',
    });
    expect([badGroup?.status, badGroup?.text]).toEqual([
      500,
      '{"detail":"Failed to create group experiment permission"}',
    ]);
    const groupList = await lab.call('alice@example.com', 'GET', `${P}/groups/team-b-viewers/experiments`);
    expect(groupList?.text).toBe('[{"id":"1","name":"alice-exp","permission":"READ","kind":"group"}]');
    expect((await lab.call('bob@example.com', 'GET', `${P}/groups/team-b-viewers/experiments`))?.text).toBe(
      '[]',
    );
  });

  test('group regex rules (admin only) reach experiments by name (D7, D7a); manageable lists (D10)', async () => {
    const lab = await apiLab({ DEFAULT_MLFLOW_PERMISSION: 'NO_PERMISSIONS' });
    await experiments(lab, [['alice-exp', 'alice@example.com']]);
    const patterns = `${P}/groups/team-b-viewers/experiment-patterns`;
    const body = { regex: '^shared-', priority: 1, permission: 'READ' };
    expect((await lab.call('alice@example.com', 'POST', patterns, body))?.text).toBe(ADMIN_ONLY);
    const d7 = await lab.call('carol@example.com', 'POST', patterns, body);
    expect([d7?.status, d7?.text]).toEqual([
      201,
      '{"status":"success","message":"Experiment pattern permission created for group team-b-viewers"}',
    ]);
    const d7a = await lab.call('carol@example.com', 'GET', patterns);
    expect([d7a?.status, d7a?.text]).toEqual([
      200,
      '[{"id":1,"regex":"^shared-","priority":1,"group_id":2,"permission":"READ","kind":"group"}]',
    ]);
    await experiments(lab, [['shared-x', 'alice@example.com']]);
    expect((await lab.call('bob@example.com', 'GET', `${P}/users/bob@example.com/experiments`))?.text).toBe(
      '[{"name":"shared-x","id":"2","permission":"READ","kind":"group-regex"}]',
    );
    const d10 = await lab.call('bob@example.com', 'GET', `${P}/experiments`);
    expect([d10?.status, d10?.text]).toEqual([200, '[]']);
    expect((await lab.call('alice@example.com', 'GET', `${P}/experiments`))?.text).toBe(
      '[{"name":"shared-x","id":"2","tags":{}},{"name":"alice-exp","id":"1","tags":{}}]',
    );
    expect(
      (await lab.call('carol@example.com', 'GET', `${P}/experiments`))?.json.map((e: any) => e.id),
    ).toEqual(['2', '1', '0']);
    const rowless = await lab.call('mlflow-pipeline', 'GET', `${P}/experiments`);
    expect([rowless?.status, rowless?.json.message]).toEqual([404, "User 'mlflow-pipeline' not found"]);

    // A second rule with the same regex, an unknown group, a bad id: the routes' own answers.
    expect((await lab.call('carol@example.com', 'POST', patterns, body))?.text).toBe(
      '{"detail":"Failed to create group experiment pattern permission"}',
    );
    const one = await lab.call('carol@example.com', 'GET', `${patterns}/1`);
    expect(one?.text).toBe(
      '{"id":1,"regex":"^shared-","priority":1,"group_id":2,"permission":"READ","kind":"group"}',
    );
    const badId = await lab.call('carol@example.com', 'GET', `${patterns}/one`);
    expect([badId?.status, badId?.text]).toEqual([
      422,
      '{"detail":[{"type":"int_parsing","loc":["path","id"],' +
        '"msg":"Input should be a valid integer, unable to parse string as an integer","input":"one"}]}',
    ]);
    const patched = await lab.call('carol@example.com', 'PATCH', `${patterns}/1`, {
      ...body,
      permission: 'EDIT',
    });
    expect(patched?.text).toBe(
      '{"status":"success","message":"Experiment pattern permission updated for group team-b-viewers"}',
    );
    const removed = await lab.call('carol@example.com', 'DELETE', `${patterns}/1`);
    expect(removed?.text).toBe(
      '{"status":"success","message":"Experiment pattern permission deleted for group team-b-viewers"}',
    );
  });

  test('user regex rules: ids are strings in this shape, bad ids 400', async () => {
    const lab = await apiLab({ DEFAULT_MLFLOW_PERMISSION: 'NO_PERMISSIONS' });
    const patterns = `${P}/users/bob@example.com/experiment-patterns`;
    const created = await lab.call('carol@example.com', 'POST', patterns, {
      regex: '^bob-',
      priority: '2',
      permission: 'EDIT',
    });
    expect([created?.status, created?.text]).toEqual([
      201,
      '{"status":"success","message":"Experiment pattern permission created for bob@example.com"}',
    ]);
    const id = lab.store.patternsOf('experiment', { user: 2 })[0]!.id;
    expect((await lab.call('carol@example.com', 'GET', patterns))?.text).toBe(
      `[{"id":"${id}","regex":"^bob-","priority":2,"permission":"EDIT"}]`,
    );
    const bad = await lab.call('carol@example.com', 'GET', `${patterns}/x`);
    expect([bad?.status, bad?.text]).toEqual([
      400,
      '{"detail":"Invalid pattern ID format. Expected an integer."}',
    ]);
    const missing = await lab.call('carol@example.com', 'GET', `${patterns}/999`);
    expect([missing?.status, missing?.text]).toEqual([
      404,
      '{"detail":"Experiment pattern permission not found"}',
    ]);
    const nested = await lab.call('carol@example.com', 'POST', patterns, {
      regex: '(a+)+',
      priority: 1,
      permission: 'READ',
    });
    expect([nested?.status, nested?.text]).toEqual([
      500,
      '{"detail":"Failed to create experiment pattern permission"}',
    ]);
    const halfInt = await lab.call('carol@example.com', 'POST', patterns, {
      regex: 'x',
      priority: 1.5,
      permission: 'READ',
    });
    expect(halfInt?.json.detail).toEqual([
      {
        type: 'int_from_float',
        loc: ['body', 'priority'],
        msg: 'Input should be a valid integer, got a number with a fractional part',
        input: 1.5,
      },
    ]);
  });
});

describe('registered models and prompts (§4.3, §4.8)', () => {
  async function modelLab() {
    const lab = await apiLab({ DEFAULT_MLFLOW_PERMISSION: 'NO_PERMISSIONS' });
    await lab.mlflowCall('POST', '/api/2.0/mlflow/registered-models/create', { name: 'alice-model' });
    await lab.mlflowCall('POST', '/api/2.0/mlflow/registered-models/create', {
      name: 'greeting',
      tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }],
    });
    for (const name of ['alice-model', 'greeting'])
      lab.store.putRule('registered_model', name, { user: 1 }, 'MANAGE');
    return lab;
  }

  test('user rules on a model: who may, 201, 409, 400 in `detail`, the record, the holders', async () => {
    const lab = await modelLab();
    const rule = `${P}/users/bob@example.com/registered-models/alice-model`;
    const denied = await lab.call('bob@example.com', 'POST', rule, { permission: 'READ' });
    expect([denied?.status, denied?.text]).toEqual([
      403,
      '{"detail":"Insufficient permissions to manage alice-model"}',
    ]);
    const created = await lab.call('alice@example.com', 'POST', rule, { permission: 'READ' });
    expect([created?.status, created?.text]).toEqual([
      201,
      '{"status":"success","message":"Registered model permission created for bob@example.com on alice-model"}',
    ]);
    expect((await lab.call('alice@example.com', 'POST', rule, { permission: 'READ' }))?.text).toBe(
      '{"detail":"Registered model permission already exists"}',
    );
    expect((await lab.call('alice@example.com', 'POST', rule, { permission: 'WRITE' }))?.text).toBe(
      JSON.stringify({
        detail:
          "Invalid permission 'WRITE'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS')",
      }),
    );
    expect((await lab.call('alice@example.com', 'GET', rule))?.text).toBe(
      '{"registered_model_permission":{"name":"alice-model","user_id":2,"permission":"READ","group_id":null,"prompt":false}}',
    );
    expect(
      (await lab.call('alice@example.com', 'GET', `${P}/registered-models/alice-model/users`))?.text,
    ).toBe(
      '[{"name":"alice@example.com","permission":"MANAGE","kind":"user"},' +
        '{"name":"bob@example.com","permission":"READ","kind":"user"}]',
    );
    expect(
      (await lab.call('bob@example.com', 'GET', `${P}/users/bob@example.com/registered-models`))?.text,
    ).toBe('[{"name":"alice-model","permission":"READ","kind":"user"}]');
    const absent = await lab.call(
      'alice@example.com',
      'PATCH',
      `${P}/users/carol@example.com/registered-models/alice-model`,
      {
        permission: 'EDIT',
      },
    );
    expect([absent?.status, absent?.text]).toEqual([
      404,
      '{"detail":"Registered model permission does not exist"}',
    ]);
    expect((await lab.call('alice@example.com', 'DELETE', rule))?.text).toBe(
      '{"status":"success","message":"Registered model permission deleted for bob@example.com on alice-model"}',
    );
  });

  test('listings keep models and prompts apart; group rules made as prompts list as prompts', async () => {
    const lab = await modelLab();
    expect((await lab.call('bob@example.com', 'GET', `${P}/registered-models`))?.text).toBe('[]');
    expect(
      (await lab.call('alice@example.com', 'GET', `${P}/registered-models`))?.json.map((m: any) => m.name),
    ).toEqual(['alice-model']);
    const prompts = await lab.call('alice@example.com', 'GET', `${P}/prompts`);
    expect(prompts?.json.map((m: any) => Object.keys(m))).toEqual([
      ['name', 'tags', 'description', 'aliases'],
    ]);
    expect(prompts?.json[0].tags).toEqual({ 'mlflow.prompt.is_prompt': 'true' });

    const groupPrompt = await lab.call(
      'alice@example.com',
      'POST',
      `${P}/groups/team-b-viewers/prompts/greeting`,
      {
        permission: 'READ',
      },
    );
    expect([groupPrompt?.status, groupPrompt?.text]).toEqual([
      201,
      '{"status":"success","message":"Prompt permission created for group team-b-viewers on prompt greeting"}',
    ]);
    const groupModel = await lab.call(
      'alice@example.com',
      'POST',
      `${P}/groups/team-b-viewers/registered-models/alice-model`,
      {
        permission: 'EDIT',
      },
    );
    expect(groupModel?.text).toBe(
      '{"status":"success","message":"Registered model permission created for group team-b-viewers on model alice-model"}',
    );
    const bobTries = await lab.call(
      'bob@example.com',
      'PATCH',
      `${P}/groups/team-b-viewers/registered-models/alice-model`,
      {
        permission: 'MANAGE',
      },
    );
    expect([bobTries?.status, bobTries?.text]).toEqual([
      403,
      '{"detail":"Insufficient permissions to manage registered model alice-model"}',
    ]);
    expect((await lab.call('alice@example.com', 'GET', `${P}/prompts/greeting/groups`))?.text).toBe(
      '[{"name":"team-b-viewers","permission":"READ","kind":"group"}]',
    );
    expect((await lab.call('alice@example.com', 'GET', `${P}/registered-models/greeting/groups`))?.text).toBe(
      '[]',
    );
    expect((await lab.call('carol@example.com', 'GET', `${P}/groups/team-b-viewers/prompts`))?.text).toBe(
      '[{"name":"greeting","permission":"READ","kind":"group"}]',
    );
    expect(
      (await lab.call('carol@example.com', 'GET', `${P}/groups/team-b-viewers/registered-models`))?.text,
    ).toBe(
      '[{"name":"greeting","permission":"READ","kind":"group"},{"name":"alice-model","permission":"EDIT","kind":"group"}]',
    );
    // A prompt route changes only a rule made as a prompt.
    expect(
      (await lab.call('alice@example.com', 'DELETE', `${P}/groups/team-b-viewers/prompts/alice-model`))?.text,
    ).toBe('{"detail":"Failed to delete group prompt permission"}');
    expect((await lab.call('bob@example.com', 'GET', `${P}/users/bob@example.com/prompts`))?.text).toBe(
      '[{"name":"greeting","permission":"READ","kind":"group"}]',
    );
  });

  test('prompt regex rules are their own: a prompt record says so, a model rule does not see them', async () => {
    const lab = await modelLab();
    const patterns = `${P}/users/bob@example.com/prompts-patterns`;
    const created = await lab.call('carol@example.com', 'POST', patterns, {
      regex: '^greet',
      priority: 1,
      permission: 'READ',
    });
    expect(created?.text).toBe(
      '{"status":"success","message":"Prompt pattern permission created for bob@example.com"}',
    );
    const id = lab.store.patternsOf('prompt', { user: 2 })[0]!.id;
    expect((await lab.call('carol@example.com', 'GET', patterns))?.text).toBe(
      `[{"id":${id},"regex":"^greet","priority":1,"user_id":2,"permission":"READ","prompt":true}]`,
    );
    expect((await lab.call('carol@example.com', 'GET', `${patterns}/${id}`))?.text).toBe(
      `{"prompt_permission":{"id":${id},"regex":"^greet","priority":1,"user_id":2,"permission":"READ","prompt":true}}`,
    );
    expect((await lab.call('bob@example.com', 'GET', `${P}/users/bob@example.com/prompts`))?.text).toBe(
      '[{"name":"greeting","permission":"READ","kind":"regex"}]',
    );
    expect(
      (await lab.call('carol@example.com', 'GET', `${P}/users/bob@example.com/registered-models-patterns`))
        ?.text,
    ).toBe('[]');
    expect((await lab.call('carol@example.com', 'DELETE', `${patterns}/${id}`))?.text).toBe(
      '{"status":"success"}',
    );
  });
});

describe('workspaces (§4.7), only with MLFLOW_ENABLE_WORKSPACES', () => {
  const W = '/api/3.0/mlflow/permissions/workspaces';

  test('not served when workspaces are off', async () => {
    const lab = await apiLab();
    expect(await lab.call('carol@example.com', 'GET', `${W}/team-a/users`)).toBeUndefined();
  });

  test('user and group rules: read and manage checks, 201/409/404, 204 on delete; the workspace fallback', async () => {
    const lab = await apiLab({ MLFLOW_ENABLE_WORKSPACES: true, DEFAULT_MLFLOW_PERMISSION: 'NO_PERMISSIONS' });
    const users = `${W}/team-a/users`;
    const created = await lab.call('carol@example.com', 'POST', users, {
      username: 'bob@example.com',
      permission: 'READ',
    });
    expect([created?.status, created?.text]).toEqual([
      201,
      '{"workspace":"team-a","username":"bob@example.com","permission":"READ"}',
    ]);
    const dup = await lab.call('carol@example.com', 'POST', users, {
      username: 'bob@example.com',
      permission: 'READ',
    });
    expect([dup?.status, dup?.json.message]).toEqual([
      409,
      'Workspace permission already exists for workspace=team-a, user_id=2',
    ]);
    expect((await lab.call('bob@example.com', 'GET', users))?.text).toBe(
      '[{"workspace":"team-a","username":"bob@example.com","permission":"READ"}]',
    );
    expect(
      (
        await lab.call('bob@example.com', 'POST', users, {
          username: 'bob@example.com',
          permission: 'MANAGE',
        })
      )?.text,
    ).toBe(`{"detail":"MANAGE permission required on workspace 'team-a'"}`);
    expect((await lab.call('alice@example.com', 'GET', users))?.text).toBe(
      `{"detail":"READ permission required on workspace 'team-a'"}`,
    );
    expect((await lab.call('mlflow-pipeline', 'GET', users))?.text).toBe(
      '{"detail":"Authentication required"}',
    );

    // An experiment in team-a without rules: bob's permission falls back to his workspace permission.
    await lab.mlflowCall('POST', '/api/2.0/mlflow/experiments/create', { name: 'ws-exp' }, 'team-a');
    const listed = await lab.call(
      'bob@example.com',
      'GET',
      `${P}/users/bob@example.com/experiments`,
      undefined,
      {
        workspace: 'team-a',
      },
    );
    expect(listed?.json).toEqual([{ name: 'ws-exp', id: '1', permission: 'READ', kind: 'workspace' }]);

    const group = await lab.call('carol@example.com', 'POST', `${W}/team-a/groups`, {
      group_name: 'team-a-editors',
      permission: 'EDIT',
    });
    expect(group?.text).toBe('{"workspace":"team-a","group_name":"team-a-editors","permission":"EDIT"}');
    const noGroup = await lab.call('carol@example.com', 'POST', `${W}/team-a/groups`, {
      group_name: 'nope',
      permission: 'EDIT',
    });
    expect([noGroup?.status, noGroup?.json.message]).toEqual([404, 'Group with name=nope not found']);
    const updated = await lab.call('carol@example.com', 'PATCH', `${users}/bob@example.com`, {
      username: 'ignored',
      permission: 'MANAGE',
    });
    expect(updated?.text).toBe('{"workspace":"team-a","username":"bob@example.com","permission":"MANAGE"}');
    const removed = await lab.call('bob@example.com', 'DELETE', `${users}/bob@example.com`);
    expect([removed?.status, removed?.text]).toEqual([204, '']);
    const again = await lab.call('carol@example.com', 'DELETE', `${users}/bob@example.com`);
    expect([again?.status, again?.json.message]).toEqual([
      404,
      'Workspace permission not found for workspace=team-a, user_id=2',
    ]);
  });

  test('regex rules (admin only): the id as username in the listing, INVALID_STATE 400, a required query', async () => {
    const lab = await apiLab({ MLFLOW_ENABLE_WORKSPACES: true });
    const regex = `${W}/regex/user`;
    const body = { regex: '^team-', priority: 1, permission: 'EDIT', username: 'alice@example.com' };
    expect((await lab.call('alice@example.com', 'POST', regex, body))?.text).toBe(ADMIN_ONLY);
    const created = await lab.call('carol@example.com', 'POST', regex, body);
    expect([created?.status, created?.text]).toEqual([
      201,
      '{"id":1,"regex":"^team-","priority":1,"permission":"EDIT","username":"alice@example.com"}',
    ]);
    expect((await lab.call('carol@example.com', 'GET', regex))?.text).toBe(
      '[{"id":1,"regex":"^team-","priority":1,"permission":"EDIT","username":"1"}]',
    );
    const nested = await lab.call('carol@example.com', 'POST', regex, { ...body, regex: '(a+)+' });
    const message = 'Regex pattern rejected: nested quantifiers detected (potential ReDoS). Pattern: (a+)+';
    expect([nested?.status, nested?.text]).toEqual([
      400,
      JSON.stringify({ error_code: 'INVALID_STATE', message, details: message }),
    ]);
    const noQuery = await lab.call('carol@example.com', 'DELETE', `${regex}/1`);
    expect([noQuery?.status, noQuery?.text]).toEqual([
      422,
      '{"detail":[{"type":"missing","loc":["query","username"],"msg":"Field required","input":null}]}',
    ]);
    const gone = await lab.call('carol@example.com', 'DELETE', `${regex}/1?username=alice@example.com`);
    expect(gone?.status).toBe(204);
    const missing = await lab.call('carol@example.com', 'DELETE', `${regex}/1?username=alice@example.com`);
    expect([missing?.status, missing?.json.message]).toEqual([
      404,
      'Permission not found for user_id: 1, and id: 1',
    ]);
  });
});
