import { describe, expect, test } from 'vitest';
import { PROXY_DEFAULTS } from '../../../src/proxy/options.js';
import {
  COOKIE_SETTINGS_AT,
  authLine,
  configuredLine,
  cookieSettingsLine,
  goLogTimestamp,
  mappingLine,
  requestLine,
  sessionString,
  standardLine,
} from '../../../src/proxy/proxy-log.js';

// Local time, as oauth2-proxy logs by default.
const AT = new Date(2026, 7, 6, 12, 0, 5);

describe('timestamps and the standard format', () => {
  test('2006/01/02 15:04:05 in local time, zero-padded', () => {
    expect(goLogTimestamp(AT)).toBe('2026/08/06 12:00:05');
    expect(goLogTimestamp(new Date(2026, 0, 2, 3, 4, 5, 999))).toBe('2026/01/02 03:04:05');
  });

  test('[ts] [file:line] message', () => {
    expect(standardLine('jwt_session.go:54', 'Error retrieving session from token', AT)).toBe(
      '[2026/08/06 12:00:05] [jwt_session.go:54] Error retrieving session from token',
    );
  });
});

describe('auth format', () => {
  test('client - request id - user [ts] [status] message', () => {
    expect(
      authLine({
        client: '10.0.0.1',
        requestId: '4f1c',
        username: 'bob@example.com',
        status: 'AuthSuccess',
        message: 'Authenticated via OAuth2: Session{…}',
        at: AT,
      }),
    ).toBe(
      '10.0.0.1 - 4f1c - bob@example.com [2026/08/06 12:00:05] [AuthSuccess] Authenticated via OAuth2: Session{…}',
    );
  });

  test('an empty username prints as -', () => {
    const line = authLine({
      client: '::1',
      requestId: 'r',
      username: '',
      status: 'AuthFailure',
      message: 'm',
      at: AT,
    });
    expect(line).toBe('::1 - r - - [2026/08/06 12:00:05] [AuthFailure] m');
  });
});

describe('request format', () => {
  const base = {
    client: '172.18.0.1',
    requestId: 'abc',
    username: 'bob@example.com',
    at: AT,
    host: 'localhost:4180',
    method: 'GET',
    upstream: '/',
    requestUri: '/api/2.0/mlflow/experiments/search?max_results=1',
    protocol: 'HTTP/1.1',
    userAgent: 'curl/8.5.0',
    status: 200,
    size: 123,
    durationMs: 12.3456,
  };

  test('quoted URI and agent, %0.3f seconds', () => {
    expect(requestLine(base)).toBe(
      '172.18.0.1 - abc - bob@example.com [2026/08/06 12:00:05] localhost:4180 GET / ' +
        '"/api/2.0/mlflow/experiments/search?max_results=1" HTTP/1.1 "curl/8.5.0" 200 123 0.012',
    );
  });

  test('- for no user and no upstream; Go quoting of odd bytes', () => {
    const line = requestLine({ ...base, username: '', upstream: '', userAgent: 'a "b"\t', durationMs: 1500 });
    expect(line).toBe(
      '172.18.0.1 - abc - - [2026/08/06 12:00:05] localhost:4180 GET - ' +
        '"/api/2.0/mlflow/experiments/search?max_results=1" HTTP/1.1 "a \\"b\\"\\t" 200 123 1.500',
    );
  });

  test('duration rounding is Go’s: exact ties go to even', () => {
    const duration = (durationMs: number) =>
      requestLine({ ...base, durationMs })
        .split(' ')
        .at(-1);
    expect(duration(62.5)).toBe('0.062');
    expect(duration(187.5)).toBe('0.188');
    expect(duration(0.4)).toBe('0.000');
    expect(duration(999.6)).toBe('1.000');
  });
});

describe('SessionState.String()', () => {
  const created = Date.UTC(2026, 7, 6, 12, 0, 0);
  const expires = Date.UTC(2026, 7, 6, 13, 0, 0);

  test('a full session', () => {
    expect(
      sessionString({
        email: 'bob@example.com',
        user: 'CiQwOGE4',
        preferredUsername: 'bob',
        accessToken: 'at',
        idToken: 'it',
        createdAt: created,
        expiresOn: expires,
        groups: ['admins'],
      }),
    ).toBe(
      'Session{email:bob@example.com user:CiQwOGE4 PreferredUsername:bob token:true id_token:true ' +
        'created:2026-08-06 12:00:00 +0000 UTC expires:2026-08-06 13:00:00 +0000 UTC refresh_token:false groups:[admins]}',
    );
  });

  test('an empty session still names the three identity fields and refresh_token', () => {
    expect(sessionString({})).toBe('Session{email: user: PreferredUsername: refresh_token:false}');
  });

  test('refresh token, several groups, empty groups left out, zero time left out', () => {
    expect(sessionString({ refreshToken: 'rt', groups: ['a', 'b'] })).toBe(
      'Session{email: user: PreferredUsername: refresh_token:true groups:[a b]}',
    );
    expect(sessionString({ groups: [], createdAt: -62135596800000 })).toBe(
      'Session{email: user: PreferredUsername: refresh_token:false}',
    );
  });

  test('a fresh session: sub-millisecond fraction and monotonic reading, as time.Now() prints', () => {
    expect(sessionString({ createdAt: created + 123.25, createdMonotonicSeconds: 3.25 })).toBe(
      'Session{email: user: PreferredUsername: created:2026-08-06 12:00:00.12325 +0000 UTC m=+3.250000000 ' +
        'refresh_token:false}',
    );
  });
});

describe('startup lines', () => {
  test('cookie settings with the defaults', () => {
    expect(cookieSettingsLine(PROXY_DEFAULTS)).toBe(
      'Cookie settings: name:_oauth2_proxy secure(https):true httponly:true expiry:168h0m0s domains: path:/ ' +
        'samesite: refresh:disabled',
    );
    expect(COOKIE_SETTINGS_AT).toBe('oauthproxy.go:186');
  });

  test('cookie settings with refresh, domains and samesite', () => {
    expect(
      cookieSettingsLine({
        ...PROXY_DEFAULTS,
        cookieSecure: false,
        cookieExpireMs: 15 * 60_000,
        cookieRefreshMs: 3600_000,
        cookieDomains: ['.example.com', 'lab.local'],
        cookieSameSite: 'lax',
      }),
    ).toBe(
      'Cookie settings: name:_oauth2_proxy secure(https):false httponly:true expiry:15m0s ' +
        'domains:.example.com,lab.local path:/ samesite:lax refresh:after 1h0m0s',
    );
  });

  test('Go durations for odd values', () => {
    const expiry = (cookieExpireMs: number) =>
      /expiry:(\S*)/.exec(cookieSettingsLine({ ...PROXY_DEFAULTS, cookieExpireMs }))![1];
    expect(expiry(0)).toBe('0s');
    expect(expiry(1500)).toBe('1.5s');
    expect(expiry(300)).toBe('300ms');
    expect(expiry(0.0015)).toBe('1.5µs');
    expect(expiry(90_000)).toBe('1m30s');
    expect(expiry(3600_000 + 500)).toBe('1h0m0.5s');
  });

  test('provider and upstream lines', () => {
    expect(configuredLine('OpenID Connect', 'mlflow')).toBe(
      'OAuthProxy configured for OpenID Connect Client ID: mlflow',
    );
    expect(mappingLine('/', 'http://mlflow:5000')).toBe('mapping path "/" => upstream "http://mlflow:5000"');
  });
});
