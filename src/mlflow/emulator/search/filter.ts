/**
 * Parses a search `filter` string the way MLflow 3.11's SQL stores do: sqlparse's tree is checked by
 * SearchUtils (runs), SearchExperimentsUtils, SearchModelUtils or SearchModelVersionUtils, and the store then
 * checks each comparator. Errors carry MLflow's exact message, as INVALID_PARAMETER_VALUE (INTERNAL_ERROR
 * where MLflow itself crashes with a Python exception).
 */
import { MlflowError, invalidParameter } from '../errors.js';
import {
  PySyntaxError,
  PyValueError,
  pyIsLower,
  pyLiteralEval,
  pyRepr,
  pySetRepr,
  pyTupleRepr,
  pyValueRepr,
} from './python.js';
import {
  type Group,
  type Node,
  SqlParseError,
  isGroup,
  isLeaf,
  isWhitespace,
  matches,
  parseStatements,
  text,
} from './sql-parse.js';
import type { Clause, EntityType, SearchKind } from './types.js';
import {
  BASIC_STRING_COMPARATORS,
  DATASET_ATTRIBUTES,
  DATASET_COMPARATORS,
  EXPERIMENT_NUMERIC_ATTRIBUTES,
  EXPERIMENT_SEARCH_ATTRIBUTES,
  METRIC_COMPARATORS,
  MODEL_VERSION_NUMERIC_ATTRIBUTES,
  MODEL_VERSION_SEARCH_ATTRIBUTES,
  MODEL_VERSION_STRING_COMPARATORS,
  NULL_COMPARATORS,
  PARAM_COMPARATORS,
  REGISTERED_MODEL_SEARCH_ATTRIBUTES,
  REGISTRY_ENTITY_TYPES,
  RUN_IDENTIFIERS,
  RUN_NUMERIC_ATTRIBUTES,
  RUN_SEARCH_ATTRIBUTES,
  STRING_ATTRIBUTE_COMPARATORS,
  TAG_COMPARATORS,
  canonicalIdentifier,
  includes,
  translateRunKeyAlias,
} from './vocabulary.js';

/**
 * Parses and validates `filter` for one kind of search. Empty or missing filters give no clauses (match all).
 *
 * A trailing `AND` is accepted and ignored, as in MLflow: sqlparse leaves it as a lone keyword, which MLflow's
 * token check allows. That is why the golden `"params.a = '1' AND"` answers 200 (with no runs, because none has
 * that param) while `"params.a = 1 AND"` fails on the unquoted value.
 *
 * For runs, MLflow checks `order_by` between the two halves of this work; use `parseSearch` when both are given.
 */
export function parseSearchFilter(filter: string | undefined, kind: SearchKind): Clause[] {
  const clauses = parseFilterClauses(filter, kind);
  validateComparators(clauses, kind);
  return clauses;
}

/** The parse half: sqlparse plus MLflow's `parse_search_filter` for `kind`. */
export function parseFilterClauses(filter: string | undefined, kind: SearchKind): Clause[] {
  if (!filter) return [];
  let statements: Group[];
  try {
    statements = parseStatements(filter);
  } catch (error) {
    if (error instanceof SqlParseError) throw invalidParameter(`Error on parsing filter '${filter}'`);
    throw error;
  }
  const [statement] = statements;
  if (statement === undefined) throw invalidParameter(`Invalid filter '${filter}'. Could not be parsed.`);
  if (statements.length > 1) {
    throw invalidParameter(
      `Search filter contained multiple expression ${pyRepr(filter)}. Provide AND-ed expression list.`,
    );
  }
  const tokens = joinListComparisons(statement.tokens);
  const invalid = tokens.filter(
    (t) => !isGroup(t, 'Comparison') && !isWhitespace(t) && !matches(t, 'Keyword', ['AND']),
  );
  if (invalid.length > 0) {
    // Runs quote each clause; the other searches list them bare.
    const listed = invalid.map((t) => (kind === 'runs' ? `'${text(t)}'` : text(t))).join(', ');
    throw invalidParameter(`Invalid clause(s) in filter string: ${listed}`);
  }
  return tokens.filter((t): t is Group => isGroup(t, 'Comparison')).map((c) => parseComparison(c, kind));
}

