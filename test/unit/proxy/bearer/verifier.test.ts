// Claims-level rules of §A3 (audience claim shapes, email_verified, claims → session for both mappings),
// against a key this test owns and a JWKS served through the verifier's `fetch` option.
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  aggregateError,
  loadBearerSession,
  parseExtraJwtIssuers,
} from '../../../../src/proxy/bearer/load.js';
import { createVerifier, type VerifierOptions } from '../../../../src/proxy/bearer/verifier.js';

const ISSUER = 'http://dex:5556/dex';
const NOW = Date.UTC(2026, 7, 6, 12, 0, 0);
const KID = 'k1';
let sign: (claims: Record<string, unknown>) => Promise<string>;
let jwks: unknown;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] };
  sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: KID }).sign(privateKey);
});

const verifier = (extra: Partial<VerifierOptions> = {}) =>
  createVerifier({
    issuer: ISSUER,
    jwksUri: `${ISSUER}/keys`,
    audiences: ['oauth2-proxy'],
    fetch: async () => new Response(JSON.stringify(jwks)),
    ...extra,
  });

const base = {
  iss: ISSUER,
  sub: 'CgVhbGljZRIFbG9jYWw',
  aud: 'oauth2-proxy',
  exp: NOW / 1000 + 3600,
  iat: NOW / 1000,
};

describe('main provider mapping', () => {
  test('email falls back to sub; groups as a single string become a list', async () => {
    const r = await verifier().verify(await sign({ ...base, groups: 'team-a' }), NOW);
    expect(r.session).toMatchObject({
      user: base.sub,
      email: base.sub,
      groups: ['team-a'],
      preferredUsername: '',
    });
  });

  test('email_verified:false is rejected, before the sub fallback', async () => {
    expect(
      (await verifier().verify(await sign({ ...base, email: 'bob@x', email_verified: false }), NOW)).error,
    ).toBe("email in id_token (bob@x) isn't verified");
    expect((await verifier().verify(await sign({ ...base, email_verified: false }), NOW)).error).toBe(
      "email in id_token () isn't verified",
    );
  });

  test('email_verified is ignored with another email claim or --insecure-oidc-allow-unverified-email', async () => {
    const token = await sign({ ...base, email_verified: false, upn: 'bob@corp', email: 'b@x' });
    expect((await verifier({ emailClaim: 'upn' }).verify(token, NOW)).session?.email).toBe('bob@corp');
    expect((await verifier({ allowUnverifiedEmail: true }).verify(token, NOW)).session?.email).toBe('b@x');
  });

  test('dotted claim paths reach into objects', async () => {
    const token = await sign({ ...base, profile: { mail: 'p@x' }, ext: { roles: ['r1', 'r2'] } });
    const r = await verifier({ emailClaim: 'profile.mail', groupsClaim: 'ext.roles' }).verify(token, NOW);
    expect(r.session).toMatchObject({ email: 'p@x', groups: ['r1', 'r2'] });
  });

  test('audience: a list passes when any value is allowed; --oidc-extra-audience adds to the set', async () => {
    const token = await sign({ ...base, aud: ['x', 'mlflow-cli'] });
    expect((await verifier().verify(token, NOW)).error).toBe(
      'audience from claim aud with value [x mlflow-cli] does not match with any of allowed audiences map[oauth2-proxy:{}]',
    );
    expect(
      (await verifier({ audiences: ['oauth2-proxy', 'mlflow-cli'] }).verify(token, NOW)).session,
    ).toBeDefined();
  });

  test('no aud: the claims listed as a Go map', async () => {
    const { aud: _aud, ...claims } = base;
    expect((await verifier().verify(await sign({ ...claims, email: 'a@x' }), NOW)).error).toBe(
      'audience claims [aud] do not exist in claims: map[email:a@x exp:1.7860212e+09 iat:1.7860176e+09 iss:http://dex:5556/dex sub:CgVhbGljZRIFbG9jYWw]',
    );
  });

  test('--insecure-oidc-skip-issuer-verification skips only the issuer', async () => {
    const token = await sign({ ...base, iss: 'http://elsewhere' });
    expect((await verifier({ skipIssuerCheck: true }).verify(token, NOW)).session).toBeDefined();
  });
});

describe('extra-issuer mapping', () => {
  test('groups must be a list', async () => {
    expect(
      (await verifier({ mapping: 'extra-issuer' }).verify(await sign({ ...base, groups: 'g' }), NOW)).error,
    ).toBe(
      'failed to parse bearer token claims: json: cannot unmarshal string into Go struct field .groups of type []string',
    );
  });

  test('email_verified:false is always rejected, with the sub fallback in the message', async () => {
    const v = verifier({ mapping: 'extra-issuer', allowUnverifiedEmail: true });
    expect((await v.verify(await sign({ ...base, email_verified: false }), NOW)).error).toBe(
      `email in id_token (${base.sub}) isn't verified`,
    );
  });
});

describe('aggregate and flags', () => {
  test('k8s aggregate: duplicates removed, one message without brackets', () => {
    expect(aggregateError(['a'])).toBe('a');
    expect(aggregateError(['a', 'b', 'b'])).toBe('[a, b]');
  });

  test('two verifiers failing the same way log the message once', async () => {
    const token = await sign({ ...base, aud: 'other' });
    const loaded = await loadBearerSession(`Bearer ${token}`, [verifier(), verifier()], NOW);
    expect(loaded?.error).toBe(
      '[unable to verify bearer token, audience from claim aud with value [other] does not match with any of allowed audiences map[oauth2-proxy:{}]]',
    );
  });

  test('--extra-jwt-issuers splits at the first "="', () => {
    expect(parseExtraJwtIssuers(['http://a/?x=1=aud', 'http://b=c', 'nope'])).toEqual({
      issuers: [
        { issuer: 'http://a/?x', audience: '1=aud' },
        { issuer: 'http://b', audience: 'c' },
      ],
      errors: ['invalid jwt verifier uri=audience spec: nope'],
    });
  });
});
