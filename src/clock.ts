import { AuthlabError } from './errors.js';
import { DURATION_RULE, parseDuration } from './duration.js';

/**
 * The lab's one clock. Every `iat`/`exp` the lab writes and every expiry it checks reads it, so tests expire
 * tokens by advancing it instead of sleeping (DESIGN.md, "Testing": time is injected).
 */
export interface LabClock {
  /** Milliseconds since the epoch, like Date.now(). */
  now(): number;
  /** Whole seconds since the epoch, for JWT claims. */
  nowSeconds(): number;
  /** Moves the clock forward, e.g. `advance('25h')`; accepts milliseconds as a number. */
  advance(by: string | number): void;
  /** Pins the clock to an instant; it keeps ticking from there. */
  set(to: Date | number): void;
  /** Milliseconds this clock is ahead of (or behind) the system clock. */
  readonly offsetMs: number;
}

export function createClock(start?: Date | number): LabClock {
  let offsetMs = start === undefined ? 0 : +start - Date.now();
  const now = () => Date.now() + offsetMs;
  return {
    now,
    nowSeconds: () => Math.floor(now() / 1000),
    advance(by) {
      const ms = typeof by === 'number' ? by : parseDuration(by);
      if (ms === undefined || !Number.isFinite(ms)) {
        throw new AuthlabError(
          'AUTHLAB_INVALID_ARGUMENT',
          `clock.advance(${typeof by === 'string' ? JSON.stringify(by) : String(by)}): not a duration`,
          {
            hint: `Pass ${DURATION_RULE}, or a number of milliseconds.`,
          },
        );
      }
      offsetMs += ms;
    },
    set(to) {
      offsetMs = +to - Date.now();
    },
    get offsetMs() {
      return offsetMs;
    },
  };
}
