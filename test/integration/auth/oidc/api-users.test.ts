import { describe, expect, test } from 'vitest';
import { apiLab } from './api-support.js';

/**
 * The plugin's users router against the measured answers of mlflow-oidc-auth.md (appendix L1c, L4b, L6b-L6d, B1b,
 * T1-T11, P4) and §3.3's access-token table. Bodies are compared as the text sent, so key order counts.
 */

const ADMIN_ONLY = '{"detail":"Administrator privileges required for this operation"}';
const USERS = '/api/2.0/mlflow/users';
const TOKEN = `${USERS}/access-token`;

describe('users, profiles and service accounts (§4.8, L6, P4)', () => {
  test('the user list for anyone, a profile for admins only, the caller profile keyed alphabetically', async () => {
    const lab = await apiLab();
    const l6b = await lab.call('alice@example.com', 'GET', USERS);
    expect([l6b?.status, l6b?.text, l6b?.contentType]).toEqual([
      200,
      '["alice@example.com","bob@example.com","carol@example.com"]',
      'application/json',
    ]);
    const l6c = await lab.call('alice@example.com', 'GET', `${USERS}/bob@example.com`);
    expect([l6c?.status, l6c?.text]).toEqual([403, ADMIN_ONLY]);
    const l6d = await lab.call('carol@example.com', 'GET', `${USERS}/bob%40example.com`);
    expect([l6d?.status, l6d?.text]).toEqual([
      200,
      '{"display_name":"Bob Baker","groups":[{"id":2,"group_name":"team-b-viewers"}],"id":2,"is_admin":false,' +
        '"is_service_account":false,"password_expiration":null,"username":"bob@example.com"}',
    ]);
    const l1c = await lab.call('alice@example.com', 'GET', `${USERS}/current`);
    expect([l1c?.status, l1c?.text]).toEqual([
      200,
      '{"display_name":"Alice Anders","groups":[{"id":1,"group_name":"team-a-editors"}],"id":1,"is_admin":false,' +
        '"is_service_account":false,"password_expiration":null,"username":"alice@example.com"}',
    ]);
    const l4b = await lab.call('carol@example.com', 'GET', `${USERS}/current`);
    expect(l4b?.text).toBe(
      '{"display_name":"Carol Chen","groups":[{"id":3,"group_name":"mlflow-admins"}],"id":3,"is_admin":true,' +
        '"is_service_account":false,"password_expiration":null,"username":"carol@example.com"}',
    );
    // B1b: a bearer identity that never logged in in the browser has no row.
    const b1b = await lab.call('mlflow-pipeline', 'GET', `${USERS}/current`);
    expect([b1b?.status, b1b?.text]).toEqual([404, '{"detail":"User not found"}']);
    const unknown = await lab.call('carol@example.com', 'GET', `${USERS}/nobody@example.com`);
    expect([unknown?.status, unknown?.text]).toEqual([404, '{"detail":"User not found"}']);
    // check_admin_permission refuses a caller without a row like a non-admin.
    expect((await lab.call('mlflow-pipeline', 'GET', `${USERS}/bob@example.com`))?.text).toBe(ADMIN_ONLY);
  });

  test('an admin creates a service account (201, then 200), lists it apart, and deletes it (P4)', async () => {
    const lab = await apiLab();
    const body = { username: 'svc-bot', display_name: 'Service bot', is_service_account: true };
    const p4 = await lab.call('alice@example.com', 'POST', USERS, body);
    expect([p4?.status, p4?.text]).toEqual([403, ADMIN_ONLY]);
    const p4b = await lab.call('carol@example.com', 'POST', USERS, body);
    expect([p4b?.status, p4b?.text]).toEqual([
      201,
      '{"message":"User svc-bot (ID: 4) successfully created"}',
    ]);
    const p4c = await lab.call('carol@example.com', 'POST', USERS, body);
    expect([p4c?.status, p4c?.text]).toEqual([200, '{"message":"User svc-bot (ID: 4) already exists"}']);
    expect((await lab.call('bob@example.com', 'GET', `${USERS}?service=true`))?.text).toBe('["svc-bot"]');
    expect((await lab.call('bob@example.com', 'GET', `${USERS}?service=0`))?.json).toHaveLength(3);
    const bad = await lab.call('bob@example.com', 'GET', `${USERS}?service=maybe`);
    expect([bad?.status, bad?.text]).toEqual([
      422,
      '{"detail":[{"type":"bool_parsing","loc":["query","service"],' +
        '"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"}]}',
    ]);
    // An existing user's flags are overwritten; the display name is kept.
    await lab.call('carol@example.com', 'POST', USERS, {
      username: 'bob@example.com',
      display_name: 'X',
      is_admin: true,
    });
    expect(lab.store.user('bob@example.com')).toMatchObject({ isAdmin: true, displayName: 'Bob Baker' });

    const gone = await lab.call('carol@example.com', 'DELETE', USERS, { username: 'svc-bot' });
    expect([gone?.status, gone?.text]).toEqual([
      200,
      '{"message":"User svc-bot has been successfully deleted"}',
    ]);
    const again = await lab.call('carol@example.com', 'DELETE', USERS, { username: 'svc-bot' });
    expect([again?.status, again?.text]).toEqual([500, '{"detail":"Failed to delete user"}']);
  });

  test('request validation answers as FastAPI does, after the admin check', async () => {
    const lab = await apiLab();
    expect((await lab.call('alice@example.com', 'POST', USERS, {}))?.text).toBe(ADMIN_ONLY);
    const missing = await lab.call('carol@example.com', 'POST', USERS, { display_name: 7 });
    expect([missing?.status, missing?.text]).toEqual([
      422,
      '{"detail":[{"type":"missing","loc":["body","username"],"msg":"Field required","input":{"display_name":7}},' +
        '{"type":"string_type","loc":["body","display_name"],"msg":"Input should be a valid string","input":7}]}',
    ]);
    const noBody = await lab.call('carol@example.com', 'DELETE', USERS);
    expect([noBody?.status, noBody?.text]).toEqual([
      422,
      '{"detail":[{"type":"missing","loc":["body","username"],"msg":"Field required","input":null}]}',
    ]);
  });

  test('paths that are not the plugin API go on to MLflow; no /ajax-api twins (§4.8)', async () => {
    const lab = await apiLab();
    expect(await lab.call('alice@example.com', 'GET', '/ajax-api/2.0/mlflow/users/current')).toBeUndefined();
    expect(await lab.call('alice@example.com', 'PUT', USERS)).toBeUndefined();
    expect(
      await lab.call('alice@example.com', 'POST', '/api/2.0/mlflow/experiments/search', {}),
    ).toBeUndefined();
    expect(await lab.call('alice@example.com', 'GET', `${USERS}/`)).toBeUndefined();
    // GET /users/access-token is the `{username}` route.
    expect((await lab.call('carol@example.com', 'GET', TOKEN))?.text).toBe('{"detail":"User not found"}');
  });
});

