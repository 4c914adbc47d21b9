/**
 * The bits of Python that show through MLflow's REST layer: how its json module reads and writes values, how
 * int() and float() read strings, and type names in error hints.
 */

/**
 * Python's json module: also the bare tokens NaN, Infinity and -Infinity; numbers past the double range read
 * as ±inf, as JSON.parse already does (golden README "Serialisation" 5).
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
    // Mark the bare tokens outside strings, then parse again.
    const marked = text.replace(/"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)/g, (match, token?: string) =>
      token ? `"${NONFINITE}${token}"` : match,
    );
    return JSON.parse(marked, (_k, v: unknown) =>
      typeof v === 'string' && v.startsWith(NONFINITE) ? Number(v.slice(NONFINITE.length)) : v,
    );
  }
}

const NONFINITE = '@authlab-nonfinite:';

/**
 * `json.dumps(value, sort_keys=True, separators=(",", ":"))`, as MLflow quotes received values in its
 * messages: non-ASCII escaped, keys sorted, floats as Python writes them.
 */
export function pyJson(v: unknown): string {
  if (typeof v === 'number') return pyFloatJson(v);
  if (typeof v === 'string') {
    return JSON.stringify(v).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (Array.isArray(v)) return `[${v.map(pyJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.keys(v)
      .sort()
      .map((k) => `${pyJson(k)}:${pyJson((v as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** json.dumps of a number: an integral value as an int (JS cannot tell 8.0 from 8), else as repr() writes it. */
function pyFloatJson(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? String(v) : pyFloatRepr(v);
}

/** repr() (and str()) of a float: exponent form from 1e16 and below 1e-4, with a two-digit exponent. */
export function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    const [mantissa = '', exponent = '0'] = v.toExponential().split('e');
    const exp = Number(exponent);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

/** `type(value).__name__` of a parsed JSON value. A JS number cannot tell 8.0 from 8: integral reads as int. */
export const pyTypeName = (v: unknown): string =>
  v === null || v === undefined
    ? 'NoneType'
    : Array.isArray(v)
      ? 'list'
      : typeof v === 'string'
        ? 'str'
        : typeof v === 'boolean'
          ? 'bool'
          : typeof v === 'number'
            ? Number.isInteger(v)
              ? 'int'
              : 'float'
            : 'dict';

const DIGITS = String.raw`\d(?:_?\d)*`;
/** What int() accepts in a str. */
export const PY_INT = new RegExp(String.raw`^\s*[+-]?${DIGITS}\s*$`);
const PY_DECIMAL = new RegExp(
  String.raw`^[+-]?(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`,
);

/** int() of a str, `undefined` where it raises ValueError. */
export const pyInt = (text: string): number | undefined =>
  PY_INT.test(text) ? Number(text.trim().replaceAll('_', '')) : undefined;

/** float() of a str, `undefined` where it raises ValueError. */
export function pyFloat(text: string): number | undefined {
  const t = text.trim();
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  return PY_DECIMAL.test(t) ? Number(t.replaceAll('_', '')) : undefined;
}

// Characters Python's str.isprintable() rejects, which repr() escapes (the space is printable).
const NON_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;

/** Python's repr() of a str: single quotes unless the text has a ' and no ". */
export function pyRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = '';
  for (const char of value) {
    if (char === '\\') out += '\\\\';
    else if (char === quote) out += `\\${quote}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (NON_PRINTABLE.test(char)) {
      const code = char.codePointAt(0) ?? 0;
      if (code < 0x100) out += `\\x${code.toString(16).padStart(2, '0')}`;
      else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
      else out += `\\U${code.toString(16).padStart(8, '0')}`;
    } else out += char;
  }
  return `${quote}${out}${quote}`;
}

/** `posixpath.normpath`: collapses `//`, `.` and `..` lexically; `''` is `'.'`. */
export function normpath(p: string): string {
  if (p === '') return '.';
  const slashes = p.startsWith('//') && !p.startsWith('///') ? '//' : p.startsWith('/') ? '/' : '';
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..' || (!slashes && parts.length === 0) || parts.at(-1) === '..') parts.push(part);
    else if (parts.length > 0) parts.pop();
  }
  return slashes + parts.join('/') || '.';
}

/** The parts of `urllib.parse.urlparse(url)`. */
export interface PyParsedUrl {
  scheme: string;
  netloc: string;
  path: string;
  params: string;
  query: string;
  fragment: string;
}

/** Schemes whose last path segment may carry `;params` (`urllib.parse.uses_params`). */
const USES_PARAMS = new Set([
  '',
  'ftp',
  'hdl',
  'prospero',
  'http',
  'imap',
  'https',
  'shttp',
  'rtsp',
  'rtspu',
]);
for (const s of ['sip', 'sips', 'mms', 'sftp', 'tel']) USES_PARAMS.add(s);

/**
 * `urllib.parse.urlparse`: leading controls and spaces dropped, tabs and newlines removed, an ASCII scheme before
 * the first `:`, `//netloc`, then `#fragment`, `?query`, and `;params` of the last segment for the schemes that
 * have them.
 */
export function pyUrlParse(input: string): PyParsedUrl {
  // eslint-disable-next-line no-control-regex
  let url = input.replace(/^[\x00-\x20]+/, '').replace(/[\t\r\n]/g, '');
  let scheme = '';
  const colon = url.indexOf(':');
  if (colon > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(url.slice(0, colon))) {
    scheme = url.slice(0, colon).toLowerCase();
    url = url.slice(colon + 1);
  }
  let netloc = '';
  if (url.startsWith('//')) {
    const end = url.slice(2).search(/[/?#]/);
    netloc = end < 0 ? url.slice(2) : url.slice(2, 2 + end);
    url = end < 0 ? '' : url.slice(2 + end);
  }
  let fragment = '';
  const hash = url.indexOf('#');
  if (hash >= 0) [url, fragment] = [url.slice(0, hash), url.slice(hash + 1)];
  let query = '';
  const mark = url.indexOf('?');
  if (mark >= 0) [url, query] = [url.slice(0, mark), url.slice(mark + 1)];
  let params = '';
  if (USES_PARAMS.has(scheme) && url.includes(';')) {
    const semi = url.includes('/') ? url.indexOf(';', url.lastIndexOf('/')) : url.indexOf(';');
    if (semi >= 0) [url, params] = [url.slice(0, semi), url.slice(semi + 1)];
  }
  return { scheme, netloc, path: url, params, query, fragment };
}
