// The oidc-auth stack through the whole lab (`startLab({ auth: 'oidc-auth' })`): the Keycloak-flavoured IdP, the
// plugin's front door on the tracking URI, the emulator behind it. Every expectation is a measured answer of the
// real plugin (mlflow-oidc-auth.md, appendix rows U*, B*, L*, T*, A*, D*), with real tokens over real HTTP.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { generateKeyPair, SignJWT, decodeJwt } from 'jose';
import { describe, expect, onTestFinished, test } from 'vitest';
import { startLab, type StartedLab } from '../../../../src/index.js';
import { browserLogin, defaultLabObject, FIXTURES } from '../../helpers.js';

const AUTH_REQUIRED = '{"detail":"Authentication required"}';
const ADMIN_REQUIRED = '{"detail":"Administrator privileges required for this operation"}';
const DENIED = '{"message":"Permission denied"}\n';

async function oidcLab(
  oidcAuth: Record<string, unknown> = {},
  edit?: (cfg: Record<string, any>) => void,
): Promise<StartedLab> {
  const cfg = await defaultLabObject();
  cfg.rbac = [path.join(FIXTURES, 'rbac/default-lab.yaml')];
  cfg.auth = 'oidc-auth';
  cfg.idp.flavour = 'keycloak';
  cfg.oidcAuth = oidcAuth;
  edit?.(cfg);
  const lab = await startLab({
    config: cfg as never,
    ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
    env: {},
  });
  onTestFinished(() => lab.dispose());
  return lab;
}

interface Answer {
  status: number;
  type: string | null;
  location: string | null;
  cookies: string[];
  text: string;
  json: any;
}

async function call(
  lab: StartedLab,
  method: string,
  route: string,
  o: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const res = await fetch(`${lab.trackingUri}${route}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(o.body !== undefined && { 'content-type': 'application/json' }),
      ...o.headers,
    },
    ...(o.body !== undefined && { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) }),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    location: res.headers.get('location'),
    cookies: res.headers.getSetCookie(),
    text,
    json,
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basic = (user: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`,
});
const ws = (workspace: string) => ({ 'x-mlflow-workspace': workspace });

/** Signs in through /login → the IdP's login page → /callback, keeping the `session` cookie; returns it. */
async function signIn(lab: StartedLab, user: string, next?: string) {
  const login = await call(
    lab,
    'GET',
    `/login${next === undefined ? '' : `?next=${encodeURIComponent(next)}`}`,
  );
  expect(login.status).toBe(302);
  const session = login.cookies[0]!.split(';')[0]!;
  const result = await browserLogin(new URL(login.location!), `${lab.trackingUri}/callback`, {
    login: `${user}@example.com`,
    password: `${user}-password`,
  });
  expect(result.callback, result.lastBody).toBeDefined();
  const callback = await call(lab, 'GET', `${result.callback!.pathname}${result.callback!.search}`, {
    headers: { cookie: session },
  });
  const set = callback.cookies.find((c) => c.startsWith('session='));
  return { callback, cookie: set ? set.split(';')[0]! : session };
}

