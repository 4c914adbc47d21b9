/**
 * Parses `order_by` lists the way MLflow 3.11's SQL stores do, and adds the implicit keys each store appends,
 * so that the result describes the complete ordering of a search.
 */
import { MlflowError, invalidParameter } from '../errors.js';
import { experimentIdentifier, runIdentifier } from './filter.js';
import { PyValueError, pyListRepr, pySetRepr, shlexSplit } from './python.js';
import {
  type Group,
  SqlParseError,
  isGroup,
  isWhitespace,
  matches,
  parseStatements,
  text,
} from './sql-parse.js';
import type { EntityType, OrderKey, SearchKind, SearchOrder } from './types.js';
import {
  EXPERIMENT_ORDER_BY_ATTRIBUTES,
  MODEL_VERSION_ORDER_BY_ATTRIBUTES,
  REGISTERED_MODEL_ORDER_BY_KEYS,
  REGISTERED_MODEL_RECOMMENDED_ORDER_BY_KEYS,
  RUN_ORDER_BY_ATTRIBUTES,
  includes,
  translateRunKeyAlias,
} from './vocabulary.js';

/**
 * The full sort order for a search: the requested keys, then MLflow's defaults and tie-breakers.
 * - runs: requested keys, then `start_time DESC` (unless sorted on already), then `run_id ASC`;
 * - experiments: `creation_time DESC, experiment_id ASC` when none is given, else the keys and then
 *   `experiment_id DESC` unless present;
 * - registered models: requested keys (`timestamp` means last_updated_timestamp), then `name ASC`;
 * - model versions: `last_updated_timestamp DESC, name ASC, version_number DESC` when none is given, else the
 *   keys, then `name ASC` and `version_number DESC` unless present.
 * A key named twice is MLflow's INTERNAL_ERROR "`order_by` contains duplicate fields" (runs and registry).
 */
export function parseOrderBy<K extends SearchKind>(
  orderBy: readonly string[] | undefined,
  kind: K,
): SearchOrder<K> {
  const list = orderBy ?? [];
  switch (kind) {
    case 'runs':
      return { kind, keys: runOrder(list) };
    case 'experiments':
      return {
        kind,
        keys: experimentOrder(list.length > 0 ? list : ['creation_time DESC', 'experiment_id ASC']),
      };
    case 'registered_models':
      return { kind, keys: registeredModelOrder(list) };
    default: {
      const defaults = ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'];
      return { kind, keys: modelVersionOrder(list.length > 0 ? list : defaults) };
    }
  }
}

const duplicateFields = (orderBy: readonly string[]) =>
  new MlflowError('INTERNAL_ERROR', `\`order_by\` contains duplicate fields: ${pyListRepr(orderBy)}`);

function runOrder(orderBy: readonly string[]): OrderKey[] {
  const keys: OrderKey[] = [];
  const seen = new Set<string>();
  for (const clause of orderBy) {
    const { token, ascending } = parseOrderByString(clause);
    const { type, key } = runIdentifier(token.trim(), RUN_ORDER_BY_ATTRIBUTES);
    keys.push(runKey(type, translateRunKeyAlias(key), ascending, orderBy, seen));
  }
  if (!seen.has('attribute/start_time'))
    keys.push({ type: 'attribute', key: 'start_time', ascending: false });
  keys.push({ type: 'attribute', key: 'run_id', ascending: true });
  return keys;
}

function runKey(
  type: EntityType,
  key: string,
  ascending: boolean,
  orderBy: readonly string[],
  seen: Set<string>,
) {
  if (type === 'dataset') throw invalidParameter(`Invalid identifier type '${type}'`);
  const id = `${type}/${key}`;
  if (seen.has(id)) throw duplicateFields(orderBy);
  seen.add(id);
  return { type, key, ascending };
}

function experimentOrder(orderBy: readonly string[]): OrderKey[] {
  const keys = orderBy.map((clause): OrderKey => {
    const { token, ascending } = parseOrderByString(clause);
    const { type, key } = experimentIdentifier(token.trim(), EXPERIMENT_ORDER_BY_ATTRIBUTES);
    if (type !== 'attribute') throw invalidParameter(`Invalid order_by entity: ${type}`);
    return { type: 'attribute', key, ascending };
  });
  if (!keys.some((k) => k.key === 'experiment_id'))
    keys.push({ type: 'attribute', key: 'experiment_id', ascending: false });
  return keys;
}

