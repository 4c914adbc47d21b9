// The catalog's fixtures for downstream tests: each one fails at the lab's front door (oauth2-proxy, or the
// mlflow-oidc-auth plugin's) for the documented reason, and the valid counterpart passes.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLab, type StartedLab } from '../../../src/index.js';
import { labFixtures, type LabFixtures } from '../../../src/scenarios/fixtures.js';
import { AUTH_REQUIRED, basic, bearer, callAs, oidcLabConfig } from '../../../src/scenarios/oidc-lab.js';
import { pluginLogin } from '../../../src/scenarios/plugin-login.js';
import { defaultLabConfig, requestError, searchAs, withLab } from '../../../src/scenarios/support.js';

describe('labFixtures(lab)', () => {
  let lab: StartedLab;
  let fx: LabFixtures;
  const logs: string[] = [];
  beforeAll(async () => {
    const push = (l: string) => logs.push(l);
    lab = await startLab({
      ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
      env: {},
      log: { debug() {}, info: push, warn: push, error: push },
    });
    fx = labFixtures(lab);
  });
  afterAll(() => lab?.dispose());
  const logged = (text: string) => logs.some((l) => l.includes(text));

  test('a token with a trailing newline (string and file): Node refuses the header', async () => {
    const t = await fx.tokenWithTrailingNewline();
    expect(t.endsWith('\n')).toBe(true);
    expect(await requestError(searchAs(lab, t))).toBe(
      'ERR_INVALID_CHAR: Invalid character in header content ["authorization"]',
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'authlab-fx-'));
    try {
      const file = await fx.tokenFileWithTrailingNewline(path.join(dir, 'token'));
      expect((await readFile(file, 'utf8')).endsWith('\n')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect((await searchAs(lab, t.trim())).status).toBe(200);
  });

  test('wrong audience, expired, wrong issuer: 401 with the proxy naming the reason', async () => {
    expect((await searchAs(lab, await fx.wrongAudienceToken())).status).toBe(401);
    expect(logged('audience from claim aud with value [admin-cli] does not match')).toBe(true);
    expect((await searchAs(lab, await fx.expiredToken())).status).toBe(401);
    expect(logged('oidc: token is expired (Token Expiry: ')).toBe(true);
    expect((await searchAs(lab, await fx.wrongIssuerToken())).status).toBe(401);
    expect(
      logged(
        `oidc: id token issued by a different provider, expected "${lab.issuer}" got "https://other-issuer.invalid/dex"`,
      ),
    ).toBe(true);
  });

  test('session cookies: valid passes; expired, tampered and first-chunk-only are rejected', async () => {
    expect((await searchAs(lab, undefined, { cookie: await fx.sessionCookie('valid') })).status).toBe(200);
    for (const kind of ['expired', 'tampered', 'first-chunk-only'] as const) {
      const cookie = await fx.sessionCookie(kind);
      if (kind === 'first-chunk-only') expect(cookie.startsWith('_oauth2_proxy_0=')).toBe(true);
      expect((await searchAs(lab, undefined, { cookie })).status, kind).toBe(401);
    }
    expect(logged('Error loading cookied session: cookie signature not valid, removing session')).toBe(true);
  });

  test("a user in no group the RBAC binds: the gate refuses her create with the not-in-group scenario's 403", async () => {
    const mallory = await fx.userInNoGroup();
    expect([mallory.username, mallory.password]).toEqual(['mallory@example.com', 'mallory-password']);
    const created = await fetch(`${lab.trackingUri}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${mallory.token}`,
        'content-type': 'application/json',
        'x-mlflow-workspace': 'team-a',
      },
      body: JSON.stringify({ name: 'fixture-not-in-group' }),
    });
    expect([created.status, await created.text()]).toEqual([
      403,
      '{"error":{"code":"PERMISSION_DENIED","message":"Permission denied for requested operation."}}',
    ]);
  });
});

