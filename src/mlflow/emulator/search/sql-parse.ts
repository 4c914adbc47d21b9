/**
 * sqlparse's second half: splitting into statements and grouping tokens into a tree (identifiers, comparisons,
 * parentheses, ...). MLflow accepts or rejects a filter by the shape of this tree, and quotes its nodes in error
 * messages, so the grouping passes below follow sqlparse's, in its order, including its quirks. Passes that
 * only matter for full SQL statements (CASE, WHERE, typecasts, AS aliases, ...) are left out.
 */
import { isSubtype, tokenize, type TokenType } from './sql-lexer.js';

export type GroupClass =
  | 'Statement'
  | 'Identifier'
  | 'IdentifierList'
  | 'Comparison'
  | 'Parenthesis'
  | 'SquareBrackets'
  | 'Function'
  | 'Operation'
  | 'TypedLiteral'
  | 'Assignment'
  | 'Comment'
  | 'Case'
  | 'If'
  | 'For'
  | 'Begin';

export interface Leaf {
  readonly kind: 'leaf';
  ttype: TokenType;
  readonly value: string;
}

export interface Group {
  readonly kind: GroupClass;
  tokens: Node[];
}

export type Node = Leaf | Group;

export const isLeaf = (node: Node | undefined): node is Leaf => node?.kind === 'leaf';
export const isGroup = (node: Node | undefined, cls?: GroupClass): node is Group =>
  node !== undefined && node.kind !== 'leaf' && (cls === undefined || node.kind === cls);

/** A node's source text, as Python's `str(token)`. */
export const text = (node: Node): string =>
  node.kind === 'leaf' ? node.value : node.tokens.map((child) => text(child)).join('');

export const isWhitespace = (node: Node | undefined): boolean =>
  isLeaf(node) && isSubtype(node.ttype, 'Text.Whitespace');

const ttypeOf = (node: Node | undefined): TokenType | undefined => (isLeaf(node) ? node.ttype : undefined);

/** sqlparse's `token.match(ttype, values)`: keywords compare case-insensitively, everything else exactly. */
export const matches = (node: Node | undefined, ttype: TokenType, values?: readonly string[]): boolean => {
  if (!isLeaf(node) || node.ttype !== ttype) return false;
  if (values === undefined) return true;
  if (isSubtype(node.ttype, 'Keyword'))
    return values.some((v) => v.toUpperCase() === node.value.toUpperCase());
  return values.includes(node.value);
};

// sqlparse refuses (SQLParseError) to group more tokens than this, or deeper than this, as a DoS guard.
const MAX_TOKENS = 10_000;
const MAX_DEPTH = 100;

/** Thrown for inputs sqlparse itself raises on; MLflow turns it into "Error on parsing ...". */
export class SqlParseError extends Error {}

const guard = (tlist: Group, depth: number) => {
  if (depth > MAX_DEPTH) throw new SqlParseError('Maximum grouping depth exceeded');
  if (tlist.tokens.length > MAX_TOKENS) throw new SqlParseError('Maximum number of tokens exceeded');
};

/** sqlparse.parse(): the statements of `sql`, each grouped. */
export function parseStatements(sql: string): Group[] {
  return splitStatements(sql).map((statement) => {
    groupAll(statement);
    return statement;
  });
}

function splitStatements(sql: string): Group[] {
  const statements: Group[] = [];
  let tokens: Node[] = [];
  let level = 0;
  let consumeWs = false;
  for (const token of tokenize(sql)) {
    // After a ';', trailing spaces and line comments still belong to the statement that ended.
    if (consumeWs && token.ttype !== 'Text.Whitespace' && token.ttype !== 'Comment.Single') {
      statements.push({ kind: 'Statement', tokens });
      tokens = [];
      level = 0;
      consumeWs = false;
    }
    if (token.ttype === 'Punctuation' && token.value === '(') level += 1;
    else if (token.ttype === 'Punctuation' && token.value === ')') level -= 1;
    else if (
      isSubtype(token.ttype, 'Keyword') &&
      ['END', 'END IF', 'END WHILE'].includes(token.value.toUpperCase())
    )
      level -= 1;
    tokens.push({ kind: 'leaf', ttype: token.ttype, value: token.value });
    if (token.ttype === 'Punctuation' && token.value === ';' && level <= 0) consumeWs = true;
    else if (token.ttype === 'Keyword' && token.value.split(/\s+/)[0] === 'GO') consumeWs = true;
  }
  if (tokens.length > 0 && !tokens.every((t) => isWhitespace(t)))
    statements.push({ kind: 'Statement', tokens });
  return statements;
}