function registeredModelOrder(orderBy: readonly string[]): OrderKey[] {
  const keys: OrderKey[] = [];
  const seen = new Set<string>();
  for (const clause of orderBy) {
    const { token, ascending } = parseOrderByString(clause);
    const name = token.trim();
    if (!includes(REGISTERED_MODEL_ORDER_BY_KEYS, name)) {
      throw invalidParameter(
        `Invalid order by key '${name}' specified. Valid keys are '${pySetRepr(REGISTERED_MODEL_RECOMMENDED_ORDER_BY_KEYS)}'`,
      );
    }
    const key = name === 'name' ? 'name' : 'last_updated_timestamp';
    if (seen.has(key)) throw duplicateFields(orderBy);
    seen.add(key);
    keys.push({ type: 'attribute', key, ascending });
  }
  if (!seen.has('name')) keys.push({ type: 'attribute', key: 'name', ascending: true });
  return keys;
}

function modelVersionOrder(orderBy: readonly string[]): OrderKey[] {
  const keys: OrderKey[] = [];
  const seen = new Set<string>();
  for (const clause of orderBy) {
    const { token, ascending } = parseOrderByString(clause);
    // The store only looks at the key: `tags.name` sorts by name.
    const { key } = experimentIdentifier(token.trim(), MODEL_VERSION_ORDER_BY_ATTRIBUTES);
    if (!includes(MODEL_VERSION_ORDER_BY_ATTRIBUTES, key)) {
      throw invalidParameter(
        `Invalid order by key '${key}' specified. Valid keys are ${pySetRepr(MODEL_VERSION_ORDER_BY_ATTRIBUTES)}`,
      );
    }
    if (seen.has(key)) throw duplicateFields(orderBy);
    seen.add(key);
    keys.push({ type: 'attribute', key, ascending });
  }
  if (!seen.has('name')) keys.push({ type: 'attribute', key: 'name', ascending: true });
  if (!seen.has('version_number')) keys.push({ type: 'attribute', key: 'version_number', ascending: false });
  return keys;
}

/**
 * One order_by entry: sqlparse must see a single identifier (optionally with ASC/DESC, which sqlparse folds
 * into it) or the builtin `timestamp`; shlex then splits off the direction.
 */
function parseOrderByString(orderBy: string): { token: string; ascending: boolean } {
  const token = orderByToken(orderBy);
  const couldNotParse = () => invalidParameter(`Invalid order_by clause '${orderBy}'. Could not be parsed.`);
  let words: string[];
  try {
    words = shlexSplit(token.replaceAll('`', '"'));
  } catch (error) {
    // shlex's ValueError is not caught by MLflow: the real server answers 500.
    if (error instanceof PyValueError) throw new MlflowError('INTERNAL_ERROR', error.message);
    throw error;
  }
  if (words.length > 2) throw couldNotParse();
  if (words.length < 2) return { token, ascending: true };
  const direction = (words[1] ?? '').toLowerCase();
  if (direction !== 'asc' && direction !== 'desc') {
    throw invalidParameter(`Invalid ordering key in order_by clause '${orderBy}'.`);
  }
  return { token: words[0] ?? '', ascending: direction === 'asc' };
}

function orderByToken(orderBy: string): string {
  let statements: Group[];
  try {
    statements = parseStatements(orderBy);
  } catch (error) {
    if (error instanceof SqlParseError)
      throw invalidParameter(`Error on parsing order_by clause '${orderBy}'`);
    throw error;
  }
  const couldNotParse = () => invalidParameter(`Invalid order_by clause '${orderBy}'. Could not be parsed.`);
  const [statement] = statements;
  if (statement === undefined || statements.length !== 1) throw couldNotParse();
  const { tokens } = statement;
  const [first] = tokens;
  const last = tokens[tokens.length - 1];
  if (tokens.length === 1 && isGroup(first, 'Identifier')) return text(first);
  const isTimestamp = matches(first, 'Name.Builtin', ['timestamp']);
  if (tokens.length === 1 && isTimestamp) return 'timestamp';
  if (
    isTimestamp &&
    tokens.slice(1, -1).every((t) => isWhitespace(t)) &&
    last?.kind === 'leaf' &&
    last.ttype === 'Keyword.Order'
  ) {
    return `timestamp ${last.value}`;
  }
  throw couldNotParse();
}
