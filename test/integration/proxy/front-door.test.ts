// The proxy as a user meets it with a bearer token or nothing at all (oauth2-proxy-and-dex.md §A2, §A3, §A4),
// against the real lab IdP and an echo upstream. Every status, header and body text is asserted exactly.
import { describe, expect, test } from 'vitest';
import { claimsOf } from '../helpers.js';
import { proxyLab, proxyLines, type Echoed } from './support.js';

const NO_CACHE = {
  expires: 'Thu, 01 Jan 1970 00:00:00 UTC',
  'cache-control': 'no-cache, no-store, must-revalidate, max-age=0',
  'x-accel-expires': '0',
};

describe('bearer tokens through the proxy (§A3, §A4)', () => {
  test("alice's token reaches the upstream with her X-Forwarded-* headers and GAP-Auth", async () => {
    const p = await proxyLab();
    const token = await p.lab.token({ user: 'alice' });
    const res = await p.request('/api/2.0/mlflow/experiments/search?max_results=5', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('gap-auth')).toBe('alice@example.com');
    expect(res.headers.get('x-upstream')).toBe('echo');
    const echoed = (await res.json()) as Echoed;
    expect(echoed.url).toBe('/api/2.0/mlflow/experiments/search?max_results=5');
    expect(echoed.headers).toMatchObject({
      'x-forwarded-email': 'alice@example.com',
      'x-forwarded-groups': 'team-a-editors',
      'x-forwarded-user': claimsOf(token).sub,
      'x-forwarded-preferred-username': 'alice',
      // pass-access-token in the default lab: the bearer JWT itself (§A4).
      'x-forwarded-access-token': token,
      // The client's own Authorization is not stripped by default (§A4).
      authorization: `Bearer ${token}`,
      'x-forwarded-for': '127.0.0.1',
    });
  });

  test('no token: 403 sign-in page with no-cache headers; Accept: application/json gets 401 {}', async () => {
    const p = await proxyLab();
    const page = await p.request('/api/2.0/mlflow/experiments/search', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(403);
    expect(Object.fromEntries(page.headers)).toMatchObject({
      ...NO_CACHE,
      'content-type': 'text/html; charset=utf-8',
    });
    const html = await page.text();
    expect(html).toContain('<title>Sign In</title>');
    expect(html).toContain('Sign in with OpenID Connect');
    expect(html).toMatch(
      /<form[^>]*action="\/oauth2\/start"[^>]*method="GET"|<form[^>]*method="GET"[^>]*action="\/oauth2\/start"/,
    );
    expect(html).toContain('value="/api/2.0/mlflow/experiments/search"');

    const json = await p.request('/api/2.0/mlflow/experiments/search', {
      headers: { accept: 'application/json' },
    });
    expect(json.status).toBe(401);
    expect(json.headers.get('content-type')).toBe('application/json');
    await expect(json.text()).resolves.toBe('{}');
    // Only the exact token counts: a charset parameter makes it a browser request again (§A2 step 3).
    const charset = await p.request('/x', { headers: { accept: 'application/json; charset=utf-8' } });
    expect(charset.status).toBe(403);
    expect(p.upstream.requests).toHaveLength(0);
    expect(proxyLines(p.logs)).toEqual(
      expect.arrayContaining([
        '[TS] [oauthproxy.go:1068] No valid authentication in request. Initiating login.',
        '[TS] [oauthproxy.go:1062] No valid authentication in request. Access Denied.',
      ]),
    );
  });

  test('an admin-cli token is refused with the audience message in the log', async () => {
    const p = await proxyLab();
    const token = await p.lab.token({ user: 'alice', client: 'admin-cli' });
    const res = await p.request('/x', {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
    expect(res.status).toBe(401);
    const errors = p.logs.lines.filter((l) => l.level === 'error').map((l) => l.line);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^\[authlab:proxy\] \[\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\] \[jwt_session\.go:54\] Error retrieving session from token in Authorization header: \[unable to verify bearer token, audience from claim aud with value \[admin-cli\] does not match with any of allowed audiences map\[mlflow:\{\} mlflow-cli:\{\} oauth2-proxy:\{\}\]\]$/,
    );
  });

  test('bearer-token-login-fallback=false: a bad Authorization header is 403 Forbidden\\n at once', async () => {
    const p = await proxyLab({ 'bearer-token-login-fallback': false });
    const res = await p.request('/x', { headers: { authorization: 'Bearer not-a-jwt' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    await expect(res.text()).resolves.toBe('Forbidden\n');
    expect(proxyLines(p.logs)).toContain(
      '[TS] [jwt_session.go:54] Error retrieving session from token in Authorization header: no valid bearer token found in authorization header',
    );
  });

  test('an expired token is logged with go-oidc’s text once the lab clock passes exp', async () => {
    const p = await proxyLab();
    const token = await p.lab.token({ user: 'alice' });
    p.lab.clock.advance('25h');
    const res = await p.request('/x', {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
    expect(res.status).toBe(401);
    const exp = new Date((claimsOf(token).exp as number) * 1000)
      .toISOString()
      .replace('T', ' ')
      .replace('.000Z', ' +0000 UTC');
    expect(proxyLines(p.logs)).toContain(
      `[TS] [jwt_session.go:54] Error retrieving session from token in Authorization header: [unable to verify bearer token, failed to verify token: oidc: token is expired (Token Expiry: ${exp})]`,
    );
  });
});

describe('/ping, /ready, /robots.txt (§A5)', () => {
  test('answer before authentication', async () => {
    const p = await proxyLab();
    for (const [path, body] of [
      ['/ping', 'OK'],
      ['/ready', 'OK'],
      ['/robots.txt', 'User-agent: *\nDisallow: /\n'],
    ] as const) {
      const res = await p.request(path);
      expect(res.status).toBe(200);
      await expect(res.text()).resolves.toBe(body);
    }
  });
});
