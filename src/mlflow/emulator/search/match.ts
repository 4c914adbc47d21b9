/**
 * Evaluates parsed clauses against one entity with the semantics of MLflow's SQL stores on SQLite: every
 * comparison is a SQL comparison, so a missing metric, param or tag (SQL NULL) never matches, not even `!=`;
 * LIKE is case-sensitive (MLflow sets `PRAGMA case_sensitive_like`), ILIKE lower-cases ASCII letters only
 * (SQLite's lower()), and numeric columns compare with SQLite's type affinity rules.
 */
import type {
  Clause,
  ExperimentRecord,
  ModelVersionRecord,
  RegisteredModelRecord,
  RunRecord,
  SearchKind,
  SearchRecords,
} from './types.js';
import {
  IS_PROMPT_TAG_KEY,
  RUN_NAME_TAG,
  STAGE_DELETED_INTERNAL,
  translateRunKeyAlias,
} from './vocabulary.js';

/** Whether `entity` satisfies every clause (clauses from `parseSearchFilter` for the same kind). */
export function matchesFilter<K extends SearchKind>(
  kind: K,
  entity: SearchRecords[K],
  clauses: readonly Clause[],
): boolean {
  switch (kind) {
    case 'runs':
      return clauses.every((clause) => matchRun(entity as RunRecord, clause));
    case 'experiments':
      return clauses.every((clause) => matchExperiment(entity as ExperimentRecord, clause));
    case 'registered_models': {
      const model = entity as RegisteredModelRecord;
      return matchRegistry(model.tags[IS_PROMPT_TAG_KEY] === 'true', clauses, (c) =>
        matchRegisteredModel(model, c),
      );
    }
    default: {
      const version = entity as ModelVersionRecord;
      if (version.current_stage === STAGE_DELETED_INTERNAL) return false;
      const prompt = version.is_prompt ?? version.tags[IS_PROMPT_TAG_KEY] === 'true';
      return matchRegistry(prompt, clauses, (c) => matchModelVersion(version, c));
    }
  }
}

/** A column value as SQLite sees it: text, a number, or NULL (undefined). */
type Column = string | number | undefined;
type Affinity = 'text' | 'numeric';

function matchRun(run: RunRecord, clause: Clause): boolean {
  const { type, comparator, value } = clause;
  const key = translateRunKeyAlias(clause.key);
  switch (type) {
    case 'metric':
      return compare(comparator, storedMetric(run.metrics[key]), Number(value), 'numeric');
    case 'parameter':
      return compareOrNull(comparator, run.params[key], value, 'text');
    case 'tag':
      return compareOrNull(comparator, run.tags[key], value, 'text');
    case 'dataset':
      return (run.datasets ?? []).some((dataset) =>
        compare(
          comparator,
          key === 'context' ? dataset.context : key === 'name' ? dataset.name : dataset.digest,
          value,
          'text',
        ),
      );
    default: {
      const [column, affinity] = runAttribute(run, key);
      return compare(comparator, column, value, affinity);
    }
  }
}

/** MLflow's SQL store keeps a NaN metric as 0 (with a flag) and clamps infinities to the largest double. */
function storedMetric(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (Number.isNaN(value)) return 0;
  return Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, value));
}

function runAttribute(run: RunRecord, key: string): [Column, Affinity] {
  const { info } = run;
  switch (key) {
    // The store filters run names on the mlflow.runName tag, not on the runs table.
    case 'run_name':
      return [run.tags[RUN_NAME_TAG], 'text'];
    case 'run_id':
      return [info.run_id, 'text'];
    case 'start_time':
      return [info.start_time, 'numeric'];
    case 'end_time':
      return [info.end_time, 'numeric'];
    case 'status':
      return [info.status, 'text'];
    case 'user_id':
      return [info.user_id, 'text'];
    case 'artifact_uri':
      return [info.artifact_uri, 'text'];
    default:
      return [undefined, 'text'];
  }
}

function matchExperiment(experiment: ExperimentRecord, { type, key, comparator, value }: Clause): boolean {
  if (type === 'tag') return compareOrNull(comparator, experiment.tags[key], value, 'text');
  if (key === 'creation_time') return compare(comparator, experiment.creation_time, value, 'numeric');
  if (key === 'last_update_time') return compare(comparator, experiment.last_update_time, value, 'numeric');
  return compare(comparator, experiment.name, value, 'text');
}

