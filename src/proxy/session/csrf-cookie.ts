// The `_oauth2_proxy_csrf` cookie set on /oauth2/start and checked on /oauth2/callback
// (oauth2-proxy-and-dex.md §A1 "CSRF cookie"). Same signed envelope as the session, payload not LZ4-compressed.
// Deviation as in cookie-codec.ts: JSON with the msgpack keys `s`, `n`, `cv` instead of msgpack.
import { cookieKeys } from './cookie-secret.js';
import { decryptCfb, encryptCfb, signValue, validateValue } from './signed-value.js';

/** `--cookie-csrf-expire` default, 15m. Validated with this since v7.15.0, not `cookie-expire` (§A1). */
export const DEFAULT_CSRF_EXPIRE_MS = 15 * 60 * 1000;

export interface CsrfState {
  /** The state nonce; `state` sent to the IdP starts with b64url-raw(sha256(it)). */
  stateNonce: string;
  /** The OIDC nonce. */
  oidcNonce: string;
  /** The PKCE code verifier. */
  codeVerifier?: string;
}

/** `<cookie-name>_csrf` (without `--cookie-csrf-per-request`, which the lab does not implement). */
export function csrfCookieName(cookieName: string): string {
  return `${cookieName}_csrf`;
}

export function sealCsrf(csrf: CsrfState, options: { secret: string; now: number; name: string }): string {
  const keys = cookieKeys(options.secret);
  const wire: Record<string, string> = { s: csrf.stateNonce, n: csrf.oidcNonce };
  if (csrf.codeVerifier !== undefined && csrf.codeVerifier !== '') wire.cv = csrf.codeVerifier;
  const payload = encryptCfb(keys.aesKey, Buffer.from(JSON.stringify(wire), 'utf8'));
  return signValue(keys, options.name, payload, options.now);
}

/**
 * The CSRF state from a presented cookie value, or undefined for any failure (bad envelope, outside the
 * `csrfExpireMs` window, undecodable payload); the callback answers every one of them with §A2's
 * `Login Failed: Unable to find a valid CSRF token` page, so the reason is not kept.
 */
export function openCsrf(
  value: string,
  options: { secret: string; now: number; name: string; csrfExpireMs?: number },
): CsrfState | undefined {
  const keys = cookieKeys(options.secret);
  const valid = validateValue(
    keys,
    options.name,
    value,
    options.now,
    options.csrfExpireMs ?? DEFAULT_CSRF_EXPIRE_MS,
  );
  if (valid === undefined) return undefined;
  try {
    const w = JSON.parse(decryptCfb(keys.aesKey, valid.value).toString('utf8')) as Record<string, unknown>;
    if (typeof w.s !== 'string' || typeof w.n !== 'string') return undefined;
    if (w.cv !== undefined && typeof w.cv !== 'string') return undefined;
    return { stateNonce: w.s, oidcNonce: w.n, ...(typeof w.cv === 'string' ? { codeVerifier: w.cv } : {}) };
  } catch {
    return undefined;
  }
}
