/**
 * The token stream MLflow sees. MLflow does not have a grammar of its own for search filters: it runs the
 * string through the Python library sqlparse (0.5.x on the 3.11 server) and then inspects the tokens. Its
 * error messages quote those tokens, so the emulator must cut the string exactly where sqlparse does. This
 * module reproduces sqlparse's lexer rules, in their order, for everything a filter or order_by can contain.
 */

/** sqlparse token types, spelled as its dotted names so that "is a subtype of" is a prefix test. */
export type TokenType =
  | 'Comment.Single.Hint'
  | 'Comment.Multiline.Hint'
  | 'Comment.Single'
  | 'Comment.Multiline'
  | 'Text.Whitespace.Newline'
  | 'Text.Whitespace'
  | 'Assignment'
  | 'Punctuation'
  | 'Wildcard'
  | 'Name'
  | 'Name.Placeholder'
  | 'Name.Builtin'
  | 'Literal'
  | 'Command'
  | 'Keyword'
  | 'Keyword.DML'
  | 'Keyword.DDL'
  | 'Keyword.DCL'
  | 'Keyword.CTE'
  | 'Keyword.Order'
  | 'Keyword.TZCast'
  | 'Literal.Number.Hexadecimal'
  | 'Literal.Number.Float'
  | 'Literal.Number.Integer'
  | 'Literal.String.Single'
  | 'Literal.String.Symbol'
  | 'Operator'
  | 'Operator.Comparison'
  | 'Error';

export interface LexToken {
  ttype: TokenType;
  value: string;
}

/** sqlparse's `ttype in T.X`: the same type or one of its subtypes. */
export const isSubtype = (ttype: TokenType | undefined, parent: string): boolean =>
  ttype !== undefined && (ttype === parent || ttype.startsWith(`${parent}.`));

// Python's re.UNICODE `\w`, `\d` and `\b`; JavaScript's are ASCII-only even with the `u` flag.
const W = '[\\p{L}\\p{N}_]';
const D = '\\p{Nd}';
const B = `(?!${W})`;
const LETTER = '[A-ZÀ-Ü]';

type Action = TokenType | 'keyword';

// sqlparse's SQL_REGEX, matched case-insensitively at the current position; the first rule that matches wins.
const RULES: [string, Action][] = [
  ['(--|# )\\+.*?(\\r\\n|\\r|\\n|$)', 'Comment.Single.Hint'],
  ['/\\*\\+[\\s\\S]*?\\*/', 'Comment.Multiline.Hint'],
  ['(--|# ).*?(\\r\\n|\\r|\\n|$)', 'Comment.Single'],
  ['/\\*[\\s\\S]*?\\*/', 'Comment.Multiline'],
  ['(\\r\\n|\\r|\\n)', 'Text.Whitespace.Newline'],
  ['\\s', 'Text.Whitespace'],
  [':=', 'Assignment'],
  ['::', 'Punctuation'],
  ['\\*', 'Wildcard'],
  ['`(``|[^`])*`', 'Name'],
  ['´(´´|[^´])*´', 'Name'],
  [`((?<![\\p{L}\\p{N}_"$])\\$(?:[_A-ZÀ-Ü]${W}*)?\\$)[\\s\\S]*?\\1`, 'Literal'],
  ['\\?', 'Name.Placeholder'],
  [`%(\\(${W}+\\))?s`, 'Name.Placeholder'],
  [`(?<!${W})[$:?]${W}+`, 'Name.Placeholder'],
  [`\\\\${W}+`, 'Command'],
  [`(CASE|IN|VALUES|USING|FROM|AS)${B}`, 'Keyword'],
  [`(@|##|#)${LETTER}${W}+`, 'Name'],
  [`${LETTER}${W}*(?=\\s*\\.)`, 'Name'],
  [`(?<=\\.)${LETTER}${W}*`, 'Name'],
  [`${LETTER}${W}*(?=\\()`, 'Name'],
  [`-?0x[${D}A-F]+`, 'Literal.Number.Hexadecimal'],
  [`-?${D}+(\\.${D}+)?E-?${D}+`, 'Literal.Number.Float'],
  [`(?![_A-ZÀ-Ü])-?(${D}+(\\.${D}*)|\\.${D}+)(?![_A-ZÀ-Ü])`, 'Literal.Number.Float'],
  [`(?![_A-ZÀ-Ü])-?${D}+(?![_A-ZÀ-Ü])`, 'Literal.Number.Integer'],
  ["'(''|\\\\'|[^'])*'", 'Literal.String.Single'],
  ['"(""|\\\\"|[^"])*"', 'Literal.String.Symbol'],
  ['(""|".*?[^\\\\]")', 'Literal.String.Symbol'],
  ['(?<![\\p{L}\\p{N}_\\])])(\\[[^\\]\\[]+\\])', 'Name'],
  [
    `((LEFT\\s+|RIGHT\\s+|FULL\\s+)?(INNER\\s+|OUTER\\s+|STRAIGHT\\s+)?|(CROSS\\s+|NATURAL\\s+)?)?JOIN${B}`,
    'Keyword',
  ],
  [`END(\\s+IF|\\s+LOOP|\\s+WHILE)?${B}`, 'Keyword'],
  [`IF\\s+(NOT\\s+)?EXISTS${B}`, 'Keyword'],
  [`NOT\\s+NULL${B}`, 'Keyword'],
  [`(ASC|DESC)(\\s+NULLS\\s+(FIRST|LAST))?${B}`, 'Keyword.Order'],
  [`NULLS\\s+(FIRST|LAST)${B}`, 'Keyword.Order'],
  [`UNION\\s+ALL${B}`, 'Keyword'],
  [`CREATE(\\s+OR\\s+REPLACE)?${B}`, 'Keyword.DDL'],
  [`DOUBLE\\s+PRECISION${B}`, 'Name.Builtin'],
  [`GROUP\\s+BY${B}`, 'Keyword'],
  [`ORDER\\s+BY${B}`, 'Keyword'],
  [`PRIMARY\\s+KEY${B}`, 'Keyword'],
  [`HANDLER\\s+FOR${B}`, 'Keyword'],
  [`GO(\\s${D}+)${B}`, 'Keyword'],
  [`(LATERAL\\s+VIEW\\s+)(EXPLODE|INLINE|PARSE_URL_TUPLE|POSEXPLODE|STACK)${B}`, 'Keyword'],
  ["(AT|WITH')\\s+TIME\\s+ZONE\\s+'[^']+'", 'Keyword.TZCast'],
  [`(NOT\\s+)?(LIKE|ILIKE|RLIKE)${B}`, 'Operator.Comparison'],
  [`(NOT\\s+)?(REGEXP)(\\s+(BINARY))?${B}`, 'Operator.Comparison'],
  [`${W}[$#\\p{L}\\p{N}_]*`, 'keyword'],
  ['[;:()\\[\\],.]', 'Punctuation'],
  ['(->>?|#>>?|@>|<@|\\?\\|?|\\?&|-|#-)', 'Operator'],
  ['[<>=~!]+', 'Operator.Comparison'],
  ['[+/@#%^&|^-]+', 'Operator'],
];

