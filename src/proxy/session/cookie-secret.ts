// oauth2-proxy's cookie-secret handling (oauth2-proxy-and-dex.md §A1 "Secret handling"): the AES key is the
// base64url-decoded secret when that decodes to an AES length, else the raw string bytes; the HMAC key is always
// the raw string as configured.

const AES_LENGTHS = new Set([16, 24, 32]);

/** The two keys oauth2-proxy derives from one `cookie-secret`. */
export interface CookieKeys {
  /** `SecretBytes(secret)`: the AES-CFB key (16, 24 or 32 bytes once validated). */
  readonly aesKey: Buffer;
  /** The raw secret string: the HMAC-SHA256 key (`cookieSignature(..., args[0])`, not decoded). */
  readonly hmacKey: string;
}

/**
 * Go's `base64.RawURLEncoding.DecodeString(strings.TrimRight(secret, "="))`: strict alphabet, and a length of
 * 1 mod 4 is an error. Node's decoder is lenient (it skips bad characters), so the check is done here; a std-base64
 * secret with `+` or `/` therefore fails and falls back to the raw bytes, as §A1 says [inf].
 */
function rawUrlDecode(input: string): Buffer | undefined {
  const s = input.replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return undefined;
  return Buffer.from(s, 'base64url');
}

/** oauth2-proxy's `encryption.SecretBytes` (`pkg/encryption/utils.go:24-40`). */
export function secretBytes(secret: string): Buffer {
  const decoded = rawUrlDecode(secret);
  if (decoded !== undefined && AES_LENGTHS.has(decoded.length)) return decoded;
  return Buffer.from(secret, 'utf8');
}

/**
 * `validateCookieSecret` (`pkg/validation/cookie.go:52-87`): the problems with oauth2-proxy's exact wording,
 * empty when the secret is usable. A list, so config validation can collect every problem at once.
 */
export function validateCookieSecret(secret: string | undefined): string[] {
  if (secret === undefined || secret === '') return ['missing setting: cookie-secret or cookie-secret-file'];
  const n = secretBytes(secret).length;
  if (!AES_LENGTHS.has(n)) {
    return [`cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is ${n} bytes`];
  }
  return [];
}

/** The keys for a secret that {@link validateCookieSecret} accepted; throws on one it would not. */
export function cookieKeys(secret: string): CookieKeys {
  const problems = validateCookieSecret(secret);
  if (problems.length > 0) throw new RangeError(problems.join('; '));
  return { aesKey: secretBytes(secret), hmacKey: secret };
}
