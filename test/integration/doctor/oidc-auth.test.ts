// `diagnose()` behind the mlflow-oidc-auth plugin (the oidc-auth stack): its answers recognised (mlflow-oidc-auth.md
// §3.4), the reason of a bare 401 found by the doctor itself, the user's row, Basic credentials told apart (replaced
// or expired, §3.3) and the OTLP route's permission check (§4.6, §5).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { describe, expect, onTestFinished, test } from 'vitest';
import { diagnose, type DoctorReport } from '../../../src/doctor/diagnose.js';
import { startLab, type StartedLab } from '../../../src/index.js';
import { oidcLabConfig, type OidcLabOptions } from '../../../src/scenarios/oidc-lab.js';

const PORTS = { proxy: 0, idp: 0, kube: 0, mlflow: 0 };
const check = (r: DoctorReport, id: string) => r.checks.find((c) => c.id === id)!;
const failed = (r: DoctorReport) => r.checks.filter((c) => c.status === 'fail').map((c) => c.id);
const REFUSED =
  '401 {"detail":"Authentication required"}: mlflow-oidc-auth refused the token (it never says why)';

async function oidcLab(o: OidcLabOptions = {}): Promise<StartedLab> {
  const lab = await startLab({
    config: await oidcLabConfig(o),
    ports: PORTS,
    env: {},
    ...(o.tls !== undefined && { tls: o.tls }),
  });
  onTestFinished(() => lab.dispose());
  return lab;
}

async function createExperiment(lab: StartedLab, user: string): Promise<string> {
  const res = await fetch(`${lab.trackingUri}/api/2.0/mlflow/experiments/create`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await lab.token({ user })}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `doctor-${user}-${Date.now()}` }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { experiment_id: string }).experiment_id;
}

