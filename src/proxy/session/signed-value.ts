// oauth2-proxy's signed cookie value `<b64url(payload)>|<unix-ts>|<b64url(hmac)>` and the AES-CFB cipher under it
// (oauth2-proxy-and-dex.md §A1 "Value format", "Failure matrix"). Shared by the session and the CSRF cookie.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CookieKeys } from './cookie-secret.js';

/** How far in the future a timestamp may be before the value is refused (`utils.go:61`). */
export const FUTURE_SKEW_MS = 5 * 60 * 1000;

const AES_BLOCK = 16;

/** Go's `base64.URLEncoding`: url alphabet *with* `=` padding (Node's `base64url` drops the padding). */
export function b64UrlPadded(bytes: Buffer): string {
  return bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Strict decode of {@link b64UrlPadded}; undefined where Go's `URLEncoding.DecodeString` would error. */
export function decodeB64UrlPadded(s: string): Buffer | undefined {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9_-]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64url');
}

function aesCfb(key: Buffer): string {
  // Go's cipher.NewCFBEncrypter is full-block CFB, which is Node's plain `-cfb` (CFB128).
  return `aes-${key.length * 8}-cfb`;
}

/** `CFBCipher.Encrypt` (`pkg/encryption/cipher.go:53-85`): a fresh 16-byte IV, then the ciphertext. */
export function encryptCfb(key: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(AES_BLOCK);
  const c = createCipheriv(aesCfb(key), key, iv);
  return Buffer.concat([iv, c.update(plain), c.final()]);
}

/** `CFBCipher.Decrypt`; CFB has no integrity of its own, the HMAC is what rejects tampering. */
export function decryptCfb(key: Buffer, data: Buffer): Buffer {
  if (data.length < AES_BLOCK) {
    // Wording of cipher.go's short-input check [inf: recalled from the source, not quoted in §A1].
    throw new Error(
      `encrypted value should be at least ${AES_BLOCK} bytes, but is only ${data.length} bytes`,
    );
  }
  const d = createDecipheriv(aesCfb(key), key, data.subarray(0, AES_BLOCK));
  return Buffer.concat([d.update(data.subarray(AES_BLOCK)), d.final()]);
}

/** HMAC input is name, encoded value and timestamp concatenated with no separator (§A1). */
function signature(hmacKey: string, name: string, encoded: string, ts: string): Buffer {
  return createHmac('sha256', hmacKey).update(name).update(encoded).update(ts).digest();
}

/** `encryption.SignedValue`: `<b64url(value)>|<unixSeconds>|<b64url(hmac)>`. */
export function signValue(keys: CookieKeys, name: string, value: Buffer, atMs: number): string {
  const encoded = b64UrlPadded(value);
  const ts = String(Math.floor(atMs / 1000));
  return `${encoded}|${ts}|${b64UrlPadded(signature(keys.hmacKey, name, encoded, ts))}`;
}

/**
 * `encryption.Validate` (`utils.go:45-72`): the decoded value and its timestamp, or undefined for every reason
 * §A1's failure matrix folds into `cookie signature not valid` (part count, HMAC, name, secret, window, base64).
 * The window is (now - expire, now + 5min), both ends open; `expireMs` 0 disables it.
 */
export function validateValue(
  keys: CookieKeys,
  name: string,
  signed: string,
  nowMs: number,
  expireMs: number,
): { value: Buffer; atMs: number } | undefined {
  const parts = signed.split('|');
  if (parts.length !== 3) return undefined;
  const [encoded, ts, sig] = parts as [string, string, string];
  const given = decodeB64UrlPadded(sig);
  const want = signature(keys.hmacKey, name, encoded, ts);
  if (given === undefined || given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
  // strconv.Atoi: optional sign, decimal digits only.
  if (!/^[+-]?\d+$/.test(ts)) return undefined;
  const atMs = Number(ts) * 1000;
  if (expireMs !== 0 && !(atMs > nowMs - expireMs && atMs < nowMs + FUTURE_SKEW_MS)) return undefined;
  const value = decodeB64UrlPadded(encoded);
  return value === undefined ? undefined : { value, atMs };
}
