// Browser sessions without a browser: /oauth2/start → the lab IdP's login page → /oauth2/callback →
// `_oauth2_proxy`, then what the cookie does as the lab clock moves (oauth2-proxy-and-dex.md §A1, §A5).
import { describe, expect, test } from 'vitest';
import { sealSession } from '../../../src/proxy/session/cookie-codec.js';
import { sessionSetCookies } from '../../../src/proxy/session/cookie-chunks.js';
import { browserLogin } from '../helpers.js';
import { proxyLab, proxyLines, type Echoed, type ProxyLab } from './support.js';

const COOKIE_SHAPE =
  /^_oauth2_proxy=[A-Za-z0-9_=-]+\|\d+\|[A-Za-z0-9_=-]+; Path=\/; Max-Age=604800; HttpOnly$/;

/** Signs in through the proxy as a browser would; returns the session cookie pair and the final redirect. */
async function signIn(
  p: ProxyLab,
  who: Record<string, string> = { login: 'alice@example.com', password: 'alice-password' },
) {
  const start = await p.request('/oauth2/start?rd=%2Fexperiments%3Fx%3D1');
  expect(start.status).toBe(302);
  const csrf = start.headers.getSetCookie().find((c) => c.startsWith('_oauth2_proxy_csrf='))!;
  expect(csrf).toMatch(
    /^_oauth2_proxy_csrf=[A-Za-z0-9_=-]+\|\d+\|[A-Za-z0-9_=-]+; Path=\/; Max-Age=900; HttpOnly$/,
  );
  const authorize = new URL(start.headers.get('location')!);
  const callbackBase = `${p.url}/oauth2/callback`;
  expect(authorize.searchParams.get('redirect_uri')).toBe(callbackBase);
  const login = await browserLogin(authorize, callbackBase, who);
  expect(login.callback, login.lastBody).toBeDefined();
  const callback = await p.request(`${login.callback!.pathname}${login.callback!.search}`, {
    headers: { cookie: csrf.split(';')[0]! },
  });
  return { callback, cookies: callback.headers.getSetCookie() };
}