const leaf = (value: string): Node => ({ kind: 'leaf', ttype: 'Keyword', value });
const comparison = (tokens: Node[]): Group => ({ kind: 'Comparison', tokens });

/**
 * sqlparse does not group `x IN (...)`, `x NOT IN (...)` or `x IS [NOT] NULL` into comparisons; MLflow joins
 * them itself, scanning from each identifier. Its scan swallows the tokens it looked at when they do not form
 * such a comparison, so an identifier among them is never a starting point: that quirk is kept.
 */
function joinListComparisons(statementTokens: readonly Node[]): Node[] {
  const tokens = statementTokens.filter((t) => !isWhitespace(t));
  const out: Node[] = [];
  for (let i = 0; i < tokens.length;) {
    const [first, second, third, fourth] = tokens.slice(i, i + 4) as [Node, Node?, Node?, Node?];
    if (tokens.length - i < 3 || second === undefined || third === undefined) {
      out.push(...tokens.slice(i));
      break;
    }
    if (!isGroup(first, 'Identifier')) {
      out.push(first);
      i += 1;
      continue;
    }
    if (matches(second, 'Keyword', ['IN']) && isGroup(third, 'Parenthesis')) {
      out.push(comparison([first, second, third]));
      i += 3;
      continue;
    }
    if (matches(second, 'Keyword', ['IS']) && matches(third, 'Keyword', ['NULL'])) {
      out.push(comparison([first, leaf('IS NULL')]));
      i += 3;
      continue;
    }
    if (matches(second, 'Keyword', ['IS']) && matches(third, 'Keyword', ['NOT NULL'])) {
      out.push(comparison([first, leaf('IS NOT NULL')]));
      i += 3;
      continue;
    }
    if (fourth === undefined) {
      out.push(first, second, third);
      break;
    }
    if (
      matches(second, 'Keyword', ['NOT']) &&
      matches(third, 'Keyword', ['IN']) &&
      isGroup(fourth, 'Parenthesis')
    ) {
      out.push(comparison([first, leaf('NOT IN'), fourth]));
      i += 4;
      continue;
    }
    out.push(first, second, third, fourth);
    i += 4;
  }
  return out;
}

function parseComparison(node: Group, kind: SearchKind): Clause {
  const parts = node.tokens.filter((t) => !isWhitespace(t));
  const [left, operator, right] = parts;
  const isNullCheck =
    parts.length === 2 && operator !== undefined && includes(NULL_COMPARATORS, text(operator));
  if (!(isNullCheck && (kind === 'runs' || kind === 'experiments')) && parts.length !== 3) {
    throw invalidParameter(`Invalid comparison clause. Expected 3 tokens found ${parts.length}`);
  }
  if (!isGroup(left, 'Identifier')) {
    throw invalidParameter(`Invalid comparison clause. Expected 'Identifier' found '${text(left!)}'`);
  }
  const comparator = text(operator!);
  const { type, key } = parseIdentifier(text(left), kind);
  // Runs and experiments keep the comparator as typed here (the runs store upper-cases it later); the
  // registry upper-cases it while parsing.
  const registry = kind === 'registered_models' || kind === 'model_versions';
  const clause: Clause = {
    type,
    key,
    comparator: registry ? comparator.toUpperCase() : comparator,
    value: null,
  };
  if (right !== undefined) clause.value = parseValue(type, key, right, kind);
  return clause;
}

/** Splits `prefix.key` and checks both halves, as each kind's `_get_identifier` does. */
function parseIdentifier(identifier: string, kind: SearchKind): { type: EntityType; key: string } {
  if (kind === 'runs') return runIdentifier(identifier, RUN_SEARCH_ATTRIBUTES);
  if (kind === 'experiments') return experimentIdentifier(identifier, EXPERIMENT_SEARCH_ATTRIBUTES);
  const [prefix, rawKey] = splitIdentifier(identifier);
  const type = registryEntityType(prefix);
  // The registry checks attribute keys before removing quotes, so `"name"` is not `name` there.
  const valid =
    kind === 'registered_models' ? REGISTERED_MODEL_SEARCH_ATTRIBUTES : MODEL_VERSION_SEARCH_ATTRIBUTES;
  if (type === 'attribute' && !includes(valid, rawKey)) throw invalidAttributeKey(rawKey, valid);
  return { type, key: trimBackticks(stripQuotes(rawKey)) };
}

