import { describe, expect, test } from 'vitest';
import {
  MAX_COOKIE_LENGTH,
  clearSessionCookies,
  parseCookieHeader,
  readSessionCookie,
  serializeCookie,
  sessionSetCookies,
  type CookieAttributes,
} from '../../../../src/proxy/session/cookie-chunks.js';
import { openSession, sealSession } from '../../../../src/proxy/session/cookie-codec.js';

// oauth2-proxy's defaults (§A1 "Defaults"): Path=/, 168h, HttpOnly, Secure, no SameSite, no domain.
const defaults: CookieAttributes = { path: '/', maxAge: 604800, httpOnly: true, secure: true, sameSite: '' };
const name = '_oauth2_proxy';

/** A request's Cookie header carrying the given Set-Cookie headers' name=value pairs. */
const cookieHeader = (setCookies: string[]) => setCookies.map((h) => h.split(';')[0]).join('; ');

describe('Set-Cookie serialisation (§A1)', () => {
  test('defaults: Max-Age and no Expires, HttpOnly, Secure, no SameSite', () => {
    expect(serializeCookie(name, 'v|1|s', defaults)).toBe(
      '_oauth2_proxy=v|1|s; Path=/; Max-Age=604800; HttpOnly; Secure',
    );
  });

  test("every attribute, in Go's order, with the leading dot of the domain stripped", () => {
    const a: CookieAttributes = { ...defaults, domain: '.example.com', sameSite: 'lax' };
    expect(serializeCookie(name, 'v', a)).toBe(
      '_oauth2_proxy=v; Path=/; Domain=example.com; Max-Age=604800; HttpOnly; Secure; SameSite=Lax',
    );
    expect(serializeCookie(name, 'v', { ...a, sameSite: 'strict' })).toMatch(/; SameSite=Strict$/);
    expect(serializeCookie(name, 'v', { ...a, sameSite: 'none' })).toMatch(/; SameSite=None$/);
  });

  test('cookie-expire=0 gives a browser-session cookie; httponly/secure off drop their flags', () => {
    expect(serializeCookie(name, 'v', { ...defaults, maxAge: 0, httpOnly: false, secure: false })).toBe(
      '_oauth2_proxy=v; Path=/',
    );
  });
});

describe('chunking (§A1 "Chunking")', () => {
  const overhead = serializeCookie(name, '', defaults).length;
  const valueOfLength = (n: number) => 'x'.repeat(n - overhead);
  const chunkValue = (h: string) => h.slice(h.indexOf('=') + 1, h.indexOf(';'));

  test('3999 bytes: one cookie', () => {
    const r = sessionSetCookies(name, valueOfLength(3999), defaults);
    expect(r.split).toBe(false);
    expect(r.headers).toHaveLength(1);
    expect(r.headers[0]).toHaveLength(3999);
    expect(r.headers[0]!.startsWith('_oauth2_proxy=x')).toBe(true);
  });

  test('4000 bytes: split (the source tests "< 4000"); _0 is exactly 4000 bytes and _1 takes the rest', () => {
    const value = valueOfLength(4000);
    const r = sessionSetCookies(name, value, defaults);
    expect(r.split).toBe(true);
    expect(r.headers).toHaveLength(2);
    expect(r.headers[0]!.startsWith('_oauth2_proxy_0=')).toBe(true);
    expect(r.headers[0]).toHaveLength(MAX_COOKIE_LENGTH);
    expect(r.headers[1]).toBe('_oauth2_proxy_1=xx; Path=/; Max-Age=604800; HttpOnly; Secure');
    expect(r.headers.map(chunkValue).join('')).toBe(value);
  });

  test('4001 bytes: two chunks', () => {
    const r = sessionSetCookies(name, valueOfLength(4001), defaults);
    expect(r.headers.map((h) => h.length)).toEqual([4000, overhead + 2 + 3]);
  });

  test('many chunks: every one but the last is 4000 bytes, all carry the attributes, names count up', () => {
    const a: CookieAttributes = { ...defaults, domain: 'example.com', sameSite: 'lax' };
    const value = Array.from({ length: 20000 }, (_, i) => 'abcdefghij'[i % 10]).join('');
    const r = sessionSetCookies(name, value, a);
    expect(r.headers.length).toBeGreaterThanOrEqual(6);
    r.headers.forEach((h, i) => {
      expect(h.startsWith(`_oauth2_proxy_${i}=`)).toBe(true);
      expect(h.endsWith('; Path=/; Domain=example.com; Max-Age=604800; HttpOnly; Secure; SameSite=Lax')).toBe(
        true,
      );
      if (i < r.headers.length - 1) expect(h).toHaveLength(4000);
    });
    expect(r.headers.map(chunkValue).join('')).toBe(value);
  });

  test('a sealed oversized session survives split → Cookie header → read → open', () => {
    const secret = Buffer.alloc(32, 7).toString('base64url');
    const now = Date.UTC(2026, 10, 23);
    const session = { email: 'alice@example.com', accessToken: 'a'.repeat(9000), createdAt: now };
    const sealed = sealSession(session, { secret, now });
    const r = sessionSetCookies(name, sealed, defaults);
    expect(r.headers.length).toBeGreaterThan(2);
    const read = readSessionCookie(parseCookieHeader(cookieHeader(r.headers)), name);
    expect(read).toBe(sealed);
    expect(openSession(read!, { secret, now })).toEqual({ ok: true, session });
  });
});