describe('personal access tokens (§3.3 T1-T11)', () => {
  test('a 24-character token replaces the previous one (T1, T3)', async () => {
    const lab = await apiLab();
    const t1 = await lab.call('alice@example.com', 'PATCH', TOKEN, {});
    expect(t1?.status).toBe(200);
    expect(Object.keys(t1?.json)).toEqual(['token', 'message']);
    expect(t1?.json.token).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(t1?.json.message).toBe('Token for alice@example.com has been created');
    const now = lab.deps.now();
    expect(await lab.store.authenticate('alice@example.com', t1?.json.token, now)).toBeDefined();
    // Without a body at all, too.
    const t3 = await lab.call('alice@example.com', 'PATCH', TOKEN);
    expect(t3?.status).toBe(200);
    expect(await lab.store.authenticate('alice@example.com', t1?.json.token, now)).toBeUndefined();
    expect(await lab.store.authenticate('alice@example.com', t3?.json.token, now)).toBeDefined();
  });

  test('expiration: future, under 366 days, ISO 8601 (T4, T4b, T4c)', async () => {
    const lab = await apiLab();
    lab.setNow(Date.parse('2026-06-01T00:00:00Z'));
    const cases: Array<[string, number, string]> = [
      ['2026-05-31T23:59:59Z', 400, '{"detail":"Expiration date must be in the future"}'],
      [
        '2027-06-03T00:00:00+00:00',
        400,
        '{"detail":"Expiration date must be less than 1 year in the future"}',
      ],
      ['not-a-date', 400, '{"detail":"Invalid expiration date format"}'],
      ['2026-02-30T00:00:00Z', 400, '{"detail":"Invalid expiration date format"}'],
      // A naive datetime cannot be compared with an aware one: a TypeError, the router's catch-all.
      ['2026-12-01T00:00:00', 500, '{"detail":"Failed to create access token"}'],
    ];
    for (const [expiration, status, text] of cases) {
      const answer = await lab.call('alice@example.com', 'PATCH', TOKEN, { expiration });
      expect([expiration, answer?.status, answer?.text]).toEqual([expiration, status, text]);
    }
  });

  test('who may mint for whom (T5, T6, T6b, T11)', async () => {
    const lab = await apiLab();
    const t5 = await lab.call('alice@example.com', 'PATCH', TOKEN, { username: 'bob@example.com' });
    expect([t5?.status, t5?.text]).toEqual([403, ADMIN_ONLY]);
    const t6 = await lab.call('mlflow-pipeline', 'PATCH', TOKEN, {});
    expect([t6?.status, t6?.text]).toEqual([
      404,
      '{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"User \'mlflow-pipeline\' not found",' +
        '"details":"User \'mlflow-pipeline\' not found"}',
    ]);
    const t6b = await lab.call('carol@example.com', 'PATCH', TOKEN, { username: 'nobody@example.com' });
    expect([t6b?.status, t6b?.text]).toEqual([500, '{"detail":"Failed to create access token"}']);
    const t11 = await lab.call('carol@example.com', 'PATCH', TOKEN, { username: 'bob@example.com' });
    expect([t11?.status, t11?.json.message]).toEqual([200, 'Token for bob@example.com has been created']);
    // Naming oneself is not "another user".
    expect(
      (await lab.call('alice@example.com', 'PATCH', TOKEN, { username: 'alice@example.com' }))?.status,
    ).toBe(200);
    const wrongType = await lab.call('alice@example.com', 'PATCH', TOKEN, { expiration: 5 });
    expect([wrongType?.status, wrongType?.json.detail[0].type]).toEqual([422, 'string_type']);
  });

  test('the expiry shows as Python isoformat, and 7.3.1 keeps it when a rotation has none (T7, T8, T8c)', async () => {
    const lab = await apiLab();
    lab.setNow(Date.parse('2026-06-01T00:00:00Z'));
    const t7 = await lab.call('alice@example.com', 'PATCH', TOKEN, {
      expiration: '2026-12-07T19:59:47.916139Z',
    });
    expect(t7?.status).toBe(200);
    const current = async () => (await lab.call('alice@example.com', 'GET', `${USERS}/current`))?.json;
    expect((await current()).password_expiration).toBe('2026-12-07T19:59:47.916139');
    const t8 = await lab.call('alice@example.com', 'PATCH', TOKEN, {});
    expect((await current()).password_expiration).toBe('2026-12-07T19:59:47.916139');
    const token = t8?.json.token as string;
    expect(
      await lab.store.authenticate('alice@example.com', token, Date.parse('2026-12-07T19:59:47Z')),
    ).toBeDefined();
    expect(
      await lab.store.authenticate('alice@example.com', token, Date.parse('2026-12-07T19:59:48Z')),
    ).toBeUndefined();
    // An offset is checked as an instant but stored as its wall-clock time (SQLite drops the offset).
    await lab.call('alice@example.com', 'PATCH', TOKEN, { expiration: '2026-12-08T21:00:00+02:00' });
    expect((await current()).password_expiration).toBe('2026-12-08T21:00:00');
  });
});