describe('oidc-auth front door: unauthenticated (U rows)', () => {
  test('health is open; the API, /version, /graphql, /v1/traces and /auth/status answer 401 JSON', async () => {
    const lab = await oidcLab();
    expect(lab.auth).toBe('oidc-auth');
    expect(lab.info().auth).toBe('oidc-auth');
    const u1 = await call(lab, 'GET', '/health');
    expect([u1.status, u1.type, u1.text]).toEqual([200, 'application/json', '{"status":"ok"}']);
    expect((await call(lab, 'GET', '/health/ready')).text).toBe(
      '{"status":"ready","checks":{"oidc":true,"database":true}}',
    );
    expect((await call(lab, 'GET', '/health/live')).text).toBe('{"status":"live"}');
    for (const [method, route] of [
      ['POST', '/api/2.0/mlflow/experiments/search'], // U2
      ['GET', '/ajax-api/2.0/mlflow/experiments/search?max_results=5'], // U3
      ['GET', '/version'], // U7
      ['POST', '/v1/traces'], // U8
      ['GET', '/auth/status'], // U11
      ['POST', '/graphql'], // U12
      ['GET', '/logout'], // U17
      ['GET', '/api/2.0/mlflow/users/current'], // U18
      ['GET', '/ajax-api/3.0/jobs/123'], // U24
      ['POST', '/gateway/foo/mlflow/invocations'], // U25
    ] as const) {
      const a = await call(lab, method, route);
      expect([route, a.status, a.type, a.text]).toEqual([route, 401, 'application/json', AUTH_REQUIRED]);
    }
    // No WWW-Authenticate: the reason never reaches the client (§3.4).
    const res = await fetch(`${lab.trackingUri}/api/2.0/mlflow/experiments/search`, { method: 'POST' });
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  test('documents are sent to /oidc/ui; other requests get 401; the trash is admin-only (U4-U6c, U10)', async () => {
    const lab = await oidcLab();
    const documents: Array<Record<string, string>> = [
      { accept: 'text/html,application/xhtml+xml' },
      { 'sec-fetch-dest': 'document' },
    ];
    for (const headers of documents) {
      const a = await call(lab, 'GET', '/', { headers });
      expect([a.status, a.location]).toEqual([302, '/oidc/ui']);
    }
    const page = await call(lab, 'GET', '/some/page?q=1', { headers: { accept: 'text/html' } });
    expect([page.status, page.location]).toEqual([302, '/oidc/ui']);
    // U6: `*/*` is not a document.
    expect((await call(lab, 'GET', '/', { headers: { accept: '*/*' } })).status).toBe(401);
    // Sec-Fetch-Dest decides over Accept.
    expect(
      (await call(lab, 'GET', '/', { headers: { accept: 'text/html', 'sec-fetch-dest': 'empty' } })).status,
    ).toBe(401);
    const trash = await call(lab, 'GET', '/oidc/trash/experiments');
    expect([trash.status, trash.text]).toEqual([403, ADMIN_REQUIRED]);
  });

  test('the UI config, the redirect to /oidc/ui/, and the scheme is case-sensitive (U9, U9c, U19-U21)', async () => {
    const lab = await oidcLab();
    const u9 = await call(lab, 'GET', '/oidc/ui');
    expect([u9.status, u9.location]).toEqual([307, '/oidc/ui/']);
    const u9c = await call(lab, 'GET', '/oidc/ui/config.json');
    expect(u9c.json).toEqual({
      basePath: '',
      uiPath: '/oidc/ui',
      provider: 'Login with OIDC',
      authenticated: false,
      gen_ai_gateway_enabled: true,
      workspaces_enabled: true,
    });
    const token = await lab.token({ user: 'alice' });
    for (const authorization of [
      `bearer ${token}`,
      `Token ${token}`,
      'Basic !!!not-base64',
      'Basic YWxpY2U=',
    ]) {
      const a = await call(lab, 'POST', '/api/2.0/mlflow/experiments/search', {
        headers: { authorization },
        body: {},
      });
      expect([authorization.slice(0, 6), a.status, a.text]).toEqual([
        authorization.slice(0, 6),
        401,
        AUTH_REQUIRED,
      ]);
    }
  });

  test('/callback without a login in progress, and /login (U15, U16, U16b)', async () => {
    const lab = await oidcLab();
    const u15 = await call(lab, 'GET', '/callback');
    expect([u15.status, u15.location]).toEqual([
      302,
      `${lab.trackingUri}/oidc/ui/auth?error=Missing+OAuth+state+in+session`,
    ]);
    const u16 = await call(lab, 'GET', '/login?next=%2F%23%2Fexperiments%2F0');
    expect(u16.status).toBe(302);
    const authorize = new URL(u16.location!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${lab.issuer}/protocol/openid-connect/auth`);
    expect([...authorize.searchParams.keys()]).toEqual([
      'response_type',
      'client_id',
      'redirect_uri',
      'scope',
      'state',
      'nonce',
    ]);
    expect(authorize.searchParams.get('client_id')).toBe('mlflow-oidc-auth');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${lab.trackingUri}/callback`);
    expect(authorize.searchParams.get('scope')).toBe('openid email profile groups');
    expect(authorize.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(u16.cookies[0]).toMatch(/^session=[^;]+; Path=\/; Max-Age=1209600; HttpOnly; SameSite=Lax$/i);
  });
});

describe('oidc-auth front door: bearer tokens (B rows)', () => {
  test('client-credentials, id and access tokens pass; no iss or aud check while OIDC_AUDIENCE is unset', async () => {
    const lab = await oidcLab();
    const search = (token: string) =>
      call(lab, 'POST', '/api/2.0/mlflow/experiments/search', {
        headers: { ...bearer(token), ...ws('team-a') },
        body: { max_results: 5 },
      });
    const cc = await lab.tokenResponse({ grant: 'client_credentials', client: 'mlflow' });
    expect(claimsAud(cc.access_token)).toBe('account'); // Keycloak's service-account shape
    expect(decodeJwt(cc.access_token).preferred_username).toBe('service-account-mlflow');
    const password = await lab.tokenResponse({ user: 'alice' });
    const adminCli = await lab.token({ user: 'alice', client: 'admin-cli' });
    for (const token of [cc.access_token, password.id_token!, password.access_token, adminCli]) {
      const a = await search(token);
      expect(a.status, a.text).toBe(200);
    }
    // B1b/B2c: who the plugin thinks the caller is. The lab seeds the service account's row, as kagenti does.
    const me = await call(lab, 'GET', '/api/2.0/mlflow/users/current', { headers: bearer(cc.access_token) });
    expect(me.json).toMatchObject({ username: 'service-account-mlflow', is_service_account: true });
  });

  test('expired, garbage, foreign-signed and alg:none tokens get 401 JSON; documents the /oidc/ui redirect (B4-B8)', async () => {
    const lab = await oidcLab();
    const good = await lab.token({ user: 'alice' });
    const expired = await lab.token({ user: 'alice', expiresIn: '1s' });
    lab.clock.advance('5s');
    const { privateKey } = await generateKeyPair('RS256');
    const claims = decodeJwt(good);
    const kid = JSON.parse(Buffer.from(good.split('.')[0]!, 'base64url').toString()).kid as string;
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid })).toString('base64url')}.${good.split('.')[1]}.`;
    for (const token of [expired, 'not.a.jwt', forged, none]) {
      const a = await call(lab, 'POST', '/api/2.0/mlflow/experiments/search', {
        headers: bearer(token),
        body: {},
      });
      expect([a.status, a.text]).toEqual([401, AUTH_REQUIRED]);
    }
    const doc = await call(lab, 'GET', '/', { headers: { ...bearer(expired), accept: 'text/html' } });
    expect([doc.status, doc.location]).toEqual([302, '/oidc/ui']);
  });

  test('a user with no database row: default permission, and a create answers 404 yet creates (B1c)', async () => {
    // Workspaces off, as measured: with them on, a user without a row has no workspace grant and may not create.
    const lab = await oidcLab({ provisionUsers: false, MLFLOW_ENABLE_WORKSPACES: false });
    const token = await lab.token({ user: 'alice' });
    const me = await call(lab, 'GET', '/api/2.0/mlflow/users/current', { headers: bearer(token) });
    expect([me.status, me.text]).toEqual([404, '{"detail":"User not found"}']);
    const created = await call(lab, 'POST', '/api/2.0/mlflow/experiments/create', {
      headers: bearer(token),
      body: { name: 'cc-exp' },
    });
    expect([created.status, created.json]).toEqual([
      404,
      {
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: 'User with username=alice@example.com not found',
        sqlstate: 'KAM00',
        error_class: 'RESOURCE_NOT_FOUND',
      },
    ]);
    const found = await call(lab, 'GET', '/api/2.0/mlflow/experiments/get-by-name?experiment_name=cc-exp', {
      headers: bearer(token),
    });
    expect(found.status).toBe(200);
  });
});

describe('oidc-auth front door: browser login (L rows)', () => {
  test('alice signs in, reads /auth/status and users/current, and logs out (L1, L1b, L1c, L7, L7b)', async () => {
    const lab = await oidcLab();
    const { callback, cookie } = await signIn(lab, 'alice');
    expect([callback.status, callback.location]).toEqual([302, `${lab.trackingUri}/oidc/ui/user`]);
    const status = await call(lab, 'GET', '/auth/status', { headers: { cookie } });
    expect(status.text).toBe(
      '{"authenticated":true,"username":"alice@example.com","provider":"Login with OIDC"}',
    );
    const me = await call(lab, 'GET', '/api/2.0/mlflow/users/current', { headers: { cookie } });
    expect(me.json).toMatchObject({
      display_name: 'Alice Anders',
      groups: [{ group_name: 'team-a-editors' }],
      is_admin: false,
      is_service_account: false,
      password_expiration: null,
      username: 'alice@example.com',
    });
    // The session reaches MLflow.
    const search = await call(lab, 'POST', '/api/2.0/mlflow/experiments/search', {
      headers: { cookie, ...ws('team-a') },
      body: { max_results: 5 },
    });
    expect(search.status).toBe(200);
    const out = await call(lab, 'GET', '/logout', { headers: { cookie } });
    expect(out.status).toBe(302);
    expect(out.location).toBe(
      `${lab.issuer}/protocol/openid-connect/logout?post_logout_redirect_uri=${lab.trackingUri}/oidc/ui/auth`,
    );
    expect(out.cookies).toContain(
      'session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax',
    );
    const after = await call(lab, 'GET', '/api/2.0/mlflow/users/current', {
      headers: { cookie: 'session=null' },
    });
    expect([after.status, after.text]).toEqual([401, AUTH_REQUIRED]);
  });

  test('mallory (no allowed group) is refused at login, yet her bearer token works (L2)', async () => {
    const lab = await oidcLab();
    const { callback, cookie } = await signIn(lab, 'mallory');
    expect([callback.status, callback.location]).toEqual([
      302,
      `${lab.trackingUri}/oidc/ui/auth?error=User+is+not+allowed+to+login`,
    ]);
    const me = await call(lab, 'GET', '/api/2.0/mlflow/users/current', { headers: { cookie } });
    expect([me.status, me.text]).toEqual([401, AUTH_REQUIRED]);
    const token = await lab.token({ user: 'mallory' });
    const search = await call(lab, 'GET', '/api/2.0/mlflow/experiments/search?max_results=5', {
      headers: { ...bearer(token), ...ws('team-a') },
    });
    expect(search.status).toBe(200);
  });

  test('carol is an admin; next= is honoured; the group listing and users (L4b, L5, L6, L6b-d)', async () => {
    const lab = await oidcLab();
    const carol = await signIn(lab, 'carol');
    const me = await call(lab, 'GET', '/api/2.0/mlflow/users/current', { headers: { cookie: carol.cookie } });
    expect(me.json).toMatchObject({ is_admin: true, groups: [{ group_name: 'mlflow-admins' }] });
    const alice = await signIn(lab, 'alice', '/#/experiments/0');
    expect(alice.callback.location).toBe('/#/experiments/0');
    const bob = await call(lab, 'GET', '/api/2.0/mlflow/users/bob@example.com', {
      headers: { cookie: alice.cookie },
    });
    expect([bob.status, bob.text]).toEqual([403, ADMIN_REQUIRED]);
    const bobByCarol = await call(lab, 'GET', '/api/2.0/mlflow/users/bob@example.com', {
      headers: { cookie: carol.cookie },
    });
    expect(bobByCarol.json).toMatchObject({
      display_name: 'Bob Baker',
      groups: [{ group_name: 'team-b-viewers' }],
    });
    const users = await call(lab, 'GET', '/api/2.0/mlflow/users', { headers: { cookie: alice.cookie } });
    expect(users.json).toEqual([
      'alice@example.com',
      'bob@example.com',
      'carol@example.com',
      'mallory@example.com',
    ]);
  });
});

describe('oidc-auth front door: access tokens and Basic (T rows)', () => {
  test('a token works as Basic; a new one replaces it; the username is case-insensitive (T1-T3c)', async () => {
    const lab = await oidcLab();
    const token = await lab.token({ user: 'alice' });
    const t1 = await call(lab, 'PATCH', '/api/2.0/mlflow/users/access-token', {
      headers: bearer(token),
      body: {},
    });
    expect(t1.status).toBe(200);
    expect(t1.json.token).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(t1.json.message).toBe('Token for alice@example.com has been created');
    const search = (headers: Record<string, string>) =>
      call(lab, 'POST', '/api/2.0/mlflow/experiments/search', {
        headers: { ...headers, ...ws('team-a') },
        body: { max_results: 5 },
      });
    expect((await search(basic('alice@example.com', t1.json.token))).status).toBe(200);
    const t3 = await call(lab, 'PATCH', '/api/2.0/mlflow/users/access-token', {
      headers: basic('alice@example.com', t1.json.token),
      body: {},
    });
    expect(t3.status).toBe(200);
    const old = await search(basic('alice@example.com', t1.json.token));
    expect([old.status, old.text]).toEqual([401, AUTH_REQUIRED]);
    expect((await search(basic('ALICE@EXAMPLE.COM', t3.json.token))).status).toBe(200);
    const doc = await call(lab, 'GET', '/', {
      headers: { ...basic('alice@example.com', t1.json.token), accept: 'text/html' },
    });
    expect([doc.status, doc.location]).toEqual([302, '/oidc/ui']);
  });

  test('expiry: a short token stops working; a rotation without expiration keeps the old expiry (T7, T8)', async () => {
    const lab = await oidcLab();
    const token = await lab.token({ user: 'alice' });
    const soon = new Date(lab.clock.now() + 60_000).toISOString();
    const t7 = await call(lab, 'PATCH', '/api/2.0/mlflow/users/access-token', {
      headers: bearer(token),
      body: { expiration: soon },
    });
    expect(t7.status).toBe(200);
    const search = (secret: string) =>
      call(lab, 'POST', '/api/2.0/mlflow/experiments/search', {
        headers: { ...basic('alice@example.com', secret), ...ws('team-a') },
        body: { max_results: 5 },
      });
    expect((await search(t7.json.token)).status).toBe(200);
    lab.clock.advance('2m');
    expect((await search(t7.json.token)).status).toBe(401);
    // T8: the 7.3.1 bug: the new token inherits the past expiry and is refused at once.
    const fresh = await lab.token({ user: 'alice' });
    const t8 = await call(lab, 'PATCH', '/api/2.0/mlflow/users/access-token', {
      headers: bearer(fresh),
      body: {},
    });
    expect(t8.status).toBe(200);
    expect((await search(t8.json.token)).status).toBe(401);
    const me = await call(lab, 'GET', '/api/2.0/mlflow/users/current', { headers: bearer(fresh) });
    expect(me.json.password_expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/);
  });

  test('lab.accessToken() and lab.env({ basic: true }) use the plugin API', async () => {
    const lab = await oidcLab();
    const first = await lab.accessToken({ user: 'bob' });
    expect(first.username).toBe('bob@example.com');
    const env = await lab.env({ user: 'bob', basic: true });
    expect(env.MLFLOW_TRACKING_TOKEN).toBeUndefined();
    expect(env.MLFLOW_TRACKING_USERNAME).toBe('bob@example.com');
    expect(env.MLFLOW_TRACKING_PASSWORD).toMatch(/^[A-Za-z0-9]{24}$/);
    // env() minted a new token: bob's first one no longer works.
    const stale = await call(lab, 'GET', '/api/2.0/mlflow/users/current', {
      headers: basic(first.username, first.token),
    });
    expect(stale.status).toBe(401);
    const now = await call(lab, 'GET', '/api/2.0/mlflow/users/current', {
      headers: basic(env.MLFLOW_TRACKING_USERNAME!, env.MLFLOW_TRACKING_PASSWORD!),
    });
    expect(now.json.username).toBe('bob@example.com');
  });
});

describe('oidc-auth front door: audience and permissions (run 2: A and D rows)', () => {
  test('OIDC_AUDIENCE refuses other clients; NO_PERMISSIONS denies with the Flask shape (A1, D1, D2, D3b)', async () => {
    const lab = await oidcLab({ OIDC_AUDIENCE: 'mlflow-cli', DEFAULT_MLFLOW_PERMISSION: 'NO_PERMISSIONS' });
    const cc = await lab.token({ grant: 'client_credentials', client: 'mlflow' });
    const adminCli = await lab.token({ user: 'alice', client: 'admin-cli' });
    for (const token of [cc, adminCli]) {
      const a = await call(lab, 'POST', '/api/2.0/mlflow/experiments/search', {
        headers: bearer(token),
        body: {},
      });
      expect([a.status, a.text]).toEqual([401, AUTH_REQUIRED]);
    }
    const alice = bearer(await lab.token({ user: 'alice' }));
    const bob = bearer(await lab.token({ user: 'bob' }));
    // Alice may create in team-a (the lab maps team-a-editors' RBAC onto workspace MANAGE) and owns what she creates.
    const created = await call(lab, 'POST', '/api/2.0/mlflow/experiments/create', {
      headers: { ...alice, ...ws('team-a') },
      body: { name: 'alice-exp' },
    });
    expect(created.status, created.text).toBe(200);
    const id = created.json.experiment_id as string;
    const mine = await call(lab, 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${id}`, {
      headers: { ...alice, ...ws('team-a') },
    });
    expect(mine.status).toBe(200);
    // Bob reads team-b only: in team-a he has nothing.
    const d3 = await call(lab, 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${id}`, {
      headers: { ...bob, ...ws('team-a') },
    });
    expect([d3.status, d3.type, d3.text]).toEqual([403, 'application/json', DENIED]);
    const d3b = await call(lab, 'POST', '/api/2.0/mlflow/experiments/search', {
      headers: { ...bob, ...ws('team-a') },
      body: { max_results: 5 },
    });
    expect([d3b.status, d3b.json]).toEqual([200, {}]);
    // Bob may not create in team-a either (workspace MANAGE).
    const d1b = await call(lab, 'POST', '/api/2.0/mlflow/experiments/create', {
      headers: { ...bob, ...ws('team-a') },
      body: { name: 'bobs' },
    });
    expect([d1b.status, d1b.text]).toEqual([403, DENIED]);
  });

  // The measured 400 (no spans) and 422 (no header) are MLflow's own OTLP handler answering once the plugin let the
  // request through; the emulator has no OTLP endpoint yet (issue 21) and answers Flask's 404 page, which proves as
  // much: the plugin itself never answers HTML.
  const reachedMlflow = (a: Answer) => a.status === 404 && a.text.includes('<title>404 Not Found</title>');

  test('/v1/traces: X-Mlflow-Experiment-Id and EDIT, else 403 text/plain (D8, D8b, D8c, P2, U8)', async () => {
    const lab = await oidcLab({ DEFAULT_MLFLOW_PERMISSION: 'NO_PERMISSIONS' });
    const alice = bearer(await lab.token({ user: 'alice' }));
    const bob = bearer(await lab.token({ user: 'bob' }));
    const carol = bearer(await lab.token({ user: 'carol' }));
    const { json } = await call(lab, 'POST', '/api/2.0/mlflow/experiments/create', {
      headers: { ...alice, ...ws('team-a') },
      body: { name: 'traced' },
    });
    const traces = (headers: Record<string, string>) =>
      call(lab, 'POST', '/v1/traces', {
        headers: { ...headers, ...ws('team-a'), 'content-type': 'application/x-protobuf' },
        body: '',
      });
    const noHeader = await traces(alice);
    expect([noHeader.status, noHeader.type, noHeader.text]).toEqual([
      403,
      'text/plain; charset=utf-8',
      'Permission denied',
    ]);
    expect(reachedMlflow(await traces({ ...alice, 'x-mlflow-experiment-id': json.experiment_id }))).toBe(
      true,
    );
    const read = await traces({ ...bob, 'x-mlflow-experiment-id': json.experiment_id });
    expect([read.status, read.text]).toEqual([403, 'Permission denied']);
    expect(reachedMlflow(await traces(carol))).toBe(true);
    const none = await call(lab, 'POST', '/v1/traces', { body: '' });
    expect([none.status, none.text]).toEqual([401, AUTH_REQUIRED]);
  });

  test('kagentiPatch opens /v1/traces and /version without credentials (§5)', async () => {
    const lab = await oidcLab({ kagentiPatch: true });
    const traces = await call(lab, 'POST', '/v1/traces', {
      headers: { 'x-mlflow-experiment-id': '0', 'content-type': 'application/x-protobuf' },
      body: '',
    });
    expect(reachedMlflow(traces)).toBe(true);
    const version = await call(lab, 'GET', '/version');
    expect(version.status).toBe(200);
    // Everything else still needs credentials.
    const search = await call(lab, 'GET', '/api/2.0/mlflow/experiments/search?max_results=1');
    expect([search.status, search.text]).toEqual([401, AUTH_REQUIRED]);
  });
});

describe('oidc-auth stack: lab lifecycle', () => {
  test('reset() puts the plugin database back to the seed', async () => {
    const lab = await oidcLab();
    const token = await lab.token({ user: 'alice' });
    const minted = await lab.accessToken({ user: 'alice' });
    const ok = await call(lab, 'GET', '/api/2.0/mlflow/users/current', {
      headers: basic(minted.username, minted.token),
    });
    expect(ok.status).toBe(200);
    // The stack's auth app is its own front door, the tracking URI.
    expect(lab.authApp).toBe(lab.oidcAuth);
    expect([lab.authApp?.stack, lab.authApp?.frontDoor, lab.authApp?.url.href]).toEqual([
      'oidc-auth',
      true,
      `${lab.trackingUri}/`,
    ]);
    lab.reset();
    const gone = await call(lab, 'GET', '/api/2.0/mlflow/users/current', {
      headers: basic(minted.username, minted.token),
    });
    expect(gone.status).toBe(401);
    const me = await call(lab, 'GET', '/api/2.0/mlflow/users/current', { headers: bearer(token) });
    expect(me.json).toMatchObject({
      username: 'alice@example.com',
      groups: [{ group_name: 'team-a-editors' }],
    });
  });

  test('the database is kept in the state directory across restarts', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const stateDir = await mkdtemp(path.join(tmpdir(), 'oidc-state-'));
    onTestFinished(() => rm(stateDir, { recursive: true, force: true }));
    const cfg = await defaultLabObject();
    cfg.rbac = [path.join(FIXTURES, 'rbac/default-lab.yaml')];
    const start = () =>
      startLab({
        config: cfg as never,
        auth: 'oidc-auth',
        stateDir,
        ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
        env: {},
      });
    const first = await start();
    const minted = await first.accessToken({ user: 'alice' });
    await first.dispose();
    const second = await start();
    onTestFinished(() => second.dispose());
    const me = await call(second, 'GET', '/api/2.0/mlflow/users/current', {
      headers: basic(minted.username, minted.token),
    });
    expect(me.status).toBe(200);
  });
});

describe('oidc-auth stack over TLS', () => {
  test('the front door serves https with the lab CA and checks tokens against the IdP over TLS', async () => {
    const lab = await startLab({
      auth: 'oidc-auth',
      tls: true,
      ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
      env: {},
    });
    onTestFinished(() => lab.dispose());
    expect(lab.trackingUri).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const dispatcher = new Agent({ connect: { ca: await readFile(lab.tls!.caFile, 'utf8') } });
    onTestFinished(() => dispatcher.close());
    const token = await lab.token({ user: 'alice' });
    const res = await undiciFetch(`${lab.trackingUri}/api/2.0/mlflow/users/current`, {
      headers: bearer(token),
      dispatcher,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).username).toBe('alice@example.com');
    const login = await undiciFetch(`${lab.trackingUri}/login`, { redirect: 'manual', dispatcher });
    expect(new URL(login.headers.get('location')!).searchParams.get('redirect_uri')).toBe(
      `${lab.trackingUri}/callback`,
    );
  });
});

describe('oidc-auth stack: the server trusting the lab CA (serverTrust)', () => {
  async function tlsLab(serverTrust: string[]) {
    const cfg = await defaultLabObject();
    cfg.rbac = [path.join(FIXTURES, 'rbac/default-lab.yaml')];
    cfg.idp.flavour = 'keycloak';
    cfg.oidcAuth = { serverTrust };
    const logs: string[] = [];
    const push = (line: string) => logs.push(line);
    const lab = await startLab({
      config: cfg as never,
      auth: 'oidc-auth',
      tls: true,
      ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
      env: {},
      log: { debug() {}, info: push, warn: push, error: push },
    });
    onTestFinished(() => lab.dispose());
    const dispatcher = new Agent({ connect: { ca: await readFile(lab.tls!.caFile, 'utf8') } });
    onTestFinished(() => dispatcher.close());
    const get = (route: string, headers: Record<string, string> = {}) =>
      undiciFetch(`${lab.trackingUri}${route}`, { headers, redirect: 'manual', dispatcher });
    return { lab, logs, get };
  }

  test('without REQUESTS_CA_BUNDLE bearer tokens fail (JWKS over TLS); the login still works', async () => {
    const { lab, logs, get } = await tlsLab(['SSL_CERT_FILE']);
    const res = await get('/api/2.0/mlflow/users/current', bearer(await lab.token({ user: 'alice' })));
    expect([res.status, await res.text()]).toEqual([401, AUTH_REQUIRED]);
    const port = new URL(lab.issuer).port;
    // The lab's IdP sends its chain up to the lab's root, which certifi does not hold: OpenSSL's error 19.
    expect(logs).toContain(
      `[authlab:oidc-auth] Bearer auth error: SSLError: HTTPSConnectionPool(host='127.0.0.1', port=${port}): Max retries exceeded with url: /realms/mlflow/.well-known/openid-configuration (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:1000)')))`,
    );
    expect(logs).toContain(
      '[authlab:oidc-auth] Authentication failed for /api/2.0/mlflow/users/current: Invalid token',
    );
    expect((await get('/login')).status).toBe(302);
  });

  test('without SSL_CERT_FILE the browser login fails with 500; bearer tokens work', async () => {
    const { lab, logs, get } = await tlsLab(['REQUESTS_CA_BUNDLE']);
    const login = await get('/login');
    expect([login.status, await login.text()]).toEqual([500, '{"detail":"Failed to initiate OIDC login"}']);
    expect(logs.some((l) => l.includes('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed'))).toBe(
      true,
    );
    const res = await get('/api/2.0/mlflow/users/current', bearer(await lab.token({ user: 'alice' })));
    expect(res.status).toBe(200);
  });
});

function claimsAud(token: string): unknown {
  return decodeJwt(token).aud;
}
