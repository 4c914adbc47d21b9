import { describe, expect, test } from 'vitest';
import {
  openSessionCookie,
  sealSessionCookie,
  sessionClearCookie,
  sessionSetCookie,
} from '../../../../src/mlflow/auth/oidc/session-cookie.js';
import { pythonJsonDumps } from '../../../../src/mlflow/auth/oidc/python-json.js';

const SESSION = {
  oauth_state: 'abc',
  username: 'alice@example.com',
  authenticated: true,
  expires_at: 1796760279,
  name: 'Łukasz',
};
/** Signed by itsdangerous 2.2.0's TimestampSigner('lab-secret-key') at 1796673879, as Starlette signs a session. */
const ITSDANGEROUS =
  'eyJvYXV0aF9zdGF0ZSI6ICJhYmMiLCAidXNlcm5hbWUiOiAiYWxpY2VAZXhhbXBsZS5jb20iLCAiYXV0aGVudGljYXRlZCI6IHRydWUsICJleHBpcmVzX2F0IjogMTc5Njc2MDI3OSwgIm5hbWUiOiAiXHUwMTQxdWthc3oifQ==.axcRVw.WxTjNSv1UHKZv6Xs6ElOpM-yk60';

describe("Starlette's session cookie (itsdangerous TimestampSigner)", () => {
  test('the same bytes as itsdangerous for the same session, key and second', () => {
    expect(pythonJsonDumps(SESSION)).toBe(
      '{"oauth_state": "abc", "username": "alice@example.com", "authenticated": true, "expires_at": 1796760279, "name": "\\u0141ukasz"}',
    );
    expect(sealSessionCookie(SESSION, 'lab-secret-key', 1796673879_000)).toBe(ITSDANGEROUS);
  });

  test('opens what itsdangerous signed; refuses another key, a changed byte, and an age past max-age', () => {
    const at = 1796673879_000;
    expect(openSessionCookie(ITSDANGEROUS, 'lab-secret-key', at, 1209600)).toEqual(SESSION);
    expect(openSessionCookie(ITSDANGEROUS, 'other-key', at, 1209600)).toBeUndefined();
    const tampered = ITSDANGEROUS.replace('eyJvYXV0', 'eyJvYXV1');
    expect(openSessionCookie(tampered, 'lab-secret-key', at, 1209600)).toBeUndefined();
    expect(openSessionCookie(ITSDANGEROUS, 'lab-secret-key', at + 1209601_000, 1209600)).toBeUndefined();
    expect(openSessionCookie(ITSDANGEROUS, 'lab-secret-key', at + 1209600_000, 1209600)).toEqual(SESSION);
    for (const junk of ['', 'null', 'a.b', 'a.b.c', '...'])
      expect(openSessionCookie(junk, 'lab-secret-key', at, 1209600)).toBeUndefined();
  });

  test('Set-Cookie as Starlette writes it, and the clearing one (§3.1 L7)', () => {
    const o = { secretKey: 'k', name: 'session', maxAgeSeconds: 1209600, sameSite: 'lax', secure: false };
    expect(sessionSetCookie('v', o)).toBe('session=v; path=/; Max-Age=1209600; httponly; samesite=lax');
    expect(sessionClearCookie(o)).toBe(
      'session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax',
    );
    expect(sessionSetCookie('v', { ...o, maxAgeSeconds: 0, secure: true, sameSite: 'strict' })).toBe(
      'session=v; path=/; httponly; samesite=strict; secure',
    );
  });
});
