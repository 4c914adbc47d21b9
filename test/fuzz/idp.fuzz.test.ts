// The IdP, fuzzed: generated token requests (grants, credentials in every place, content types, repeated and odd
// fields) and generated requests to its other endpoints. Every answer is Dex's documented status and error body,
// and a token is issued only to the credentials that earn it, for the identity they name.
import { decodeJwt } from 'jose';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLab, type StartedLab } from '../../src/index.js';
import { caseCounts, counted, fuzzParameters } from './support.js';

let lab: StartedLab;
/** Each user's `sub`: a token without the `email` scope names its user only by it. */
const subjects: Record<string, string> = {};
beforeAll(async () => {
  lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0 }, mlflow: { backend: 'none' }, env: {} });
  for (const u of USERS) subjects[`${u}@example.com`] = decodeJwt(await lab.token({ user: u })).sub!;
});
afterAll(async () => {
  await lab?.dispose();
  process.stdout.write(`fuzz cases (IdP): ${[...caseCounts].map(([s, n]) => `${s}: ${n}`).join(', ')}\n`);
});

const USERS = ['alice', 'bob', 'carol', 'mallory'];
/** The default lab's clients: their secrets, and the grants each may use. */
const CLIENTS: Record<string, { secret: string; grants: string[] }> = {
  'oauth2-proxy': { secret: 'oauth2-proxy-secret', grants: ['authorization_code', 'refresh_token'] },
  'mlflow-cli': { secret: 'mlflow-cli-secret', grants: ['password', 'refresh_token'] },
  mlflow: { secret: 'mlflow-secret', grants: ['client_credentials'] },
  'admin-cli': { secret: 'admin-cli-secret', grants: ['password', 'refresh_token'] },
};
/** Dex's error codes on the token endpoint (RFC 6749 §5.2); `server_error` would be the lab failing. */
const TOKEN_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
]);

const anyText = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 12 }));
const clientId = fc.oneof(fc.constantFrom(...Object.keys(CLIENTS)), anyText);
const secretFor = (id: string) =>
  fc.oneof(fc.constant(CLIENTS[id]?.secret ?? 'x'), fc.constantFrom('', 'wrong', `${id}-secret `), anyText);
const user = fc.oneof(
  fc.constantFrom(...USERS).map((u) => `${u}@example.com`),
  fc.constantFrom('ALICE@example.com', 'alice', 'alice@example.com ', ''),
  anyText,
);
const passwordFor = (username: string) =>
  fc.oneof(
    fc.constant(`${username.split('@')[0]}-password`),
    fc.constantFrom('', 'alice-password', 'password'),
    anyText,
  );
const grant = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('password', 'client_credentials') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'refresh_token',
      'authorization_code',
      'urn:ietf:params:oauth:grant-type:token-exchange',
      'urn:ietf:params:oauth:grant-type:device_code',
      'implicit',
      'PASSWORD',
      '',
    ),
  },
  { weight: 1, arbitrary: anyText },
);
const scope = fc.oneof(
  fc.constantFrom(
    'openid email groups',
    'openid',
    'openid profile email groups offline_access',
    '',
    'openid audience:server:client_id:mlflow',
  ),
  anyText,
);

interface TokenCase {
  grant: string;
  username: string;
  password: string;
  client: string;
  secret: string;
  /** How the client authenticates: HTTP Basic, form fields, both, or not at all. */
  clientAuth: 'basic' | 'post' | 'both' | 'none';
  scope: string;
  extras: Array<[string, string]>;
  repeat: string | undefined;
  contentType: string;
}

const tokenCase: fc.Arbitrary<TokenCase> = fc.tuple(clientId, user, grant).chain(([client, username, g]) =>
  fc.record({
    grant: fc.constant(g),
    username: fc.constant(username),
    password: passwordFor(username),
    client: fc.constant(client),
    secret: secretFor(client),
    clientAuth: fc.constantFrom('basic', 'post', 'both', 'none'),
    scope,
    extras: fc.array(
      fc.tuple(
        fc.constantFrom(
          'refresh_token',
          'code',
          'redirect_uri',
          'code_verifier',
          'audience',
          'connector_id',
          'nonce',
          'x',
        ),
        anyText,
      ),
      { maxLength: 3 },
    ),
    repeat: fc.option(fc.constantFrom('username', 'password', 'grant_type', 'client_id'), { nil: undefined }),
    contentType: fc.constantFrom(
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=utf-8',
      'application/json',
      'text/plain',
      'multipart/form-data',
      '',
    ),
  }),
);

/**
 * Whether the request earns a token, by the lab's config: one valid client credential, a grant it may use, and for
 * the password grant a user's own password. Undefined where either answer is right: a repeated field (Dex reads
 * the first value, oidc-provider refuses any repeat), or one the grant does not read.
 */
function earnsToken(c: TokenCase): boolean | undefined {
  if (!c.contentType.startsWith('application/x-www-form-urlencoded')) return false;
  if (c.repeat !== undefined) {
    const read =
      c.grant === 'password'
        ? ['username', 'password', 'grant_type', 'client_id']
        : ['grant_type', 'client_id'];
    if (read.includes(c.repeat)) return undefined;
  }
  const client = CLIENTS[c.client];
  if (!client || c.clientAuth === 'none' || c.clientAuth === 'both' || c.secret !== client.secret)
    return false;
  if (!client.grants.includes(c.grant)) return false;
  if (c.grant === 'client_credentials') return true;
  if (c.grant !== 'password') return false;
  const name = USERS.find((u) => c.username === `${u}@example.com`);
  return name !== undefined && c.password === `${name}-password`;
}