describe('doctor behind mlflow-oidc-auth: bearer tokens', () => {
  test('a good token passes; the front door is named, the user row shown, the groups explained', async () => {
    const lab = await oidcLab();
    const r = await diagnose({ token: await lab.token({ user: 'alice' }), trackingUri: lab.trackingUri! });
    expect(failed(r)).toEqual([]);
    expect(r.checks.map((c) => c.id)).toEqual([
      'token-whitespace',
      'jwt-shape',
      'expiry',
      'issuer',
      'audience',
      'groups',
      'reachability',
      'plugin-login',
      'mlflow-call',
      'plugin-user',
    ]);
    expect(check(r, 'plugin-login')).toMatchObject({ status: 'pass' });
    expect(check(r, 'plugin-login').evidence).toBe(
      `302 to ${lab.issuer}/protocol/openid-connect/auth with scope "openid email profile groups" and a nonce`,
    );
    expect(check(r, 'reachability').evidence).toMatch(
      /^200 in \d+ ms; the mlflow-oidc-auth plugin's front door \(\/oidc\/ui\/config\.json answers\)$/,
    );
    expect(check(r, 'groups').evidence).toBe(
      'groups ["team-a-editors"]; mlflow-oidc-auth ignores a bearer token\'s groups (it uses those of the user\'s last browser login)',
    );
    expect(check(r, 'plugin-user')).toMatchObject({
      status: 'pass',
      evidence:
        'alice@example.com, groups ["team-a-editors"] (from the last browser login), admin false; access token without expiry',
    });
  });

  test('a token of another client while OIDC_AUDIENCE is set: it verifies, so the server side is named', async () => {
    const lab = await oidcLab({ oidcAuth: { OIDC_AUDIENCE: 'mlflow-cli' } });
    const r = await diagnose({
      token: await lab.token({ user: 'alice', client: 'admin-cli' }),
      trackingUri: lab.trackingUri!,
    });
    expect(failed(r)).toEqual(['mlflow-call']);
    expect(check(r, 'mlflow-call').evidence).toBe(
      `${REFUSED}; yet the token verifies against ${lab.issuer}'s JWKS and has not expired: the server side refuses it`,
    );
    expect(check(r, 'mlflow-call').fix).toContain(
      'or OIDC_AUDIENCE is set to a client not in aud ["admin-cli"]',
    );
    expect(r.checks.some((c) => c.id === 'plugin-user')).toBe(false);
  });

  test('an expired token: the doctor names the expiry the plugin keeps to itself', async () => {
    const lab = await oidcLab();
    const token = await lab.token({ user: 'alice' });
    lab.clock.advance('25h');
    const r = await diagnose({ token, trackingUri: lab.trackingUri!, now: lab.clock.now() });
    expect(failed(r)).toEqual(['expiry', 'mlflow-call']);
    expect(check(r, 'mlflow-call').evidence).toMatch(
      new RegExp(`^${REFUSED.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; against .*'s JWKS: ERR_JWT_EXPIRED: `),
    );
    expect(check(r, 'mlflow-call').fix).toBe(
      'Mint a new token (or refresh it before it expires); the plugin allows no leeway.',
    );
  });

  test('the server does not trust the IdP (serverTrust: []): a good token is refused, the fix names REQUESTS_CA_BUNDLE', async () => {
    const lab = await oidcLab({ oidcAuth: { serverTrust: [] }, tls: true });
    const caPem = await readFile(lab.tls!.caFile, 'utf8');
    const r = await diagnose({
      token: await lab.token({ user: 'alice' }),
      trackingUri: lab.trackingUri!,
      caPem,
    });
    // Neither trust variable: the browser login fails too (authlib's httpx reads SSL_CERT_FILE).
    expect(failed(r)).toEqual(['plugin-login', 'mlflow-call']);
    expect(check(r, 'plugin-login').evidence).toBe(
      '500 {"detail":"Failed to initiate OIDC login"}: the server could not read the IdP\'s discovery document (OIDC_DISCOVERY_URL)',
    );
    expect(check(r, 'plugin-login').fix).toContain('over TLS point SSL_CERT_FILE');
    expect(check(r, 'mlflow-call').evidence).toContain('yet the token verifies against');
    expect(check(r, 'mlflow-call').fix).toMatch(
      /^Either the server cannot fetch the IdP's discovery and JWKS \(over TLS its process needs REQUESTS_CA_BUNDLE, and SSL_CERT_FILE/,
    );
  });

  test("OIDC_SCOPE with commas (the plugin's default): the login's scope is one word, a warning with the fix", async () => {
    const lab = await oidcLab({ oidcAuth: { OIDC_SCOPE: 'openid,email,profile' } });
    const r = await diagnose({ token: await lab.token({ user: 'alice' }), trackingUri: lab.trackingUri! });
    expect(r.ok).toBe(true);
    expect(check(r, 'plugin-login')).toMatchObject({
      status: 'warn',
      evidence: `302 to ${lab.issuer}/protocol/openid-connect/auth with scope "openid,email,profile" and no nonce: commas make it one scope word, so openid is not asked for; Keycloak and Dex then grant nothing and the login ends at /oidc/ui/auth?error=OIDC+provider+error`,
      fix: 'Separate the scopes with spaces: OIDC_SCOPE="openid email profile groups" (the plugin\'s default has commas).',
    });
  });

  test('a user without a row in the plugin database: 404 {"detail":"User not found"} is a warning with the fix', async () => {
    const lab = await oidcLab({ oidcAuth: { provisionUsers: false } });
    const r = await diagnose({ token: await lab.token({ user: 'bob' }), trackingUri: lab.trackingUri! });
    expect(r.ok).toBe(true);
    expect(check(r, 'plugin-user')).toMatchObject({
      status: 'warn',
      evidence:
        '404 {"detail":"User not found"}: mlflow-oidc-auth has no row for bob@example.com: never signed in through the browser, so no groups and no admin flag',
    });
    expect(check(r, 'plugin-user').fix).toMatch(
      /^Sign in once in a browser \(http:\/\/127\.0\.0\.1:\d+\/login\)/,
    );
  });
});

