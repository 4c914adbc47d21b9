import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createClock } from '../../src/clock.js';
import { isAuthlabError } from '../../src/errors.js';

// The system clock is frozen at SYSTEM_NOW (only Date is faked), so every reading is exact.
const SYSTEM_NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: SYSTEM_NOW });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('createClock', () => {
  test('without a start, reads the system clock', () => {
    const clock = createClock();
    expect(clock.now()).toBe(SYSTEM_NOW);
    expect(clock.nowSeconds()).toBe(SYSTEM_NOW / 1000);
    expect(clock.offsetMs).toBe(0);
  });

  test('with a start, begins there and keeps ticking with the system clock', () => {
    const start = new Date('2024-06-01T00:00:00.000Z');
    const clock = createClock(start);
    expect(clock.now()).toBe(start.getTime());
    expect(clock.offsetMs).toBe(start.getTime() - SYSTEM_NOW);
    vi.setSystemTime(SYSTEM_NOW + 1500);
    expect(clock.now()).toBe(start.getTime() + 1500);
    expect(clock.nowSeconds()).toBe(start.getTime() / 1000 + 1);
  });

  test('takes the start as epoch milliseconds too', () => {
    expect(createClock(1_000_000).now()).toBe(1_000_000);
  });

  test('nowSeconds() rounds down', () => {
    const clock = createClock(1_999);
    expect(clock.nowSeconds()).toBe(1);
  });
});

describe('advance', () => {
  test("advance('25h') moves now() 25 hours ahead, past a 24h token lifetime", () => {
    const clock = createClock();
    clock.advance('25h');
    expect(clock.now()).toBe(SYSTEM_NOW + 25 * HOUR);
    expect(clock.nowSeconds()).toBe(SYSTEM_NOW / 1000 + 25 * 3600);
    expect(clock.offsetMs).toBe(25 * HOUR);
  });

  test('adds up', () => {
    const clock = createClock();
    clock.advance('1h30m');
    clock.advance('90s');
    expect(clock.now()).toBe(SYSTEM_NOW + 90 * 60_000 + 90_000);
  });

  test('takes a number as milliseconds (not seconds, unlike config durations)', () => {
    const clock = createClock();
    clock.advance(1500);
    expect(clock.now()).toBe(SYSTEM_NOW + 1500);
  });

  test.each(['bogus', '-1s', '', '25 hours'])(
    'advance(%j) throws AUTHLAB_INVALID_ARGUMENT and leaves the clock',
    (by) => {
      const clock = createClock();
      let error: unknown;
      try {
        clock.advance(by);
      } catch (e) {
        error = e;
      }
      expect(isAuthlabError(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'AUTHLAB_INVALID_ARGUMENT',
        message: `clock.advance(${JSON.stringify(by)}): not a duration`,
        hint: 'Pass a duration such as "90s", "15m", "24h" or "1h30m" (units ms, s, m, h, d), or a number of milliseconds.',
      });
      expect(clock.now()).toBe(SYSTEM_NOW);
    },
  );

  test.each([
    [Number.NaN, 'clock.advance(NaN): not a duration'],
    [Number.POSITIVE_INFINITY, 'clock.advance(Infinity): not a duration'],
  ])('advance(%d) throws, naming the number', (by, message) => {
    const clock = createClock();
    expect(() => clock.advance(by)).toThrow(
      expect.objectContaining({ code: 'AUTHLAB_INVALID_ARGUMENT', message }),
    );
    expect(clock.now()).toBe(SYSTEM_NOW);
  });

  test('a negative number of milliseconds moves the clock back', () => {
    const clock = createClock();
    clock.advance(-HOUR);
    expect(clock.now()).toBe(SYSTEM_NOW - HOUR);
  });
});

describe('set', () => {
  test('pins the clock to an instant, from which it keeps ticking', () => {
    const clock = createClock();
    clock.advance('25h');
    clock.set(new Date('2031-02-03T04:05:06.000Z'));
    expect(clock.now()).toBe(Date.UTC(2031, 1, 3, 4, 5, 6));
    vi.setSystemTime(SYSTEM_NOW + 2000);
    expect(clock.now()).toBe(Date.UTC(2031, 1, 3, 4, 5, 8));
  });

  test('takes epoch milliseconds, also in the past', () => {
    const clock = createClock();
    clock.set(SYSTEM_NOW - HOUR);
    expect(clock.now()).toBe(SYSTEM_NOW - HOUR);
    expect(clock.offsetMs).toBe(-HOUR);
  });
});
