import { describe, expect, test } from 'vitest';
import { postToken, testLab } from '../helpers.js';

const CLI = `Basic ${Buffer.from('mlflow-cli:mlflow-cli-secret').toString('base64')}`;

describe('bad input gets a clear answer and the lab keeps serving', () => {
  test('a login resumed without its cookie: "authorization request has expired", also when the query names a client', async () => {
    // Found by the fuzz suite: with a client_id in the query, oidc-provider's own error handler failed (500).
    for (const flavour of ['dex', 'keycloak'] as const) {
      const lab = await testLab((cfg) => (cfg.idp.flavour = flavour));
      const auth = flavour === 'dex' ? '/auth' : '/protocol/openid-connect/auth';
      for (const query of [
        '',
        '?client_id=oauth2-proxy',
        '?client_id=oauth2-proxy&redirect_uri=http://127.0.0.1:4180/oauth2/callback',
      ])
        for (const uid of ['local', 'login', 'x'.repeat(21)]) {
          const res = await fetch(`${lab.issuer}${auth}/${uid}${query}`, { redirect: 'manual' });
          expect(res.status).toBe(400);
          expect(await res.text()).toContain('authorization request has expired');
        }
    }
  });

  test('token endpoint: JSON body, malformed Basic, oversized body, bad lifetime', async () => {
    const lab = await testLab();
    const json = await fetch(lab.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: CLI },
      body: '{"grant_type":"password"',
    });
    // Dex parses forms only, so grant_type is empty (§B1 "Request").
    expect([json.status, await json.text()]).toEqual([400, '{"error":"unsupported_grant_type"}']);

    const basic = await fetch(lab.tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('ml%flow:x').toString('base64')}`,
      },
      body: 'grant_type=password',
    });
    expect([basic.status, await basic.text()]).toEqual([
      400,
      '{"error":"invalid_request","error_description":"client_id improperly encoded"}',
    ]);

    const huge = await postToken(lab, { grant_type: 'password', filler: 'x'.repeat(200_000) });
    expect([huge.status, huge.text]).toEqual([
      400,
      '{"error":"invalid_request","error_description":"failed to parse the request body"}',
    ]);

    const lifetime = await postToken(
      lab,
      {
        grant_type: 'password',
        username: 'alice@example.com',
        password: 'alice-password',
        scope: 'openid',
        authlab_expires_in: 'a week',
      },
      'mlflow-cli:mlflow-cli-secret',
    );
    expect([lifetime.status, JSON.parse(lifetime.text)]).toEqual([
      400,
      {
        error: 'invalid_request',
        error_description:
          'authlab_expires_in must be a duration such as "90s", "15m", "24h" or "1h30m" (units ms, s, m, h, d), at least 1s and at most 8784h',
      },
    ]);
    expect((await lab.tokenResponse({ user: 'alice' })).access_token).toBeTypeOf('string');
  });

  test("authorization endpoint: Dex's error pages for an unknown client and an unregistered redirect_uri", async () => {
    const lab = await testLab();
    const client = await fetch(
      `${lab.issuer}/auth?client_id=nope&response_type=code&redirect_uri=http://x/cb&scope=openid`,
    );
    expect(client.status).toBe(404);
    expect(await client.text()).toContain(
      '<h2 class="theme-heading">Not Found</h2>\n      <p id="error">Invalid client_id.</p>',
    );
    // §D6: --cookie-secure makes oauth2-proxy send an https callback that Dex does not know.
    const redirect = await fetch(
      `${lab.issuer}/auth?client_id=oauth2-proxy&response_type=code&redirect_uri=https://127.0.0.1:4180/oauth2/callback&scope=openid`,
    );
    expect(redirect.status).toBe(400);
    expect(await redirect.text()).toContain(
      '<h2 class="theme-heading">Bad Request</h2>\n      <p id="error">Unregistered redirect_uri.</p>',
    );
  });

  test('login page: an unknown or expired interaction asks to start over, for GET and POST', async () => {
    const lab = await testLab();
    for (const init of [{}, { method: 'POST', body: new URLSearchParams({ pick: 'alice' }) }]) {
      const res = await fetch(`${lab.issuer}/auth/login/unknown-uid`, init);
      expect([res.status, await res.text()]).toEqual([
        400,
        'Login session expired or unknown. Start the login again.',
      ]);
    }
    expect((await fetch(lab.discoveryUrl)).status).toBe(200);
  });
});