describe('doctor behind mlflow-oidc-auth: Basic credentials (access tokens)', () => {
  test('good ones pass with their expiry; a replaced one and an expired one are told apart with the bearer token', async () => {
    const lab = await oidcLab();
    const bearer = () => lab.token({ user: 'alice' });
    const good = await lab.accessToken({
      user: 'alice',
      expiration: new Date(lab.clock.now() + 3600_000).toISOString(),
    });
    const ok = await diagnose({
      token: await bearer(),
      basic: { username: good.username, password: good.token },
      trackingUri: lab.trackingUri!,
      now: lab.clock.now(),
    });
    expect(failed(ok)).toEqual([]);
    expect(check(ok, 'basic-auth')).toMatchObject({
      title: 'Basic credentials of alice@example.com work',
      status: 'pass',
      evidence: expect.stringMatching(/^200; the access token expires \S+Z \(in (59m \d+s|1h 0m)\)$/),
    });

    // A second token for alice replaces the first (still an hour to go: this is no expiry).
    await lab.accessToken({ user: 'alice', expiration: new Date(lab.clock.now() + 3600_000).toISOString() });
    const replaced = await diagnose({
      token: await bearer(),
      basic: { username: good.username, password: good.token },
      trackingUri: lab.trackingUri!,
      now: lab.clock.now(),
    });
    expect(failed(replaced)).toEqual(['basic-auth']);
    expect(check(replaced, 'basic-auth').evidence).toMatch(
      /^401 \{"detail":"Authentication required"\} for alice@example\.com, whose bearer token works: the access token was replaced by a newer one \(one per user; users\/current password_expiration "[^"]+", not expired\)$/,
    );

    const current = await lab.accessToken({
      user: 'alice',
      expiration: new Date(lab.clock.now() + 60_000).toISOString(),
    });
    lab.clock.advance('2m');
    const expired = await diagnose({
      token: await bearer(),
      basic: { username: current.username, password: current.token },
      trackingUri: lab.trackingUri!,
      now: lab.clock.now(),
    });
    expect(failed(expired)).toEqual(['basic-auth']);
    expect(check(expired, 'basic-auth').evidence).toMatch(
      /^401 \{"detail":"Authentication required"\} for alice@example\.com, whose bearer token works: the access token expired \S+Z \(1m \d+s ago; users\/current password_expiration\)$/,
    );
    expect(check(expired, 'basic-auth').fix).toContain('with 7.3.1 always pass one');
  });

  test('Basic alone: a refused one asks for the bearer token to tell why', async () => {
    const lab = await oidcLab();
    const first = await lab.accessToken({ user: 'bob' });
    await lab.accessToken({ user: 'bob' });
    const r = await diagnose({
      basic: { username: first.username, password: first.token },
      trackingUri: lab.trackingUri!,
    });
    expect(r.checks.map((c) => c.id)).toEqual(['reachability', 'plugin-login', 'basic-auth']);
    expect(check(r, 'basic-auth').evidence).toBe(
      '401 {"detail":"Authentication required"} for bob@example.com: mlflow-oidc-auth refused bob@example.com:<token> (an unknown user, a wrong, replaced or expired access token)',
    );
    expect(check(r, 'basic-auth').fix).toContain("give bob@example.com's bearer token too (--token-env)");
  });
});

describe('doctor behind mlflow-oidc-auth: the OTLP route', () => {
  test('READ only: 403 text/plain names EDIT; with EDIT the request passes the plugin (the emulator has no OTLP route)', async () => {
    const lab = await oidcLab({
      oidcAuth: { DEFAULT_MLFLOW_PERMISSION: 'READ', MLFLOW_ENABLE_WORKSPACES: false },
    });
    const id = await createExperiment(lab, 'alice');
    const bob = await diagnose({
      token: await lab.token({ user: 'bob' }),
      trackingUri: lab.trackingUri!,
      otlpExperiment: id,
    });
    expect(failed(bob)).toEqual(['otlp']);
    expect(check(bob, 'otlp')).toMatchObject({
      title: `an OTLP export to /v1/traces (experiment ${id}) is accepted`,
      evidence: `403 text/plain Permission denied: mlflow-oidc-auth's FastAPI permission check: the caller needs EDIT (or MANAGE) on experiment ${id}, READ is not enough`,
    });
    expect(check(bob, 'otlp').fix).toContain(
      `POST /api/2.0/mlflow/permissions/users/<user>/experiments/${id} {"permission":"EDIT"}`,
    );
    const alice = await diagnose({
      token: await lab.token({ user: 'alice' }),
      trackingUri: lab.trackingUri!,
      otlpExperiment: id,
    });
    expect(check(alice, 'otlp')).toMatchObject({
      status: 'warn',
      evidence:
        '404 (an HTML Not Found page): the request passed the auth layer, but this MLflow serves no /v1/traces',
    });
    expect(alice.ok).toBe(true);
  });
});

test("the plugin's other answers, from a stand-in server: the Flask 403 and the document redirect", async () => {
  const answers: Record<string, (res: http.ServerResponse) => void> = {
    denied: (res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end('{"message":"Permission denied"}\n');
    },
    redirect: (res) => {
      res.writeHead(302, { location: '/oidc/ui' });
      res.end();
    },
  };
  let mode = 'denied';
  const server = http.createServer((req, res) => {
    if (req.url === '/health') return void res.end('OK');
    answers[mode]!(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const denied = await diagnose({ token: 'opaque', trackingUri: url });
  expect(check(denied, 'mlflow-call')).toMatchObject({
    status: 'fail',
    evidence:
      '403 {"message":"Permission denied"}: mlflow-oidc-auth\'s permission hook: no permission on the resource',
  });
  expect(check(denied, 'mlflow-call').fix).toContain('DEFAULT_MLFLOW_PERMISSION');
  mode = 'redirect';
  const redirect = await diagnose({ token: 'opaque', trackingUri: url });
  expect(check(redirect, 'mlflow-call').evidence).toBe(
    '302 redirect to /oidc/ui: mlflow-oidc-auth sent a browser page to its login UI: the credentials were not used (or were refused)',
  );
});
