import { HtmlError, readRequestJson, type ApiRequest, type ApiResponse } from '../http.js';
import {
  assert,
  invalidValueError,
  pb,
  requestMessage,
  type Check,
  type Parsed,
} from '../request-message.js';
import {
  deleteTag,
  logDatasetInputs,
  logMetrics,
  logParam,
  logParams,
  metricHistory,
  renameRun,
  setTag,
} from '../run-data.js';
import { decodeOffset, metricJson, pageToken, runInfoJson, runJson } from '../serialize.js';
import type { Metric, TrackingStore } from '../tracking-store.js';
import {
  validateBatchLimits,
  validateMetric,
  validateParam,
  validateParamKeysUnique,
  validateTag,
} from '../validation.js';

// The request messages of service.proto and the schemas of mlflow/server/handlers.py, field for field.
const RUN_STATUS = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
const KEY_VALUE = pb.messageOf({ key: pb.string, value: pb.string });
const METRIC = pb.messageOf({
  key: pb.string,
  value: pb.double,
  timestamp: pb.int64,
  step: pb.int64,
  dataset_name: pb.string,
  dataset_digest: pb.string,
  model_id: pb.string,
  run_id: pb.string,
});
const RUN_REF = { run_id: pb.string, run_uuid: pb.string };
const RUN_ID_SCHEMA = { run_id: [assert.required, assert.string] };

const CREATE = {
  experiment_id: pb.string,
  user_id: pb.string,
  start_time: pb.int64,
  tags: pb.repeated(KEY_VALUE),
  run_name: pb.string,
};
const UPDATE = { ...RUN_REF, status: pb.enumOf(RUN_STATUS), end_time: pb.int64, run_name: pb.string };
const LOG_METRIC = {
  ...RUN_REF,
  key: pb.string,
  value: pb.double,
  timestamp: pb.int64,
  step: pb.int64,
  model_id: pb.string,
  dataset_name: pb.string,
  dataset_digest: pb.string,
};
const LOG_PARAM = { ...RUN_REF, key: pb.string, value: pb.string };
const SET_TAG = { ...RUN_REF, key: pb.string, value: pb.string };
const DELETE_TAG = { run_id: pb.string, key: pb.string };
const LOG_BATCH = {
  run_id: pb.string,
  metrics: pb.repeated(METRIC),
  params: pb.repeated(KEY_VALUE),
  tags: pb.repeated(KEY_VALUE),
};
const DATASET = pb.messageOf({
  name: pb.string,
  digest: pb.string,
  source_type: pb.string,
  source: pb.string,
  schema: pb.string,
  profile: pb.string,
});
const LOG_INPUTS = {
  run_id: pb.string,
  datasets: pb.repeated(pb.messageOf({ tags: pb.repeated(KEY_VALUE), dataset: DATASET })),
  models: pb.repeated(pb.messageOf({ model_id: pb.string })),
};
const GET_HISTORY = { ...RUN_REF, metric_key: pb.string, page_token: pb.string, max_results: pb.int64 };

/** `run_id or run_uuid`: the Python client sends both (README "Serialisation" 3). */
const runIdOf = (m: Parsed) => m.string('run_id') || m.string('run_uuid');

/** `_log_batch`'s presence checks of each item, with a JSON path in the message. */
const fieldsPresent = (list: string, fields: readonly string[]): Check =>
  assert.that((items) => {
    // Python iterates whatever came (a TypeError on null) and calls `.get` on each item.
    if (!Array.isArray(items)) throw new HtmlError(500);
    for (const [i, item] of items.entries()) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new HtmlError(500);
      for (const field of fields) {
        const v = (item as Record<string, unknown>)[field];
        if (v === undefined || v === null || v === '') {
          return `Missing value for required parameter '${list}[${i}].${field}'.`;
        }
      }
    }
    return true;
  });

