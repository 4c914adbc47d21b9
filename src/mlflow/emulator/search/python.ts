/**
 * The bits of Python that leak into MLflow's search error messages and parsing: `repr()` of strings, sets,
 * lists and tuples, `shlex.split` (order_by), `ast.literal_eval` (IN lists) and `str.islower`.
 */

import { pyRepr } from '../python-values.js';

export { pyRepr };

export type PyValue = string | bigint | number | boolean | null | PyValue[];

/** Python's repr() of a float: shortest round-trip digits, exponent form outside 1e-4 <= |x| < 1e16. */
function floatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(value);
  if (abs >= 1e16 || abs < 1e-4) {
    const [mantissa = '', exponent = '0'] = value.toExponential().split('e');
    const exp = Number(exponent);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const s = String(value);
  return s.includes('.') ? s : `${s}.0`;
}

/** Python's repr() of a literal_eval result; a JS array stands for a tuple. */
export function pyValueRepr(value: PyValue): string {
  if (typeof value === 'string') return pyRepr(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return floatRepr(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null) return 'None';
  const items = value.map((item) => pyValueRepr(item));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** Python's repr() of a set of strings, e.g. `{'=', '!='}`, in the given order. */
export const pySetRepr = (items: readonly string[]): string =>
  `{${items.map((item) => pyRepr(item)).join(', ')}}`;

/** Python's repr() of a list of strings, e.g. `['a', 'b']`. */
export const pyListRepr = (items: readonly string[]): string =>
  `[${items.map((item) => pyRepr(item)).join(', ')}]`;

/** Python's repr() of a tuple of strings, e.g. `('attribute', 'tag', 'tags')`. */
export const pyTupleRepr = (items: readonly string[]): string =>
  pyValueRepr(items.map((item) => item as PyValue) as PyValue);

/** Python's str.islower(): at least one cased character, and no uppercase or titlecase ones. */
export function pyIsLower(value: string): boolean {
  let cased = false;
  for (const char of value) {
    if (/[\p{Lu}\p{Lt}]/u.test(char)) return false;
    if (char.toLowerCase() !== char.toUpperCase() || /\p{Ll}/u.test(char)) cased = true;
  }
  return cased;
}

/** Raised where Python raises ValueError (MLflow does not catch it: the server answers 500). */
export class PyValueError extends Error {}
/** Raised where Python raises SyntaxError (ast.literal_eval on an ill-formed list). */
export class PySyntaxError extends Error {}

/** shlex.split(text) in POSIX mode with comments off, as MLflow uses for `order_by` clauses. */
export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let state: 'space' | 'word' | "'" | '"' = 'space';
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] ?? '';
    if (state === "'") {
      if (char === "'") state = 'word';
      else word += char;
    } else if (state === '"') {
      if (char === '"') state = 'word';
      else if (char === '\\') {
        const next = chars[++i];
        if (next === undefined) throw new PyValueError('No escaped character');
        // Inside double quotes a backslash only escapes a quote or another backslash.
        word += next === '"' || next === '\\' ? next : `\\${next}`;
      } else word += char;
    } else if (/[ \t\r\n]/.test(char)) {
      if (state === 'word') words.push(word ?? '');
      word = undefined;
      state = 'space';
    } else {
      word ??= '';
      state = 'word';
      if (char === "'" || char === '"') state = char;
      else if (char === '\\') {
        const next = chars[++i];
        if (next === undefined) throw new PyValueError('No escaped character');
        word += next;
      } else word += char;
    }
  }
  if (state === "'" || state === '"') throw new PyValueError('No closing quotation');
  if (state === 'word') words.push(word ?? '');
  return words;
}

const STRING_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\n': '',
};

/**
 * ast.literal_eval for what an IN list can hold: tuples, strings (with escapes and implicit concatenation),
 * numbers, True/False/None. Names and other expressions raise PyValueError, broken syntax PySyntaxError.
 */
