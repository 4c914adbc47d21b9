// Go's `time.ParseDuration` and `Duration.String()`, for oauth2-proxy's duration options (`--cookie-expire 168h`,
// oauth2-proxy-and-dex.md §A1 "Defaults") and for messages that print durations as Go does
// (`cookie_refresh ("1h0m0s") must be less than cookie_expire ("30m0s")`, §A1).

/** Nanoseconds per unit, as Go's `unitMap`; both micro signs are accepted, as in Go. */
const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** One `[digits][.digits]unit` element; Go needs a digit on at least one side of the dot. */
const ELEMENT = /^(\d*)(?:\.(\d*))?([^\d.]+)/;

/**
 * `time.ParseDuration`: `168h`, `1h30m`, `1.5h`, `300ms`, `-90s`, or `0` alone; a unit is required otherwise
 * (`3600` is an error, as in Go). Returns milliseconds (fractional below 1 ms), or undefined when Go would fail.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let ns = 0;
  while (rest !== '') {
    const m = ELEMENT.exec(rest);
    if (!m) return undefined;
    const [whole, int = '', frac, unit = ''] = m;
    // Go's unit is every character up to the next digit or dot; an unknown one is an error.
    const scale = UNIT_NS[unit];
    if ((int === '' && (frac ?? '') === '') || scale === undefined) return undefined;
    ns += Number(int || '0') * scale + (frac ? (Number(frac) * scale) / 10 ** frac.length : 0);
    rest = rest.slice(whole.length);
  }
  // Go truncates to whole nanoseconds.
  return (sign * Math.trunc(ns)) / 1e6;
}

/** Go's `fmtFrac`: the fraction digits of `v` with `prec` places, trailing zeros dropped, dot included. */
function fraction(v: bigint, prec: number): { text: string; rest: bigint } {
  const scale = 10n ** BigInt(prec);
  const digits = (v % scale).toString().padStart(prec, '0').replace(/0+$/, '');
  return { text: digits === '' ? '' : `.${digits}`, rest: v / scale };
}

/**
 * `Duration.String()` of a duration given in milliseconds: `168h0m0s`, `15m0s`, `1m30s`, `1.5s`, `300ms`,
 * `1.5µs`, `0s`. Rounded to whole nanoseconds first, as a Go Duration is.
 */
export function formatGoDuration(ms: number): string {
  let ns = BigInt(Math.round(ms * 1e6));
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  if (ns < 0n) ns = -ns;
  if (ns < 1_000_000_000n) {
    // Below one second Go picks the largest unit that keeps the integer part non-zero.
    const [prec, unit] = ns < 1000n ? [0, 'ns'] : ns < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    const { text, rest } = fraction(ns, prec);
    return `${sign}${rest}${text}${unit}`;
  }
  const { text, rest: totalSeconds } = fraction(ns, 9);
  let out = `${totalSeconds % 60n}${text}s`;
  const minutes = totalSeconds / 60n;
  if (minutes > 0n) {
    out = `${minutes % 60n}m${out}`;
    const hours = minutes / 60n;
    if (hours > 0n) out = `${hours}h${out}`;
  }
  return `${sign}${out}`;
}
