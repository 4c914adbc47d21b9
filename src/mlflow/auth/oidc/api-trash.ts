// The plugin's trash router, `/oidc/trash/*`, admin only (mlflow-oidc-auth.md §4.8, appendix P5; `routers/trash.py`):
// MLflow's soft-deleted experiments and runs, and restoring them. Read and restored through MLflow's REST API.
// `POST /oidc/trash/cleanup` is not served: it hard-deletes through the SQL store's private methods, which the REST
// API has no equivalent for.
import { json, requireAdmin, route, type RouteContext } from './api-fastapi.js';
import { fetchAllExperiments, getExperiment } from './api-lookups.js';
import { detailError, OidcAuthError } from './errors.js';
import type { OidcAuthDeps, OidcRequest } from './types.js';

const TRASH = '/oidc/trash';

export const trashRoutes = [
  route('GET', `${TRASH}/experiments`, deletedExperiments),
  route('GET', `${TRASH}/runs`, deletedRuns),
  route('POST', `${TRASH}/experiments/{experiment_id}/restore`, restoreExperiment),
  route('POST', `${TRASH}/runs/{run_id}/restore`, restoreRun),
];

/** `{"error": …}` answers the trash router builds itself (not FastAPI's `detail`). */
const errorAnswer = (status: number, error: string) =>
  new OidcAuthError(status, JSON.stringify({ error }), 'application/json');

/** `GET /oidc/trash/experiments` (P5b): every deleted experiment, the entity's fields. */
async function deletedExperiments({ deps, req, identity }: RouteContext) {
  requireAdmin(identity);
  let rows;
  try {
    rows = await fetchAllExperiments(deps, req, 'DELETED_ONLY');
  } catch {
    throw detailError(500, 'Failed to retrieve deleted experiments');
  }
  return json({
    deleted_experiments: rows.map((e) => ({
      experiment_id: e.experiment_id,
      name: e.name,
      lifecycle_stage: e.lifecycle_stage,
      artifact_location: e.artifact_location,
      tags: e.tags,
      creation_time: e.creation_time,
      last_update_time: e.last_update_time,
    })),
  });
}

/** `_parse_time_delta`: `1d2h3m4s`, each part optional, decimals allowed; undefined when it does not parse. */
export function parseTimeDelta(text: string): number | undefined {
  const m = /^(?:([.\d]+?)d)?(?:([.\d]+?)h)?(?:([.\d]+?)m)?(?:([.\d]+?)s)?$/.exec(text);
  if (!m) return undefined;
  const [d = 0, h = 0, mi = 0, s = 0] = m.slice(1).map((part) => (part === undefined ? 0 : Number(part)));
  if ([d, h, mi, s].some((n) => Number.isNaN(n))) return undefined;
  return Math.trunc((((d * 24 + h) * 60 + mi) * 60 + s) * 1000);
}