describe('the IdP, fuzzed (issue 18)', () => {
  test('the token endpoint: Dex statuses and error codes, and a token only for the credentials that earn it', async () => {
    await fc.assert(
      fc.asyncProperty(
        tokenCase,
        counted('token endpoint', async (c) => {
          const form = new URLSearchParams({ grant_type: c.grant, scope: c.scope });
          if (c.grant === 'password') {
            form.set('username', c.username);
            form.set('password', c.password);
          }
          if (c.clientAuth === 'post' || c.clientAuth === 'both') {
            form.set('client_id', c.client);
            form.set('client_secret', c.secret);
          }
          for (const [k, v] of c.extras) form.append(k, v);
          if (c.repeat !== undefined) form.append(c.repeat, 'again');
          const headers: Record<string, string> = {};
          if (c.contentType) headers['content-type'] = c.contentType;
          if (c.clientAuth === 'basic' || c.clientAuth === 'both')
            headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(c.client)}:${encodeURIComponent(c.secret)}`).toString('base64')}`;
          const res = await fetch(lab.tokenEndpoint, { method: 'POST', headers, body: form.toString() });
          const text = await res.text();
          expect(res.status, text).toBeLessThan(500);
          expect(res.headers.get('content-type'), text).toMatch(/^application\/json/);
          const body = JSON.parse(text) as Record<string, unknown>;
          if (res.status === 200) {
            expect(earnsToken(c), `a token for ${JSON.stringify(c)}`).not.toBe(false);
            if (c.grant === 'password') {
              const claims = decodeJwt(body.id_token as string);
              expect(claims.sub).toBe(subjects[c.username.toLowerCase()]);
              if (claims.email !== undefined) expect(claims.email).toBe(c.username.toLowerCase());
            }
          } else {
            expect([400, 401, 403]).toContain(res.status);
            expect(TOKEN_ERRORS.has(body.error as string), text).toBe(true);
            // Dex's sub-statuses of the same error are not asserted; but a correct request is never refused.
            if (earnsToken(c) === true && ['openid email groups', 'openid'].includes(c.scope))
              expect.fail(`refused a request that earns a token: ${text} for ${JSON.stringify(c)}`);
          }
        }),
      ),
      fuzzParameters(3_000),
    );
  }, 300_000);

  test("its other endpoints: no 5xx, and userinfo names only the token's own user", async () => {
    const tokens = await Promise.all(USERS.map((u) => lab.token({ user: u })));
    const alice = tokens[0]!;
    const path = fc.constantFrom(
      '/auth',
      '/auth/local',
      '/auth/local/login',
      '/approval',
      '/userinfo',
      '/keys',
      '/.well-known/openid-configuration',
      '/token',
      '/device/code',
      '/callback',
      '/healthz',
      '/x/../keys',
      '/static/main.css',
    );
    const query = fc.dictionary(
      fc.constantFrom(
        'client_id',
        'redirect_uri',
        'response_type',
        'scope',
        'state',
        'nonce',
        'code_challenge',
        'req',
        'back',
        'x',
      ),
      fc.oneof(
        fc.constantFrom('oauth2-proxy', 'http://127.0.0.1:4180/oauth2/callback', 'code', 'openid'),
        anyText,
      ),
      { maxKeys: 5 },
    );
    const bearer = fc.oneof(
      fc.constantFrom(...tokens),
      fc.nat({ max: alice.length - 1 }).map((i) => alice.slice(0, i)),
      fc
        .tuple(fc.nat({ max: alice.length - 1 }), fc.constantFrom('A', '-', '.'))
        .map(([i, ch]) => alice.slice(0, i) + ch + alice.slice(i + 1)),
      anyText,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        path,
        query,
        fc.option(bearer, { nil: undefined }),
        counted('other endpoints', async (method, p, q, token) => {
          const headers = new Headers();
          // A control character is refused by fetch itself before any request is made.
          // eslint-disable-next-line no-control-regex
          if (token !== undefined && /[\x00-\x1f\x7f]/.test(token)) return;
          if (token !== undefined) {
            try {
              headers.set('authorization', `Bearer ${token}`);
            } catch {
              return;
            }
          }
          const res = await fetch(`${lab.issuer}${p}?${new URLSearchParams(q)}`, {
            method,
            headers,
            redirect: 'manual',
            ...(method !== 'GET' && { body: new URLSearchParams(q).toString() }),
          });
          const text = await res.text();
          expect(res.status, `${method} ${p}: ${text.slice(0, 300)}`).toBeLessThan(500);
          if (p === '/userinfo' && res.status === 200) {
            const who = (JSON.parse(text) as { email?: string }).email;
            const owner = USERS.find((_, i) => tokens[i] === token);
            // A token that still verifies after a mutation (base64's unused bits) is the same user's.
            expect(
              who === `${owner}@example.com` || (owner === undefined && who === 'alice@example.com'),
              text,
            ).toBe(true);
          }
        }),
      ),
      fuzzParameters(1_500),
    );
    expect((await fetch(`${lab.issuer}/.well-known/openid-configuration`)).status).toBe(200);
  }, 300_000);
});
