// Go's fmt output for the few shapes that appear in oauth2-proxy's and go-oidc's error texts, so the lab's log
// lines read byte for byte like production's (oauth2-proxy-and-dex.md §A3 "Verification steps and exact errors").

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * `%v` of a `time.Time` in UTC: `2026-08-05 11:00:00 +0000 UTC`, with `.999999999`-style trailing fraction only
 * when it is not zero. go-oidc builds token times with `time.Unix(exp, 0)`, so they print without a fraction;
 * the zone is the process's Local, which is UTC in the containers oauth2-proxy ships in [inf].
 */
export function goTime(ms: number): string {
  const d = new Date(ms);
  const frac = ms - Math.floor(ms / 1000) * 1000;
  const fraction = frac === 0 ? '' : `.${pad(Math.round(frac * 1e6), 9).replace(/0+$/, '')}`;
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction} +0000 UTC`
  );
}

/** Go's zero `time.Time` (a token without `exp` expires at it, §A3 row 3). */
export const GO_ZERO_TIME = '0001-01-01 00:00:00 +0000 UTC';

/** `%v` of a float64 (JSON numbers decode to float64 in Go): `%g` with the shortest digits, `1.763928e+09`. */
export function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa, exp] = n.toExponential().split('e') as [string, string];
  const e = Number(exp);
  // strconv's 'g' with shortest precision switches to the exponent form when exp < -4 || exp >= 6, so a
  // JSON `exp` of 1763928000 prints as 1.763928e+09 (21 is encoding/json's and JavaScript's threshold, not fmt's).
  if (e < -4 || e >= 6) return `${mantissa}e${e < 0 ? '-' : '+'}${pad(Math.abs(e))}`;
  return String(n);
}

/** `%q` of a string: Go's strconv.Quote (printable runes kept, others escaped). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** `%v` of a value decoded from JSON into `interface{}`: strings bare, `[a b]`, `map[k:v]` with sorted keys. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return goList(v.map(goValue));
  return goMap(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, goValue(x)]));
}

/** `%v` of a slice of strings: `[a b]`. */
export function goList(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/** `%v` of a map whose values are already formatted; Go's fmt sorts string keys bytewise. */
export function goMap(entries: ReadonlyArray<readonly [string, string]>): string {
  const sorted = [...entries].sort(([a], [b]) => compareBytes(a, b));
  return `map[${sorted.map(([k, v]) => `${k}:${v}`).join(' ')}]`;
}

/** `%v` of a `map[string]struct{}` set: `map[a:{} b:{}]`. */
export function goSet(keys: Iterable<string>): string {
  return goMap([...new Set(keys)].map((k) => [k, '{}'] as const));
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