function groupAll(statement: Group): void {
  groupComments(statement);
  const punctuation = (value: string) => (t: Node) => matches(t, 'Punctuation', [value]);
  const keyword =
    (...values: string[]) =>
    (t: Node) =>
      matches(t, 'Keyword', values);
  groupMatching(statement, 'SquareBrackets', punctuation('['), punctuation(']'), 0);
  groupMatching(statement, 'Parenthesis', punctuation('('), punctuation(')'), 0);
  groupMatching(statement, 'Case', keyword('CASE'), keyword('END'), 0);
  groupMatching(statement, 'If', keyword('IF'), keyword('END IF'), 0);
  groupMatching(statement, 'For', keyword('FOR', 'FOREACH'), keyword('END LOOP'), 0);
  groupMatching(statement, 'Begin', keyword('BEGIN'), keyword('END'), 0);
  groupFunctions(statement);
  groupPeriod(statement);
  groupArrays(statement);
  groupIdentifier(statement);
  groupOrder(statement);
  groupTypecasts(statement);
  groupTzcasts(statement);
  groupTypedLiteral(statement);
  groupOperator(statement);
  groupComparison(statement);
  groupAs(statement);
  groupAliased(statement);
  groupAssignment(statement);
  alignComments(statement);
  groupIdentifierList(statement);
}

/** Index of the next token after `idx`, skipping whitespace (sqlparse's token_next). */
function nextIndex(tlist: Group, idx: number): number | undefined {
  for (let i = idx + 1; i < tlist.tokens.length; i++) if (!isWhitespace(tlist.tokens[i])) return i;
  return undefined;
}

function prevIndex(tlist: Group, idx: number): number | undefined {
  for (let i = idx - 1; i >= 0; i--) if (!isWhitespace(tlist.tokens[i])) return i;
  return undefined;
}

/**
 * sqlparse's TokenList.group_tokens: replaces tokens[start..end] by one group, or, with `extend`, appends them
 * to the group already at `start` if it is of class `cls` ('any' extends any group).
 */
function groupTokens(
  tlist: Group,
  cls: GroupClass | 'any',
  start: number,
  end: number,
  extend = false,
): Group {
  const first = tlist.tokens[start];
  if (extend && isGroup(first, cls === 'any' ? undefined : cls)) {
    first.tokens.push(...tlist.tokens.splice(start + 1, end - start));
    return first;
  }
  const group: Group = {
    kind: cls === 'any' ? 'Identifier' : cls,
    tokens: tlist.tokens.slice(start, end + 1),
  };
  tlist.tokens.splice(start, end - start + 1, group);
  return group;
}

type Matcher = (token: Node) => boolean;

/** Groups tokens between an opening and a closing token (brackets, CASE ... END), innermost first. */
function groupMatching(tlist: Group, cls: GroupClass, open: Matcher, close: Matcher, depth: number): void {
  guard(tlist, depth);
  const opens: number[] = [];
  let offset = 0;
  for (const [idx, token] of [...tlist.tokens].entries()) {
    const tidx = idx - offset;
    if (isWhitespace(token)) continue;
    if (isGroup(token) && token.kind !== cls) {
      groupMatching(token, cls, open, close, depth + 1);
      continue;
    }
    if (open(token)) opens.push(tidx);
    else if (close(token)) {
      const openIdx = opens.pop();
      // Unbalanced: sqlparse keeps going in case other groups are valid.
      if (openIdx === undefined) continue;
      groupTokens(tlist, cls, openIdx, tidx);
      offset += tidx - openIdx;
    }
  }
}

interface GroupRule {
  cls: GroupClass;
  match: (token: Node) => boolean;
  validPrev: (token: Node | undefined) => boolean;
  validNext: (token: Node | undefined) => boolean;
  /** Which span to group, given the indexes of the previous, matched and next tokens. */
  span: (tlist: Group, pidx: number, tidx: number, nidx: number | undefined) => [number, number | undefined];
  extend: boolean;
  recurse: boolean;
}

