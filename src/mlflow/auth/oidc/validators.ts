// The plugin's validators (`validators/*.py` of 7.3.1; mlflow-oidc-auth.md §4.4 "What each MLflow route needs"):
// each reads its resource from the request the way the plugin does, resolves the caller's effective permission on
// it and answers yes or no. A lookup that fails (a run that does not exist, a missing parameter) throws MLflow's
// error, which the hook answers instead of a denial, as `catch_mlflow_exception` does.
import {
  experimentPermission,
  failedLookup,
  mlflowError,
  registeredModelPermission,
  scorerPermission,
  workspaceRule,
} from './authz.js';
import { PERMISSIONS, type Permission, type ResolvedPermission } from './permissions.js';
import {
  anyParam,
  listParam,
  modelId,
  modelName,
  requestParam,
  text,
  type FlaskRequest,
} from './request-params.js';
import type { OidcAuthDeps, OidcIdentity } from './types.js';

/** One request as a validator sees it. */
export interface CheckContext {
  deps: OidcAuthDeps;
  identity: OidcIdentity;
  request: FlaskRequest;
  /** The request's workspace (the plugin's `AuthContext.workspace`). */
  workspace: string | undefined;
}

export type Validator = (ctx: CheckContext) => Promise<boolean>;

type Capability = keyof Pick<Permission, 'canRead' | 'canUpdate' | 'canDelete' | 'canManage'>;

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

// --- resources behind a request ------------------------------------------------------------------------------------

/** `get_experiment_id`: `experiment_id` from anywhere, else `experiment_name` looked up (it must exist). */
async function experimentIdOf(ctx: CheckContext): Promise<string> {
  const id = anyParam(ctx.request, 'experiment_id');
  if (id !== undefined && id !== null) return text(id);
  const name = anyParam(ctx.request, 'experiment_name');
  if (name === undefined || name === null)
    throw mlflowError(
      'INVALID_PARAMETER_VALUE',
      "Either 'experiment_id' or 'experiment_name' must be provided in the request data.",
    );
  const found = await experimentByName(ctx, text(name));
  if (found === undefined)
    throw mlflowError('INVALID_PARAMETER_VALUE', `Experiment with name '${text(name)}' not found.`);
  return found;
}

