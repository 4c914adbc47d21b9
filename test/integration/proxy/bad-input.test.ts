// Hostile or broken input at the front door: malformed Authorization headers (oauth2-proxy-and-dex.md §A3
// "Pipeline", "Verification steps"), raw header injection, and garbage session cookies (§A1 "Failure matrix").
// Each is answered as oauth2-proxy would, logged in its words, and the proxy keeps serving.
import net from 'node:net';
import { SignJWT, generateKeyPair } from 'jose';
import { describe, expect, onTestFinished, test } from 'vitest';
import { createAuthProxy } from '../../../src/proxy/create-proxy.js';
import { claimsOf } from '../helpers.js';
import { captureLog, proxyLab, proxyLines, type Echoed, type ProxyLab } from './support.js';

const PREFIX = '[TS] [jwt_session.go:54] Error retrieving session from token in Authorization header: ';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const CLEAR = '_oauth2_proxy=; Path=/; Max-Age=0; HttpOnly';

/** The error-level lines the proxy logged, prefix and timestamp normalised. */
function errorLines(p: ProxyLab): string[] {
  return proxyLines({ ...p.logs, lines: p.logs.lines.filter((l) => l.level === 'error') });
}

async function expectPing(p: ProxyLab) {
  const ping = await p.request('/ping');
  expect(ping.status).toBe(200);
  await expect(ping.text()).resolves.toBe('OK');
}

/** Writes raw bytes to the proxy and returns whatever comes back before the connection closes. */
function rawExchange(p: ProxyLab, bytes: string): Promise<string> {
  const url = new URL(p.url);
  return new Promise((resolve) => {
    // Written, not ended: a half-closed client makes Node drop the request before it is answered.
    const socket = net.connect(Number(url.port), url.hostname, () => socket.write(bytes));
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('close', () => resolve(data));
    socket.on('error', () => resolve(data));
  });
}

describe('malformed Authorization headers (§A3)', () => {
  test('each is logged with oauth2-proxy’s text and the request falls back to anonymous', async () => {
    const p = await proxyLab();
    const token = await p.lab.token({ user: 'alice' });
    const claims = claimsOf(token);
    const { privateKey } = await generateKeyPair('RS256');
    const foreign = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'f'.repeat(40) })
      .sign(privateKey);
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}`;
    const huge = `Bearer ${'A'.repeat(64 * 1024)}`;

    const cases: Array<[string, string]> = [
      ['Bearer', 'invalid authorization header: "Bearer"'],
      ['Bearer abc', 'no valid bearer token found in authorization header'],
      ['Bearer a b', 'invalid authorization header: "Bearer a b"'],
      ['bearer ' + token, 'no valid bearer token found in authorization header'],
      ['Basic !!!', 'invalid basic auth token: illegal base64 data at input byte 0'],
      [`Basic ${b64('user:pass')}`, 'invalid basic auth token found in authorization header'],
      [`Basic ${b64('nocolon')}`, 'invalid format: "nocolon"'],
      [
        'Bearer eyJhbGciOiJSUzI1NiJ9.eyJhb.sig',
        '[unable to verify bearer token, failed to verify token: oidc: malformed jwt: oidc: malformed jwt payload: illegal base64 data at input byte 4]',
      ],
      [
        `Bearer ${foreign}`,
        '[unable to verify bearer token, failed to verify token: failed to verify signature: failed to verify id token signature]',
      ],
      // An unsigned token has an empty third part, which the JWT pattern does not even accept.
      [`Bearer ${none}.`, 'no valid bearer token found in authorization header'],
      [
        `Bearer ${none}.c2ln`,
        '[unable to verify bearer token, failed to verify token: oidc: malformed jwt: go-jose/go-jose: unexpected signature algorithm "none"; expected ["RS256"]]',
      ],
      [huge, 'no valid bearer token found in authorization header'],
    ];

    for (const [header, error] of cases) {
      const before = errorLines(p).length;
      const json = await p.request('/x', { headers: { authorization: header, accept: 'application/json' } });
      expect(json.status, header.slice(0, 40)).toBe(401);
      expect(json.headers.get('content-type')).toBe('application/json');
      await expect(json.text()).resolves.toBe('{}');

      const page = await p.request('/x', { headers: { authorization: header, accept: 'text/html' } });
      expect(page.status, header.slice(0, 40)).toBe(403);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toContain('<title>Sign In</title>');

      expect(errorLines(p).slice(before), header.slice(0, 40)).toEqual([
        `${PREFIX}${error}`,
        `${PREFIX}${error}`,
      ]);
    }
    expect(p.upstream.requests).toHaveLength(0);

    // The good token still works after all of it, with exactly its own identity.
    const ok = await p.request('/x', { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Echoed).headers['x-forwarded-email']).toBe('alice@example.com');
    await expectPing(p);
  });

  test('the valid JWT in a Basic header (user with empty password) authenticates', async () => {
    const p = await proxyLab();
    const token = await p.lab.token({ user: 'alice' });
    const res = await p.request('/x', { headers: { authorization: `Basic ${b64(`${token}:`)}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('gap-auth')).toBe('alice@example.com');
  });
});