/** sqlparse's `_group`: groups tokens joined by a middle token (`a . b`, `x < y`, `a , b`). */
function groupJoined(tlist: Group, rule: GroupRule, depth = 0): void {
  guard(tlist, depth);
  let offset = 0;
  let pidx: number | undefined;
  let prev: Node | undefined;
  for (const [idx, token] of [...tlist.tokens].entries()) {
    const tidx = idx - offset;
    if (tidx < 0 || isWhitespace(token)) continue;
    if (rule.recurse && isGroup(token) && token.kind !== rule.cls) groupJoined(token, rule, depth + 1);
    if (rule.match(token)) {
      const nidx = nextIndex(tlist, tidx);
      const next = nidx === undefined ? undefined : tlist.tokens[nidx];
      if (prev !== undefined && pidx !== undefined && rule.validPrev(prev) && rule.validNext(next)) {
        const [from, to] = rule.span(tlist, pidx, tidx, nidx);
        // A span can only end past the list when the next token is missing; sqlparse then fails on None.
        if (to === undefined) throw new SqlParseError('unexpected end of statement');
        const group = groupTokens(tlist, rule.cls, from, to, rule.extend);
        offset += to - from;
        pidx = from;
        prev = group;
        continue;
      }
    }
    pidx = tidx;
    prev = token;
  }
}

/** Applies `fn` to every sub-group (except those of the `skip` classes) before the list itself. */
function recurse(tlist: Group, skip: readonly GroupClass[], fn: (tlist: Group) => void): void {
  for (const token of tlist.tokens)
    if (isGroup(token) && !skip.includes(token.kind)) recurse(token, skip, fn);
  fn(tlist);
}

const NUMERIC: readonly TokenType[] = ['Literal.Number.Integer', 'Literal.Number.Float'];
const STRING: readonly TokenType[] = ['Literal.String.Single', 'Literal.String.Symbol'];
const NAME: readonly TokenType[] = ['Name', 'Name.Placeholder'];
// sqlparse's T_NUMERICAL + T_STRING + T_NAME, compared by exact type.
const VALUE_TYPES = new Set<TokenType | undefined>([...NUMERIC, ...STRING, ...NAME]);

function groupFunctions(statement: Group): void {
  recurse(statement, ['Function'], (tlist) => {
    for (let idx = 0; idx < tlist.tokens.length; idx++) {
      if (!isSubtype(ttypeOf(tlist.tokens[idx]), 'Name')) continue;
      const nidx = nextIndex(tlist, idx);
      if (nidx !== undefined && isGroup(tlist.tokens[nidx], 'Parenthesis'))
        groupTokens(tlist, 'Function', idx, nidx);
    }
  });
}

function groupPeriod(statement: Group): void {
  groupJoined(statement, {
    cls: 'Identifier',
    match: (t) => matches(t, 'Punctuation', ['.']) || matches(t, 'Operator', ['->', '->>']),
    validPrev: (t) =>
      isGroup(t, 'Identifier') ||
      isGroup(t, 'SquareBrackets') ||
      ttypeOf(t) === 'Name' ||
      ttypeOf(t) === 'Literal.String.Symbol',
    validNext: () => true,
    span: (tlist, pidx, tidx, nidx) => {
      const next = nidx === undefined ? undefined : tlist.tokens[nidx];
      const ok =
        isGroup(next, 'SquareBrackets') ||
        isGroup(next, 'Function') ||
        ['Name', 'Literal.String.Symbol', 'Wildcard', 'Literal.String.Single'].includes(ttypeOf(next) ?? '');
      return ok ? [pidx, nidx] : [pidx, tidx];
    },
    extend: true,
    recurse: true,
  });
}

/** Runs of comments and newlines become one comment group, unless they run to the end of the list. */
function groupComments(statement: Group): void {
  recurse(statement, ['Comment'], (tlist) => {
    for (let idx = 0; idx < tlist.tokens.length; idx++) {
      if (!isSubtype(ttypeOf(tlist.tokens[idx]), 'Comment')) continue;
      let end = idx;
      while (end < tlist.tokens.length) {
        const token = tlist.tokens[end];
        if (!(isSubtype(ttypeOf(token), 'Comment') || ttypeOf(token) === 'Text.Whitespace.Newline')) break;
        end += 1;
      }
      if (end < tlist.tokens.length) groupTokens(tlist, 'Comment', idx, end - 1);
    }
  });
}

/** A comment right after a group joins that group (its text then includes the comment). */
function alignComments(statement: Group): void {
  recurse(statement, [], (tlist) => {
    for (let idx = 0; idx < tlist.tokens.length; idx++) {
      if (!isGroup(tlist.tokens[idx], 'Comment')) continue;
      const pidx = prevIndex(tlist, idx);
      if (pidx !== undefined && isGroup(tlist.tokens[pidx])) {
        groupTokens(tlist, 'any', pidx, idx, true);
        idx = pidx;
      }
    }
  });
}