describe('loading presented cookies (§A1 "Chunking", failure matrix)', () => {
  test('no cookie, or _1 without _0: nothing (anonymous)', () => {
    expect(readSessionCookie(parseCookieHeader(undefined), name)).toBeUndefined();
    expect(readSessionCookie(parseCookieHeader('other=1; _oauth2_proxy_csrf=z'), name)).toBeUndefined();
    expect(
      readSessionCookie(parseCookieHeader('_oauth2_proxy_1=b; _oauth2_proxy_2=c'), name),
    ).toBeUndefined();
  });

  test('the whole cookie wins over chunks', () => {
    const cookies = parseCookieHeader('_oauth2_proxy_0=a; _oauth2_proxy=whole; _oauth2_proxy_1=b');
    expect(readSessionCookie(cookies, name)).toBe('whole');
  });

  test('chunks are read until the first missing index; the first of a duplicated name is used', () => {
    const cookies = parseCookieHeader([
      '_oauth2_proxy_1=b; _oauth2_proxy_0=a',
      '_oauth2_proxy_3=d; _oauth2_proxy_0=z',
    ]);
    expect(readSessionCookie(cookies, name)).toBe('ab');
  });

  test('a missing middle chunk truncates the value, which fails as "cookie signature not valid"', () => {
    const secret = Buffer.alloc(32, 7).toString('base64url');
    const now = Date.UTC(2026, 10, 23);
    const sealed = sealSession({ accessToken: 'a'.repeat(9000) }, { secret, now });
    const headers = sessionSetCookies(name, sealed, defaults).headers;
    expect(headers.length).toBeGreaterThanOrEqual(3);
    const withoutOne = cookieHeader(headers.filter((_, i) => i !== 1));
    const read = readSessionCookie(parseCookieHeader(withoutOne), name)!;
    expect(read).toBe(headers[0]!.slice(headers[0]!.indexOf('=') + 1, headers[0]!.indexOf(';')));
    expect(openSession(read, { secret, now })).toEqual({
      ok: false,
      reason: 'signature',
      message: 'cookie signature not valid',
    });
  });

  test('quoted values are unwrapped and pairs without "=" skipped, as Go reads them', () => {
    expect(parseCookieHeader(' a="q" ;junk; =x; b=1=2')).toEqual([
      { name: 'a', value: 'q' },
      { name: 'b', value: '1=2' },
    ]);
  });
});

describe('clearing (§A1 "Set-Cookie serialisation")', () => {
  test('every matching cookie is cleared with an empty value and Max-Age=0; _csrf and others are not', () => {
    const cookies = parseCookieHeader(
      '_oauth2_proxy=w; _oauth2_proxy_0=a; other=1; _oauth2_proxy_csrf=c; _oauth2_proxy_12=b; _oauth2_proxyX=n',
    );
    const a: CookieAttributes = { ...defaults, domain: 'example.com', sameSite: 'lax' };
    expect(clearSessionCookies(cookies, name, a)).toEqual([
      '_oauth2_proxy=; Path=/; Domain=example.com; Max-Age=0; HttpOnly; Secure; SameSite=Lax',
      '_oauth2_proxy_0=; Path=/; Domain=example.com; Max-Age=0; HttpOnly; Secure; SameSite=Lax',
      '_oauth2_proxy_12=; Path=/; Domain=example.com; Max-Age=0; HttpOnly; Secure; SameSite=Lax',
    ]);
  });

  test('no matching cookie, nothing to clear', () => {
    expect(clearSessionCookies(parseCookieHeader('x=1'), name, defaults)).toEqual([]);
  });
});
