// The proxy's own endpoints under /oauth2 (oauth2-proxy-and-dex.md §A5 "Endpoints", §A2 "Exact bodies and
// headers"): /oauth2/auth, /oauth2/userinfo, /oauth2/sign_out, /oauth2/sign_in and the callback's error paths.
import { describe, expect, test } from 'vitest';
import { sealSession } from '../../../src/proxy/session/cookie-codec.js';
import { claimsOf } from '../helpers.js';
import { proxyLab, proxyLines } from './support.js';

const NO_CACHE = {
  expires: 'Thu, 01 Jan 1970 00:00:00 UTC',
  'cache-control': 'no-cache, no-store, must-revalidate, max-age=0',
  'x-accel-expires': '0',
};

/** Go's http.Error headers and body. */
async function expectHttpError(res: Response, status: number, text: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  await expect(res.text()).resolves.toBe(`${text}\n`);
}

const CLEAR = (name: string) => `${name}=; Path=/; Max-Age=0; HttpOnly`;

describe('/oauth2/auth', () => {
  test('no session: 401 Unauthorized\\n, text/plain, nosniff, and no no-cache headers', async () => {
    const p = await proxyLab();
    const res = await p.request('/oauth2/auth');
    expect(res.headers.get('cache-control')).toBeNull();
    expect(res.headers.get('expires')).toBeNull();
    expect(res.headers.get('x-accel-expires')).toBeNull();
    await expectHttpError(res, 401, 'Unauthorized');
  });

  test("alice's bearer: 202, empty body, GAP-Auth; no X-Auth-Request-* without set-xauthrequest", async () => {
    const p = await proxyLab();
    const token = await p.lab.token({ user: 'alice' });
    const res = await p.request('/oauth2/auth', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(202);
    await expect(res.text()).resolves.toBe('');
    expect(res.headers.get('gap-auth')).toBe('alice@example.com');
    expect([...res.headers.keys()].filter((k) => k.startsWith('x-auth-request-'))).toEqual([]);
    expect(res.headers.get('cache-control')).toBeNull();
    expect(p.upstream.requests).toHaveLength(0);
  });

  test('set-xauthrequest: the X-Auth-Request-* response headers (access token too, with pass-access-token)', async () => {
    const p = await proxyLab({ 'set-xauthrequest': true });
    const token = await p.lab.token({ user: 'alice' });
    const res = await p.request('/oauth2/auth', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(202);
    expect(Object.fromEntries([...res.headers].filter(([k]) => k.startsWith('x-auth-request-')))).toEqual({
      'x-auth-request-user': claimsOf(token).sub,
      'x-auth-request-email': 'alice@example.com',
      'x-auth-request-preferred-username': 'alice',
      'x-auth-request-groups': 'team-a-editors',
      'x-auth-request-access-token': token,
    });
    // mallory has no groups: an empty value is left out, not sent empty.
    const mallory = await p.lab.token({ user: 'mallory' });
    const m = await p.request('/oauth2/auth', { headers: { authorization: `Bearer ${mallory}` } });
    expect(m.status).toBe(202);
    expect(m.headers.get('x-auth-request-email')).toBe('mallory@example.com');
    expect(m.headers.has('x-auth-request-groups')).toBe(false);
  });

  test('?allowed_groups= not satisfied: 403 Forbidden\\n; satisfied: 202', async () => {
    const p = await proxyLab();
    const token = await p.lab.token({ user: 'alice' });
    const auth = { authorization: `Bearer ${token}` };
    await expectHttpError(
      await p.request('/oauth2/auth?allowed_groups=nope', { headers: auth }),
      403,
      'Forbidden',
    );
    await expectHttpError(
      await p.request('/oauth2/auth?allowed_emails=bob@example.com', { headers: auth }),
      403,
      'Forbidden',
    );
    expect(
      (await p.request('/oauth2/auth?allowed_groups=nope,team-a-editors', { headers: auth })).status,
    ).toBe(202);
    expect(
      (await p.request('/oauth2/auth?allowed_groups=nope&allowed_groups=team-a-editors', { headers: auth }))
        .status,
    ).toBe(202);
  });

  test('allowed-group set: mallory is 401 here (not the 403 page), with the auth log line', async () => {
    const p = await proxyLab({ 'allowed-group': ['team-a-editors'] });
    const mallory = await p.lab.token({ user: 'mallory' });
    const res = await p.request('/oauth2/auth', { headers: { authorization: `Bearer ${mallory}` } });
    await expectHttpError(res, 401, 'Unauthorized');
    expect(proxyLines(p.logs)).toContainEqual(
      expect.stringMatching(
        /\[AuthFailure\] Invalid authorization via session \(unauthorized\): removing session Session\{email:mallory@example\.com /,
      ),
    );
    const alice = await p.lab.token({ user: 'alice' });
    expect((await p.request('/oauth2/auth', { headers: { authorization: `Bearer ${alice}` } })).status).toBe(
      202,
    );
  });
});

describe('/oauth2/userinfo', () => {
  test('401 Unauthorized\\n without a session; alice gets the camelCase JSON with a trailing newline', async () => {
    const p = await proxyLab();
    const anon = await p.request('/oauth2/userinfo');
    expect(Object.fromEntries(anon.headers)).toMatchObject(NO_CACHE);
    await expectHttpError(anon, 401, 'Unauthorized');

    const token = await p.lab.token({ user: 'alice' });
    const res = await p.request('/oauth2/userinfo', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(Object.fromEntries(res.headers)).toMatchObject(NO_CACHE);
    await expect(res.text()).resolves.toBe(
      `{"user":"${claimsOf(token).sub}","email":"alice@example.com","groups":["team-a-editors"],"preferredUsername":"alice"}\n`,
    );
  });

  test('empty fields are omitted (mallory has no groups)', async () => {
    const p = await proxyLab();
    const token = await p.lab.token({ user: 'mallory' });
    const res = await p.request('/oauth2/userinfo', { headers: { authorization: `Bearer ${token}` } });
    await expect(res.text()).resolves.toBe(
      `{"user":"${claimsOf(token).sub}","email":"mallory@example.com","preferredUsername":"mallory"}\n`,
    );
  });
});

describe('/oauth2/sign_out', () => {
  test('302 to / by default, to a valid rd, and to / for an off-site rd', async () => {
    const p = await proxyLab();
    for (const [query, location] of [
      ['', '/'],
      ['?rd=%2Fafter', '/after'],
      ['?rd=https%3A%2F%2Fevil.com%2F', '/'],
      ['?rd=%2F%2Fevil.com', '/'],
      ['?rd=%2F%5Cevil.com', '/'],
    ] as const) {
      const res = await p.request(`/oauth2/sign_out${query}`);
      expect(res.status, query).toBe(302);
      expect(res.headers.get('location'), query).toBe(location);
      expect(Object.fromEntries(res.headers)).toMatchObject({
        ...NO_CACHE,
        'content-type': 'text/html; charset=utf-8',
      });
      await expect(res.text()).resolves.toBe(`<a href="${location}">Found</a>.\n\n`);
      // No session cookie presented, nothing to clear.
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    expect(proxyLines(p.logs).filter((l) => /director|validator/.test(l))).toEqual([
      '[TS] [validator.go:60] Rejecting invalid redirect "https://evil.com/": domain / port not in whitelist',
      '[TS] [director.go:85] Invalid redirect provided in rd querystring parameter: https://evil.com/',
      '[TS] [validator.go:63] Rejecting invalid redirect "//evil.com": not an absolute or relative URL',
      '[TS] [director.go:85] Invalid redirect provided in rd querystring parameter: //evil.com',
      '[TS] [validator.go:63] Rejecting invalid redirect "/\\\\evil.com": not an absolute or relative URL',
      '[TS] [director.go:85] Invalid redirect provided in rd querystring parameter: /\\evil.com',
    ]);
  });

  test('clears every presented session cookie (_oauth2_proxy, _oauth2_proxy_1) but not _oauth2_proxy_csrf', async () => {
    const secret = 'b'.repeat(32);
    const p = await proxyLab({ 'cookie-secret': secret });
    const session = sealSession(
      { email: 'alice@example.com', user: 'alice-sub', accessToken: 'at' },
      { secret, now: p.lab.clock.now() },
    );
    const res = await p.request('/oauth2/sign_out?rd=%2Fafter', {
      headers: {
        cookie: `_oauth2_proxy=${session}; _oauth2_proxy_1=stale; _oauth2_proxy_csrf=keep; other=1`,
      },
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/after');
    expect(res.headers.getSetCookie()).toEqual([CLEAR('_oauth2_proxy'), CLEAR('_oauth2_proxy_1')]);
    // The session was valid: nothing was logged about loading it.
    expect(proxyLines(p.logs).filter((l) => l.includes('Error loading cookied session'))).toEqual([]);
  });
});

describe('/oauth2/sign_in', () => {
  test('GET: 200 sign-in page with no-cache headers, and the session cookie cleared', async () => {
    const p = await proxyLab();
    const res = await p.request('/oauth2/sign_in?rd=%2Fback', {
      headers: { cookie: '_oauth2_proxy=whatever; _oauth2_proxy_csrf=keep' },
    });
    expect(res.status).toBe(200);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      ...NO_CACHE,
      'content-type': 'text/html; charset=utf-8',
    });
    expect(res.headers.getSetCookie()).toEqual([CLEAR('_oauth2_proxy')]);
    const html = await res.text();
    expect(html).toContain('<title>Sign In</title>');
    expect(html).toContain('Sign in with OpenID Connect');
    expect(html).toContain('value="/back"');
    // The sign-in endpoint runs before the session loaders: the cookie is not even read.
    expect(proxyLines(p.logs).filter((l) => l.includes('Error loading cookied session'))).toEqual([]);
  });
});

describe('/oauth2/callback errors (§A2 "Specific messages")', () => {
  test('?error=access_denied: 403 page with the IdP error, logged', async () => {
    const p = await proxyLab();
    const res = await p.request('/oauth2/callback?error=access_denied&state=x:/');
    expect(res.status).toBe(403);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      ...NO_CACHE,
      'content-type': 'text/html; charset=utf-8',
    });
    const html = await res.text();
    expect(html).toContain('<title>403 Forbidden</title>');
    expect(html).toContain('Login Failed: The upstream identity provider returned an error: access_denied');
    expect(proxyLines(p.logs)).toContain(
      '[TS] [oauthproxy.go:902] Error while parsing OAuth2 callback: access_denied',
    );
  });

  test('no CSRF cookie: 403 "Unable to find a valid CSRF token", and the auth log line', async () => {
    const p = await proxyLab();
    const res = await p.request('/oauth2/callback?code=abc&state=nonce123:/after', {
      headers: { 'x-request-id': 'req-cb' },
    });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('Login Failed: Unable to find a valid CSRF token. Please try again.');
    expect(proxyLines(p.logs)).toContain(
      '127.0.0.1 - req-cb - - [TS] [AuthFailure] Invalid authentication via OAuth2: unable to obtain CSRF cookie: http: named cookie not present (state=nonce123)',
    );
  });

  test('state without a colon: 500 page', async () => {
    const p = await proxyLab();
    const res = await p.request('/oauth2/callback?code=abc&state=nocolon');
    expect(res.status).toBe(500);
    const html = await res.text();
    expect(html).toContain('<title>500 Internal Server Error</title>');
    expect(html).toContain(
      'Oops! Something went wrong. For more information contact your server administrator.',
    );
    expect(proxyLines(p.logs)).toContain(
      '[TS] [oauthproxy.go:910] Error while parsing OAuth2 state: invalid length',
    );
  });
});
