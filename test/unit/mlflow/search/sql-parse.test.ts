import { describe, expect, it } from 'vitest';
import { tokenize } from '../../../../src/mlflow/emulator/search/sql-lexer.js';
import { type Node, parseStatements, text } from '../../../../src/mlflow/emulator/search/sql-parse.js';

/** A compact view of a tree: groups as `Class(children)`, leaves as `Type:value`, whitespace dropped. */
const shape = (node: Node): string =>
  node.kind === 'leaf'
    ? `${node.ttype}:${node.value}`
    : `${node.kind}(${node.tokens
        .filter((t) => !(t.kind === 'leaf' && t.ttype.startsWith('Text.Whitespace')))
        .map((t) => shape(t))
        .join(' ')})`;

const tree = (sql: string) => parseStatements(sql).map((s) => shape(s));

describe('sqlparse-compatible lexer', () => {
  it('cuts filters where sqlparse does', () => {
    expect(tokenize("params.a='1'").map((t) => `${t.ttype}:${t.value}`)).toEqual([
      'Name:params',
      'Punctuation:.',
      'Name:a',
      'Operator.Comparison:=',
      "Literal.String.Single:'1'",
    ]);
    // Any run of <>=~! is one comparison operator; NOT LIKE is one token; keywords after a dot are names.
    expect(tokenize('=~ NOT  LIKE x.count').map((t) => t.value)).toEqual([
      '=~',
      ' ',
      'NOT  LIKE',
      ' ',
      'x',
      '.',
      'count',
    ]);
    expect(tokenize('-1.5e3 .5 1. -0x1F').map((t) => t.ttype)).toEqual([
      'Literal.Number.Float',
      'Text.Whitespace',
      'Literal.Number.Float',
      'Text.Whitespace',
      'Literal.Number.Float',
      'Text.Whitespace',
      'Literal.Number.Hexadecimal',
    ]);
  });
});

describe('sqlparse-compatible grouping', () => {
  it('groups comparisons of identifiers and values', () => {
    expect(tree("tags.`mlflow.runName` != 'x' AND metrics.loss < 1")).toEqual([
      "Statement(Comparison(Identifier(Name:tags Punctuation:. Name:`mlflow.runName`) Operator.Comparison:!= Literal.String.Single:'x') Keyword:AND Comparison(Identifier(Name:metrics Punctuation:. Name:loss) Operator.Comparison:< Literal.Number.Integer:1))",
    ]);
  });

  it('leaves IN, NOT IN and IS NULL for MLflow to join', () => {
    expect(tree("run_id NOT IN ('a', 'b')")).toEqual([
      "Statement(Identifier(Name:run_id) Keyword:NOT Keyword:IN Parenthesis(Punctuation:( IdentifierList(Literal.String.Single:'a' Punctuation:, Literal.String.Single:'b') Punctuation:)))",
    ]);
    expect(tree('tags.env IS NOT NULL')).toEqual([
      'Statement(Identifier(Name:tags Punctuation:. Name:env) Keyword:IS Keyword:NOT NULL)',
    ]);
  });

  it('folds ASC/DESC and a trailing word into the identifier, which order_by relies on', () => {
    expect(tree('metrics.loss DESC')).toEqual([
      'Statement(Identifier(Identifier(Name:metrics Punctuation:. Name:loss) Keyword.Order:DESC))',
    ]);
    expect(tree('metrics.loss SIDEWAYS')).toEqual([
      'Statement(Identifier(Name:metrics Punctuation:. Name:loss Identifier(Name:SIDEWAYS)))',
    ]);
    expect(tree('timestamp DESC')).toEqual(['Statement(Name.Builtin:timestamp Keyword.Order:DESC)']);
  });

  it('splits statements at semicolons and drops empty ones', () => {
    // Spaces after the ';' still belong to the statement that ended.
    expect(parseStatements("a = '1'; b = '2'").map((s) => text(s))).toEqual(["a = '1'; ", "b = '2'"]);
    expect(parseStatements("a = '1';  ").map((s) => text(s))).toEqual(["a = '1';  "]);
    expect(parseStatements('   ')).toEqual([]);
  });
});
