import { describe, expect, test } from 'vitest';
import { formatGoDuration, parseGoDuration } from '../../../src/proxy/go-duration.js';

// Go's time.ParseDuration and Duration.String(), as oauth2-proxy's duration flags use them (§A1 "Defaults").
describe('parseGoDuration', () => {
  test.each([
    ['168h', 168 * 3600_000],
    ['1h30m', 90 * 60_000],
    ['90s', 90_000],
    ['0', 0],
    ['-0', 0],
    ['1.5h', 5400_000],
    ['300ms', 300],
    ['0.3s', 300],
    ['.5m', 30_000],
    ['1.m', 60_000],
    ['-90s', -90_000],
    ['+15m', 900_000],
    ['2h45m10.5s', (2 * 3600 + 45 * 60 + 10.5) * 1000],
    ['1us', 0.001],
    ['1µs', 0.001],
    ['1μs', 0.001],
    ['1ns', 0.000001],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  test.each(['', '3600', '00', '7d', '.h', '1h30', '1h 30m', 'h', '1H', '-', '1e3s', ' 1h'])(
    '%j is not a Go duration',
    (text) => {
      expect(parseGoDuration(text)).toBeUndefined();
    },
  );
});

describe('formatGoDuration', () => {
  test.each([
    [168 * 3600_000, '168h0m0s'],
    [15 * 60_000, '15m0s'],
    [3600_000, '1h0m0s'],
    [90_000, '1m30s'],
    [0, '0s'],
    [1500, '1.5s'],
    [300, '300ms'],
    [1.5, '1.5ms'],
    [0.0015, '1.5µs'],
    [0.000001, '1ns'],
    [-1500, '-1.5s'],
    [(2 * 3600 + 45 * 60 + 10.5) * 1000, '2h45m10.5s'],
  ])('%d ms prints as %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });

  test('round-trips what it prints', () => {
    for (const text of ['168h0m0s', '1m30s', '1.5s', '300ms', '1.5µs', '1ns'])
      expect(formatGoDuration(parseGoDuration(text)!)).toBe(text);
  });
});
