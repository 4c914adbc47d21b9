import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, test } from 'vitest';
import { dexSubject } from '../../../src/index.js';
import { claimsOf, headerOf, postToken, relyingParty, testLab } from '../helpers.js';

const ALICE = { username: 'alice@example.com', password: 'alice-password' };

describe('password grant (Dex flavour), driven by openid-client', () => {
  test('alice through mlflow-cli: id_token aud mlflow-cli, groups team-a-editors, 24 h lifetime, JWT access token', async () => {
    const lab = await testLab();
    const rp = await relyingParty(lab, 'mlflow-cli');
    const tokens = await oidc.genericGrantRequest(rp, 'password', {
      ...ALICE,
      scope: 'openid email groups profile',
    });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in === 86399 || tokens.expires_in === 86400).toBe(true);
    expect(tokens.refresh_token).toBeUndefined(); // only with offline_access (§B1)

    const id = claimsOf(tokens.id_token!);
    expect(Object.keys(id)).toEqual([
      'iss',
      'sub',
      'aud',
      'exp',
      'iat',
      'at_hash',
      'email',
      'email_verified',
      'groups',
      'name',
      'preferred_username',
    ]);
    expect(id).toMatchObject({
      iss: lab.issuer,
      sub: dexSubject('1b8e5a53-0d4f-4f3c-9d7e-6a1c2f3b4a01', 'local'),
      aud: 'mlflow-cli',
      email: 'alice@example.com',
      email_verified: true,
      groups: ['team-a-editors'],
      name: 'Alice Anders',
      preferred_username: 'alice',
    });
    expect((id.exp as number) - (id.iat as number)).toBe(86_400);
    expect(headerOf(tokens.id_token!)).toEqual({
      alg: 'RS256',
      kid: expect.stringMatching(/^[0-9a-f]{40}$/),
    });

    // Dex's access token is a JWT with the ID token's claims (§B1 "Success").
    const at = claimsOf(tokens.access_token);
    expect(at).toMatchObject({ iss: lab.issuer, aud: 'mlflow-cli', groups: ['team-a-editors'] });

    const jwks = createRemoteJWKSet(new URL(lab.jwksUri));
    for (const jwt of [tokens.id_token!, tokens.access_token]) {
      const { payload } = await jwtVerify(jwt, jwks, { issuer: lab.issuer, audience: 'mlflow-cli' });
      expect(payload.sub).toBe(id.sub);
    }
  });

  test.each([
    ['openid', []],
    ['openid email', ['email', 'email_verified']],
    ['openid groups', ['groups']],
    ['openid profile', ['name', 'preferred_username']],
    ['openid federated:id', ['federated_claims']],
  ])('scope %j decides the claims, as Dex does', async (scope, extra) => {
    const lab = await testLab();
    const rp = await relyingParty(lab, 'mlflow-cli');
    const tokens = await oidc.genericGrantRequest(rp, 'password', { ...ALICE, scope });
    expect(Object.keys(claimsOf(tokens.id_token!))).toEqual([
      'iss',
      'sub',
      'aud',
      'exp',
      'iat',
      'at_hash',
      ...extra,
    ]);
  });

  test('offline_access returns a refresh token that openid-client can redeem, rotated on use', async () => {
    const lab = await testLab();
    const rp = await relyingParty(lab, 'mlflow-cli');
    const first = await oidc.genericGrantRequest(rp, 'password', {
      ...ALICE,
      scope: 'openid groups offline_access',
    });
    expect(first.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const second = await oidc.refreshTokenGrant(rp, first.refresh_token!);
    expect(claimsOf(second.id_token!)).toMatchObject({ aud: 'mlflow-cli', groups: ['team-a-editors'] });
    expect(second.refresh_token).not.toBe(first.refresh_token);
    // A refresh token is single-use.
    const again = await postToken(
      lab,
      { grant_type: 'refresh_token', refresh_token: first.refresh_token! },
      'mlflow-cli:mlflow-cli-secret',
    );
    expect(again.status).toBe(400);
    expect(again.text).toBe(
      '{"error":"invalid_request","error_description":"Refresh token is invalid or has already been claimed by another client."}',
    );
  });

  test('client credentials in the form body work like HTTP Basic', async () => {
    const lab = await testLab();
    const res = await postToken(lab, {
      grant_type: 'password',
      ...ALICE,
      scope: 'openid',
      client_id: 'mlflow-cli',
      client_secret: 'mlflow-cli-secret',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(Object.keys(JSON.parse(res.text))).toEqual([
      'access_token',
      'token_type',
      'expires_in',
      'id_token',
    ]);
    expect(JSON.parse(res.text).token_type).toBe('bearer'); // lowercase, as Dex writes it (§B1)
  });

  test('the login is the e-mail, case-insensitive; the short name is not a Dex login', async () => {
    const lab = await testLab();
    const ok = await postToken(
      lab,
      { grant_type: 'password', username: 'ALICE@Example.com', password: 'alice-password', scope: 'openid' },
      'mlflow-cli:mlflow-cli-secret',
    );
    expect(ok.status).toBe(200);
    const bad = await postToken(
      lab,
      { grant_type: 'password', username: 'alice', password: 'alice-password', scope: 'openid' },
      'mlflow-cli:mlflow-cli-secret',
    );
    expect(bad.status).toBe(401);
    // Nor is it trimmed: Dex looks the login up as sent, only lower-cased (found by the fuzz suite).
    const spaced = await postToken(
      lab,
      { grant_type: 'password', username: 'alice@example.com ', password: 'alice-password', scope: 'openid' },
      'mlflow-cli:mlflow-cli-secret',
    );
    expect([spaced.status, spaced.text]).toEqual([bad.status, bad.text]);
  });

  test('audience:server:client_id:<peer> adds a trusting peer to aud and sets azp (§D1)', async () => {
    const lab = await testLab();
    const res = await postToken(
      lab,
      { grant_type: 'password', ...ALICE, scope: 'openid audience:server:client_id:oauth2-proxy' },
      'mlflow-cli:mlflow-cli-secret',
    );
    const id = claimsOf(JSON.parse(res.text).id_token);
    expect(id.aud).toEqual(['oauth2-proxy', 'mlflow-cli']);
    expect(id.azp).toBe('mlflow-cli');
    expect(Object.keys(id).slice(0, 6)).toEqual(['iss', 'sub', 'aud', 'exp', 'iat', 'azp']);
  });

  test('lab.token() returns the id_token; the Okta-style groups claim name is configurable', async () => {
    const lab = await testLab((cfg) => {
      cfg.idp.groupsClaim = 'urn:mlflow:groups';
    });
    const token = await lab.token({ user: 'bob' });
    const claims = claimsOf(token);
    expect(claims['urn:mlflow:groups']).toEqual(['team-b-viewers']);
    expect(claims.groups).toBeUndefined();
    expect(claims.aud).toBe('mlflow-cli');
  });
});
