import { describe, expect, test } from 'vitest';
import { csrfCookieName, openCsrf, sealCsrf } from '../../../../src/proxy/session/csrf-cookie.js';
import { openSession } from '../../../../src/proxy/session/cookie-codec.js';

const secret = Buffer.alloc(32, 7).toString('base64url');
const now = Date.UTC(2026, 10, 23, 12);
const name = csrfCookieName('_oauth2_proxy');
const csrf = { stateNonce: 'state-nonce', oidcNonce: 'oidc-nonce', codeVerifier: 'verifier' };

// §A1 "CSRF cookie".
describe('csrf cookie', () => {
  test('is named <cookie-name>_csrf and round-trips in the signed envelope', () => {
    expect(name).toBe('_oauth2_proxy_csrf');
    const v = sealCsrf(csrf, { secret, now, name });
    expect(v).toMatch(/^[A-Za-z0-9_=-]+\|\d+\|[A-Za-z0-9_=-]+$/);
    expect(openCsrf(v, { secret, now: now + 1000, name })).toEqual(csrf);
  });

  test('is validated with cookie-csrf-expire (15m by default), not cookie-expire', () => {
    const v = sealCsrf(csrf, { secret, now, name });
    expect(openCsrf(v, { secret, now: now + 15 * 60_000 - 1, name })).toEqual(csrf);
    expect(openCsrf(v, { secret, now: now + 15 * 60_000, name })).toBeUndefined();
    expect(openCsrf(v, { secret, now: now + 60_000, name, csrfExpireMs: 60_000 })).toBeUndefined();
  });

  test('fails under another secret or name, and is not a session cookie', () => {
    const v = sealCsrf(csrf, { secret, now, name });
    expect(openCsrf(v, { secret: Buffer.alloc(32, 8).toString('base64url'), now, name })).toBeUndefined();
    expect(openCsrf(v, { secret, now, name: '_oauth2_proxy' })).toBeUndefined();
    expect(openSession(v, { secret, now }).ok).toBe(false);
  });
});
