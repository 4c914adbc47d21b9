/**
 * Sorts search results in the order MLflow's SQL stores return them (SQLite).
 *
 * Runs: for every requested key, rows with a value come first in both directions, then (metrics only) NaN
 * values, then rows without the key; MLflow builds that with a CASE column because SQLite has no NULLS LAST.
 * Experiments and the registry use plain ORDER BY, where SQLite puts NULL first ascending and last descending.
 */
import { compareCodePoints } from './match.js';
import type { OrderKey, RunRecord, SearchKind, SearchOrder, SearchRecords } from './types.js';

type Value = string | number | undefined;

/** A comparator for `Array.prototype.sort` that orders records as MLflow would for `order`. */
export function compareBy<K extends SearchKind>(
  order: SearchOrder<K>,
): (a: SearchRecords[K], b: SearchRecords[K]) => number {
  const { kind, keys } = order;
  return (a, b) => {
    for (const key of keys) {
      const diff =
        kind === 'runs'
          ? compareRunKey(a as RunRecord, b as RunRecord, key)
          : compareSql(fieldOf(a, key.key), fieldOf(b, key.key), key.ascending);
      if (diff !== 0) return diff;
    }
    return 0;
  };
}

function compareRunKey(a: RunRecord, b: RunRecord, key: OrderKey): number {
  const [rankA, valueA] = runSortValue(a, key);
  const [rankB, valueB] = runSortValue(b, key);
  if (rankA !== rankB) return rankA - rankB;
  const diff = compareValues(valueA, valueB);
  return key.ascending ? diff : -diff;
}

/** [presence rank, value]: 0 for a value, 1 for NaN (metrics), 2 (metrics) or 1 (others) for a missing one. */
function runSortValue(run: RunRecord, { type, key }: OrderKey): [number, Value] {
  if (type === 'metric') {
    const value = run.metrics[key];
    if (value === undefined) return [2, undefined];
    if (Number.isNaN(value)) return [1, 0];
    return [0, Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, value))];
  }
  const value: Value =
    type === 'parameter'
      ? run.params[key]
      : type === 'tag'
        ? run.tags[key]
        : (run.info as Record<string, Value>)[key];
  return value === undefined ? [1, undefined] : [0, value];
}

/** Model versions sort `version_number` on the integer version; experiment ids are integers in the database. */
function fieldOf(record: object, key: string): Value {
  const fields = record as Record<string, unknown>;
  const value = key === 'version_number' ? fields['version'] : fields[key];
  if (value === undefined || value === null) return undefined;
  if (key === 'version_number' || key === 'experiment_id') return Number(value);
  return value as Value;
}

function compareSql(a: Value, b: Value, ascending: boolean): number {
  const diff = compareValues(a, b);
  return ascending ? diff : -diff;
}

/** SQLite's order: NULL < numbers < text (by code point). */
function compareValues(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return compareCodePoints(a, b);
}