describe('labFixtures(lab) on the oidc-auth stack', () => {
  let lab: StartedLab;
  let fx: LabFixtures;
  beforeAll(async () => {
    // OIDC_AUDIENCE set: without it the plugin checks no audience, and the admin-cli token would pass (§3.2).
    lab = await startLab({
      config: await oidcLabConfig({ oidcAuth: { OIDC_AUDIENCE: 'mlflow-cli' } }),
      ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
      env: {},
    });
    fx = labFixtures(lab);
  });
  afterAll(() => lab?.dispose());
  const users = (authorization: string | undefined, cookie?: string) =>
    callAs({ lab }, authorization, {
      path: '/api/2.0/mlflow/users/current',
      ...(cookie !== undefined && { headers: { cookie } }),
    });

  test('the token fixtures keep working: newline refused by Node; wrong audience, expired, wrong issuer get 401', async () => {
    expect(await requestError(searchAs(lab, await fx.tokenWithTrailingNewline()))).toBe(
      'ERR_INVALID_CHAR: Invalid character in header content ["authorization"]',
    );
    for (const token of [
      await fx.wrongAudienceToken(),
      await fx.expiredToken(),
      await fx.wrongIssuerToken(),
    ]) {
      const a = await searchAs(lab, token);
      expect([a.status, a.body]).toEqual([401, AUTH_REQUIRED]);
    }
    expect((await searchAs(lab, await lab.token({ user: 'alice' }))).status).toBe(200);
  });

  test('access tokens: a replaced one and an expired one are refused; users/current shows the past expiry', async () => {
    const replaced = await fx.replacedAccessToken('bob');
    expect(replaced.username).toBe('bob@example.com');
    expect(await users(basic(replaced.username, replaced.token))).toMatchObject({
      status: 401,
      body: AUTH_REQUIRED,
    });
    const expired = await fx.expiredAccessToken();
    expect(expired.username).toBe('alice@example.com');
    expect(await users(basic(expired.username, expired.token))).toMatchObject({
      status: 401,
      body: AUTH_REQUIRED,
    });
    const me = JSON.parse((await users(bearer(await lab.token({ user: 'alice' })))).body) as {
      password_expiration: string;
    };
    expect(Date.parse(`${me.password_expiration}Z`)).toBeLessThan(lab.clock.now());
  });

  test('a user outside OIDC_GROUP_NAME: her browser login is refused, her bearer token works (§3.1, §3.2)', async () => {
    const mallory = await fx.userInNoGroup();
    expect(mallory.username).toBe('mallory@example.com');
    const login = await pluginLogin(lab.trackingUri!, mallory.username, mallory.password);
    expect(login.callback.location).toBe(
      `${lab.trackingUri}/oidc/ui/auth?error=User+is+not+allowed+to+login`,
    );
    expect((await searchAs(lab, mallory.token)).status).toBe(200);
  });

  test("session cookies are the plugin's `session`: valid passes; expired is cleared; tampered is refused", async () => {
    const valid = await fx.sessionCookie('valid', 'carol');
    expect(valid).toMatch(/^session=[^;]+$/);
    const me = await users(undefined, valid);
    expect([me.status, (JSON.parse(me.body) as { username: string }).username]).toEqual([
      200,
      'carol@example.com',
    ]);
    for (const kind of ['expired', 'tampered'] as const) {
      const a = await users(undefined, await fx.sessionCookie(kind));
      expect([kind, a.status, a.body]).toEqual([kind, 401, AUTH_REQUIRED]);
    }
    await expect(fx.sessionCookie('first-chunk-only')).rejects.toMatchObject({
      code: 'AUTHLAB_NOT_SUPPORTED',
      hint: expect.stringContaining('kubernetes-auth stack'),
    });
  });
});