/** Python's `identifier.split(".", 1)`; a bare key has no prefix. */
const splitIdentifier = (identifier: string): [string | undefined, string] => {
  const dot = identifier.indexOf('.');
  return dot < 0 ? [undefined, identifier] : [identifier.slice(0, dot), identifier.slice(dot + 1)];
};

/** SearchUtils._get_identifier: runs filters and order_by. */
export function runIdentifier(
  identifier: string,
  valid: readonly string[],
): { type: EntityType; key: string } {
  const [prefix, rawKey] = splitIdentifier(identifier);
  const type = runEntityType(prefix ?? 'attribute');
  const key = trimBackticks(stripQuotes(rawKey));
  if (type === 'attribute' && !valid.includes(key)) throw invalidAttributeKey(key, valid);
  if (type === 'dataset' && !includes(DATASET_ATTRIBUTES, key)) {
    throw invalidParameter(
      `Invalid dataset key '${key}' specified. Valid keys are '${pySetRepr(DATASET_ATTRIBUTES)}'`,
    );
  }
  return { type, key };
}

/** SearchExperimentsUtils._get_identifier: experiment filters, experiment and model-version order_by. */
export function experimentIdentifier(
  identifier: string,
  valid: readonly string[],
): { type: EntityType; key: string } {
  const [prefix, rawKey] = splitIdentifier(identifier);
  const type = registryEntityType(prefix);
  const key = trimBackticks(stripQuotes(rawKey));
  if (type === 'attribute' && !valid.includes(key)) throw invalidAttributeKey(key, valid);
  return { type, key };
}

/** Experiments and the registry accept only `attribute.`, `tag.` and `tags.`, compared before backticks go. */
function registryEntityType(prefix: string | undefined): 'attribute' | 'tag' {
  if (prefix === undefined) return 'attribute';
  if (!includes(REGISTRY_ENTITY_TYPES, prefix)) {
    throw invalidParameter(
      `Invalid entity type '${prefix}'. Valid entity types are ${pyTupleRepr(REGISTRY_ENTITY_TYPES)}`,
    );
  }
  return prefix === 'attribute' ? 'attribute' : 'tag';
}

/** MLflow's `_valid_entity_type` for runs: backticks are trimmed, aliases resolved. */
export function runEntityType(prefix: string): EntityType {
  const trimmed = trimBackticks(prefix);
  const type = canonicalIdentifier(trimmed);
  if (type === undefined) {
    throw invalidParameter(
      `Invalid entity type '${trimmed}'. Valid values are ['${RUN_IDENTIFIERS.join("', '")}']`,
    );
  }
  return type;
}

export const invalidAttributeKey = (key: string, valid: readonly string[]) =>
  invalidParameter(`Invalid attribute key '${key}' specified. Valid keys are '${pySetRepr(valid)}'`);

const isQuoted = (value: string, quote: string) =>
  value.length >= 2 && value.startsWith(quote) && value.endsWith(quote);

export const trimBackticks = (value: string) => (isQuoted(value, '`') ? value.slice(1, -1) : value);

/** MLflow's `_strip_quotes`: removes one pair of ' or " (doubled quotes inside are left as they are). */
export function stripQuotes(value: string, expectQuoted = false): string {
  if (isQuoted(value, "'") || isQuoted(value, '"')) return value.slice(1, -1);
  if (expectQuoted) {
    throw invalidParameter(
      `Parameter value is either not quoted or unidentified quote types used for string value ${value}. ` +
        'Use either single or double quotes.',
    );
  }
  return value;
}

const isNumber = (node: Node) =>
  isLeaf(node) && (node.ttype === 'Literal.Number.Integer' || node.ttype === 'Literal.Number.Float');
