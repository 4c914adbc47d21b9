import path from 'node:path';
import * as oidc from 'openid-client';
import { describe, expect, onTestFinished, test } from 'vitest';
import { startLab } from '../../../src/lab/start-lab.js';
import { defaultLabObject, FIXTURES, relyingParty, testLab } from '../helpers.js';

describe('discovery, userinfo and the other endpoints', () => {
  test('Dex discovery document: indented, the endpoints the lab serves, sorted grants', async () => {
    const lab = await testLab();
    const res = await fetch(lab.discoveryUrl);
    const text = await res.text();
    expect(text.startsWith(`{\n  "issuer": "${lab.issuer}",`)).toBe(true);
    const doc = JSON.parse(text);
    expect(doc).toEqual({
      issuer: lab.issuer,
      authorization_endpoint: `${lab.issuer}/auth`,
      token_endpoint: `${lab.issuer}/token`,
      jwks_uri: `${lab.issuer}/keys`,
      userinfo_endpoint: `${lab.issuer}/userinfo`,
      end_session_endpoint: `${lab.issuer}/logout`,
      grant_types_supported: ['authorization_code', 'client_credentials', 'password', 'refresh_token'],
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256', 'plain'],
      scopes_supported: ['openid', 'email', 'groups', 'profile', 'offline_access'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'iat',
        'exp',
        'email',
        'email_verified',
        'locale',
        'name',
        'preferred_username',
        'at_hash',
      ],
    });
    // openid-client accepts it (issuer equality is checked on discovery).
    const rp = await relyingParty(lab, 'mlflow-cli');
    expect(rp.serverMetadata().token_endpoint).toBe(lab.tokenEndpoint);
  });

  test('Keycloak flavour serves its paths under /realms/<realm>', async () => {
    const lab = await testLab((cfg) => {
      cfg.idp.flavour = 'keycloak';
    });
    const doc = (await (await fetch(lab.discoveryUrl)).json()) as Record<string, string>;
    expect(doc.token_endpoint).toBe(`${lab.issuer}/protocol/openid-connect/token`);
    expect(doc.jwks_uri).toBe(`${lab.issuer}/protocol/openid-connect/certs`);
    expect((await fetch(doc.jwks_uri!)).status).toBe(200);
  });

  // Keycloak 18+: a logout naming post_logout_redirect_uri without id_token_hint or client_id is refused with its
  // error page (keycloak/keycloak#12680, #24213), which is what mlflow-oidc-auth's /logout sends (§3.1, L7).
  test('Keycloak flavour: a logout with post_logout_redirect_uri but neither id_token_hint nor client_id is refused', async () => {
    const lines: string[] = [];
    const push = (line: string) => void lines.push(line);
    const cfg = await defaultLabObject();
    cfg.idp.flavour = 'keycloak';
    cfg.rbac = [path.join(FIXTURES, 'rbac/default-lab.yaml')];
    const lab = await startLab({
      config: cfg as never,
      ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
      env: {},
      log: { debug() {}, info: push, warn: push, error: push },
    });
    onTestFinished(() => lab.dispose());
    const endSession = `${lab.issuer}/protocol/openid-connect/logout`;
    const back = encodeURIComponent('http://127.0.0.1:4180/oidc/ui/auth');
    const refused = await fetch(`${endSession}?post_logout_redirect_uri=${back}`);
    const html = await refused.text();
    expect([refused.status, refused.headers.get('content-type')]).toEqual([400, 'text/html; charset=utf-8']);
    expect(html).toContain('<h2 class="theme-heading">We are sorry...</h2>');
    expect(html).toContain('<p id="error">Missing parameters: id_token_hint</p>');
    expect(lines.join('\n')).toContain(
      `error="invalid_request", reason="Either the parameter 'client_id' or the parameter 'id_token_hint' is required when 'post_logout_redirect_uri' is used."`,
    );
    // Without a redirect Keycloak asks the user to confirm instead.
    const confirm = await fetch(endSession);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('<form');
  });

  test('userinfo returns the token claims; Dex errors for a missing and a bad bearer', async () => {
    const lab = await testLab();
    const rp = await relyingParty(lab, 'mlflow-cli');
    const tokens = await oidc.genericGrantRequest(rp, 'password', {
      username: 'alice@example.com',
      password: 'alice-password',
      scope: 'openid email groups',
    });
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, oidc.skipSubjectCheck);
    expect(info).toMatchObject({ email: 'alice@example.com', groups: ['team-a-editors'] });

    const missing = await fetch(`${lab.issuer}/userinfo`);
    expect([missing.status, missing.headers.get('www-authenticate'), await missing.text()]).toEqual([
      401,
      'Bearer',
      '{"error":"access_denied","error_description":"Invalid bearer token."}',
    ]);
    const bad = await fetch(`${lab.issuer}/userinfo`, {
      headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' },
    });
    expect([bad.status, await bad.text()]).toEqual([
      403,
      '{"error":"access_denied","error_description":"Invalid bearer token."}',
    ]);
  });

  test('healthz, unknown paths and end-session', async () => {
    const lab = await testLab();
    const health = await fetch(`${lab.issuer}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'Health check passed']);
    const unknown = await fetch(new URL('/nope', lab.issuer));
    expect([unknown.status, await unknown.text()]).toEqual([404, '404 page not found\n']);
    const logout = await fetch(`${lab.issuer}/logout`);
    expect(logout.status).toBe(200);
    expect(await logout.text()).toContain('<form');
  });
});
