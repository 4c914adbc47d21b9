/**
 * MLflow's search vocabulary: entity prefixes, attribute keys and comparators per search kind.
 *
 * MLflow keeps most of these in Python sets and prints them in error messages. A Python set of strings
 * iterates in an order that depends on the process's hash seed, so the real server's wording changes from one
 * start to the next. The lists below use the order observed in the golden corpus where a message shows it
 * (metric comparators, experiment order_by keys) and MLflow's declaration order otherwise.
 */

export const METRIC_COMPARATORS = ['>', '!=', '>=', '<=', '=', '<'] as const;
// MLflow 3.11 added IS NULL / IS NOT NULL for run params and tags (mlflow#21283) and experiment tags (#21148).
export const PARAM_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'] as const;
export const TAG_COMPARATORS = PARAM_COMPARATORS;
export const STRING_ATTRIBUTE_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'] as const;
export const DATASET_COMPARATORS = STRING_ATTRIBUTE_COMPARATORS;
export const MODEL_VERSION_STRING_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE', 'IN'] as const;
/** Comparators the registry and experiment stores accept for tags and string attributes. */
export const BASIC_STRING_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE'] as const;
export const NULL_COMPARATORS = ['IS NULL', 'IS NOT NULL'] as const;

/** Entity prefixes in a run filter; the first of each group is the canonical name. */
export const RUN_IDENTIFIERS = ['metric', 'parameter', 'tag', 'attribute', 'dataset'] as const;
const RUN_IDENTIFIER_ALIASES: Record<string, (typeof RUN_IDENTIFIERS)[number]> = {
  metric: 'metric',
  metrics: 'metric',
  parameter: 'parameter',
  parameters: 'parameter',
  param: 'parameter',
  params: 'parameter',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attr: 'attribute',
  attributes: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};
export const canonicalIdentifier = (name: string) =>
  Object.hasOwn(RUN_IDENTIFIER_ALIASES, name) ? RUN_IDENTIFIER_ALIASES[name] : undefined;

/** Registry and experiment filters only know these prefixes (compared before backticks are trimmed). */
export const REGISTRY_ENTITY_TYPES = ['attribute', 'tag', 'tags'] as const;

// RunInfo's searchable properties (sorted, as MLflow builds them), then its aliases.
const RUN_ATTRIBUTES = ['artifact_uri', 'end_time', 'run_id', 'run_name', 'start_time', 'status', 'user_id'];
export const RUN_NUMERIC_ATTRIBUTES = ['start_time', 'end_time', 'created', 'Created'] as const;
export const RUN_SEARCH_ATTRIBUTES = [
  ...RUN_ATTRIBUTES,
  'created',
  'Created',
  'run name',
  'Run name',
  'Run Name',
];
export const RUN_ORDER_BY_ATTRIBUTES = [...RUN_ATTRIBUTES, 'created', 'Created'];
export const DATASET_ATTRIBUTES = ['name', 'digest', 'context'] as const;

/** MLflow's translate_key_alias: `created` is `start_time`, `run name` is `run_name`. */
export function translateRunKeyAlias(key: string): string {
  if (key === 'created' || key === 'Created') return 'start_time';
  if (key === 'run name' || key === 'Run name' || key === 'Run Name') return 'run_name';
  return key;
}

export const EXPERIMENT_SEARCH_ATTRIBUTES = ['name', 'creation_time', 'last_update_time'] as const;
export const EXPERIMENT_ORDER_BY_ATTRIBUTES = [
  'experiment_id',
  'name',
  'creation_time',
  'last_update_time',
] as const;
export const EXPERIMENT_NUMERIC_ATTRIBUTES = ['creation_time', 'last_update_time'] as const;

export const REGISTERED_MODEL_SEARCH_ATTRIBUTES = ['name'] as const;
/** Registered models sort by these bare words; `timestamp` means last_updated_timestamp. */
export const REGISTERED_MODEL_ORDER_BY_KEYS = ['timestamp', 'last_updated_timestamp', 'name'] as const;
export const REGISTERED_MODEL_RECOMMENDED_ORDER_BY_KEYS = ['name', 'timestamp'] as const;

export const MODEL_VERSION_SEARCH_ATTRIBUTES = ['name', 'version_number', 'run_id', 'source_path'] as const;
export const MODEL_VERSION_NUMERIC_ATTRIBUTES = [
  'version_number',
  'creation_timestamp',
  'last_updated_timestamp',
] as const;
export const MODEL_VERSION_ORDER_BY_ATTRIBUTES = [
  'name',
  'version_number',
  'creation_timestamp',
  'last_updated_timestamp',
] as const;

/** The tag that marks a registered model as a prompt; model searches hide prompts unless asked for them. */
export const IS_PROMPT_TAG_KEY = 'mlflow.prompt.is_prompt';
/** The run tag holding the run name; `attributes.run_name` filters on it. */
export const RUN_NAME_TAG = 'mlflow.runName';
/** Model versions in this stage are deleted and never returned by search. */
export const STAGE_DELETED_INTERNAL = 'Deleted Internal';

export const includes = (list: readonly string[], value: string): boolean => list.includes(value);