const isStringLike = (node: Node) =>
  (isLeaf(node) && node.ttype === 'Literal.String.Single') || isGroup(node, 'Identifier');

function parseValue(type: EntityType, key: string, token: Node, kind: SearchKind): Clause['value'] {
  const value = text(token);
  if (kind === 'registered_models' || kind === 'model_versions')
    return parseRegistryValue(type, key, token, kind);
  if (type === 'metric') {
    if (!isNumber(token)) throw invalidParameter(`Expected numeric value type for metric. Found ${value}`);
    return value;
  }
  if (type === 'parameter' || type === 'tag') {
    if (isStringLike(token)) return stripQuotes(value, true);
    throw invalidParameter(
      `Expected a quoted string value for ${type} (e.g. 'my-value'). Got value ${value}`,
    );
  }
  if (type === 'attribute') {
    const numeric: readonly string[] =
      kind === 'runs' ? RUN_NUMERIC_ATTRIBUTES : EXPERIMENT_NUMERIC_ATTRIBUTES;
    if (numeric.includes(key)) {
      if (!isNumber(token)) {
        throw invalidParameter(`Expected numeric value type for numeric attribute: ${key}. Found ${value}`);
      }
      return value;
    }
    if (isStringLike(token)) return stripQuotes(value, true);
    if (isGroup(token, 'Parenthesis')) {
      if (key !== 'run_id') throw onlyRunIdLists();
      return parseStringList(value);
    }
    throw invalidParameter(`Expected a quoted string value for attributes. Got value ${value}`);
  }
  // Datasets.
  if (isStringLike(token)) return stripQuotes(value, true);
  if (isGroup(token, 'Parenthesis')) return parseStringList(value);
  throw invalidParameter(`Expected a quoted string value for dataset attributes. Got value ${value}`);
}

function parseRegistryValue(type: EntityType, key: string, token: Node, kind: SearchKind): Clause['value'] {
  const value = text(token);
  if (type === 'tag') {
    if (isStringLike(token)) return stripQuotes(value, true);
    throw invalidParameter(`Expected a quoted string value for tag (e.g. 'my-value'). Got value ${value}`);
  }
  if (isStringLike(token)) return stripQuotes(value, true);
  if (isGroup(token, 'Parenthesis')) {
    if (key !== 'run_id') throw onlyRunIdLists();
    return parseStringList(value);
  }
  if (kind === 'model_versions' && isNumber(token)) {
    if (!includes(MODEL_VERSION_NUMERIC_ATTRIBUTES, key)) {
      throw invalidParameter(
        `Only the '${pySetRepr(MODEL_VERSION_NUMERIC_ATTRIBUTES)}' attributes support comparison with numeric values.`,
      );
    }
    return Number(value);
  }
  throw invalidParameter(
    `Expected a quoted string value or a list of quoted string values for attributes. Got value ${value}`,
  );
}

const onlyRunIdLists = () =>
  invalidParameter("Only the 'run_id' attribute supports comparison with a list of quoted string values.");

/**
 * An IN list: MLflow evaluates the parenthesis as a Python literal, requires strings, and then silently drops
 * every value that is not lower case (run ids are lower-case hex, and MySQL's IN ignores case).
 */
function parseStringList(source: string): string[] {
  let parsed;
  try {
    parsed = pyLiteralEval(source);
  } catch (error) {
    if (error instanceof PySyntaxError) {
      throw invalidParameter(
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
      );
    }
    // Python's ValueError escapes MLflow's handler; the real server answers with an HTML 500.
    if (error instanceof PyValueError) throw new MlflowError('INTERNAL_ERROR', error.message);
    throw error;
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length === 0) {
    throw invalidParameter(
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
    );
  }
  if (!items.every((item) => typeof item === 'string')) {
    throw invalidParameter(
      'While parsing a list in the query, expected string value, punctuation, or whitespace, ' +
        `but got different type in list: ${pyValueRepr(items)}`,
    );
  }
  return (items as string[]).filter((item) => pyIsLower(item));
}