const splitCsv = (raw: string | null) =>
  (raw ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/**
 * `GET /oidc/trash/runs[?experiment_ids=…&older_than=…]`: the deleted runs. The SQL store lists them with
 * `_get_deleted_runs(older_than)` from the runs' deletion time, which MLflow's REST API does not show; here every
 * deleted run of the workspace's experiments, whatever `older_than` says (only its syntax is checked).
 */
async function deletedRuns({ deps, req, identity }: RouteContext) {
  requireAdmin(identity);
  const experimentFilter = splitCsv(req.query.get('experiment_ids'));
  const olderThan = req.query.get('older_than');
  if (olderThan && parseTimeDelta(olderThan) === undefined) throw errorAnswer(400, 'Invalid time format');
  let runs;
  try {
    const experimentIds = (await fetchAllExperiments(deps, req, 'ALL')).map((e) => e.experiment_id);
    runs = await deletedRunInfos(deps, req, experimentIds);
  } catch {
    throw detailError(500, 'Failed to retrieve deleted runs');
  }
  return json({
    deleted_runs: runs
      .filter((r) => experimentFilter.length === 0 || experimentFilter.includes(String(r.experiment_id)))
      .map(runSummary),
  });
}

async function deletedRunInfos(deps: OidcAuthDeps, req: OidcRequest, experimentIds: string[]) {
  const infos: Array<Record<string, unknown>> = [];
  if (experimentIds.length === 0) return infos;
  let token: string | undefined;
  do {
    const a = await deps.mlflow.call('POST', '/api/2.0/mlflow/runs/search', {
      json: {
        experiment_ids: experimentIds,
        run_view_type: 'DELETED_ONLY',
        max_results: 1000,
        ...(token && { page_token: token }),
      },
      workspace: req.workspace,
    });
    if (a.status !== 200 || !a.json) throw new Error(`runs/search answered ${a.status}`);
    const runs = Array.isArray(a.json.runs) ? (a.json.runs as Array<{ info?: Record<string, unknown> }>) : [];
    infos.push(...runs.map((r) => r.info ?? {}));
    token =
      typeof a.json.next_page_token === 'string' && a.json.next_page_token
        ? a.json.next_page_token
        : undefined;
  } while (token);
  return infos;
}

const runSummary = (info: Record<string, unknown>) => ({
  run_id: info.run_id ?? info.run_uuid,
  experiment_id: info.experiment_id,
  run_name: info.run_name ?? null,
  status: info.status,
  start_time: info.start_time ?? null,
  end_time: info.end_time ?? null,
  lifecycle_stage: info.lifecycle_stage,
});

/** `POST /oidc/trash/experiments/{id}/restore`. */
async function restoreExperiment({ deps, req, identity, params }: RouteContext) {
  requireAdmin(identity);
  const id = params.experiment_id;
  const experiment = await getExperiment(deps, req, id);
  if (!experiment) throw errorAnswer(404, `Experiment ${id} not found`);
  if (experiment.lifecycle_stage !== 'deleted') throw errorAnswer(400, 'Experiment is not deleted');
  const done = await deps.mlflow.call('POST', '/api/2.0/mlflow/experiments/restore', {
    json: { experiment_id: id },
    workspace: req.workspace,
  });
  const restored = done.status === 200 ? await getExperiment(deps, req, id) : undefined;
  if (!restored) throw detailError(500, 'Failed to restore experiment');
  return json({
    experiment: {
      experiment_id: restored.experiment_id,
      name: restored.name,
      lifecycle_stage: restored.lifecycle_stage,
      last_update_time: restored.last_update_time,
    },
  });
}

async function getRunInfo(deps: OidcAuthDeps, req: OidcRequest, runId: string) {
  const a = await deps.mlflow.call('GET', '/api/2.0/mlflow/runs/get', {
    query: { run_id: runId },
    workspace: req.workspace,
  });
  const run = a.status === 200 ? (a.json?.run as { info?: Record<string, unknown> } | undefined) : undefined;
  return run?.info;
}

/** `POST /oidc/trash/runs/{run_id}/restore`. */
async function restoreRun({ deps, req, identity, params }: RouteContext) {
  requireAdmin(identity);
  const id = params.run_id;
  const info = await getRunInfo(deps, req, id);
  if (!info) throw errorAnswer(404, `Run ${id} not found`);
  if (info.lifecycle_stage !== 'deleted') throw errorAnswer(400, 'Run is not deleted');
  const done = await deps.mlflow.call('POST', '/api/2.0/mlflow/runs/restore', {
    json: { run_id: id },
    workspace: req.workspace,
  });
  const restored = done.status === 200 ? await getRunInfo(deps, req, id) : undefined;
  if (!restored) throw detailError(500, 'Failed to restore run');
  return json({
    run: {
      run_id: restored.run_id ?? restored.run_uuid,
      experiment_id: restored.experiment_id,
      run_name: restored.run_name ?? null,
      status: restored.status,
      lifecycle_stage: restored.lifecycle_stage,
    },
  });
}
