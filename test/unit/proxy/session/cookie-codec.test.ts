import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_COOKIE_EXPIRE_MS,
  loadErrorLogLine,
  openSession,
  sealSession,
  type SessionState,
} from '../../../../src/proxy/session/cookie-codec.js';
import { b64UrlPadded, decodeB64UrlPadded } from '../../../../src/proxy/session/signed-value.js';

const secret = Buffer.alloc(32, 7).toString('base64url');
const aesKey = Buffer.alloc(32, 7);
const t0 = Date.UTC(2026, 10, 23, 12, 0, 0, 250);
const session: SessionState = {
  email: 'alice@example.com',
  user: 'CiQwOGE4',
  groups: ['team-a-editors', 'everyone'],
  preferredUsername: 'alice',
  accessToken: 'at.at.at',
  idToken: 'it.it.it',
  refreshToken: 'rt',
  expiresOn: t0 + 24 * 3600_000,
};

// An independent oracle for the envelope (§A1 "Value format"), so a payload can be signed without the codec.
const b64 = (b: Buffer) => b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
function signRaw(encoded: string, ts: string, name = '_oauth2_proxy', key = secret): string {
  const sig = createHmac('sha256', key)
    .update(name + encoded + ts)
    .digest();
  return `${encoded}|${ts}|${b64(sig)}`;
}
function encrypt(plain: Buffer): Buffer {
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cfb', aesKey, iv);
  return Buffer.concat([iv, c.update(plain), c.final()]);
}
const sigFailure = { ok: false, reason: 'signature', message: 'cookie signature not valid' };

describe("Go's padded base64url", () => {
  test('uses - and _ and keeps the = padding; decoding refuses what Go refuses', () => {
    expect(b64UrlPadded(Buffer.from([0xfb, 0xff]))).toBe('-_8=');
    expect(decodeB64UrlPadded('-_8=')).toEqual(Buffer.from([0xfb, 0xff]));
    expect(decodeB64UrlPadded('-_8')).toBeUndefined();
    expect(decodeB64UrlPadded('+/8=')).toBeUndefined();
  });
});