export function runHandlers(store: TrackingStore) {
  return {
    create(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, CREATE, {
        experiment_id: [assert.string],
        start_time: [assert.intlike],
        run_name: [assert.string],
      });
      const run = store.createRun(req.workspace, {
        experimentId: m.string('experiment_id'),
        userId: m.string('user_id'),
        // Without start_time the run starts at 0: the INSERT of the BAD_REQUEST in README "Validation quirks"
        // 11 shows it. The Python client always sends one.
        startTime: m.int('start_time'),
        runName: m.string('run_name'),
        tags: m.messages('tags').map((t) => [t.string('key'), t.string('value')]),
      });
      // runs/create answers without `outputs` (README "Serialisation" 1).
      return { json: { run: runJson(run, { outputs: false }) } };
    },

    get(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, RUN_REF, RUN_ID_SCHEMA);
      return { json: { run: runJson(store.getRun(req.workspace, runIdOf(m))) } };
    },

    /** An unknown status is no status: 200 and unchanged (README "Validation quirks" 8). */
    update(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, UPDATE, {
        run_id: [assert.required, assert.string],
        end_time: [assert.intlike],
        status: [assert.string],
        run_name: [assert.string],
      });
      const run = store.activeRun(req.workspace, runIdOf(m));
      const status = m.enumName('status');
      if (status !== undefined) run.status = status;
      if (m.has('end_time')) run.endTime = m.int('end_time');
      renameRun(run, m.string('run_name'));
      return { json: { run_info: runInfoJson(run) } };
    },

    /** No state check either way; `run_uuid` alone is not read. */
    delete(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, { run_id: pb.string }, RUN_ID_SCHEMA);
      store.getRun(req.workspace, m.string('run_id')).lifecycleStage = 'deleted';
      return { json: {} };
    },

    restore(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, { run_id: pb.string }, RUN_ID_SCHEMA);
      store.getRun(req.workspace, m.string('run_id')).lifecycleStage = 'active';
      return { json: {} };
    },

    /** Values over 6000 characters are cut silently (README "Limits" 6). */
    logParameter(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, LOG_PARAM, {
        run_id: [assert.required, assert.string],
        key: [assert.required, assert.string],
        value: [assert.string],
      });
      const param = validateParam(m.string('key'), m.string('value'));
      logParam(store.activeRun(req.workspace, runIdOf(m)), param.key, param.value);
      return { json: {} };
    },

    /** A bare NaN stops the protobuf parse: value and timestamp stay 0 (README "Serialisation" 5). */
    logMetric(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, LOG_METRIC, {
        run_id: [assert.required, assert.string],
        key: [assert.required, assert.string],
        value: [assert.required, assert.floatlike],
        timestamp: [assert.intlike, assert.required],
        step: [assert.intlike],
        model_id: [assert.string],
        dataset_name: [assert.string],
        dataset_digest: [assert.string],
      });
      const metric = metricOf(m);
      validateMetric(metric);
      logMetrics(store.activeRun(req.workspace, runIdOf(m)), [metric]);
      return { json: {} };
    },

    setTag(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, SET_TAG, {
        run_id: [assert.required, assert.string],
        key: [assert.required, assert.string],
        value: [assert.string],
      });
      const tag = validateTag(m.string('key'), m.string('value'));
      setTag(store.activeRun(req.workspace, runIdOf(m)), tag.key, tag.value);
      return { json: {} };
    },

    deleteTag(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, DELETE_TAG, {
        run_id: [assert.required, assert.string],
        key: [assert.required, assert.string],
      });
      deleteTag(store.activeRun(req.workspace, m.string('run_id')), m.string('key'));
      return { json: {} };
    },

    /**
     * The store validates everything, then the limits and duplicate keys, and only then looks the run up
     * (sqlalchemy_store.log_batch).
     */
    logBatch(req: ApiRequest): ApiResponse {
      // `len(_get_request_json())`: malformed JSON (None) breaks the handler (README "Validation quirks" 11).
      const raw = readRequestJson(req);
      if (raw === null || typeof raw === 'number' || typeof raw === 'boolean') throw new HtmlError(500);
      const m = requestMessage(req, LOG_BATCH, {
        run_id: [assert.string, assert.required],
        metrics: [assert.array, fieldsPresent('metrics', ['key', 'value', 'timestamp'])],
        params: [assert.array, fieldsPresent('params', ['key'])],
        tags: [assert.array, fieldsPresent('tags', ['key'])],
      });
      const runId = m.string('run_id');
      if (!/^[a-zA-Z0-9][\w-]{0,255}$/.test(runId)) throw invalidValueError('run_id', runId);
      const metrics = m.messages('metrics').map(metricOf);
      metrics.forEach((metric, i) => validateMetric(metric, `metrics[${i}]`));
      const params = m
        .messages('params')
        .map((p, i) => validateParam(p.string('key'), p.string('value'), `params[${i}]`));
      const tags = m
        .messages('tags')
        .map((t, i) => validateTag(t.string('key'), t.string('value'), `tags[${i}]`));
      validateBatchLimits(metrics.length, params.length, tags.length);
      validateParamKeysUnique(params.map((p) => p.key));
      const run = store.activeRun(req.workspace, runId);
      logParams(run, params);
      logMetrics(run, metrics);
      for (const t of tags) setTag(run, t.key, t.value);
      return { json: {} };
    },

    logInputs(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, LOG_INPUTS, {
        run_id: [assert.required, assert.string],
        datasets: [assert.array],
        models: [assert.array],
      });
      const run = store.activeRun(req.workspace, m.string('run_id'));
      logDatasetInputs(
        run,
        m.messages('datasets').map((input) => {
          const d = input.message('dataset');
          return {
            dataset: {
              name: d.string('name'),
              digest: d.string('digest'),
              sourceType: d.string('source_type'),
              source: d.string('source'),
              ...(d.string('schema') && { schema: d.string('schema') }),
              ...(d.string('profile') && { profile: d.string('profile') }),
            },
            tags: input.messages('tags').map((t): [string, string] => [t.string('key'), t.string('value')]),
          };
        }),
      );
      return { json: {} };
    },

    /**
     * Without `max_results` (0) the page is empty, with a token for the same offset while metrics remain
     * (README "Validation quirks" 7).
     */
    metricHistory(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, GET_HISTORY, {
        run_id: [assert.string, assert.required],
        metric_key: [assert.string, assert.required],
        page_token: [assert.string],
      });
      const run = store.getRun(req.workspace, runIdOf(m));
      const history = metricHistory(run, m.string('metric_key'));
      const offset = Math.max(0, decodeOffset(m.string('page_token') || undefined));
      const max = m.int('max_results');
      const rest = history.slice(offset);
      const page = rest.slice(0, max);
      return {
        json: {
          ...(page.length > 0 && { metrics: page.map(metricJson) }),
          ...(rest.length > max && { next_page_token: pageToken(offset + max) }),
        },
      };
    },
  };
}

const metricOf = (m: Parsed): Metric => ({
  key: m.string('key'),
  value: m.double('value'),
  timestamp: m.int('timestamp'),
  step: m.int('step'),
});
