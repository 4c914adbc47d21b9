import { compactVerify, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { signRs256 } from '../../../src/idp/jws.js';

describe('signRs256: the IdP’s compact JWS', () => {
  test('makes the very bytes jose’s SignJWT makes, for Dex’s header and Keycloak’s, and verifies', async () => {
    const generated = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    // As the key ring holds it: the private JWK, and a non-extractable CryptoKey imported from it.
    const privateJwk = await exportJWK(generated.privateKey);
    const privateKey = await importJWK(privateJwk, 'RS256');
    const publicKey = generated.publicKey;
    const payload = {
      iss: 'http://127.0.0.1:5556/dex',
      sub: 'CgVhbGljZRIFbG9jYWw',
      aud: ['mlflow-cli', 'oauth2-proxy'],
      exp: 1_800_000_000,
      iat: 1_799_996_400,
      at_hash: 'm2qBD6AR4NQ6ZdC1Y_8XqA',
      email: 'alice@example.com',
      email_verified: true,
      groups: ['team-a-editors'],
      name: 'Alice Ünicode',
    };
    for (const header of [
      { alg: 'RS256', kid: 'k1' },
      { alg: 'RS256', typ: 'JWT', kid: 'k2' },
    ]) {
      const ours = await signRs256(header, payload, privateJwk);
      expect(ours).toBe(await new SignJWT(payload).setProtectedHeader(header).sign(privateKey));
      expect(decodeProtectedHeader(ours)).toEqual(header);
      const { payload: bytes } = await compactVerify(ours, publicKey);
      expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual(payload);
    }
  });
});
