import { invalidParameter } from './errors.js';
import { invalidValueError } from './request-message.js';
import { pyFloatRepr, pyUrlParse } from './python-values.js';
import { pyRepr } from './search/python.js';
import { normpath } from './python-values.js';

/**
 * The tracking store's own checks (mlflow/utils/validation.py), run after the handler's schema checks. `path`
 * names the field in messages: "" for a single log call, `params[3]` inside a batch.
 */

const MAX_ENTITY_KEY_LENGTH = 250;
const MAX_PARAM_VAL_LENGTH = 6000;
const MAX_TAG_VAL_LENGTH = 8000;
const MAX_EXPERIMENT_TAG_KEY_LENGTH = 250;
const MAX_EXPERIMENT_TAG_VAL_LENGTH = 5000;
const MAX_EXPERIMENT_NAME_LENGTH = 500;
const MAX_BATCH = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;

const jsonPath = (path: string, field: string) => (path ? `${path}.${field}` : field);

const pathNotUnique = (name: string) => {
  const norm = normpath(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
};

// Python's \w is Unicode-aware: letters, digits and the underscore of any script.
const VALID_NAME = /^[/\p{L}\p{N}_.\- :]*$/u;
const BAD_CHARACTERS =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';
const badPath = (name: string) =>
  `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to ${pyRepr(normpath(name))}`;

/** `_validate_param_name` / `_validate_tag_name` / `_validate_metric_name` (the name part). */
function validateName(name: string, path: string): void {
  if (!VALID_NAME.test(name)) throw invalidValueError(path, name, BAD_CHARACTERS);
  if (pathNotUnique(name)) throw invalidValueError(path, name, badPath(name));
}

/** `_validate_length_limit`: over the limit either truncates silently (values) or refuses. */
function lengthLimit(entity: string, limit: number, value: string, truncate = false): string {
  if (value.length <= limit) return value;
  // MLFLOW_TRUNCATE_LONG_VALUES defaults to true: values are cut, silently (README "Limits" 6).
  if (truncate) return value.slice(0, limit);
  throw invalidParameter(`'${entity}' exceeds the maximum length of ${limit} characters`);
}

export function validateParam(key: string, value: string, path = ''): { key: string; value: string } {
  validateName(key, jsonPath(path, 'key'));
  return {
    key: lengthLimit('Param key', MAX_ENTITY_KEY_LENGTH, key),
    value: lengthLimit('Param value', MAX_PARAM_VAL_LENGTH, value, true),
  };
}

export function validateTag(key: string, value: string, path = ''): { key: string; value: string } {
  validateName(key, jsonPath(path, 'key'));
  return {
    key: lengthLimit(jsonPath(path, 'key'), MAX_ENTITY_KEY_LENGTH, key),
    value: lengthLimit(jsonPath(path, 'value'), MAX_TAG_VAL_LENGTH, value, true),
  };
}

export function validateExperimentTag(key: string, value: string): void {
  validateName(key, 'key');
  lengthLimit('key', MAX_EXPERIMENT_TAG_KEY_LENGTH, key);
  lengthLimit('value', MAX_EXPERIMENT_TAG_VAL_LENGTH, value);
}

/** `_validate_metric`: the value and step are numbers once parsed; the timestamp must not be negative. */
export function validateMetric(m: { key: string; value: number; timestamp: number }, path = ''): void {
  validateName(m.key, jsonPath(path, 'name'));
  if (m.timestamp < 0) {
    throw invalidValueError(
      jsonPath(path, 'timestamp'),
      m.timestamp,
      `metric '${m.key}' (value=${pyFloatRepr(m.value)}). Timestamp must be a nonnegative long (64-bit integer) `,
    );
  }
  lengthLimit('Metric name', MAX_ENTITY_KEY_LENGTH, m.key);
}

export function validateBatchLimits(metrics: number, params: number, tags: number): void {
  const check = (entity: string, limit: number, length: number) => {
    if (length > limit) {
      throw invalidParameter(
        `A batch logging request can contain at most ${limit} ${entity}. Got ${length} ${entity}. Please split up ${entity} across multiple requests and try again.`,
      );
    }
  };
  check('metrics', MAX_BATCH.metrics, metrics);
  check('params', MAX_BATCH.params, params);
  check('tags', MAX_BATCH.tags, tags);
  check('metrics, params, and tags', MAX_BATCH.total, metrics + params + tags);
}

/** `_validate_param_keys_unique`: every repeat of a key is listed, as Python's list repr. */
export function validateParamKeysUnique(keys: readonly string[]): void {
  const seen = new Set<string>();
  const dupes: string[] = [];
  for (const key of keys) {
    if (seen.has(key)) dupes.push(key);
    seen.add(key);
  }
  if (dupes.length > 0) {
    throw invalidParameter(
      `Duplicate parameter keys have been submitted: [${dupes.map(pyRepr).join(', ')}]. Please ensure the request contains only one param value per param key.`,
    );
  }
}

export function validateExperimentName(name: string): void {
  if (name.length > MAX_EXPERIMENT_NAME_LENGTH) {
    throw invalidParameter(`'name' exceeds the maximum length of ${MAX_EXPERIMENT_NAME_LENGTH} characters`);
  }
}

/**
 * `_create_experiment`'s checks of `artifact_location` (mlflow/server/handlers.py: no fragment or params, no `..`
 * in the query), then the workspace-aware store's refusal of any location at all: with workspaces on, MLflow puts
 * every experiment under `workspaces/<workspace>/` itself (`SqlAlchemyWorkspaceStore.create_experiment`). A
 * location of the caller's choice was a way out of the workspace: `mlflow-artifacts:/workspaces/team-a/../..#`
 * listed every workspace's artifacts.
 */
export function validateArtifactLocation(location: string): void {
  if (location === '') return;
  const parsed = pyUrlParse(location);
  if (parsed.fragment || parsed.params)
    throw invalidParameter("'artifact_location' URL can't include fragments or params.");
  if (unquoteAll(parsed.query).includes('..')) throw invalidParameter('Invalid query string');
  throw invalidParameter('artifact_location cannot be specified when workspaces are enabled');
}

/** `validate_query_string`'s `_decode`, for its `..` test: percent-escapes decoded until nothing changes. */
function unquoteAll(text: string): string {
  for (let round = 0; round < 10; round++) {
    const decoded = text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) =>
      Buffer.from(run.replaceAll('%', ''), 'hex').toString(),
    );
    if (decoded === text) return text;
    text = decoded;
  }
  return text;
}
