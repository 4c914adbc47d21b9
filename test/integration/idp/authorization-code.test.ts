import * as oidc from 'openid-client';
import { describe, expect, test } from 'vitest';
import { browserLogin, claimsOf, postToken, relyingParty, testLab } from '../helpers.js';

const REDIRECT = 'http://127.0.0.1:4180/oauth2/callback';

async function start(
  lab: Awaited<ReturnType<typeof testLab>>,
  scope = 'openid email groups profile offline_access',
) {
  const rp = await relyingParty(lab, 'oauth2-proxy');
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  return { rp, verifier, state, url };
}

describe('authorization code + PKCE through the login page', () => {
  test('the username/password form logs alice in; openid-client redeems the code', async () => {
    const lab = await testLab();
    const { rp, verifier, state, url } = await start(lab);
    const login = await browserLogin(url, REDIRECT, {
      login: 'alice@example.com',
      password: 'alice-password',
    });
    expect(login.loginStatus).toBe(200);
    expect(login.loginPage).toContain('<h2>Log in to Your Account</h2>');
    expect(login.loginPage).toContain('<label for="login">Email Address</label>');
    expect(login.loginPage).toContain('to continue to <strong>oauth2-proxy</strong>');
    expect(login.callback?.searchParams.get('state')).toBe(state);

    const tokens = await oidc.authorizationCodeGrant(rp, login.callback!, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(claimsOf(tokens.id_token!)).toMatchObject({
      aud: 'oauth2-proxy',
      email: 'alice@example.com',
      groups: ['team-a-editors'],
    });
    expect(tokens.refresh_token).toBeDefined();
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(claimsOf(refreshed.id_token!)).toMatchObject({ aud: 'oauth2-proxy', email: 'alice@example.com' });
  });

  test('the user picker signs in as any lab user', async () => {
    const lab = await testLab();
    const { rp, verifier, state, url } = await start(lab);
    const login = await browserLogin(url, REDIRECT, { pick: 'carol' });
    const tokens = await oidc.authorizationCodeGrant(rp, login.callback!, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(claimsOf(tokens.id_token!)).toMatchObject({
      email: 'carol@example.com',
      groups: ['mlflow-admins'],
    });
  });

  test("a wrong password shows the form again with Dex's error and no redirect", async () => {
    const lab = await testLab();
    const { url } = await start(lab);
    const login = await browserLogin(url, REDIRECT, { login: 'alice@example.com', password: 'wrong' });
    expect(login.callback).toBeUndefined();
    expect(login.last.status).toBe(401);
    expect(login.lastBody).toContain(
      '<p id="login-error" class="error">Invalid Email Address and password.</p>',
    );
    expect(login.lastBody).toContain('value="alice@example.com"');
  });

  test('the code is bound to the PKCE verifier, the redirect URI, one use', async () => {
    const lab = await testLab();
    const { url } = await start(lab);
    const login = await browserLogin(url, REDIRECT, { pick: 'alice' });
    const code = login.callback!.searchParams.get('code')!;
    const proxy = 'oauth2-proxy:oauth2-proxy-secret';
    const bad = await postToken(
      lab,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: 'x'.repeat(43) },
      proxy,
    );
    expect([bad.status, bad.text]).toEqual([
      400,
      '{"error":"invalid_grant","error_description":"Invalid code_verifier."}',
    ]);
  });

  test('redirect_uri mismatch, then a consumed code is unknown', async () => {
    const lab = await testLab();
    const { verifier, url } = await start(lab);
    const login = await browserLogin(url, REDIRECT, { pick: 'alice' });
    const code = login.callback!.searchParams.get('code')!;
    const proxy = 'oauth2-proxy:oauth2-proxy-secret';
    const wrong = await postToken(
      lab,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'http://localhost:4180/oauth2/callback',
        code_verifier: verifier,
      },
      proxy,
    );
    expect([wrong.status, wrong.text]).toEqual([
      400,
      '{"error":"invalid_request","error_description":"redirect_uri did not match URI from initial request."}',
    ]);
    const ok = await postToken(
      lab,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
      proxy,
    );
    expect(ok.status).toBe(200);
    const reused = await postToken(
      lab,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
      proxy,
    );
    expect([reused.status, reused.text]).toEqual([
      400,
      '{"error":"invalid_grant","error_description":"Invalid or expired code parameter."}',
    ]);
  });

  test("an expired code hits Dex's 500 quirk (§B4)", async () => {
    const lab = await testLab();
    const { verifier, url } = await start(lab);
    const login = await browserLogin(url, REDIRECT, { pick: 'alice' });
    lab.clock.advance('11m');
    const res = await postToken(
      lab,
      {
        grant_type: 'authorization_code',
        code: login.callback!.searchParams.get('code')!,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      },
      'oauth2-proxy:oauth2-proxy-secret',
    );
    expect([res.status, res.text]).toEqual([500, '{"error":"server_error"}']);
  });

  test('Keycloak flavour: its login texts and its session id in the tokens', async () => {
    const lab = await testLab((cfg) => {
      cfg.idp.flavour = 'keycloak';
    });
    const { rp, verifier, state, url } = await start(lab, 'openid');
    const login = await browserLogin(url, REDIRECT, { login: 'bob', password: 'bob-password' });
    expect(login.loginPage).toContain('<h2>Sign in to your account</h2>');
    const tokens = await oidc.authorizationCodeGrant(rp, login.callback!, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const id = claimsOf(tokens.id_token!);
    expect(id).toMatchObject({
      aud: 'oauth2-proxy',
      typ: 'ID',
      preferred_username: 'bob',
      groups: ['team-b-viewers'],
    });
    expect(tokens.session_state).toBe(id.sid);
  });

  // mlflow-oidc-auth passes OIDC_SCOPE verbatim, and its default has commas (mlflow-oidc-auth.md §2.2): measured
  // against this IdP in its Dex flavour, the login shows, then the callback carries error=access_denied. The scope
  // is one word no flavour knows, so nothing is granted (oidc-provider ignores unknown scope values and refuses a
  // request that resolved to no scope at all); no code, no description.
  test.each(['dex', 'keycloak'] as const)(
    '%s: a comma-separated scope (openid,email,profile) grants nothing: the callback gets error=access_denied',
    async (flavour) => {
      const lab = await testLab((cfg) => {
        cfg.idp.flavour = flavour;
      });
      const { state, url } = await start(lab, 'openid,email,profile');
      const login = await browserLogin(url, REDIRECT, {
        login: 'alice@example.com',
        password: 'alice-password',
      });
      expect(login.loginStatus).toBe(200);
      const callback = login.callback!;
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(callback.searchParams.get('state')).toBe(state);
      expect(callback.searchParams.has('code')).toBe(false);
      expect(callback.searchParams.has('error_description')).toBe(false);
      // The same login with the scopes space-separated gets a code.
      const spaced = await start(lab, 'openid email profile');
      const ok = await browserLogin(spaced.url, REDIRECT, {
        login: 'alice@example.com',
        password: 'alice-password',
      });
      expect(ok.callback?.searchParams.has('code')).toBe(true);
    },
  );
});