describe('otlpTracesRequest(): the oidc-otlp-traces setup (DEFAULT_MLFLOW_PERMISSION READ, workspaces off)', () => {
  let lab: StartedLab;
  let fx: LabFixtures;
  let experimentId: string;
  beforeAll(async () => {
    // As the oidc-otlp-traces scenario runs it: workspaces off (kagenti's setting), READ for users without a rule.
    lab = await startLab({
      config: await oidcLabConfig({
        oidcAuth: { DEFAULT_MLFLOW_PERMISSION: 'READ', MLFLOW_ENABLE_WORKSPACES: false },
      }),
      ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
      env: {},
    });
    fx = labFixtures(lab);
    // alice's experiment: she holds MANAGE on it (creators get MANAGE, §4.3), bob READ by the default.
    const created = await callAs({ lab }, bearer(await lab.token({ user: 'alice' })), {
      method: 'POST',
      path: '/api/2.0/mlflow/experiments/create',
      body: JSON.stringify({ name: 'fixture-otlp' }),
    });
    if (created.status !== 200)
      throw new Error(`experiments/create as alice: ${created.status} ${created.body}`);
    experimentId = (JSON.parse(created.body) as { experiment_id: string }).experiment_id;
  });
  afterAll(() => lab?.dispose());
  const post = async (o: Parameters<LabFixtures['otlpTracesRequest']>[0]) => {
    const { url, init } = await fx.otlpTracesRequest(o);
    const res = await fetch(url, init);
    return [res.status, res.headers.get('content-type'), await res.text()];
  };

  test('the request: POST <tracking URI>/v1/traces, protobuf, the header and the bearer token as asked', async () => {
    const { url, init } = await fx.otlpTracesRequest({ experimentId: '7', user: 'bob' });
    expect(url).toBe(`${lab.trackingUri}/v1/traces`);
    expect(init.method).toBe('POST');
    expect((init.body as Uint8Array).byteLength).toBe(0);
    const headers = init.headers as Record<string, string>;
    expect(headers).toEqual({
      'content-type': 'application/x-protobuf',
      'x-mlflow-experiment-id': '7',
      authorization: expect.stringMatching(/^Bearer ey/),
    });
    expect(decodeJwt(headers.authorization!.slice('Bearer '.length)).email).toBe('bob@example.com');
    const { init: bare } = await fx.otlpTracesRequest({ credentials: 'none' });
    expect(bare.headers).toEqual({ 'content-type': 'application/x-protobuf' });
  });

  test("without credentials 401; bob's token without the header, or with it and READ only, 403 text/plain (§5)", async () => {
    expect(await post({ credentials: 'none', experimentId })).toEqual([
      401,
      'application/json',
      AUTH_REQUIRED,
    ]);
    const denied = [403, 'text/plain; charset=utf-8', 'Permission denied'];
    expect(await post({ user: 'bob' })).toEqual(denied);
    expect(await post({ user: 'bob', experimentId })).toEqual(denied);
  });

  test('alice with the header on her experiment (MANAGE) passes the plugin', async () => {
    // What answers is MLflow's side (the lab's: Flask's 404 page, no OTLP endpoint yet; MLflow's: 400 no spans found).
    const [status, , body] = await post({ experimentId });
    expect([401, 403]).not.toContain(status);
    expect(body).not.toBe('Permission denied');
  });
});

test('userInNoGroup() when every user is in a group the stack lets in: AUTHLAB_NOT_SUPPORTED, a hint to add one', async () => {
  const edit = (config: { users?: Array<{ name: string; groups?: string[] }> }) => {
    const mallory = config.users?.find((u) => u.name === 'mallory');
    if (mallory) mallory.groups = ['team-b-viewers'];
  };
  const kube = await defaultLabConfig();
  edit(kube);
  for (const config of [kube, await oidcLabConfig({ edit })])
    await withLab({ config }, async ({ lab }) => {
      await expect(labFixtures(lab).userInNoGroup(), lab.auth).rejects.toMatchObject({
        code: 'AUTHLAB_NOT_SUPPORTED',
        hint: expect.stringContaining("the default lab's mallory has groups: []"),
      });
    });
});

test('access-token fixtures on the kubernetes-auth stack: AUTHLAB_NOT_SUPPORTED with a hint', async () => {
  const lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 }, env: {} });
  try {
    const fx = labFixtures(lab);
    for (const fixture of [fx.replacedAccessToken, fx.expiredAccessToken, () => fx.otlpTracesRequest()])
      await expect(fixture()).rejects.toMatchObject({
        code: 'AUTHLAB_NOT_SUPPORTED',
        hint: expect.stringContaining('auth: "oidc-auth"'),
      });
  } finally {
    await lab.dispose();
  }
});