/**
 * Model searches hide prompts (registered models tagged `mlflow.prompt.is_prompt = 'true'`) and ignore any
 * clause on that tag, unless the filter asks for prompts with `= 'true'` or `!= 'false'`. The client appends
 * `tags.\`mlflow.prompt.is_prompt\` != 'true'` to every search_registered_models call.
 */
function matchRegistry(
  isPrompt: boolean,
  clauses: readonly Clause[],
  match: (c: Clause) => boolean,
): boolean {
  const promptClause = clauses.find((c) => c.type === 'tag' && c.key === IS_PROMPT_TAG_KEY);
  const wanted = String(promptClause?.value ?? '').toLowerCase();
  const queryingPrompts =
    promptClause !== undefined &&
    ((promptClause.comparator === '=' && wanted === 'true') ||
      (promptClause.comparator === '!=' && wanted === 'false'));
  if (queryingPrompts) return clauses.every(match);
  if (isPrompt) return false;
  return clauses.filter((c) => !(c.type === 'tag' && c.key === IS_PROMPT_TAG_KEY)).every(match);
}

function matchRegisteredModel(
  model: RegisteredModelRecord,
  { type, key, comparator, value }: Clause,
): boolean {
  if (type === 'tag') return compare(comparator, model.tags[key], value, 'text');
  return compare(comparator, model.name, value, 'text');
}

function matchModelVersion(version: ModelVersionRecord, { type, key, comparator, value }: Clause): boolean {
  if (type === 'tag') return compare(comparator, version.tags[key], value, 'text');
  switch (key) {
    case 'version_number':
      return compare(comparator, Number(version.version), value, 'numeric');
    case 'run_id':
      return compare(comparator, version.run_id, value, 'text');
    case 'source_path':
      return compare(comparator, version.source, value, 'text');
    default:
      return compare(comparator, version.name, value, 'text');
  }
}

/** Like `compare`, plus IS NULL / IS NOT NULL (EXISTS subqueries in MLflow). */
function compareOrNull(
  comparator: string,
  column: Column,
  value: Clause['value'],
  affinity: Affinity,
): boolean {
  if (comparator === 'IS NULL') return column === undefined;
  if (comparator === 'IS NOT NULL') return column !== undefined;
  return compare(comparator, column, value, affinity);
}

/** One SQL comparison `column <comparator> value` as SQLite evaluates it; NULL never matches. */
function compare(comparator: string, column: Column, value: Clause['value'], affinity: Affinity): boolean {
  if (column === undefined || value === null) return false;
  if (comparator === 'IN' || comparator === 'NOT IN') {
    const list = Array.isArray(value) ? value : [String(value)];
    const found = list.some((item) => sqliteCompare(column, item, affinity) === 0);
    return comparator === 'IN' ? found : !found;
  }
  if (Array.isArray(value)) return false;
  if (comparator === 'LIKE') return like(String(column), String(value));
  if (comparator === 'ILIKE') return like(asciiLower(String(column)), asciiLower(String(value)));
  const order = sqliteCompare(column, value, affinity);
  switch (comparator) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    default:
      return false;
  }
}

const NUMERIC_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * SQLite's ordering of a column value against a bound parameter. A numeric column converts a numeric-looking
 * text parameter to a number; numbers sort before text; text compares by code point (BINARY collation).
 */
function sqliteCompare(column: string | number, value: string | number, affinity: Affinity): number {
  let right: string | number = value;
  if (affinity === 'numeric' && typeof right === 'string' && NUMERIC_TEXT.test(right)) right = Number(right);
  if (typeof column === 'number' && typeof right === 'number')
    return column < right ? -1 : column > right ? 1 : 0;
  if (typeof column === 'number') return -1;
  if (typeof right === 'number') return 1;
  return compareCodePoints(column, right);
}

/** BINARY collation: UTF-8 byte order, which is code point order (JS compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const diff = (left[i]?.codePointAt(0) ?? 0) - (right[i]?.codePointAt(0) ?? 0);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return left.length < right.length ? -1 : left.length > right.length ? 1 : 0;
}

const asciiLower = (value: string) => value.replace(/[A-Z]/g, (c) => c.toLowerCase());

const likeCache = new Map<string, RegExp>();

/** SQL LIKE: `%` is any run of characters, `_` exactly one; there is no escape character. */
export function like(value: string, pattern: string): boolean {
  let re = likeCache.get(pattern);
  if (re === undefined) {
    const source = [...pattern]
      .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${source}$`, 'su');
    if (likeCache.size > 1000) likeCache.clear();
    likeCache.set(pattern, re);
  }
  return re.test(value);
}