/** The store half: each comparator against its entity type, with the store's own messages. */
export function validateComparators(clauses: Clause[], kind: SearchKind): void {
  for (const clause of clauses) {
    if (kind === 'runs') validateRunComparator(clause);
    else if (kind === 'experiments') validateExperimentComparator(clause);
    else validateRegistryComparator(clause, kind);
  }
}

// MLflow's messages differ in whether the set is followed by a closing quote; each is kept as it is.
const notOneOf = (comparator: string, valid: readonly string[], closingQuote: boolean) =>
  invalidParameter(
    `Invalid comparator '${comparator}' not one of '${pySetRepr(valid)}${closingQuote ? "'" : ''}`,
  );

function validateRunComparator(clause: Clause): void {
  clause.comparator = clause.comparator.toUpperCase();
  const { type, comparator } = clause;
  const key = translateRunKeyAlias(clause.key);
  if (type === 'attribute') {
    if (includes(RUN_NUMERIC_ATTRIBUTES, key)) {
      // MLflow lists the string comparators here.
      if (!includes(METRIC_COMPARATORS, comparator))
        throw notOneOf(comparator, STRING_ATTRIBUTE_COMPARATORS, false);
    } else if (!includes(STRING_ATTRIBUTE_COMPARATORS, comparator)) {
      throw notOneOf(comparator, STRING_ATTRIBUTE_COMPARATORS, true);
    }
  } else if (type === 'metric') {
    if (!includes(METRIC_COMPARATORS, comparator)) throw notOneOf(comparator, METRIC_COMPARATORS, false);
  } else if (type === 'parameter') {
    if (!includes(PARAM_COMPARATORS, comparator)) throw notOneOf(comparator, PARAM_COMPARATORS, true);
  } else if (type === 'tag') {
    if (!includes(TAG_COMPARATORS, comparator)) throw notOneOf(comparator, TAG_COMPARATORS, false);
  } else if (!includes(DATASET_COMPARATORS, comparator)) {
    throw notOneOf(comparator, DATASET_COMPARATORS, false);
  }
}

function validateExperimentComparator({ type, key, comparator }: Clause): void {
  // The experiment store does not upper-case: `name like 'x'` is rejected.
  if (type === 'tag') {
    if (!includes([...BASIC_STRING_COMPARATORS, ...NULL_COMPARATORS], comparator)) {
      throw invalidParameter(`Invalid comparator for tag: ${comparator}`);
    }
  } else if (includes(EXPERIMENT_NUMERIC_ATTRIBUTES, key)) {
    if (!includes(METRIC_COMPARATORS, comparator))
      throw notOneOf(comparator, STRING_ATTRIBUTE_COMPARATORS, false);
  } else {
    if (!includes(STRING_ATTRIBUTE_COMPARATORS, comparator)) {
      throw notOneOf(comparator, STRING_ATTRIBUTE_COMPARATORS, true);
    }
    if (!includes(BASIC_STRING_COMPARATORS, comparator)) {
      throw invalidParameter(`Invalid comparator for string attribute: ${comparator}`);
    }
  }
}

function validateRegistryComparator({ type, key, comparator }: Clause, kind: SearchKind): void {
  if (type === 'tag') {
    if (!includes(BASIC_STRING_COMPARATORS, comparator)) {
      throw invalidParameter(`Invalid comparator for tag: ${comparator}`);
    }
    return;
  }
  if (kind === 'registered_models') {
    if (!includes(BASIC_STRING_COMPARATORS, comparator)) {
      throw invalidParameter(`Invalid comparator for attribute: ${comparator}`);
    }
    return;
  }
  if (includes(MODEL_VERSION_NUMERIC_ATTRIBUTES, key)) {
    if (!includes(METRIC_COMPARATORS, comparator)) {
      throw invalidParameter(`Invalid comparator for attribute ${key}: ${comparator}`);
    }
  } else if (
    !includes(MODEL_VERSION_STRING_COMPARATORS, comparator) ||
    (comparator === 'IN' && key !== 'run_id')
  ) {
    throw invalidParameter(`Invalid comparator for attribute: ${comparator}`);
  }
}
