import { describe, expect, test } from 'vitest';
import { goFloat, goList, goQuote, goSet, goTime, goValue } from '../../../../src/proxy/bearer/go-format.js';

describe("Go's fmt shapes", () => {
  test('time.Time %v in UTC, fraction only when not zero', () => {
    expect(goTime(Date.UTC(2026, 7, 5, 11, 0, 0))).toBe('2026-08-05 11:00:00 +0000 UTC');
    expect(goTime(Date.UTC(2026, 0, 2, 3, 4, 5, 120))).toBe('2026-01-02 03:04:05.12 +0000 UTC');
  });

  test('float64 %v: shortest digits, exponent from 1e6 up and below 1e-4', () => {
    expect(goFloat(1763928000)).toBe('1.763928e+09');
    expect(goFloat(1234567)).toBe('1.234567e+06');
    expect(goFloat(123456)).toBe('123456');
    expect(goFloat(1e21)).toBe('1e+21');
    expect(goFloat(0.5)).toBe('0.5');
    expect(goFloat(0.00001)).toBe('1e-05');
    expect(goFloat(0)).toBe('0');
  });

  test('map[string]struct{} with sorted keys, slices space-joined', () => {
    expect(goSet(['oauth2-proxy', 'mlflow-cli', 'mlflow'])).toBe(
      'map[mlflow:{} mlflow-cli:{} oauth2-proxy:{}]',
    );
    expect(goSet(['b', 'B', 'a'])).toBe('map[B:{} a:{} b:{}]');
    expect(goList(['admin-cli'])).toBe('[admin-cli]');
    expect(goList([])).toBe('[]');
  });

  test('interface{} values decoded from JSON', () => {
    expect(
      goValue({ sub: 'x', exp: 1763928000, aud: ['a', 'b'], ok: true, n: null, o: { z: 1, a: 2 } }),
    ).toBe('map[aud:[a b] exp:1.763928e+09 n:<nil> o:map[a:2 z:1] ok:true sub:x]');
  });

  test('%q', () => {
    expect(goQuote('a "b"\\\n\t\x01é')).toBe('"a \\"b\\"\\\\\\n\\t\\x01é"');
  });
});