/** `name[...]` is an identifier. */
function groupArrays(statement: Group): void {
  groupJoined(statement, {
    cls: 'Identifier',
    match: (t) => isGroup(t, 'SquareBrackets'),
    validPrev: (t) =>
      isGroup(t, 'SquareBrackets') ||
      isGroup(t, 'Identifier') ||
      isGroup(t, 'Function') ||
      ttypeOf(t) === 'Name' ||
      ttypeOf(t) === 'Literal.String.Symbol',
    validNext: () => true,
    span: (_tlist, pidx, tidx) => [pidx, tidx],
    extend: true,
    recurse: false,
  });
}

function groupTzcasts(statement: Group): void {
  groupJoined(statement, {
    cls: 'Identifier',
    match: (t) => ttypeOf(t) === 'Keyword.TZCast',
    validPrev: (t) => t !== undefined,
    validNext: (t) =>
      t !== undefined &&
      (isWhitespace(t) || matches(t, 'Keyword', ['AS']) || ttypeOf(t) === 'Literal.String.Single'),
    span: (_tlist, pidx, _tidx, nidx) => [pidx, nidx],
    extend: true,
    recurse: true,
  });
}

/** `date '2024-01-01'`: a type name and a string; only after another token, as in sqlparse. */
function groupTypedLiteral(statement: Group): void {
  const base = {
    cls: 'TypedLiteral' as const,
    validPrev: (t: Node | undefined) => t !== undefined,
    span: (
      _tlist: Group,
      _pidx: number,
      tidx: number,
      nidx: number | undefined,
    ): [number, number | undefined] => [tidx, nidx],
    recurse: true,
  };
  groupJoined(statement, {
    ...base,
    match: (t) => ttypeOf(t) === 'Name.Builtin' || matches(t, 'Keyword', ['TIMESTAMP']),
    validNext: (t) => ttypeOf(t) === 'Literal.String.Single',
    extend: false,
  });
  groupJoined(statement, {
    ...base,
    match: (t) => isGroup(t, 'TypedLiteral'),
    validNext: (t) => matches(t, 'Keyword', ['DAY', 'HOUR', 'MINUTE', 'MONTH', 'SECOND', 'YEAR']),
    extend: true,
  });
}

/** `x AS y` is an identifier. */
function groupAs(statement: Group): void {
  groupJoined(statement, {
    cls: 'Identifier',
    match: (t) => isSubtype(ttypeOf(t), 'Keyword') && text(t).toUpperCase() === 'AS',
    validPrev: (t) =>
      t !== undefined && (!isSubtype(ttypeOf(t), 'Keyword') || text(t).toUpperCase() === 'NULL'),
    validNext: (t) =>
      t !== undefined && !['Keyword.DML', 'Keyword.DDL', 'Keyword.CTE'].includes(ttypeOf(t) ?? ''),
    span: (_tlist, pidx, _tidx, nidx) => [pidx, nidx],
    extend: true,
    recurse: true,
  });
}

/** `x := y` (up to a following ';'). */
function groupAssignment(statement: Group): void {
  const valid = (t: Node | undefined) => t !== undefined && ttypeOf(t) !== 'Keyword';
  groupJoined(statement, {
    cls: 'Assignment',
    match: (t) => matches(t, 'Assignment', [':=']),
    validPrev: valid,
    validNext: valid,
    span: (tlist, pidx, _tidx, nidx) => {
      if (nidx === undefined) return [pidx, nidx];
      const semicolon = tlist.tokens.findIndex((t, i) => i > nidx && matches(t, 'Punctuation', [';']));
      return [pidx, semicolon > 0 ? semicolon : nidx];
    },
    extend: true,
    recurse: true,
  });
}

function groupIdentifier(statement: Group): void {
  recurse(statement, ['Identifier'], (tlist) => {
    tlist.tokens.forEach((token, idx) => {
      const ttype = ttypeOf(token);
      if (ttype === 'Name' || ttype === 'Literal.String.Symbol') groupTokens(tlist, 'Identifier', idx, idx);
    });
  });
}

/** `name DESC` becomes one identifier; order_by parsing depends on it. */
function groupOrder(statement: Group): void {
  recurse(statement, ['Identifier'], (tlist) => {
    for (let idx = 0; idx < tlist.tokens.length; idx++) {
      if (!isSubtype(ttypeOf(tlist.tokens[idx]), 'Keyword.Order')) continue;
      const pidx = prevIndex(tlist, idx);
      const prev = pidx === undefined ? undefined : tlist.tokens[pidx];
      if (pidx !== undefined && (isGroup(prev, 'Identifier') || isSubtype(ttypeOf(prev), 'Literal.Number'))) {
        groupTokens(tlist, 'Identifier', pidx, idx);
        idx = pidx;
      }
    }
  });
}

