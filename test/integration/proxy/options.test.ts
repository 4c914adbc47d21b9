// How the proxy's options are set and refused (oauth2-proxy-and-dex.md §A6 "Flags ↔ env ↔ config", §A1 cookie
// validation, §A3 start-up failures): OAUTH2_PROXY_* over the config's `proxy:` section, every problem listed
// at once in oauth2-proxy's words, and a wrong issuer URL failing start-up as it kills oauth2-proxy.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { startLab } from '../../../src/index.js';
import { defaultLabObject, FIXTURES } from '../helpers.js';
import { echoUpstream, proxyLab, proxyLines } from './support.js';

/** What startLab rejected with: the error's code and message. */
async function startFailure(
  proxy: Record<string, unknown>,
  o: { env?: Record<string, string>; idpPort?: number } = {},
) {
  const upstream = await echoUpstream();
  try {
    const cfg = await defaultLabObject();
    cfg.rbac = [path.join(FIXTURES, 'rbac/default-lab.yaml')];
    cfg.proxy = { ...cfg.proxy, upstream: `${upstream.url}/`, ...proxy };
    const started = startLab({
      config: cfg as never,
      ports: { proxy: 0, kube: 0, idp: o.idpPort ?? 0 },
      mlflow: { backend: 'none' },
      env: o.env ?? {},
    });
    const error = await started.then(
      async (lab) => {
        await lab.dispose();
        return undefined;
      },
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(error, 'startLab should have failed').toBeDefined();
    return { code: error!.code, message: error!.message };
  } finally {
    await upstream.close();
  }
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('env over config (§A6)', () => {
  test('OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS=false turns the config’s true off: alice’s bearer gets the sign-in page', async () => {
    const p = await proxyLab({}, { env: { OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS: 'false' } });
    const token = await p.lab.token({ user: 'alice' });
    const res = await p.request('/x', { headers: { authorization: `Bearer ${token}`, accept: 'text/html' } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<title>Sign In</title>');
    expect(p.upstream.requests).toHaveLength(0);
    // The JWT loader is not in the chain at all, so nothing about the token is logged.
    expect(proxyLines(p.logs).filter((l) => l.includes('jwt_session.go'))).toEqual([]);
  });

  test('list variables are comma-separated and use the plural cfg name (OAUTH2_PROXY_EMAIL_DOMAINS)', async () => {
    const p = await proxyLab({}, { env: { OAUTH2_PROXY_EMAIL_DOMAINS: 'other.com, example.org' } });
    const token = await p.lab.token({ user: 'alice' });
    const res = await p.request('/x', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('You do not have permission to access this resource.');
  });

  test('without the env variable the config’s true holds', async () => {
    const p = await proxyLab();
    const token = await p.lab.token({ user: 'alice' });
    expect((await p.request('/x', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });
});

describe('configuration errors', () => {
  test('cookie-samesite: x and cookie-refresh: 200h together: one AUTHLAB_CONFIG_INVALID listing both', async () => {
    const { code, message } = await startFailure({ 'cookie-samesite': 'x', 'cookie-refresh': '200h' });
    expect(code).toBe('AUTHLAB_CONFIG_INVALID');
    const lines = message.split('\n');
    expect(lines[0]).toMatch(/^invalid configuration \(.*\):$/);
    expect(lines.slice(1)).toEqual([
      '  proxy.cookie-refresh (received "200h"): cookie_refresh ("200h0m0s") must be less than cookie_expire ("168h0m0s")',
      `  proxy.cookie-samesite (received "x"): cookie_samesite ("x") must be one of ['', 'lax', 'strict', 'none']`,
    ]);
  });

  test('env values are checked too, every one listed, named by their variable', async () => {
    const { code, message } = await startFailure(
      {},
      {
        env: {
          OAUTH2_PROXY_COOKIE_SECURE: 'maybe',
          OAUTH2_PROXY_COOKIE_REFRESH: '200h',
          OAUTH2_PROXY_COOKIE_SAMESITE: 'x',
        },
      },
    );
    expect(code).toBe('AUTHLAB_CONFIG_INVALID');
    const lines = message.split('\n');
    expect(lines[0]).toMatch(/^invalid configuration \(.*, proxy\):$/);
    expect(lines.slice(1)).toEqual([
      '  OAUTH2_PROXY_COOKIE_SECURE (received "maybe"): must be true or false',
      '  OAUTH2_PROXY_COOKIE_REFRESH (received "200h"): cookie_refresh ("200h0m0s") must be less than cookie_expire ("168h0m0s")',
      `  OAUTH2_PROXY_COOKIE_SAMESITE (received "x"): cookie_samesite ("x") must be one of ['', 'lax', 'strict', 'none']`,
    ]);
  });

  test('a trailing slash on oidc-issuer-url fails start-up with go-oidc’s issuer mismatch', async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}/dex`;
    const { code, message } = await startFailure({ 'oidc-issuer-url': `${issuer}/` }, { idpPort: port });
    expect(code).toBe('AUTHLAB_PROXY_INIT_FAILED');
    expect(message).toBe(
      'Failed to initialise OAuth2 Proxy: error initialising provider: could not create provider data: ' +
        'error building OIDC ProviderVerifier: could not get verifier builder: error while discovery OIDC configuration: ' +
        `oidc: issuer did not match the issuer returned by provider, expected "${issuer}/" got "${issuer}"`,
    );
  });
});
