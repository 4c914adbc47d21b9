import { describe, expect, test } from 'vitest';
import { DURATION_RULE, formatDuration, parseDuration } from '../../src/duration.js';

describe('parseDuration', () => {
  test.each([
    ['24h', 86_400_000],
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1m500ms', 60_500],
    ['2d', 172_800_000],
    ['1.5h', 5_400_000],
    ['0s', 0],
    [' 24h ', 86_400_000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([
    [90, 90_000],
    ['90', 90_000],
    [0, 0],
    [1.5, 1500],
  ])('a plain number of seconds: %j is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  test.each(['24 hours', '1h 30m', '-1s', '', '   ', 'h', '24H', '1w', '1h-30m', '.5s', '1e3s'])(
    '%j is not a duration',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  test.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('the number %d is not a duration', (n) => {
    expect(parseDuration(n)).toBeUndefined();
  });

  test('the rule names the accepted forms', () => {
    expect(DURATION_RULE).toBe('a duration such as "90s", "15m", "24h" or "1h30m" (units ms, s, m, h, d)');
  });
});

describe('formatDuration', () => {
  test.each([
    [86_400_000, '24h'],
    [2_592_000_000, '720h'],
    [5_400_000, '90m'],
    [900_000, '15m'],
    [90_000, '90s'],
    [1000, '1s'],
    [1500, '1500ms'],
    [1, '1ms'],
  ])('%d ms is %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test.each([86_400_000, 5_400_000, 90_000, 1500])(
    'parseDuration(formatDuration(%d)) gives it back',
    (ms) => {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    },
  );
});
