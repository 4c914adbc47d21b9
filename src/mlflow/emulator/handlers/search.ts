import { invalidParameter } from '../errors.js';
import type { ApiRequest, ApiResponse } from '../http.js';
import { assert, pb, pyInt, requestMessage } from '../request-message.js';
import {
  compareBy,
  dictOf,
  matchesFilter,
  parseSearch,
  type ExperimentRecord,
  type RunRecord,
} from '../search/index.js';
import { decodeOffset, experimentJson, page, runJson } from '../serialize.js';
import { inView, type Experiment, type Run, type TrackingStore, type ViewType } from '../tracking-store.js';

// service.proto's SearchExperiments and SearchRuns, and the handler schemas of mlflow/server/handlers.py.
const VIEW_TYPE = { ACTIVE_ONLY: 1, DELETED_ONLY: 2, ALL: 3 };
const SEARCH_EXPERIMENTS = {
  max_results: pb.int64,
  page_token: pb.string,
  filter: pb.string,
  order_by: pb.repeated(pb.string),
  view_type: pb.enumOf(VIEW_TYPE),
};
const SEARCH_RUNS = {
  experiment_ids: pb.repeated(pb.string),
  filter: pb.string,
  run_view_type: pb.enumOf(VIEW_TYPE),
  max_results: pb.int64,
  order_by: pb.repeated(pb.string),
  page_token: pb.string,
};
/** SEARCH_MAX_RESULTS_THRESHOLD of MLflow: the handlers refuse more, with the generic message. */
const MAX_RESULTS_THRESHOLD = 50_000;
/** SearchRuns' proto default. */
const DEFAULT_RUNS_PER_SEARCH = 1000;

const optionalString = [assert.string];
const EXPERIMENTS_SCHEMA = {
  view_type: [assert.intlike],
  max_results: [assert.intlike],
  order_by: [assert.array, assert.itemTypeString],
  filter: optionalString,
  page_token: optionalString,
};
const RUNS_SCHEMA = {
  experiment_ids: [assert.array, assert.itemTypeString],
  filter: optionalString,
  run_view_type: [assert.intlike],
  max_results: [assert.intlike, assert.that((v) => (pyInt(String(v)) ?? 0) <= MAX_RESULTS_THRESHOLD)],
  order_by: [assert.array, assert.itemTypeString],
  page_token: optionalString,
};

/** `_validate_max_results`… of the SQL store: a positive count, at most the threshold. */
function checkMaxResults(max: number, { upper }: { upper: boolean }): void {
  if (max < 1)
    throw invalidParameter(
      `Invalid value ${max} for parameter 'max_results' supplied. It must be a positive integer`,
    );
  if (upper && max > MAX_RESULTS_THRESHOLD) {
    throw invalidParameter(
      `Invalid value ${max} for parameter 'max_results' supplied. It must be at most ${MAX_RESULTS_THRESHOLD}`,
    );
  }
}

const experimentRecord = (e: Experiment): ExperimentRecord => ({
  experiment_id: e.id,
  name: e.name,
  creation_time: e.creationTime,
  last_update_time: e.lastUpdateTime,
  lifecycle_stage: e.lifecycleStage,
  tags: dictOf(e.tags),
});

/**
 * The search view of a run. Metrics, params and tags are built on first use only: a filter on one of them
 * must not pay for the others over every run (bench: runs/search over 10,000 runs).
 */
function runRecord(r: Run): RunRecord {
  let metrics: Record<string, number> | undefined;
  let params: Record<string, string> | undefined;
  let tags: Record<string, string> | undefined;
  return {
    info: {
      run_id: r.id,
      run_name: r.name,
      status: r.status,
      user_id: r.userId,
      start_time: r.startTime,
      ...(r.endTime !== undefined && { end_time: r.endTime }),
      artifact_uri: r.artifactUri,
      lifecycle_stage: r.lifecycleStage,
    },
    get metrics() {
      if (!metrics) {
        metrics = dictOf<number>([]);
        for (const [key, m] of r.latest) metrics[key] = m.value;
      }
      return metrics;
    },
    get params() {
      return (params ??= dictOf(r.params));
    },
    get tags() {
      return (tags ??= dictOf(r.tags));
    },
    get datasets() {
      return r.inputs.map((i) => ({
        name: i.dataset.name,
        digest: i.dataset.digest,
        ...(i.tags.some(([k]) => k === 'mlflow.data.context') && {
          context: i.tags.find(([k]) => k === 'mlflow.data.context')![1],
        }),
      }));
    },
  };
}

/** experiments/search and runs/search over the store, with MLflow's grammar (search/). */
export function searchHandlers(store: TrackingStore) {
  return {
    experiments(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, SEARCH_EXPERIMENTS, EXPERIMENTS_SCHEMA);
      // Without max_results the message holds 0: refused (golden README "Validation quirks" 7).
      checkMaxResults(m.int('max_results'), { upper: true });
      const view = (m.enumName('view_type') ?? 'ACTIVE_ONLY') as ViewType;
      const { clauses, order } = parseSearch(
        'experiments',
        m.string('filter') || undefined,
        m.strings('order_by'),
      );
      const offset = decodeOffset(m.string('page_token') || undefined);
      const rows = store
        .experimentsIn(req.workspace)
        .filter((e) => inView(e.lifecycleStage, view))
        .map((e) => ({ e, record: experimentRecord(e) }))
        .filter(({ record }) => matchesFilter('experiments', record, clauses));
      const compare = compareBy(order);
      rows.sort((a, b) => compare(a.record, b.record));
      const { items, next } = page(rows, m.int('max_results'), offset);
      return {
        json: {
          ...(items.length > 0 && { experiments: items.map(({ e }) => experimentJson(e)) }),
          ...(next && { next_page_token: next }),
        },
      };
    },

    runs(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, SEARCH_RUNS, RUNS_SCHEMA);
      const max = m.has('max_results') ? m.int('max_results') : DEFAULT_RUNS_PER_SEARCH;
      checkMaxResults(max, { upper: false });
      const view = (m.enumName('run_view_type') ?? 'ACTIVE_ONLY') as ViewType;
      const { clauses, order } = parseSearch('runs', m.string('filter') || undefined, m.strings('order_by'));
      const offset = decodeOffset(m.string('page_token') || undefined);
      // Experiments of other workspaces hold no runs here; no experiment ids, no runs (README 8).
      const ids = new Set(
        m.strings('experiment_ids').filter((id) => store.experiments.get(id)?.workspace === req.workspace),
      );
      const rows = store
        .runsOf(ids)
        .filter((r) => inView(r.lifecycleStage, view))
        .map((r) => ({ r, record: runRecord(r) }))
        .filter(({ record }) => matchesFilter('runs', record, clauses));
      const compare = compareBy(order);
      rows.sort((a, b) => compare(a.record, b.record));
      const { items, next } = page(rows, max, offset);
      return {
        json: {
          ...(items.length > 0 && { runs: items.map(({ r }) => runJson(r)) }),
          ...(next && { next_page_token: next }),
        },
      };
    },
  };
}