describe('header injection over a raw socket', () => {
  test('CR, LF, NUL and folding in header values are refused with 400; nothing reaches the upstream', async () => {
    const p = await proxyLab({ 'skip-auth-route': ['^/public'] });
    const host = new URL(p.url).host;
    const attempts = [
      `GET /public HTTP/1.1\r\nHost: ${host}\r\nX-Forwarded-User: a\rX-Forwarded-Email: admin@evil.com\r\n\r\n`,
      `GET /public HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer x\nX-Forwarded-User: admin\r\n\r\n`,
      `GET /public HTTP/1.1\r\nHost: ${host}\r\nX-Forwarded-User: a\0admin\r\n\r\n`,
      `GET /public HTTP/1.1\r\nHost: ${host}\r\n X-Forwarded-User: admin\r\n\r\n`,
      `GET /public\rX-Forwarded-User: admin HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
    ];
    for (const raw of attempts) {
      const answer = await rawExchange(p, raw);
      // Node's parser answers 400 and closes the connection; the request is never proxied.
      expect(answer, JSON.stringify(raw)).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    }
    expect(p.upstream.requests).toHaveLength(0);
    await expectPing(p);
  });

  test('a header line that only looks injected after the request line is an ordinary, stripped header', async () => {
    const p = await proxyLab({ 'skip-auth-route': ['^/public'] });
    const host = new URL(p.url).host;
    const answer = await rawExchange(
      p,
      `GET /public HTTP/1.1\r\nHost: ${host}\r\nX-Forwarded-User: admin\r\nX_Forwarded_Email: admin@evil.com\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(p.upstream.requests).toHaveLength(1);
    const echoed = p.upstream.requests[0]!;
    expect(JSON.stringify(echoed.headers)).not.toContain('admin');
  });
});

describe('garbage session cookies (§A1 "Failure matrix")', () => {
  const LOG =
    '[TS] [stored_session.go:121] Error loading cookied session: cookie signature not valid, removing session';

  test('garbage, a|b|c and a 5000-byte value: logged, cleared, and the request goes on anonymous', async () => {
    const p = await proxyLab({ 'skip-auth-route': ['^/public'] });
    for (const value of [
      'garbage',
      'a|b|c',
      'A'.repeat(5000),
      `${'a'.repeat(20)}|${Math.floor(Date.now() / 1000)}|x`,
    ]) {
      const before = errorLines(p).length;
      const json = await p.request('/x', {
        headers: { cookie: `_oauth2_proxy=${value}`, accept: 'application/json' },
      });
      expect(json.status).toBe(401);
      await expect(json.text()).resolves.toBe('{}');
      expect(json.headers.getSetCookie()).toEqual([CLEAR]);

      // On a skip-auth route the upstream answers, anonymous, and the clearing cookie rides on its response.
      const pub = await p.request('/public', { headers: { cookie: `_oauth2_proxy=${value}` } });
      expect(pub.status).toBe(200);
      expect(pub.headers.getSetCookie()).toEqual([CLEAR]);
      const echoed = (await pub.json()) as Echoed;
      expect(echoed.headers['x-forwarded-user']).toBeUndefined();
      expect(echoed.headers['x-forwarded-email']).toBeUndefined();
      expect(pub.headers.get('gap-auth')).toBeNull();

      expect(errorLines(p).slice(before)).toEqual([LOG, LOG]);
    }
    await expectPing(p);
  });

  test('a valid bearer token wins: the garbage cookie is not even read', async () => {
    const p = await proxyLab();
    const token = await p.lab.token({ user: 'alice' });
    const res = await p.request('/x', {
      headers: { authorization: `Bearer ${token}`, cookie: '_oauth2_proxy=garbage' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(errorLines(p)).toEqual([]);
  });
});

describe('an in-process upstream that fails', () => {
  test('a handler that rejects is answered 500 with a log line, and the proxy goes on serving', async () => {
    const { lab } = await proxyLab();
    const logs = captureLog();
    const proxy = await createAuthProxy({
      options: lab.proxy!.options,
      port: 0,
      log: logs.log,
      upstreamHandler: () => Promise.reject(new Error('upstream handler broke')),
    });
    onTestFinished(() => proxy.dispose());
    const token = await lab.token({ user: 'alice' });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(new URL('/api/2.0/mlflow/experiments/search', proxy.url), {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(500);
      expect(await res.text()).toContain('<title>500 Internal Server Error</title>');
    }
    expect(logs.text()).toContain('Unexpected internal error: upstream handler broke');
  });
});