/** `get_experiment_by_name`: the id, or undefined when there is none (the store answers None, not an error). */
async function experimentByName(ctx: CheckContext, name: string): Promise<string | undefined> {
  const answer = await ctx.deps.mlflow.call('GET', '/api/2.0/mlflow/experiments/get-by-name', {
    query: { experiment_name: name },
    workspace: ctx.workspace,
  });
  if (answer.status === 200) return text(record(answer.json?.experiment).experiment_id);
  if (answer.status === 404 && answer.json?.error_code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
  throw failedLookup(answer, `experiment '${name}'`);
}

/** `get_run(run_id).info.experiment_id`: a run that does not exist is MLflow's 404, answered as is. */
async function runExperimentId(ctx: CheckContext, runId: string): Promise<string> {
  const answer = await ctx.deps.mlflow.call('GET', '/api/2.0/mlflow/runs/get', {
    query: { run_id: runId },
    workspace: ctx.workspace,
  });
  if (answer.status !== 200) throw failedLookup(answer, `run ${runId}`);
  return text(record(record(answer.json?.run).info).experiment_id);
}

/** `get_logged_model(model_id).experiment_id`. */
async function loggedModelExperimentId(ctx: CheckContext, id: string): Promise<string> {
  const answer = await ctx.deps.mlflow.call(
    'GET',
    `/api/2.0/mlflow/logged-models/${encodeURIComponent(id)}`,
    {
      workspace: ctx.workspace,
    },
  );
  if (answer.status !== 200) throw failedLookup(answer, `logged model ${id}`);
  return text(record(record(answer.json?.model).info).experiment_id);
}

/** `get_trace_info(request_id).experiment_id`. */
async function traceExperimentId(ctx: CheckContext, id: string): Promise<string> {
  const answer = await ctx.deps.mlflow.call('GET', `/api/3.0/mlflow/traces/${encodeURIComponent(id)}`, {
    workspace: ctx.workspace,
  });
  if (answer.status !== 200) throw failedLookup(answer, `trace ${id}`);
  const location = record(record(record(answer.json?.trace).trace_info).trace_location);
  return text(record(location.mlflow_experiment).experiment_id);
}

const onExperiment = (ctx: CheckContext, id: string): Promise<ResolvedPermission> =>
  experimentPermission(ctx.deps, id, ctx.identity, ctx.workspace);

/**
 * The bulk routes: each id in turn (a run id is looked up only when its turn comes) must allow `capability`; the
 * first refusal stops, as the plugin's loops do.
 */
async function all(
  ctx: CheckContext,
  ids: readonly string[],
  experimentOf: (id: string) => Promise<string> | string,
  capability: Capability,
): Promise<boolean> {
  for (const id of ids)
    if (!(await onExperiment(ctx, await experimentOf(id))).permission[capability]) return false;
  return true;
}

const ofRun = (ctx: CheckContext) => (runId: string) => runExperimentId(ctx, runId);
const itself = (id: string) => id;

// --- validators/experiment.py ------------------------------------------------------------------------------------

const byExperiment =
  (capability: Capability): Validator =>
  async (ctx) =>
    (await onExperiment(ctx, await experimentIdOf(ctx))).permission[capability];

export const readExperiment = byExperiment('canRead');
export const updateExperiment = byExperiment('canUpdate');
export const deleteExperiment = byExperiment('canDelete');

/** `validate_can_read_experiment_by_name`: an experiment that does not exist gives MANAGE (so MLflow's 404). */
export const readExperimentByName: Validator = async (ctx) => {
  const id = await experimentByName(ctx, text(requestParam(ctx.request, 'experiment_name')));
  return id === undefined ? PERMISSIONS.MANAGE.canRead : (await onExperiment(ctx, id)).permission.canRead;
};

const EXPERIMENT_ID_PATTERN = /^(\p{Nd}+)\//u;
const WORKSPACES_EXPERIMENT_ID_PATTERN = /^workspaces\/[\p{L}\p{M}\p{N}_-]+\/(\p{Nd}+)\//u;

/**
 * `_get_experiment_id_from_view_args`: the artifact proxy's path starts with the experiment id
 * (`1/<run>/artifacts/…`), or with `workspaces/<name>/<id>/` in a workspace's artifact root.
 */
export function experimentIdFromArtifactPath(artifactPath: string | undefined): string | undefined {
  if (!artifactPath) return undefined;
  return (
    EXPERIMENT_ID_PATTERN.exec(artifactPath)?.[1] ?? WORKSPACES_EXPERIMENT_ID_PATTERN.exec(artifactPath)?.[1]
  );
}

/** Artifact proxy: the experiment from the path, or DEFAULT_MLFLOW_PERMISSION when the path names none. */
const byArtifactPath =
  (capability: Capability): Validator =>
  async (ctx) => {
    const id = experimentIdFromArtifactPath(ctx.request.viewArgs?.artifact_path);
    if (id === undefined) return PERMISSIONS[ctx.deps.settings.DEFAULT_MLFLOW_PERMISSION][capability];
    return (await onExperiment(ctx, id)).permission[capability];
  };

export const readArtifactProxy = byArtifactPath('canRead');
export const updateArtifactProxy = byArtifactPath('canUpdate');
export const deleteArtifactProxy = byArtifactPath('canDelete');

// --- validators/run.py (runs inherit their experiment's permission) -----------------------------------------------

const byRun =
  (capability: Capability): Validator =>
  async (ctx) =>
    (await onExperiment(ctx, await runExperimentId(ctx, text(requestParam(ctx.request, 'run_id')))))
      .permission[capability];

export const readRun = byRun('canRead');
export const updateRun = byRun('canUpdate');
export const deleteRun = byRun('canDelete');

/** `validate_can_read_metric_history_bulk_interval`: every `run_ids` (else `run_id`) of the query; none → allowed. */
export const readMetricHistoryBulkInterval: Validator = async (ctx) => {
  let runIds = ctx.request.args.getAll('run_ids');
  if (runIds.length === 0) runIds = ctx.request.args.getAll('run_id');
  return all(ctx, runIds, ofRun(ctx), 'canRead');
};

// --- validators/stuff.py -------------------------------------------------------------------------------------------

/** `validate_can_read_metric_history_bulk`: every `run_id` of the query, at least one. */
export const readMetricHistoryBulk: Validator = async (ctx) => {
  const runIds = ctx.request.args.getAll('run_id');
  if (runIds.length === 0)
    throw mlflowError(
      'INVALID_PARAMETER_VALUE',
      'GetMetricHistoryBulk request must specify at least one run_id.',
    );
  return all(ctx, runIds, ofRun(ctx), 'canRead');
};

/** `validate_can_search_datasets`: READ on every experiment asked about, at least one. */
export const searchDatasets: Validator = async (ctx) => {
  const ids = listParam(ctx.request, 'experiment_ids');
  if (ids.length === 0)
    throw mlflowError(
      'INVALID_PARAMETER_VALUE',
      'SearchDatasets request must specify at least one experiment_id.',
    );
  return all(ctx, ids, itself, 'canRead');
};

/** `validate_can_create_promptlab_run`: UPDATE on `experiment_id`, with its own message when it is missing. */
export const createPromptlabRun: Validator = async (ctx) => {
  let id: unknown;
  try {
    id = requestParam(ctx.request, 'experiment_id');
  } catch {
    throw mlflowError('INVALID_PARAMETER_VALUE', 'CreatePromptlabRun request must specify experiment_id.');
  }
  return (await onExperiment(ctx, text(id))).permission.canUpdate;
};

/** `validate_can_create_gateway`: any authenticated user (the creator is granted MANAGE afterwards). */
export const createGateway: Validator = () => Promise.resolve(true);

/** `_deny_non_admin`: admins never get here. */
export const denyNonAdmin: Validator = () => Promise.resolve(false);

// --- validators/registered_model.py -------------------------------------------------------------------------------

const byModelName =
  (capability: Capability): Validator =>
  async (ctx) =>
    (await registeredModelPermission(ctx.deps, modelName(ctx.request), ctx.identity, ctx.workspace))
      .permission[capability];

export const readRegisteredModel = byModelName('canRead');
export const updateRegisteredModel = byModelName('canUpdate');
export const deleteRegisteredModel = byModelName('canDelete');

/** Logged models inherit their experiment's permission. */
const byLoggedModel =
  (capability: Capability): Validator =>
  async (ctx) =>
    (await onExperiment(ctx, await loggedModelExperimentId(ctx, modelId(ctx.request)))).permission[
      capability
    ];

export const readLoggedModel = byLoggedModel('canRead');
export const updateLoggedModel = byLoggedModel('canUpdate');
export const deleteLoggedModel = byLoggedModel('canDelete');

/** `validate_can_read_trace_artifact`: the trace's experiment, from `request_id`. */
export const readTraceArtifact: Validator = async (ctx) =>
  (await onExperiment(ctx, await traceExperimentId(ctx, text(requestParam(ctx.request, 'request_id')))))
    .permission.canRead;

// --- validators/scorers.py -----------------------------------------------------------------------------------------

const byScorer =
  (capability: Capability): Validator =>
  async (ctx) => {
    const experimentId = text(requestParam(ctx.request, 'experiment_id'));
    const name = text(requestParam(ctx.request, 'name'));
    return (await scorerPermission(ctx.deps, experimentId, name, ctx.identity, ctx.workspace)).permission[
      capability
    ];
  };

export const readScorer = byScorer('canRead');
export const deleteScorer = byScorer('canDelete');

// --- validators/workspace.py (admins were let through before any of these) -----------------------------------------

/** `_extract_workspace_name_from_path`: the segment after the only `/mlflow/workspaces/`. */
export function workspaceNameFromPath(path: string): string | undefined {
  const parts = path.split('/mlflow/workspaces/');
  return parts.length === 2 && parts[1] ? parts[1].replace(/\/+$/, '').split('/')[0] : undefined;
}

const byWorkspacePath =
  (capability: Capability): Validator =>
  (ctx) => {
    if (!ctx.deps.settings.MLFLOW_ENABLE_WORKSPACES) return Promise.resolve(false);
    const name = workspaceNameFromPath(ctx.request.path);
    const rule = name === undefined ? undefined : workspaceRule(ctx.deps, name, ctx.identity);
    return Promise.resolve(rule !== undefined && PERMISSIONS[rule][capability]);
  };

/** Only admins create workspaces. */
export const createWorkspace: Validator = denyNonAdmin;
export const readWorkspace = byWorkspacePath('canRead');
export const updateWorkspace = byWorkspacePath('canManage');
export const deleteWorkspace = byWorkspacePath('canManage');
/** Anyone may list (the answer is filtered afterwards), when workspaces are on. */
export const listWorkspaces: Validator = (ctx) => Promise.resolve(ctx.deps.settings.MLFLOW_ENABLE_WORKSPACES);
