import { describe, expect, test } from 'vitest';
import {
  canonicalHeaderKey,
  goRequestHeaderValue,
  goResponseHeaderValue,
  invalidHeaderValueError,
} from '../../../src/proxy/header-value.js';

const bytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

describe("header values as Go's net/http writes them", () => {
  test('plain values are left as they are, surrounding spaces trimmed', () => {
    expect(goResponseHeaderValue('alice@example.com')).toBe('alice@example.com');
    expect(goResponseHeaderValue(' alice@example.com\t')).toBe('alice@example.com');
    expect(goResponseHeaderValue('')).toBe('');
  });

  test('non-ASCII values go out as their UTF-8 bytes (Latin-1 ones too, which Node would send as one byte)', () => {
    expect(goResponseHeaderValue('łukasz@example.com')).toBe(bytes('łukasz@example.com'));
    expect(goResponseHeaderValue('josé@example.com')).toBe(bytes('josé@example.com'));
    expect(goResponseHeaderValue('🙂@example.com')).toBe(bytes('🙂@example.com'));
  });

  test('CR and LF become spaces, then the ends are trimmed (headerNewlineToSpace, TrimString)', () => {
    expect(goResponseHeaderValue('a\r\nSet-Cookie: x=1')).toBe('a  Set-Cookie: x=1');
    expect(goResponseHeaderValue('\r\na@b\n')).toBe('a@b');
    expect(goResponseHeaderValue('ł\r\n')).toBe(bytes('ł'));
  });

  test('[lab] other controls, which Node cannot send, become spaces', () => {
    expect(goResponseHeaderValue('a\u0000b\u007fc')).toBe('a b c');
  });

  test('the transport refuses CR, LF, NUL and DEL in a request header, keeps tab and UTF-8', () => {
    expect(goRequestHeaderValue('a\tb')).toBe('a\tb');
    expect(goRequestHeaderValue('łukasz')).toBe(bytes('łukasz'));
    for (const bad of ['a\rb', 'a\nb', 'a\u0000', 'a\u007f', 'ł\r'])
      expect(goRequestHeaderValue(bad)).toBeUndefined();
    expect(invalidHeaderValueError('x-forwarded-email')).toBe(
      'net/http: invalid header field value for "X-Forwarded-Email"',
    );
    expect(canonicalHeaderKey('X-FORWARDED-preferred-username')).toBe('X-Forwarded-Preferred-Username');
  });
});
