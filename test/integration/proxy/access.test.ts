// Who gets through to the upstream and with which headers (oauth2-proxy-and-dex.md §A2 decision flow, §A4
// stripping and injection, §A5 access flags), against the real lab IdP and an echo upstream.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { claimsOf } from '../helpers.js';
import { proxyLab, proxyLines, type Echoed, type ProxyLab } from './support.js';

const NO_CACHE = {
  expires: 'Thu, 01 Jan 1970 00:00:00 UTC',
  'cache-control': 'no-cache, no-store, must-revalidate, max-age=0',
  'x-accel-expires': '0',
};

const SPOOFED_NAMES = ['User', 'Email', 'Groups', 'Preferred-Username', 'Access-Token'];

/** Every spelling of every X-Forwarded-* header the proxy injects, as raw header pairs with the value `spoofed`. */
function spoofedHeaders(): string[] {
  const raw: string[] = [];
  for (const name of SPOOFED_NAMES) {
    const canonical = `X-Forwarded-${name}`;
    for (const spelling of [
      canonical,
      canonical.toLowerCase(),
      canonical.toUpperCase(),
      canonical.replaceAll('-', '_'),
      canonical.toLowerCase().replaceAll('-', '_'),
      canonical.toUpperCase().replaceAll('-', '_'),
    ])
      raw.push(spelling, `spoofed-${spelling}`);
  }
  return raw;
}

