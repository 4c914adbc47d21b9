import { MlflowError, invalidParameter } from './errors.js';
import { pyRepr } from './search/python.js';
import type { DatasetInput, Metric, Run } from './tracking-store.js';

/**
 * A run's params, metrics and tags as MLflow's SQL store keeps them (sqlalchemy_store.py): params never change,
 * metric history rows are unique, `latest_metrics` keeps the most recent value per key, and the
 * `mlflow.runName` tag and the run's name move together.
 */

export const RUN_NAME_TAG = 'mlflow.runName';

/** `log_param`: the same value again is a no-op, another value is refused. */
export function logParam(run: Run, key: string, value: string): void {
  const existing = run.params.get(key);
  if (existing !== undefined && existing !== value) {
    throw invalidParameter(
      `Changing param values is not allowed. Param with key='${key}' was already logged with value='${existing}' for run ID='${run.id}'. Attempted logging new value '${value}'.`,
    );
  }
  run.params.set(key, value);
}

/** `_log_params` of a batch: every conflicting key is listed, as Python prints a list of dicts. */
export function logParams(run: Run, params: ReadonlyArray<{ key: string; value: string }>): void {
  const conflicts = params.filter((p) => run.params.has(p.key) && run.params.get(p.key) !== p.value);
  if (conflicts.length > 0) {
    const listed = conflicts.map(
      (p) =>
        `{'key': ${pyRepr(p.key)}, 'old_value': ${pyRepr(run.params.get(p.key)!)}, 'new_value': ${pyRepr(p.value)}}`,
    );
    throw invalidParameter(
      `Changing param values is not allowed. Params were already logged='[${listed.join(', ')}]' for run ID='${run.id}'.`,
    );
  }
  for (const p of params) if (!run.params.has(p.key)) run.params.set(p.key, p.value);
}

/**
 * `sanitize_metric_value`: SQL cannot hold ±inf, so they become ±1.7976931348623157e308 (README
 * "Serialisation" 5); NaN is kept (the SQL row holds 0.0 with `is_nan`), and sorts and compares as 0.0.
 */
export const sanitizeMetricValue = (value: number) =>
  value === Infinity ? Number.MAX_VALUE : value === -Infinity ? -Number.MAX_VALUE : value;

const sortValue = (m: Metric) => (Number.isNaN(m.value) ? 0 : m.value);
/** The metric table's primary key past (run, key): (timestamp, step, value), NaN stored apart from 0. */
const rowKey = (m: Metric) =>
  `${m.timestamp}|${m.step}|${sortValue(m)}|${Number.isNaN(m.value) ? 'nan' : ''}`;

// Indexes over the append-only histories, built lazily so restored runs get them too: the rows already
// logged (a batch into a long metric must not scan it), and the history in read order (pages of
// get-history must not sort it again).
const rowIndex = new WeakMap<Metric[], Set<string>>();
const sortedIndex = new WeakMap<Metric[], Metric[]>();

function rowsOf(history: Metric[]): Set<string> {
  let rows = rowIndex.get(history);
  if (!rows) rowIndex.set(history, (rows = new Set(history.map(rowKey))));
  return rows;
}

/** `_log_metrics`: a row identical to one already logged is dropped (the primary key covers all columns). */
export function logMetrics(run: Run, metrics: readonly Metric[]): void {
  for (const raw of metrics) {
    const metric = { ...raw, value: sanitizeMetricValue(raw.value) };
    const history = run.history.get(metric.key) ?? [];
    const rows = rowsOf(history);
    const row = rowKey(metric);
    if (rows.has(row)) continue;
    rows.add(row);
    history.push(metric);
    run.history.set(metric.key, history);
    // `_update_latest_metrics_if_necessary`: replaced only by a strictly greater (step, timestamp, value).
    const latest = run.latest.get(metric.key);
    if (!latest || compareLatest(metric, latest) > 0) run.latest.set(metric.key, metric);
  }
}

function compareLatest(a: Metric, b: Metric): number {
  return a.step - b.step || a.timestamp - b.timestamp || sortValue(a) - sortValue(b);
}

/** `get_metric_history` reads `ORDER BY timestamp, step, value`. */
export function metricHistory(run: Run, key: string): readonly Metric[] {
  const history = run.history.get(key);
  if (!history) return [];
  const cached = sortedIndex.get(history);
  if (cached && cached.length === history.length) return cached;
  const sorted = [...history].sort(
    (a, b) =>
      a.timestamp - b.timestamp ||
      a.step - b.step ||
      sortValue(a) - sortValue(b) ||
      Number(Number.isNaN(a.value)) - Number(Number.isNaN(b.value)),
  );
  sortedIndex.set(history, sorted);
  return sorted;
}

/** `set_tag`: the run-name tag goes through `update_run_info`, which ignores an empty name. */
export function setTag(run: Run, key: string, value: string): void {
  if (key === RUN_NAME_TAG) renameRun(run, value);
  else run.tags.set(key, value);
}

/** `update_run_info`'s name part: the name and its tag (updated in place, or appended). */
export function renameRun(run: Run, name: string): void {
  if (!name) return;
  run.name = name;
  run.tags.set(RUN_NAME_TAG, name);
}

export function deleteTag(run: Run, key: string): void {
  if (!run.tags.delete(key)) {
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No tag with name: ${key} in run with id ${run.id}`);
  }
}

/**
 * `log_inputs` of the SQL store: a dataset is one row per (experiment, name, digest) and a run links to it
 * once; logging the same dataset again adds nothing.
 */
export function logDatasetInputs(run: Run, inputs: readonly DatasetInput[]): void {
  for (const input of inputs) {
    const { name, digest } = input.dataset;
    if (run.inputs.some((i) => i.dataset.name === name && i.dataset.digest === digest)) continue;
    run.inputs.push(input);
  }
}