describe('browser sign-in through the proxy (§A5 /oauth2/start, /oauth2/callback)', () => {
  test('alice signs in, gets _oauth2_proxy, and reaches the upstream with her headers and access token', async () => {
    const p = await proxyLab();
    const { callback, cookies } = await signIn(p);
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe('/experiments?x=1');
    // The CSRF cookie is cleared and the session cookie set, with Max-Age and no Expires (§A1).
    expect(cookies).toHaveLength(2);
    expect(cookies[0]).toBe('_oauth2_proxy_csrf=; Path=/; Max-Age=0; HttpOnly');
    expect(cookies[1]).toMatch(COOKIE_SHAPE);
    const session = cookies[1]!.split(';')[0]!;

    const res = await p.request('/experiments?x=1', { headers: { cookie: session } });
    expect(res.status).toBe(200);
    expect(res.headers.get('gap-auth')).toBe('alice@example.com');
    const echoed = (await res.json()) as Echoed;
    expect(echoed.headers['x-forwarded-email']).toBe('alice@example.com');
    expect(echoed.headers['x-forwarded-groups']).toBe('team-a-editors');
    expect(echoed.headers['x-forwarded-access-token']).toMatch(/^ey/);
    expect(echoed.headers.authorization).toBeUndefined();
    expect(
      proxyLines(p.logs).some((l) =>
        /\[AuthSuccess\] Authenticated via OAuth2: Session\{email:alice@example\.com user:\S+ PreferredUsername:alice token:true id_token:true created:.* expires:.* refresh_token:false groups:\[team-a-editors\]\}$/.test(
          l,
        ),
      ),
    ).toBe(true);
  });

  test('the cookie works until the lab clock passes cookie-expire (168h), then it is cleared', async () => {
    const p = await proxyLab();
    const { cookies } = await signIn(p);
    const session = cookies[1]!.split(';')[0]!;
    // Past the ID token's 24h: with cookie-refresh 0 ExpiresOn is never checked (§A1 "Expiry and refresh").
    p.lab.clock.advance('167h');
    expect((await p.request('/x', { headers: { cookie: session } })).status).toBe(200);
    p.lab.clock.advance('1h');
    const res = await p.request('/x', { headers: { cookie: session } });
    expect(res.status).toBe(403);
    // Cleared by the loader, then once more by the sign-in page (both call ClearSessionCookie).
    expect(res.headers.getSetCookie()).toEqual([
      '_oauth2_proxy=; Path=/; Max-Age=0; HttpOnly',
      '_oauth2_proxy=; Path=/; Max-Age=0; HttpOnly',
    ]);
    await expect(res.text()).resolves.toContain('<title>Sign In</title>');
    expect(proxyLines(p.logs)).toContain(
      '[TS] [stored_session.go:121] Error loading cookied session: cookie signature not valid, removing session',
    );
  });

  test('cookie-refresh without a refresh token: not refreshed, then "session is expired" once ExpiresOn passes', async () => {
    const p = await proxyLab({ 'cookie-refresh': '1h' });
    const { cookies } = await signIn(p);
    const session = cookies[1]!.split(';')[0]!;
    p.lab.clock.advance('2h');
    expect((await p.request('/x', { headers: { cookie: session } })).status).toBe(200);
    expect(proxyLines(p.logs)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^\[TS\] \[stored_session\.go:205\] Refreshing session - User: \S+; SessionAge: (2h0m0s|1h59m59\.\d+s)$/,
        ),
        expect.stringMatching(
          /^\[TS\] \[stored_session\.go:255\] Session not refreshed - User: \S+; no refresh token available or provider returned false$/,
        ),
      ]),
    );
    p.lab.clock.advance('23h');
    const res = await p.request('/x', { headers: { cookie: session, accept: 'application/json' } });
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual(['_oauth2_proxy=; Path=/; Max-Age=0; HttpOnly']);
    expect(proxyLines(p.logs)).toContainEqual(
      expect.stringMatching(
        /^\[TS\] \[stored_session\.go:121\] Error loading cookied session: error refreshing access token for session \(Session\{email:alice@example\.com .*\}\): session is expired, removing session$/,
      ),
    );
  });

  test('cookie-refresh with offline_access: the refresh token renews the session and the cookie', async () => {
    const p = await proxyLab({ 'cookie-refresh': '1h', scope: 'openid email profile groups offline_access' });
    const { cookies } = await signIn(p);
    const first = cookies[1]!.split(';')[0]!;
    p.lab.clock.advance('2h');
    const res = await p.request('/x', { headers: { cookie: first } });
    expect(res.status).toBe(200);
    // The refreshed session is saved: a new cookie, stamped now, with the full Max-Age again.
    const renewed = res.headers.getSetCookie();
    expect(renewed).toHaveLength(1);
    expect(renewed[0]).toMatch(COOKIE_SHAPE);
    expect(renewed[0]!.split(';')[0]).not.toBe(first);
    expect(proxyLines(p.logs).some((l) => l.includes('Session not refreshed'))).toBe(false);
    // 30h later the first ID token has long expired, but the renewed session carries fresh tokens.
    p.lab.clock.advance('23h');
    const later = await p.request('/x', { headers: { cookie: renewed[0]!.split(';')[0]! } });
    expect(later.status).toBe(200);
    expect(((await later.json()) as Echoed).headers['x-forwarded-email']).toBe('alice@example.com');
  });

  test('a tampered cookie: "cookie signature not valid", every session cookie cleared, anonymous', async () => {
    const p = await proxyLab();
    const { cookies } = await signIn(p);
    const [name, value] = cookies[1]!.split(';')[0]!.split('=') as [string, string];
    const tampered = `${name}=${value.replace(/\|(\d+)\|/, (_, ts: string) => `|${Number(ts) + 1}|`)}`;
    const res = await p.request('/x', {
      headers: { cookie: `${tampered}; _oauth2_proxy_1=stale; _oauth2_proxy_csrf=x` },
    });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([
      '_oauth2_proxy=; Path=/; Max-Age=0; HttpOnly',
      '_oauth2_proxy_1=; Path=/; Max-Age=0; HttpOnly',
      // The sign-in page clears them once more, as SignInPage calls ClearSessionCookie again.
      '_oauth2_proxy=; Path=/; Max-Age=0; HttpOnly',
      '_oauth2_proxy_1=; Path=/; Max-Age=0; HttpOnly',
    ]);
  });

  test('chunked sessions: _0.._N load; a missing middle chunk fails; _1 without _0 is no cookie at all', async () => {
    const secret = 'a'.repeat(32);
    const p = await proxyLab({ 'cookie-secret': secret });
    const value = sealSession(
      {
        email: 'alice@example.com',
        user: 'alice-sub',
        groups: Array.from({ length: 900 }, (_, i) => `group-${i}`),
        accessToken: 'token',
      },
      { secret, now: p.lab.clock.now() },
    );
    const { headers, split } = sessionSetCookies('_oauth2_proxy', value, {
      path: '/',
      maxAge: 604800,
      httpOnly: true,
      secure: false,
      sameSite: '',
    });
    expect(split).toBe(true);
    expect(headers.length).toBeGreaterThanOrEqual(3);
    const pairs = headers.map((h) => h.split(';')[0]!);
    const ok = await p.request('/x', { headers: { cookie: pairs.join('; ') } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Echoed).headers['x-forwarded-groups']).toMatch(
      /^group-0,group-1,.*,group-899$/,
    );

    const missing = await p.request('/x', { headers: { cookie: [pairs[0], pairs[2]].join('; ') } });
    expect(missing.status).toBe(403);
    expect(missing.headers.getSetCookie().slice(0, 2)).toEqual([
      '_oauth2_proxy_0=; Path=/; Max-Age=0; HttpOnly',
      '_oauth2_proxy_2=; Path=/; Max-Age=0; HttpOnly',
    ]);

    const before = proxyLines(p.logs).filter((l) => l.includes('Error loading cookied session')).length;
    const orphan = await p.request('/x', {
      headers: { cookie: pairs.slice(1).join('; '), accept: 'application/json' },
    });
    expect(orphan.status).toBe(401);
    expect(proxyLines(p.logs).filter((l) => l.includes('Error loading cookied session'))).toHaveLength(
      before,
    );
  });

  test('a session too big for one cookie is split on callback, with oauth2-proxy’s warning', async () => {
    const p = await proxyLab(
      {},
      { edit: (cfg) => (cfg.users[0].groups = Array.from({ length: 120 }, (_, i) => `team-${i}`)) },
    );
    const { cookies } = await signIn(p);
    const names = cookies.slice(1).map((c) => c.slice(0, c.indexOf('=')));
    expect(names.slice(0, 2)).toEqual(['_oauth2_proxy_0', '_oauth2_proxy_1']);
    for (const c of cookies.slice(1)) expect(c.length).toBeLessThanOrEqual(4000);
    expect(proxyLines(p.logs)).toContain(
      '[TS] [session_store.go:165] WARNING: Multiple cookies are required for this session as it exceeds the 4kb cookie limit. Please use server side session storage (eg. Redis) instead.',
    );
    const res = await p.request('/x', {
      headers: {
        cookie: cookies
          .slice(1)
          .map((c) => c.split(';')[0])
          .join('; '),
      },
    });
    expect(res.status).toBe(200);
  });

  test('sign-out clears the session and the next request needs a login again', async () => {
    const p = await proxyLab();
    const { cookies } = await signIn(p);
    const session = cookies[1]!.split(';')[0]!;
    const out = await p.request('/oauth2/sign_out?rd=%2Fbye', { headers: { cookie: session } });
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe('/bye');
    expect(out.headers.getSetCookie()).toEqual(['_oauth2_proxy=; Path=/; Max-Age=0; HttpOnly']);
  });
});
