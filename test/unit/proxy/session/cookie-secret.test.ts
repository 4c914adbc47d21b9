import { describe, expect, test } from 'vitest';
import { secretBytes, validateCookieSecret } from '../../../../src/proxy/session/cookie-secret.js';

// §A1 "Secret handling": AES key = base64url-decoded secret when that is an AES length, else the raw bytes.
describe('cookie-secret', () => {
  test('a base64url secret of 32 bytes is decoded, with or without padding', () => {
    const key = Buffer.alloc(32, 7);
    expect(secretBytes(key.toString('base64url'))).toEqual(key);
    expect(secretBytes(`${key.toString('base64url')}=`)).toEqual(key);
    expect(validateCookieSecret(key.toString('base64url'))).toEqual([]);
  });

  test('a 32-character string that happens to be base64url decodes to 24 bytes, as in oauth2-proxy', () => {
    const s = '0123456789abcdef0123456789abcdef';
    expect(secretBytes(s)).toHaveLength(24);
    expect(validateCookieSecret(s)).toEqual([]);
  });

  test('a 16-character string whose decoding is no AES length is used raw', () => {
    expect(secretBytes('abcdefghijklmnop')).toEqual(Buffer.from('abcdefghijklmnop'));
    expect(validateCookieSecret('abcdefghijklmnop')).toEqual([]);
  });

  test('a std-base64 secret with + or / fails the URL decode and falls back to its raw bytes', () => {
    const s = Buffer.alloc(32, 0xfb).toString('base64');
    expect(s).toMatch(/[+/]/);
    expect(secretBytes(s)).toEqual(Buffer.from(s));
    expect(validateCookieSecret(s)).toEqual([
      'cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is 44 bytes',
    ]);
  });

  test('a base64url string of a length Go cannot decode (1 mod 4) is used raw, even if a prefix decodes to 24 bytes', () => {
    const s = `${'0123456789abcdef'.repeat(2)}A`;
    expect(secretBytes(s)).toEqual(Buffer.from(s));
    expect(validateCookieSecret(s)).toEqual([
      'cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is 33 bytes',
    ]);
  });

  test("oauth2-proxy's messages for a missing and a short secret", () => {
    expect(validateCookieSecret(undefined)).toEqual(['missing setting: cookie-secret or cookie-secret-file']);
    expect(validateCookieSecret('')).toEqual(['missing setting: cookie-secret or cookie-secret-file']);
    expect(validateCookieSecret('short')).toEqual([
      'cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is 5 bytes',
    ]);
  });
});