/** `x::type` (a Postgres cast) becomes one identifier, whatever surrounds it. */
function groupTypecasts(statement: Group): void {
  groupJoined(statement, {
    cls: 'Identifier',
    match: (t) => matches(t, 'Punctuation', ['::']),
    validPrev: (t) => t !== undefined,
    validNext: (t) => t !== undefined,
    span: (_tlist, pidx, _tidx, nidx) => [pidx, nidx],
    extend: true,
    recurse: true,
  });
}

const OPERAND_GROUPS: readonly GroupClass[] = [
  'SquareBrackets',
  'Parenthesis',
  'Function',
  'Identifier',
  'Operation',
  'TypedLiteral',
];

function groupOperator(statement: Group): void {
  const valid = (t: Node | undefined) =>
    (isGroup(t) && OPERAND_GROUPS.includes(t.kind)) ||
    VALUE_TYPES.has(ttypeOf(t)) ||
    matches(t, 'Keyword', ['CURRENT_DATE', 'CURRENT_TIME', 'CURRENT_TIMESTAMP']);
  groupJoined(statement, {
    cls: 'Operation',
    match: (t) => ttypeOf(t) === 'Operator' || ttypeOf(t) === 'Wildcard',
    validPrev: valid,
    validNext: valid,
    span: (tlist, pidx, tidx, nidx) => {
      const op = tlist.tokens[tidx];
      if (isLeaf(op)) op.ttype = 'Operator';
      return [pidx, nidx];
    },
    extend: false,
    recurse: true,
  });
}

function groupComparison(statement: Group): void {
  const valid = (t: Node | undefined) =>
    (isGroup(t) && ['Parenthesis', 'Function', 'Identifier', 'Operation', 'TypedLiteral'].includes(t.kind)) ||
    VALUE_TYPES.has(ttypeOf(t)) ||
    matches(t, 'Keyword', ['NULL']);
  groupJoined(statement, {
    cls: 'Comparison',
    match: (t) => ttypeOf(t) === 'Operator.Comparison',
    validPrev: valid,
    validNext: valid,
    span: (_tlist, pidx, _tidx, nidx) => [pidx, nidx],
    extend: false,
    recurse: true,
  });
}

/** `x y` where y is an identifier becomes one identifier (an alias): `metrics.loss SIDEWAYS`. */
function groupAliased(statement: Group): void {
  const aliasable: readonly GroupClass[] = [
    'Parenthesis',
    'Function',
    'Case',
    'Identifier',
    'Operation',
    'Comparison',
  ];
  recurse(statement, [], (tlist) => {
    for (let idx = 0; idx < tlist.tokens.length; idx++) {
      const token = tlist.tokens[idx];
      if (!(
        (isGroup(token) && aliasable.includes(token.kind)) ||
        isSubtype(ttypeOf(token), 'Literal.Number')
      ))
        continue;
      const nidx = nextIndex(tlist, idx);
      if (nidx !== undefined && isGroup(tlist.tokens[nidx], 'Identifier'))
        groupTokens(tlist, 'Identifier', idx, nidx, true);
    }
  });
}

function groupIdentifierList(statement: Group): void {
  const listable: readonly GroupClass[] = [
    'Function',
    'Case',
    'Identifier',
    'Comparison',
    'IdentifierList',
    'Operation',
  ];
  const valid = (t: Node | undefined) =>
    (isGroup(t) && listable.includes(t.kind)) ||
    matches(t, 'Keyword', ['null', 'role']) ||
    VALUE_TYPES.has(ttypeOf(t)) ||
    ['Keyword', 'Wildcard'].includes(ttypeOf(t) ?? '');
  groupJoined(statement, {
    cls: 'IdentifierList',
    match: (t) => matches(t, 'Punctuation', [',']),
    validPrev: valid,
    validNext: valid,
    span: (_tlist, pidx, _tidx, nidx) => [pidx, nidx],
    extend: true,
    recurse: true,
  });
}

/** The tokens of a Parenthesis without its brackets, as sqlparse's `_groupable_tokens`. */
export const innerTokens = (paren: Group): Node[] => paren.tokens.slice(1, -1);
