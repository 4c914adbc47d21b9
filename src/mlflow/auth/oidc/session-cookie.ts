// Starlette's SessionMiddleware cookie as mlflow-oidc-auth 7.3.1 configures it (mlflow-oidc-auth.md §1.2): the
// session dict as base64 JSON, signed (not encrypted) by itsdangerous' TimestampSigner with SECRET_KEY:
// `<base64 json>.<base64url timestamp>.<base64url HMAC-SHA1>`, the key derived "django-concat" style from the
// salt `itsdangerous.Signer`. A lab cookie is one the real plugin would accept with the same SECRET_KEY.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { pythonJsonDumps } from './python-json.js';

export type SessionData = Record<string, unknown>;

const SALT = 'itsdangerous.Signer';

export interface SessionCookieOptions {
  secretKey: string;
  /** SESSION_COOKIE_NAME (default `session`). */
  name: string;
  /** SESSION_COOKIE_MAX_AGE_SECONDS (default 1209600, 14 days); 0 is a browser-session cookie. */
  maxAgeSeconds: number;
  /** SESSION_COOKIE_SAMESITE: lax, strict or none. */
  sameSite: string;
  /** SESSION_COOKIE_SECURE. */
  secure: boolean;
}

/** itsdangerous' `base64_encode`: URL-safe, no padding. */
const b64url = (bytes: Buffer) => bytes.toString('base64url');

function derivedKey(secretKey: string): Buffer {
  return createHash('sha1').update(`${SALT}signer${secretKey}`).digest();
}

function signature(secretKey: string, value: string): string {
  return b64url(createHmac('sha1', derivedKey(secretKey)).update(value).digest());
}

/** `int_to_bytes`: big-endian, no leading zero bytes. */
function timestampText(seconds: number): string {
  let hex = Math.floor(seconds).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return b64url(Buffer.from(hex, 'hex'));
}

/** The cookie value for a session at `nowMs`. */
export function sealSessionCookie(data: SessionData, secretKey: string, nowMs: number): string {
  // Python's json.dumps default separators (", ", ": ") and ASCII escapes, base64 (standard alphabet, padded).
  const payload = Buffer.from(pythonJsonDumps(data), 'utf8').toString('base64');
  const value = `${payload}.${timestampText(nowMs / 1000)}`;
  return `${value}.${signature(secretKey, value)}`;
}

/**
 * The session a cookie carries, or undefined when its signature is wrong or it is older than `maxAgeSeconds`
 * (itsdangerous' `unsign(max_age=…)`; Starlette then starts from an empty session).
 */
export function openSessionCookie(
  cookie: string,
  secretKey: string,
  nowMs: number,
  maxAgeSeconds: number,
): SessionData | undefined {
  const last = cookie.lastIndexOf('.');
  if (last < 0) return undefined;
  const value = cookie.slice(0, last);
  const expected = Buffer.from(signature(secretKey, value));
  const given = Buffer.from(cookie.slice(last + 1));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  const dot = value.lastIndexOf('.');
  if (dot < 0) return undefined;
  const stamp = Buffer.from(value.slice(dot + 1), 'base64url');
  const signedAt = stamp.length === 0 ? 0 : parseInt(stamp.toString('hex'), 16);
  if (maxAgeSeconds > 0 && nowMs / 1000 - signedAt > maxAgeSeconds) return undefined;
  try {
    const data: unknown = JSON.parse(Buffer.from(value.slice(0, dot), 'base64').toString('utf8'));
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as SessionData) : undefined;
  } catch {
    return undefined;
  }
}

/** `Set-Cookie` for a session (Starlette re-sends it, re-signed, on every answer while the session is not empty). */
export function sessionSetCookie(value: string, o: SessionCookieOptions): string {
  const parts = [`${o.name}=${value}`, 'path=/'];
  if (o.maxAgeSeconds > 0) parts.push(`Max-Age=${o.maxAgeSeconds}`);
  parts.push('httponly', `samesite=${o.sameSite}`);
  if (o.secure) parts.push('secure');
  return parts.join('; ');
}

/** `Set-Cookie` that clears a session that existed (the session emptied: a logout, an expiry). */
export function sessionClearCookie(o: SessionCookieOptions): string {
  const parts = [
    `${o.name}=null`,
    'path=/',
    'expires=Thu, 01 Jan 1970 00:00:00 GMT',
    'httponly',
    `samesite=${o.sameSite}`,
  ];
  if (o.secure) parts.push('secure');
  return parts.join('; ');
}