/** A request through node:http, which (unlike fetch) sends header names with underscores as written. */
function rawRequest(
  p: ProxyLab,
  pathname: string,
  rawHeaders: string[],
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(p.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: url.hostname,
        port: url.port,
        path: pathname,
        method,
        // An array of raw pairs is sent as written, so Host must be among them.
        headers: ['Host', url.host, ...rawHeaders],
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const normalise = (name: string) => name.toLowerCase().replaceAll('_', '-');
const INJECTED = new Set(SPOOFED_NAMES.map((n) => `x-forwarded-${n.toLowerCase()}`));

/** The upstream's view of the request's X-Forwarded-* identity headers, every spelling. */
function identityHeaders(echoed: Echoed): Record<string, unknown> {
  return Object.fromEntries(Object.entries(echoed.headers).filter(([k]) => INJECTED.has(normalise(k))));
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Go's http.Redirect body escaping for the URL (`&` → `&amp;`, quotes as numeric references). */
const goHtmlEscape = (s: string) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&#34;')
    .replaceAll("'", '&#39;');

/** Go's url.QueryEscape: everything but unreserved bytes escaped, space as `+`. */
const queryEscape = (s: string) =>
  encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+');

async function authorizationEndpoint(p: ProxyLab): Promise<string> {
  const doc = (await (await fetch(`${p.lab.issuer}/.well-known/openid-configuration`)).json()) as {
    authorization_endpoint: string;
  };
  return doc.authorization_endpoint;
}

describe('spoofing protection (§A4 "Stripping")', () => {
  test('anonymous request on a skip-auth route: no spelling of the identity headers reaches the upstream', async () => {
    const p = await proxyLab({ 'skip-auth-route': ['^/public'] });
    const res = await rawRequest(p, '/public/x', [...spoofedHeaders(), 'X-Forwarded-For', '1.2.3.4']);
    expect(res.status).toBe(200);
    expect(p.upstream.requests).toHaveLength(1);
    const echoed = p.upstream.requests[0]!;
    expect(identityHeaders(echoed)).toEqual({});
    expect(JSON.stringify(echoed.headers)).not.toContain('spoofed');
    expect(echoed.headers['x-forwarded-for']).toBe('1.2.3.4, 127.0.0.1');
    // No session, so no GAP-Auth.
    expect(res.headers['gap-auth']).toBeUndefined();
  });

  test("alice's bearer request: every spelling replaced by her real values; Authorization passes unchanged", async () => {
    const p = await proxyLab();
    const token = await p.lab.token({ user: 'alice' });
    const res = await rawRequest(p, '/x?y=1', [
      ...spoofedHeaders(),
      'Authorization',
      `Bearer ${token}`,
      'X-Forwarded-For',
      '1.2.3.4',
    ]);
    expect(res.status).toBe(200);
    expect(res.headers['gap-auth']).toBe('alice@example.com');
    const echoed = p.upstream.requests[0]!;
    expect(identityHeaders(echoed)).toEqual({
      'x-forwarded-user': claimsOf(token).sub,
      'x-forwarded-email': 'alice@example.com',
      'x-forwarded-groups': 'team-a-editors',
      'x-forwarded-preferred-username': 'alice',
      'x-forwarded-access-token': token,
    });
    expect(JSON.stringify(echoed.headers)).not.toContain('spoofed');
    expect(echoed.headers.authorization).toBe(`Bearer ${token}`);
    expect(echoed.headers['x-forwarded-for']).toBe('1.2.3.4, 127.0.0.1');
    expect(echoed.url).toBe('/x?y=1');
  });

  test('pass-access-token false: X-Forwarded-Access-Token is neither injected nor stripped', async () => {
    const p = await proxyLab({ 'pass-access-token': false });
    const token = await p.lab.token({ user: 'alice' });
    const res = await p.request('/x', {
      headers: { authorization: `Bearer ${token}`, 'x-forwarded-access-token': 'client-value' },
    });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as Echoed;
    expect(echoed.headers['x-forwarded-access-token']).toBe('client-value');
  });

  test('pass-authorization-header: the upstream gets Bearer <id token> of the session, a spoofed one is stripped', async () => {
    const p = await proxyLab({ 'pass-authorization-header': true, 'skip-auth-route': ['^/public'] });
    const token = await p.lab.token({ user: 'alice' });
    const res = await p.request('/x', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as Echoed;
    expect(echoed.headers.authorization).toBe(`Bearer ${token}`);
    expect(echoed.headers['x-forwarded-email']).toBe('alice@example.com');

    // Anonymous on a skip-auth route: the client's Authorization is one of the injected headers, so it goes.
    const anon = await rawRequest(p, '/public', [
      'Authorization',
      'Basic c3Bvb2Y6c3Bvb2Y=',
      'authorization_x',
      'k',
    ]);
    expect(anon.status).toBe(200);
    const echoedAnon = p.upstream.requests.at(-1)!;
    expect(echoedAnon.headers.authorization).toBeUndefined();
    expect(echoedAnon.headers['authorization_x']).toBe('k');
  });

  test('/oauth2/auth with pass-authorization-header still sees the bearer token (stripping is for the upstream)', async () => {
    const p = await proxyLab({ 'pass-authorization-header': true });
    const token = await p.lab.token({ user: 'alice' });
    const res = await p.request('/oauth2/auth', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(202);
    expect(res.headers.get('gap-auth')).toBe('alice@example.com');
  });
});

describe('skip-auth-route, skip-auth-preflight (§A5 "Skip-auth")', () => {
  const json = { accept: 'application/json' };

  test('^/public: any method on a matching path, nothing else', async () => {
    const p = await proxyLab({ 'skip-auth-route': ['^/public'] });
    expect((await p.request('/public/a', { headers: json })).status).toBe(200);
    expect((await p.request('/public', { method: 'POST', headers: json, body: 'x' })).status).toBe(200);
    const denied = await p.request('/private/public', { headers: json });
    expect(denied.status).toBe(401);
    await expect(denied.text()).resolves.toBe('{}');
    expect(p.upstream.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /public/a', 'POST /public']);
  });

  test('GET=^/public: only GET', async () => {
    const p = await proxyLab({ 'skip-auth-route': ['GET=^/public'] });
    expect((await p.request('/public', { headers: json })).status).toBe(200);
    expect((await p.request('/public', { method: 'POST', headers: json, body: 'x' })).status).toBe(401);
    expect((await p.request('/other', { headers: json })).status).toBe(401);
  });

  test('GET!=^/private: GETs anywhere except /private; other methods never', async () => {
    const p = await proxyLab({ 'skip-auth-route': ['GET!=^/private'] });
    expect((await p.request('/anything', { headers: json })).status).toBe(200);
    expect((await p.request('/private/x', { headers: json })).status).toBe(401);
    expect((await p.request('/anything', { method: 'POST', headers: json, body: 'x' })).status).toBe(401);
    expect(p.upstream.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /anything']);
  });

  test('the path is matched without its query', async () => {
    const p = await proxyLab({ 'skip-auth-route': ['^/public$', 'secret=1'] });
    const ok = await p.request('/public?x=1', { headers: json });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Echoed).url).toBe('/public?x=1');
    // A route that only matches the query does not allow anything.
    expect((await p.request('/other?secret=1', { headers: json })).status).toBe(401);
  });

  test('skip-auth-preflight lets OPTIONS through; without it OPTIONS needs a login', async () => {
    const on = await proxyLab({ 'skip-auth-preflight': true });
    const pre = await on.request('/api/x', { method: 'OPTIONS', headers: json });
    expect(pre.status).toBe(200);
    expect(on.upstream.requests.map((r) => r.method)).toEqual(['OPTIONS']);
    expect((await on.request('/api/x', { headers: json })).status).toBe(401);

    const off = await proxyLab();
    expect((await off.request('/api/x', { method: 'OPTIONS', headers: json })).status).toBe(401);
    expect(off.upstream.requests).toHaveLength(0);
  });
});

describe('api-route and force-json-errors (§A2 step 3-4)', () => {
  test('api-route is matched on the request URI including the query: 401 {} instead of the sign-in page', async () => {
    const p = await proxyLab({ 'api-route': ['^/api/', 'format=json'] });
    const html = { accept: 'text/html' };
    for (const path of ['/api/2.0/mlflow/experiments/search', '/ui?format=json']) {
      const res = await p.request(path, { headers: html });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/json');
      await expect(res.text()).resolves.toBe('{}');
    }
    const page = await p.request('/ui', { headers: html });
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('<title>Sign In</title>');
    expect(proxyLines(p.logs).filter((l) => l.includes('No valid authentication'))).toEqual([
      '[TS] [oauthproxy.go:1062] No valid authentication in request. Access Denied.',
      '[TS] [oauthproxy.go:1062] No valid authentication in request. Access Denied.',
      '[TS] [oauthproxy.go:1068] No valid authentication in request. Initiating login.',
    ]);
  });

  test('force-json-errors: 401 {} for anonymous, 403 {} for a denied session', async () => {
    const p = await proxyLab({ 'force-json-errors': true, 'allowed-group': ['team-a-editors'] });
    const anon = await p.request('/x', { headers: { accept: 'text/html' } });
    expect(anon.status).toBe(401);
    expect(anon.headers.get('content-type')).toBe('application/json');
    await expect(anon.text()).resolves.toBe('{}');

    const token = await p.lab.token({ user: 'mallory' });
    const denied = await p.request('/x', {
      headers: { authorization: `Bearer ${token}`, accept: 'text/html' },
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toBe('application/json');
    await expect(denied.text()).resolves.toBe('{}');
    expect(p.upstream.requests).toHaveLength(0);
  });
});

describe('skip-provider-button (§A2 step 3, §A5 /oauth2/start)', () => {
  /** The default oauth2-proxy scope: the lab's `scope:` line is removed. */
  const defaultScope = (cfg: Record<string, any>) => delete cfg.proxy.scope;

  test('302 to the IdP authorize URL, parameters sorted, CSRF cookie, no-cache headers, Go body', async () => {
    const p = await proxyLab({ 'skip-provider-button': true }, { edit: defaultScope });
    const res = await p.request('/experiments/x?a=1&b=2', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    const authorize = await authorizationEndpoint(p);
    const redirectUri = `${p.url}/oauth2/callback`;
    expect(location).toMatch(
      new RegExp(
        `^${reEscape(authorize)}\\?approval_prompt=force&client_id=oauth2-proxy` +
          `&code_challenge=[A-Za-z0-9_-]{43}&code_challenge_method=S256` +
          `&redirect_uri=${reEscape(queryEscape(redirectUri))}&response_type=code` +
          `&scope=openid\\+email\\+profile&state=[A-Za-z0-9_-]{43}${reEscape(queryEscape(':/experiments/x?a=1&b=2'))}$`,
      ),
    );
    expect([...new URL(location).searchParams.keys()]).toEqual([
      'approval_prompt',
      'client_id',
      'code_challenge',
      'code_challenge_method',
      'redirect_uri',
      'response_type',
      'scope',
      'state',
    ]);
    const cookies = res.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(
      /^_oauth2_proxy_csrf=[A-Za-z0-9_=-]+\|\d+\|[A-Za-z0-9_=-]+; Path=\/; Max-Age=900; HttpOnly$/,
    );
    expect(Object.fromEntries(res.headers)).toMatchObject({
      ...NO_CACHE,
      'content-type': 'text/html; charset=utf-8',
    });
    await expect(res.text()).resolves.toBe(`<a href="${goHtmlEscape(location)}">Found</a>.\n\n`);
    expect(proxyLines(p.logs)).toContain(
      '[TS] [oauthproxy.go:1068] No valid authentication in request. Initiating login.',
    );
    expect(p.upstream.requests).toHaveLength(0);
  });

  test('cookie-secure true (the oauth2-proxy default) makes the redirect_uri https even on plain HTTP', async () => {
    const p = await proxyLab({ 'skip-provider-button': true, 'cookie-secure': true });
    const res = await p.request('/x');
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('redirect_uri')).toBe(
      `${p.url.replace(/^http:/, 'https:')}/oauth2/callback`,
    );
    expect(res.headers.getSetCookie()[0]).toMatch(/; Path=\/; Max-Age=900; HttpOnly; Secure$/);
  });

  test('allowed-group adds " groups" to the default scope', async () => {
    const p = await proxyLab({ 'allowed-group': ['team-a-editors'] }, { edit: defaultScope });
    const res = await p.request('/oauth2/start');
    expect(new URL(res.headers.get('location')!).searchParams.get('scope')).toBe(
      'openid email profile groups',
    );
    const plain = await proxyLab({}, { edit: defaultScope });
    const res2 = await plain.request('/oauth2/start');
    expect(new URL(res2.headers.get('location')!).searchParams.get('scope')).toBe('openid email profile');
  });
});

describe('allowed-group and email-domain (§A2 step 4)', () => {
  test('mallory (no group) gets the 403 error page and the auth log line; alice passes', async () => {
    const p = await proxyLab({ 'allowed-group': ['team-a-editors'] });
    const mallory = await p.lab.token({ user: 'mallory' });
    const res = await p.request('/x', {
      headers: {
        authorization: `Bearer ${mallory}`,
        accept: 'application/json',
        'x-request-id': 'req-mallory',
      },
    });
    // isAjax is not consulted for a denied session.
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    // ErrorPage sets no no-cache headers; only /oauth2/* and the sign-in page get them (oauthproxy.go:344, :649).
    expect(res.headers.get('cache-control')).toBeNull();
    const html = await res.text();
    expect(html).toContain('<title>403 Forbidden</title>');
    expect(html).toContain('You do not have permission to access this resource.');
    expect(html).toContain('req-mallory');
    // The appError is only shown with show-debug-on-error.
    expect(html).not.toContain('The session failed authorization checks');
    expect(proxyLines(p.logs)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^127\\.0\\.0\\.1 - req-mallory - mallory@example\\.com \\[TS\\] \\[AuthFailure\\] Invalid authorization via session \\(unauthorized\\): removing session Session\\{email:mallory@example\\.com user:${reEscape(String(claimsOf(mallory).sub))} PreferredUsername:mallory token:true id_token:true created:.* expires:.* refresh_token:false\\}$`,
        ),
      ),
    );

    const alice = await p.lab.token({ user: 'alice' });
    const ok = await p.request('/x', { headers: { authorization: `Bearer ${alice}` } });
    expect(ok.status).toBe(200);
    expect(p.upstream.requests).toHaveLength(1);
  });

  test('show-debug-on-error shows the appError on the denial page', async () => {
    const p = await proxyLab({ 'allowed-group': ['team-a-editors'], 'show-debug-on-error': true });
    const mallory = await p.lab.token({ user: 'mallory' });
    const res = await p.request('/x', { headers: { authorization: `Bearer ${mallory}` } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('The session failed authorization checks');
  });

  test('email-domain other.com: alice gets the 403 page, "(invalid email)" logged; the sign-in page names the domain', async () => {
    const p = await proxyLab({ 'email-domain': ['other.com'] });
    const alice = await p.lab.token({ user: 'alice' });
    const res = await p.request('/x', {
      headers: { authorization: `Bearer ${alice}`, 'x-request-id': 'req-alice' },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('You do not have permission to access this resource.');
    expect(proxyLines(p.logs)).toContainEqual(
      expect.stringMatching(
        /^127\.0\.0\.1 - req-alice - alice@example\.com \[TS\] \[AuthFailure\] Invalid authorization via session \(invalid email\): removing session Session\{email:alice@example\.com .* groups:\[team-a-editors\]\}$/,
      ),
    );
    const page = await p.request('/x', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(403);
    const html = await page.text();
    expect(html).toContain('<title>Sign In</title>');
    expect(html).toContain('Authenticate using other.com');
    // With `*` (the lab's default) there is no banner.
    const star = await proxyLab();
    expect(await (await star.request('/x')).text()).not.toContain('Authenticate using');
  });
});

describe('upstream failures and query constraints (§A2 step 5, "Exact bodies")', () => {
  test('upstream down: 502 page, Go dial error in the log; the proxy keeps serving', async () => {
    const port = await closedPort();
    const p = await proxyLab({ upstream: `http://127.0.0.1:${port}/` });
    const alice = await p.lab.token({ user: 'alice' });
    const res = await p.request('/x', { headers: { authorization: `Bearer ${alice}` } });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<title>502 Bad Gateway</title>');
    expect(html).toContain('There was a problem connecting to the upstream server.');
    expect(proxyLines(p.logs)).toContain(
      `[TS] [error_page.go:96] Error proxying to upstream server: dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
    const again = await p.request('/y', { headers: { authorization: `Bearer ${alice}` } });
    expect(again.status).toBe(502);
    const ping = await p.request('/ping');
    expect(ping.status).toBe(200);
    await expect(ping.text()).resolves.toBe('OK');
  });

  test('?allowed_groups= that the session does not satisfy: 403 Forbidden\\n; a satisfied one passes', async () => {
    const p = await proxyLab();
    const alice = await p.lab.token({ user: 'alice' });
    const res = await p.request('/x?allowed_groups=x', { headers: { authorization: `Bearer ${alice}` } });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    await expect(res.text()).resolves.toBe('Forbidden\n');
    for (const q of ['allowed_emails=bob@example.com', 'allowed_email_domains=other.com'])
      expect((await p.request(`/x?${q}`, { headers: { authorization: `Bearer ${alice}` } })).status).toBe(
        403,
      );
    expect(p.upstream.requests).toHaveLength(0);
    const ok = await p.request('/x?allowed_groups=x,team-a-editors&allowed_email_domains=example.com', {
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(ok.status).toBe(200);
    // The key percent-escaped is the same key (Go's url.ParseQuery decodes it): still a constraint.
    const escaped = await p.request('/x?allowed%5Fgroups=x', {
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(escaped.status).toBe(403);
  });
});
