import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, test } from 'vitest';
import { claimsOf, postToken, relyingParty, testLab } from '../helpers.js';

describe('client_credentials', () => {
  test('Dex: JWT access token for the pipeline identity, no refresh token, id_token only with openid', async () => {
    const lab = await testLab();
    const rp = await relyingParty(lab, 'mlflow');
    const withOpenid = await oidc.clientCredentialsGrant(rp, { scope: 'openid groups profile' });
    expect(withOpenid.refresh_token).toBeUndefined();
    expect(withOpenid.token_type).toBe('bearer');
    const at = claimsOf(withOpenid.access_token);
    // §B2: sub = b64url(proto{1: client_id}); aud = the client; groups and name from the client's config.
    expect(at).toMatchObject({
      iss: lab.issuer,
      sub: 'CgZtbGZsb3c',
      aud: 'mlflow',
      groups: ['team-a-pipelines'],
      name: 'mlflow-pipeline',
      preferred_username: 'mlflow-pipeline',
    });
    expect(at.email).toBeUndefined();
    expect(typeof withOpenid.id_token).toBe('string');
    const { payload } = await jwtVerify(withOpenid.access_token, createRemoteJWKSet(new URL(lab.jwksUri)), {
      issuer: lab.issuer,
      audience: 'mlflow',
    });
    expect(payload.sub).toBe('CgZtbGZsb3c');

    const without = await oidc.clientCredentialsGrant(rp, { scope: 'groups' });
    expect(without.id_token).toBeUndefined();
    expect(claimsOf(without.access_token).name).toBeUndefined(); // `profile` not asked for
  });

  test('Keycloak: service-account-<client> identity, aud account, azp the client', async () => {
    const lab = await testLab((cfg) => {
      cfg.idp.flavour = 'keycloak';
    });
    const rp = await relyingParty(lab, 'mlflow');
    const tokens = await oidc.clientCredentialsGrant(rp, {});
    const raw = await postToken(lab, { grant_type: 'client_credentials' }, 'mlflow:mlflow-secret');
    // Keycloak's response shape (openid-client lower-cases token_type, so read the raw body).
    expect(Object.keys(JSON.parse(raw.text))).toEqual([
      'access_token',
      'expires_in',
      'refresh_expires_in',
      'token_type',
      'not-before-policy',
      'scope',
    ]);
    expect(JSON.parse(raw.text)).toMatchObject({
      token_type: 'Bearer',
      refresh_expires_in: 0,
      scope: 'email profile',
    });
    const at = claimsOf(tokens.access_token);
    expect(at).toMatchObject({
      iss: lab.issuer,
      aud: 'account',
      azp: 'mlflow',
      typ: 'Bearer',
      preferred_username: 'service-account-mlflow',
      client_id: 'mlflow',
      email_verified: false,
      groups: ['team-a-pipelines'],
    });
    expect(at.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(lab.issuer).toMatch(/\/realms\/mlflow$/);
  });

  test('lab.token() for client_credentials returns the access token', async () => {
    const lab = await testLab();
    const token = await lab.token({ client: 'mlflow', grant: 'client_credentials' });
    expect(claimsOf(token)).toMatchObject({ aud: 'mlflow', sub: 'CgZtbGZsb3c' });
  });
});