const COMPILED = RULES.map(([source, action]) => ({ re: new RegExp(source, 'iuy'), action }));

/**
 * Words sqlparse classifies as something other than a plain name. sqlparse knows about 800 such words; this is
 * the subset a search filter plausibly contains (SQL reserved words, aggregates, type names, and the words
 * users pick as keys), each checked against sqlparse 0.5.5. A word missing here lexes as a name, which only
 * changes the wording of errors for filters that were invalid anyway.
 */
const KEYWORDS = new Map<string, TokenType>();
const addKeywords = (ttype: TokenType, words: string) => {
  for (const word of words.split(/\s+/)) if (word) KEYWORDS.set(word, ttype);
};
addKeywords(
  'Keyword',
  `FROM WHERE AND OR NOT IN IS NULL TRUE FALSE LIKE ILIKE BETWEEN EXISTS CASE WHEN THEN ELSE END AS ON JOIN
   ORDER BY GROUP HAVING LIMIT OFFSET UNION ALL ANY SOME DISTINCT TABLE INTO VALUES SET KEY VERSION SOURCE ALIAS
   TYPE TIME COUNT MIN MAX SUM AVG USER MODE PATH FILE DATA PARAMETER PARAMETERS DOUBLE INDEX VIEW DEFAULT PRIMARY
   FOREIGN REFERENCES CHECK UNIQUE CONSTRAINT BEGIN IF FOR WHILE LOOP RETURN FUNCTION PROCEDURE TRIGGER OVER
   PARTITION ROWS RANGE CAST ESCAPE COLLATE FIRST LAST LEFT RIGHT INNER OUTER FULL CROSS NATURAL USING EXCEPT
   INTERSECT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP ROLE LEVEL OPTION NO TO OF AT EACH ROW NEW OLD REGEXP
   RLIKE GO MOD ISNULL NOTNULL`,
);
addKeywords('Keyword.DML', 'SELECT INSERT UPDATE DELETE COMMIT ROLLBACK');
addKeywords('Keyword.DDL', 'CREATE DROP ALTER');
addKeywords('Keyword.DCL', 'GRANT REVOKE');
addKeywords('Keyword.CTE', 'WITH');
addKeywords(
  'Name.Builtin',
  'INT INTEGER TEXT DATE TIMESTAMP VARCHAR CHAR BOOLEAN FLOAT REAL NUMERIC DECIMAL BIGINT SMALLINT',
);
addKeywords('Operator', 'DIV');

/** Splits `text` into sqlparse tokens (lexing only, no grouping). */
export function tokenize(text: string): LexToken[] {
  const tokens: LexToken[] = [];
  let pos = 0;
  while (pos < text.length) {
    let matched = false;
    for (const { re, action } of COMPILED) {
      re.lastIndex = pos;
      const m = re.exec(text);
      if (!m) continue;
      const value = m[0];
      const ttype = action === 'keyword' ? (KEYWORDS.get(value.toUpperCase()) ?? 'Name') : action;
      tokens.push({ ttype, value });
      // sqlparse always advances at least one character, even for an empty match.
      pos += Math.max(value.length, 1);
      matched = true;
      break;
    }
    if (!matched) {
      const char = String.fromCodePoint(text.codePointAt(pos) ?? 0);
      tokens.push({ ttype: 'Error', value: char });
      pos += char.length;
    }
  }
  return tokens;
}
