import { describe, expect, it } from 'vitest';
import {
  PySyntaxError,
  PyValueError,
  pyIsLower,
  pyLiteralEval,
  pyListRepr,
  pyRepr,
  pySetRepr,
  pyValueRepr,
  shlexSplit,
} from '../../../../src/mlflow/emulator/search/python.js';

describe('Python reprs in messages', () => {
  it('quotes strings as repr() does', () => {
    expect(pyRepr('abc')).toBe("'abc'");
    expect(pyRepr("it's")).toBe('"it\'s"');
    expect(pyRepr('both \' and "')).toBe("'both \\' and \"'");
    expect(pyRepr('a\\b\nc\td')).toBe("'a\\\\b\\nc\\td'");
    expect(pyRepr('\x00é€')).toBe("'\\x00é€'");
  });

  it('renders sets, lists and tuples', () => {
    expect(pySetRepr(['=', '!='])).toBe("{'=', '!='}");
    expect(pyListRepr(['metrics.a', "b'c"])).toBe("['metrics.a', \"b'c\"]");
    expect(pyValueRepr(['a'])).toBe("('a',)");
    expect(pyValueRepr([1n, 'a', 2.5, 1e20, 0.0001, 1e-5, true, null])).toBe(
      "(1, 'a', 2.5, 1e+20, 0.0001, 1e-05, True, None)",
    );
  });
});

describe('shlexSplit', () => {
  it('splits on whitespace and joins quoted text into the word', () => {
    expect(shlexSplit('metrics."rmse" DESC')).toEqual(['metrics.rmse', 'DESC']);
    expect(shlexSplit('tags."a b"  asc')).toEqual(['tags.a b', 'asc']);
    expect(shlexSplit("x 'y z' \\ w")).toEqual(['x', 'y z', ' w']);
    expect(shlexSplit('a "b\\"c"')).toEqual(['a', 'b"c']);
    expect(shlexSplit('""')).toEqual(['']);
  });

  it('raises like shlex on unbalanced quotes', () => {
    expect(() => shlexSplit('"abc')).toThrow(PyValueError);
    expect(() => shlexSplit('abc\\')).toThrow(PyValueError);
  });
});

describe('pyLiteralEval', () => {
  it('evaluates the tuples an IN list holds', () => {
    expect(pyLiteralEval("('a', 'b')")).toEqual(['a', 'b']);
    expect(pyLiteralEval("('a')")).toBe('a');
    expect(pyLiteralEval("('a',)")).toEqual(['a']);
    expect(pyLiteralEval('()')).toEqual([]);
    expect(pyLiteralEval(`("x", 'y' 'z', -1, 2.5)`)).toEqual(['x', 'yz', -1n, 2.5]);
    expect(pyLiteralEval("('a\\'b', r'\\n')")).toEqual(["a'b", '\\n']);
  });

  it('tells syntax errors from names', () => {
    expect(() => pyLiteralEval("('a' 'b'")).toThrow(PySyntaxError);
    expect(() => pyLiteralEval("('a';)")).toThrow(PySyntaxError);
    expect(() => pyLiteralEval('(abc)')).toThrow(PyValueError);
  });
});

describe('pyIsLower', () => {
  it('needs a cased character and no upper case one', () => {
    expect(pyIsLower('abc123')).toBe(true);
    expect(pyIsLower('aBc')).toBe(false);
    expect(pyIsLower('123')).toBe(false);
    expect(pyIsLower('')).toBe(false);
    expect(pyIsLower('ß-é')).toBe(true);
  });
});
