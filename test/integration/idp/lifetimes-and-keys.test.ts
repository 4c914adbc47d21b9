import { createLocalJWKSet, jwtVerify, errors as joseErrors } from 'jose';
import { describe, expect, test } from 'vitest';
import { claimsOf, headerOf, postToken, testLab } from '../helpers.js';

type Lab = Awaited<ReturnType<typeof testLab>>;

/** Verifies with jose at the lab clock's "now", against the JWKS the IdP publishes at that moment. */
async function verifyAtLabTime(lab: Lab, jwt: string) {
  const jwks = createLocalJWKSet((await (await fetch(lab.jwksUri)).json()) as never);
  return jwtVerify(jwt, jwks, { issuer: lab.issuer, currentDate: new Date(lab.clock.now()) });
}

describe('lifetimes on the lab clock', () => {
  test('an id token lives 24 h: valid at 23 h 59 m, expired after advancing the clock 25 h', async () => {
    const lab = await testLab();
    const token = await lab.token({ user: 'alice' });
    lab.clock.advance('23h59m');
    await expect(verifyAtLabTime(lab, token)).resolves.toBeDefined();
    lab.clock.advance('2m');
    await expect(verifyAtLabTime(lab, token)).rejects.toBeInstanceOf(joseErrors.JWTExpired);
  });

  test('iat comes from the lab clock', async () => {
    const lab = await testLab();
    lab.clock.set(Date.UTC(2030, 0, 1));
    const claims = claimsOf(await lab.token({ user: 'alice' }));
    expect(claims.iat).toBeGreaterThanOrEqual(Date.UTC(2030, 0, 1) / 1000);
    expect(claims.iat).toBeLessThan(Date.UTC(2030, 0, 1) / 1000 + 60);
  });

  test('per-request lifetime: lab.token({ expiresIn: "90s" }) for both grants', async () => {
    const lab = await testLab();
    const pw = await lab.tokenResponse({ user: 'bob', expiresIn: '90s' });
    expect([89, 90]).toContain(pw.expires_in);
    const id = claimsOf(pw.id_token!);
    expect((id.exp as number) - (id.iat as number)).toBe(90);
    const cc = claimsOf(await lab.token({ client: 'mlflow', grant: 'client_credentials', expiresIn: '15m' }));
    expect((cc.exp as number) - (cc.iat as number)).toBe(900);
    lab.clock.advance('91s');
    await expect(verifyAtLabTime(lab, pw.id_token!)).rejects.toBeInstanceOf(joseErrors.JWTExpired);
  });

  test('configured lifetimes per token type', async () => {
    const lab = await testLab((cfg) => {
      cfg.idp.expiry = { idTokens: '1h', accessTokens: '5m' };
    });
    const res = await lab.tokenResponse({ user: 'alice' });
    expect([299, 300]).toContain(res.expires_in);
    const id = claimsOf(res.id_token!);
    const at = claimsOf(res.access_token);
    expect((id.exp as number) - (id.iat as number)).toBe(3600);
    expect((at.exp as number) - (at.iat as number)).toBe(300);
  });

  test('a refresh token expires on the lab clock: Dex answers "Refresh token expired."', async () => {
    const lab = await testLab((cfg) => {
      cfg.idp.expiry = { refreshTokens: '1h' };
    });
    const { refresh_token } = await lab.tokenResponse({ user: 'alice' });
    lab.clock.advance('2h');
    const res = await postToken(
      lab,
      { grant_type: 'refresh_token', refresh_token: refresh_token as string },
      'mlflow-cli:mlflow-cli-secret',
    );
    expect([res.status, res.text]).toEqual([
      400,
      '{"error":"invalid_request","error_description":"Refresh token expired."}',
    ]);
  });
});

describe('signing keys', () => {
  test('JWKS: Dex headers, go-jose member order, 40-hex kid', async () => {
    const lab = await testLab();
    const res = await fetch(lab.jwksUri);
    expect(res.headers.get('cache-control')).toBe('max-age=600, must-revalidate');
    const text = await res.text();
    expect(text.startsWith('{\n  "keys": [\n    {\n      "use": "sig",')).toBe(true);
    const { keys } = JSON.parse(text);
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0])).toEqual(['use', 'kty', 'kid', 'alg', 'n', 'e']);
    expect(keys[0].kid).toMatch(/^[0-9a-f]{40}$/);
  });

  test('rotateKeys(): new tokens use the new key, the old key stays published for the id-token lifetime', async () => {
    const lab = await testLab();
    const before = await lab.token({ user: 'alice' });
    const oldKid = headerOf(before).kid;
    await lab.rotateKeys();
    const after = await lab.token({ user: 'alice' });
    expect(headerOf(after).kid).not.toBe(oldKid);
    const kids = () =>
      fetch(lab.jwksUri).then(async (r) =>
        ((await r.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid),
      );
    expect(await kids()).toEqual([headerOf(after).kid, oldKid]); // current key first
    await expect(verifyAtLabTime(lab, before)).resolves.toBeDefined();

    // A day later the old key is gone (and the 6 h period has rotated the current one too).
    lab.clock.advance('24h');
    const later = await kids();
    expect(later).not.toContain(oldKid);
    expect(later).toContain(headerOf(after).kid);
    await expect(verifyAtLabTime(lab, before)).rejects.toThrow(
      'no applicable key found in the JSON Web Key Set',
    );
  });

  test('keys rotate by themselves after expiry.signingKeys (Dex: 6 h)', async () => {
    const lab = await testLab();
    const first = headerOf(await lab.token({ user: 'alice' })).kid;
    lab.clock.advance('5h');
    expect(headerOf(await lab.token({ user: 'alice' })).kid).toBe(first);
    lab.clock.advance('1h');
    const second = headerOf(await lab.token({ user: 'alice' })).kid;
    expect(second).not.toBe(first);
    expect(lab.idp.keyIds()).toEqual([second, first]);
  });

  test('configured keys give the same kid across restarts', async () => {
    const { generateKeyPair, exportJWK } = await import('jose');
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'stable-key-1' };
    const kidOf = async () => {
      const lab = await testLab((cfg) => {
        cfg.idp.signingKeys = [jwk];
      });
      return headerOf(await lab.token({ user: 'alice' })).kid;
    };
    expect(await kidOf()).toBe('stable-key-1');
    expect(await kidOf()).toBe('stable-key-1');
  });
});
