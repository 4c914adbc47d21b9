import { MlflowError, invalidParameter } from '../errors.js';
import { Fields, HtmlError, invalidValue, readMessage, type ApiRequest, type ApiResponse } from '../http.js';
import { generateRunName } from '../run-names.js';
import { metricJson, pageToken, runInfoJson, runJson } from '../serialize.js';
import type { Metric, Run, TrackingStore } from '../tracking-store.js';

// Limits of the real server (golden README "Limits" 6).
const MAX_KEY = 250;
const MAX_PARAM_VALUE = 6000;
const MAX_TAG_VALUE = 8000;
const MAX_BATCH = { metrics: 1000, params: 100, tags: 100 } as const;
const RUN_STATUSES = new Set(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

export function runHandlers(store: TrackingStore) {
  const fields = (req: ApiRequest) => new Fields(readMessage(req));
  const runId = (f: Fields) => f.string('run_id') || f.string('run_uuid') || f.string('run_id', true);

  function activeRun(req: ApiRequest, id: string): Run {
    const run = store.getRun(req.workspace, id);
    if (run.lifecycleStage !== 'active') {
      throw invalidParameter(
        `The run ${run.id} must be in the 'active' state. Current state is ${run.lifecycleStage}.`,
      );
    }
    return run;
  }

  function checkKey(key: string, what: string): void {
    if (key.length > MAX_KEY)
      throw invalidParameter(`'${what}' exceeds the maximum length of ${MAX_KEY} characters`);
  }

  function logParam(run: Run, key: string, value: string): void {
    checkKey(key, 'Param key');
    // Values past the limit are truncated silently, as the real server does.
    const stored = value.slice(0, MAX_PARAM_VALUE);
    const existing = run.params.get(key);
    if (existing !== undefined && existing !== stored) {
      throw invalidParameter(
        `Changing param values is not allowed. Param with key='${key}' was already logged with value='${existing}' for run ID='${run.id}'. Attempted logging new value '${stored}'.`,
      );
    }
    run.params.set(key, stored);
  }

  function setTag(run: Run, key: string, value: string): void {
    checkKey(key, 'Tag key');
    const stored = value.slice(0, MAX_TAG_VALUE);
    run.tags.set(key, stored);
    if (key === 'mlflow.runName') run.name = stored;
  }

  function metricFrom(f: Fields): Metric {
    const key = f.string('key', true);
    checkKey(key, 'Metric key');
    const value = f.double('value', true)!;
    const timestamp = f.int('timestamp', true)!;
    return { key, value, timestamp, step: f.int('step') ?? 0 };
  }

  return {
    create(req: ApiRequest): ApiResponse {
      const f = fields(req);
      const experimentId = f.string('experiment_id');
      if (experimentId === undefined || experimentId === '') {
        // Without an experiment the SQL insert fails on its foreign key (README "Validation quirks" 11).
        throw new MlflowError(
          'BAD_REQUEST',
          '(raised as a result of Query-invoked autoflush; consider using a session.no_autoflush block if this flush is occurring prematurely)\n(sqlite3.IntegrityError) FOREIGN KEY constraint failed',
        );
      }
      const experiment = store.getExperiment(req.workspace, experimentId);
      if (experiment.lifecycleStage !== 'active') {
        throw invalidParameter(
          `The experiment ${experiment.id} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`,
        );
      }
      const tags: Array<[string, string]> = f
        .objects('tags')
        .map((t) => [String(t.key ?? ''), String(t.value ?? '')]);
      const tagName = tags.find(([k]) => k === 'mlflow.runName')?.[1];
      const name = f.string('run_name') || tagName || generateRunName();
      if (!tagName) tags.push(['mlflow.runName', name]);
      const run = store.createRun(experiment, {
        name,
        userId: f.string('user_id') ?? '',
        startTime: f.int('start_time') ?? store.now(),
        tags,
      });
      return { json: { run: runJson(run, { outputs: false }) } };
    },

    get(req: ApiRequest): ApiResponse {
      const run = store.getRun(req.workspace, runId(fields(req)));
      return { json: { run: runJson(run) } };
    },

    update(req: ApiRequest): ApiResponse {
      const f = fields(req);
      const run = activeRun(req, runId(f));
      const status = f.string('status');
      // An unknown status is ignored, not refused (README "Validation quirks" 8).
      if (status && RUN_STATUSES.has(status)) run.status = status;
      const end = f.int('end_time');
      if (end !== undefined) run.endTime = end;
      const name = f.string('run_name');
      if (name) {
        run.name = name;
        run.tags.set('mlflow.runName', name);
      }
      return { json: { run_info: runInfoJson(run) } };
    },

    delete(req: ApiRequest): ApiResponse {
      const run = store.getRun(req.workspace, runId(fields(req)));
      run.lifecycleStage = 'deleted';
      return { json: {} };
    },

    restore(req: ApiRequest): ApiResponse {
      const run = store.getRun(req.workspace, runId(fields(req)));
      run.lifecycleStage = 'active';
      return { json: {} };
    },

    logParameter(req: ApiRequest): ApiResponse {
      const f = fields(req);
      const run = activeRun(req, runId(f));
      const key = f.string('key', true);
      const value = f.raw('value');
      if (value !== undefined && value !== null && typeof value !== 'string')
        throw invalidValue('value', value);
      logParam(run, key, (value as string | undefined) ?? '');
      return { json: {} };
    },

    logMetric(req: ApiRequest): ApiResponse {
      const f = fields(req);
      const run = activeRun(req, runId(f));
      store.logMetric(run, metricFrom(f));
      return { json: {} };
    },

    setTag(req: ApiRequest): ApiResponse {
      const f = fields(req);
      const run = activeRun(req, runId(f));
      setTag(run, f.string('key', true), f.string('value') ?? '');
      return { json: {} };
    },

    deleteTag(req: ApiRequest): ApiResponse {
      const f = fields(req);
      const run = activeRun(req, runId(f));
      const key = f.string('key', true);
      if (!run.tags.delete(key)) {
        throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No tag with name: ${key} in run with id ${run.id}`);
      }
      return { json: {} };
    },

    logBatch(req: ApiRequest): ApiResponse {
      const message = readMessage(req);
      // Malformed JSON on log-batch breaks the handler: Werkzeug's 500 page (README "Validation quirks" 11).
      if (Object.keys(message).length === 0 && req.body.length > 0) throw new HtmlError(500);
      const f = new Fields(message);
      const metrics = f.objects('metrics');
      const params = f.objects('params');
      const tags = f.objects('tags');
      for (const [what, list] of [
        ['metrics', metrics],
        ['params', params],
        ['tags', tags],
      ] as const) {
        if (list.length > MAX_BATCH[what]) {
          throw invalidParameter(
            `A batch logging request can contain at most ${MAX_BATCH[what]} ${what}. Got ${list.length} ${what}. Please split up ${what} across multiple requests and try again.`,
          );
        }
      }
      const run = activeRun(req, runId(f));
      const keys = params.map((p) => String(p.key ?? ''));
      const dupes = [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
      if (dupes.length > 0) {
        throw invalidParameter(
          `Duplicate parameter keys have been submitted: [${dupes.map((k) => `'${k}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`,
        );
      }
      const parsedMetrics = metrics.map((m) => metricFrom(new Fields(m)));
      for (const p of params) logParam(run, String(p.key ?? ''), String(p.value ?? ''));
      for (const m of parsedMetrics) store.logMetric(run, m);
      for (const t of tags) setTag(run, String(t.key ?? ''), String(t.value ?? ''));
      return { json: {} };
    },

    logInputs(req: ApiRequest): ApiResponse {
      activeRun(req, runId(fields(req)));
      return { json: {} };
    },

    metricHistory(req: ApiRequest): ApiResponse {
      const f = fields(req);
      const run = store.getRun(req.workspace, runId(f));
      const key = f.string('metric_key', true);
      const history = run.history.get(key) ?? [];
      // Without max_results the real server returns no metrics and a token for offset 0 (README 7).
      const max = f.int('max_results') ?? 0;
      const offset = decodeOffset(f.string('page_token'));
      const page = history.slice(offset, offset + max);
      const next = offset + max < history.length || max === 0 ? pageToken(offset + max) : undefined;
      return {
        json: {
          ...(page.length > 0 && { metrics: page.map(metricJson) }),
          ...(next !== undefined && { next_page_token: next }),
        },
      };
    },
  };
}

export function decodeOffset(token: string | undefined): number {
  if (!token) return 0;
  let parsed: unknown;
  try {
    const text = Buffer.from(token, 'base64').toString('utf8');
    if (Buffer.from(text).toString('base64').replace(/=+$/, '') !== token.replace(/=+$/, ''))
      throw new Error('not base64');
    parsed = JSON.parse(text);
  } catch {
    throw invalidParameter('Invalid page token, could not base64-decode');
  }
  const offset = (parsed as { offset?: unknown })?.offset;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw invalidParameter('Invalid page token, could not base64-decode');
  }
  return offset;
}
