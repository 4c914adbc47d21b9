/**
 * Shapes shared by the search modules: what a parsed filter clause and order key look like, and the plain
 * records the matcher and comparator read. The records use MLflow's field names so the mapping from the store
 * is obvious; the store converts its own objects into them.
 */

export type SearchKind = 'runs' | 'experiments' | 'registered_models' | 'model_versions';

/** MLflow's entity types for a filter key (`metrics.x` is a 'metric', `params.x` a 'parameter', ...). */
export type EntityType = 'metric' | 'parameter' | 'tag' | 'attribute' | 'dataset';

/**
 * One AND-ed comparison, as MLflow's parser returns it. `comparator` is normalised to upper case where the
 * MLflow store does so (everything but experiments). `value` is the unquoted string, the numeric literal's
 * text (metrics, numeric attributes), a number (model-version numeric attributes), a list (IN / NOT IN), or
 * null (IS NULL / IS NOT NULL).
 */
export interface Clause {
  type: EntityType;
  key: string;
  comparator: string;
  value: string | number | string[] | null;
}

/** One sort key, after MLflow's aliases are resolved (`created` is `start_time`, `timestamp` ...). */
export interface OrderKey {
  type: 'attribute' | 'metric' | 'parameter' | 'tag';
  key: string;
  ascending: boolean;
}

/** The complete ordering of one search: the requested keys followed by MLflow's implicit tie-breakers. */
export interface SearchOrder<K extends SearchKind = SearchKind> {
  kind: K;
  keys: OrderKey[];
}

export interface DatasetInputRecord {
  name: string;
  digest: string;
  /** The dataset input's `mlflow.data.context` tag (e.g. "training"), if any. */
  context?: string;
}

export interface RunRecord {
  info: {
    run_id: string;
    run_name?: string;
    status: string;
    user_id?: string;
    start_time: number;
    end_time?: number;
    artifact_uri?: string;
    /** Not searchable: the view type (ACTIVE_ONLY, ...) is applied by the caller. */
    lifecycle_stage?: string;
  };
  /** Latest value per metric key (MLflow's latest_metrics); NaN and ±Infinity allowed. */
  metrics: Readonly<Record<string, number>>;
  params: Readonly<Record<string, string>>;
  tags: Readonly<Record<string, string>>;
  datasets?: readonly DatasetInputRecord[];
}

export interface ExperimentRecord {
  experiment_id: string;
  name: string;
  creation_time?: number;
  last_update_time?: number;
  lifecycle_stage?: string;
  tags: Readonly<Record<string, string>>;
}

export interface RegisteredModelRecord {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  tags: Readonly<Record<string, string>>;
}

export interface ModelVersionRecord {
  name: string;
  version: number | string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  source?: string;
  run_id?: string;
  current_stage?: string;
  tags: Readonly<Record<string, string>>;
  /**
   * Whether the registered model is a prompt. MLflow hides a model's versions from search when any version
   * carries `mlflow.prompt.is_prompt = 'true'`; when this is left out, the version's own tag decides.
   */
  is_prompt?: boolean;
}

export interface SearchRecords {
  runs: RunRecord;
  experiments: ExperimentRecord;
  registered_models: RegisteredModelRecord;
  model_versions: ModelVersionRecord;
}

/**
 * A record keyed by user-chosen names (tags, params, metrics): no prototype, so `tags.constructor` or
 * `tags.__proto__` in a filter is just a missing key.
 */
export function dictOf<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  const out = Object.create(null) as Record<string, V>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}