describe('sealSession / openSession', () => {
  test('round trip, stamping createdAt from the lab clock', () => {
    const value = sealSession(session, { secret, now: t0 });
    expect(openSession(value, { secret, now: t0 + 1000 })).toEqual({
      ok: true,
      session: { ...session, createdAt: t0 },
    });
  });

  test('the value is <b64url padded>|<unix seconds of createdAt>|<b64url HMAC over name+payload+ts>', () => {
    const createdAt = t0 - 3600_000;
    const value = sealSession({ ...session, createdAt }, { secret, now: t0 });
    expect(value).toMatch(/^[A-Za-z0-9_=-]+\|\d+\|[A-Za-z0-9_=-]+$/);
    const [encoded, ts, sig] = value.split('|') as [string, string, string];
    expect(ts).toBe(String(Math.floor(createdAt / 1000)));
    expect(sig).toBe(signRaw(encoded, ts).split('|')[2]);
    expect(sig.endsWith('=')).toBe(true); // 32 bytes → 44 chars with one '='
    // Encrypted with a fresh IV each time.
    expect(sealSession(session, { secret, now: t0 })).not.toBe(sealSession(session, { secret, now: t0 }));
  });

  test('the payload is AES-CFB under SecretBytes(secret) with a 16-byte IV prefix (JSON with msgpack keys)', () => {
    const value = sealSession({ email: 'a@b', groups: [], user: '' }, { secret, now: t0 });
    const raw = Buffer.from(value.split('|')[0]!, 'base64url');
    const d = createDecipheriv('aes-256-cfb', aesKey, raw.subarray(0, 16));
    const plain = Buffer.concat([d.update(raw.subarray(16)), d.final()]).toString();
    expect(JSON.parse(plain)).toEqual({ ca: t0, e: 'a@b' });
  });

  describe('failure matrix (§A1), every envelope failure is "cookie signature not valid"', () => {
    const value = sealSession(session, { secret, now: t0 });
    const [encoded, ts, sig] = value.split('|') as [string, string, string];

    test('tampered payload', () => {
      const flipped = encoded[5] === 'A' ? 'B' : 'A';
      const tampered = `${encoded.slice(0, 5)}${flipped}${encoded.slice(6)}|${ts}|${sig}`;
      expect(openSession(tampered, { secret, now: t0 })).toEqual(sigFailure);
    });

    test('tampered timestamp', () => {
      expect(openSession(`${encoded}|${Number(ts) + 1}|${sig}`, { secret, now: t0 })).toEqual(sigFailure);
    });

    test('wrong secret, and a value sealed under another cookie name', () => {
      const other = Buffer.alloc(32, 8).toString('base64url');
      expect(openSession(value, { secret: other, now: t0 })).toEqual(sigFailure);
      expect(openSession(value, { secret, now: t0, name: '_other' })).toEqual(sigFailure);
      const named = sealSession(session, { secret, now: t0, name: '_other' });
      expect(openSession(named, { secret, now: t0, name: '_other' }).ok).toBe(true);
    });

    test('not exactly three parts, and an empty value', () => {
      expect(openSession(`${encoded}|${ts}`, { secret, now: t0 })).toEqual(sigFailure);
      expect(openSession(`${value}|x`, { secret, now: t0 })).toEqual(sigFailure);
      expect(openSession('', { secret, now: t0 })).toEqual(sigFailure);
    });

    test('expired by the lab clock: the window (now - cookie-expire, now + 5min) is open at both ends', () => {
      const created = Math.floor(t0 / 1000) * 1000;
      expect(openSession(value, { secret, now: created + DEFAULT_COOKIE_EXPIRE_MS - 1 }).ok).toBe(true);
      expect(openSession(value, { secret, now: created + DEFAULT_COOKIE_EXPIRE_MS })).toEqual(sigFailure);
      expect(openSession(value, { secret, now: created + 60_000, expireMs: 60_000 })).toEqual(sigFailure);
      expect(openSession(value, { secret, now: created + 59_999, expireMs: 60_000 }).ok).toBe(true);
    });

    test('more than 5 minutes in the future', () => {
      const created = Math.floor(t0 / 1000) * 1000;
      expect(openSession(value, { secret, now: created - 5 * 60_000 + 1 }).ok).toBe(true);
      expect(openSession(value, { secret, now: created - 5 * 60_000 })).toEqual(sigFailure);
    });

    test('cookie-expire=0 turns the window off', () => {
      expect(openSession(value, { secret, now: t0 + 10 * DEFAULT_COOKIE_EXPIRE_MS, expireMs: 0 }).ok).toBe(
        true,
      );
    });

    test('garbage base64 under a valid HMAC, and garbage HMAC', () => {
      expect(openSession(signRaw('!!not*base64', ts), { secret, now: t0 })).toEqual(sigFailure);
      // Go's padded URLEncoding refuses unpadded input.
      expect(openSession(signRaw('YWI', ts), { secret, now: t0 })).toEqual(sigFailure);
      expect(openSession(`${encoded}|${ts}|***`, { secret, now: t0 })).toEqual(sigFailure);
      expect(openSession(signRaw(encoded, 'abc'), { secret, now: t0 })).toEqual(sigFailure);
    });
  });

  test('HMAC ok but the payload is shorter than an IV: error decrypting the session state', () => {
    const v = signRaw(b64(Buffer.from('abcd')), String(Math.floor(t0 / 1000)));
    const r = openSession(v, { secret, now: t0 });
    expect(r).toEqual({
      ok: false,
      reason: 'decrypt',
      message:
        'error decrypting the session state: encrypted value should be at least 16 bytes, but is only 4 bytes',
    });
    if (!r.ok) {
      expect(loadErrorLogLine(r)).toBe(
        'Error loading cookied session: error decrypting the session state: encrypted value should be at least 16 bytes, but is only 4 bytes, removing session',
      );
    }
  });

  test('HMAC ok, decrypts, but is no session: error unmarshalling data to session state', () => {
    const ts = String(Math.floor(t0 / 1000));
    for (const plain of ['not json', '[1]', '{"e":5}']) {
      const r = openSession(signRaw(b64(encrypt(Buffer.from(plain))), ts), { secret, now: t0 });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.reason).toBe('unmarshal');
        expect(r.message).toMatch(/^error unmarshalling data to session state: ./);
      }
    }
  });

  test('the log line for a bad signature', () => {
    expect(loadErrorLogLine({ ok: false, reason: 'signature', message: 'cookie signature not valid' })).toBe(
      'Error loading cookied session: cookie signature not valid, removing session',
    );
  });
});