export function pyLiteralEval(source: string): PyValue {
  let pos = 0;
  const src = source.replace(/^[ \t]+/, '');
  const skipSpace = () => {
    while (pos < src.length && /[ \t\r\n\f\\]/.test(src[pos] ?? '')) {
      if (src[pos] === '\\' && src[pos + 1] !== '\n') return;
      pos += src[pos] === '\\' ? 2 : 1;
    }
  };
  const fail = (): never => {
    throw new PySyntaxError('invalid syntax');
  };

  const parseString = (): string => {
    let prefix = '';
    while (/[rRuU]/.test(src[pos] ?? '')) prefix += src[pos++];
    if (prefix.length > 1) fail();
    const raw = /r/i.test(prefix);
    const quote = src[pos] ?? '';
    const triple = src.startsWith(quote.repeat(3), pos);
    const close = triple ? quote.repeat(3) : quote;
    pos += close.length;
    let out = '';
    for (;;) {
      if (pos >= src.length) fail();
      if (src.startsWith(close, pos)) {
        pos += close.length;
        return out;
      }
      const char = src[pos++] ?? '';
      if (char === '\n' && !triple) fail();
      if (char !== '\\') {
        out += char;
        continue;
      }
      const next = src[pos++] ?? fail();
      if (raw) out += `\\${next}`;
      else if (next in STRING_ESCAPES) out += STRING_ESCAPES[next];
      else if (next === 'x' || next === 'u' || next === 'U') {
        const len = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = src.slice(pos, pos + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail();
        out += String.fromCodePoint(parseInt(hex, 16));
        pos += len;
      } else if (/[0-7]/.test(next)) {
        const octal = /^[0-7]{1,3}/.exec(src.slice(pos - 1))?.[0] ?? next;
        out += String.fromCodePoint(parseInt(octal, 8));
        pos += octal.length - 1;
      } else out += `\\${next}`;
    }
  };

  const parseAtom = (): PyValue => {
    skipSpace();
    const rest = src.slice(pos);
    if (/^([rRuU]?)['"]/.test(rest)) {
      let value = parseString();
      // Adjacent string literals concatenate, as in Python source.
      for (skipSpace(); /^([rRuU]?)['"]/.test(src.slice(pos)); skipSpace()) value += parseString();
      return value;
    }
    if (rest.startsWith('(')) {
      pos += 1;
      const items: PyValue[] = [];
      let trailingComma = false;
      for (skipSpace(); src[pos] !== ')'; skipSpace()) {
        items.push(parseExpr());
        skipSpace();
        trailingComma = src[pos] === ',';
        if (trailingComma) pos += 1;
        else if (src[pos] !== ')') fail();
      }
      pos += 1;
      // `(x)` is just x; `(x,)` and `()` are tuples.
      return items.length === 1 && !trailingComma ? (items[0] ?? null) : items;
    }
    const number = /^(\d[\d_]*\.?[\d_]*([eE][+-]?\d+)?|\.\d[\d_]*([eE][+-]?\d+)?)/.exec(rest);
    if (number) {
      pos += number[0].length;
      const digits = number[0].replace(/_/g, '');
      return /[.eE]/.test(digits) ? Number(digits) : BigInt(digits);
    }
    const name = /^[\p{L}_][\p{L}\p{N}_]*/u.exec(rest);
    if (name) {
      pos += name[0].length;
      if (name[0] === 'True') return true;
      if (name[0] === 'False') return false;
      if (name[0] === 'None') return null;
      throw new PyValueError(`malformed node or string: ${name[0]}`);
    }
    return fail();
  };

  const parseExpr = (): PyValue => {
    skipSpace();
    if (src[pos] === '-' || src[pos] === '+') {
      const sign = src[pos++];
      const operand = parseAtom();
      if (typeof operand === 'bigint') return sign === '-' ? -operand : operand;
      if (typeof operand === 'number') return sign === '-' ? -operand : operand;
      throw new PyValueError('malformed node or string');
    }
    return parseAtom();
  };

  const value = parseExpr();
  skipSpace();
  if (src[pos] === ',') {
    // A bare `a, b` is a tuple too, but an IN list always comes in parentheses; treat the rest as syntax.
    fail();
  }
  if (pos < src.length) fail();
  return value;
}
