// mlflow-oidc-auth 7.3.1's Flask hooks on MLflow's own routes (mlflow-oidc-auth.md §1.2, §4.4, §4.7;
// `hooks/before_request.py`; the after-request hook is `after-request.ts`). Unprotected prefixes pass, admins pass,
// creating in a workspace needs workspace MANAGE, then the validator of the route's `(path, method)` decides; a
// refusal is `403 {"message":"Permission denied"}`, and an MlflowException raised on the way (a run that does not
// exist, a missing parameter) is the answer instead (`catch_mlflow_exception`).
//
// The route table is 7.3.1's, holes included (§4.4 "Holes in 7.3.1"): CreateExperiment, SearchRuns, traces,
// datasets and webhooks have no check; templated paths never match the exact-path table.
import { ROUTES } from '../kubernetes/rules.js';
import { workspaceRule } from './authz.js';
import { flaskPermissionDenied, OidcAuthError } from './errors.js';
import { PERMISSIONS } from './permissions.js';
import { flaskPath, flaskRequest } from './request-params.js';
import type { OidcAuthDeps, OidcIdentity, OidcRequest } from './types.js';
import * as v from './validators.js';
import type { Validator } from './validators.js';

export { afterRequest } from './after-request.js';
export {
  experimentPermission,
  promptPermission,
  registeredModelPermission,
  scorerPermission,
  workspacePermission,
} from './authz.js';

// --- before_request ------------------------------------------------------------------------------------------------

/** `_is_unprotected_route` of the Flask hook: plain prefixes. */
const UNPROTECTED_PREFIXES = [
  '/static',
  '/favicon.ico',
  '/health',
  '/metrics',
  '/docs',
  '/redoc',
  '/openapi.json',
];

/** BEFORE_REQUEST_HANDLERS, for the messages the lab's route table knows (gateway reads and writes left out). */
const PROTO_VALIDATORS: Readonly<Record<string, Validator>> = {
  GetExperiment: v.readExperiment,
  GetExperimentByName: v.readExperimentByName,
  DeleteExperiment: v.deleteExperiment,
  RestoreExperiment: v.deleteExperiment,
  UpdateExperiment: v.updateExperiment,
  SetExperimentTag: v.updateExperiment,
  DeleteExperimentTag: v.updateExperiment,
  CreateRun: v.updateExperiment,
  GetRun: v.readRun,
  DeleteRun: v.deleteRun,
  RestoreRun: v.deleteRun,
  UpdateRun: v.updateRun,
  LogMetric: v.updateRun,
  LogBatch: v.updateRun,
  LogModel: v.updateRun,
  SetTag: v.updateRun,
  DeleteTag: v.updateRun,
  LogParam: v.updateRun,
  GetMetricHistory: v.readRun,
  ListArtifacts: v.readRun,
  GetRegisteredModel: v.readRegisteredModel,
  DeleteRegisteredModel: v.deleteRegisteredModel,
  UpdateRegisteredModel: v.updateRegisteredModel,
  RenameRegisteredModel: v.updateRegisteredModel,
  GetLatestVersions: v.readRegisteredModel,
  CreateModelVersion: v.updateRegisteredModel,
  GetModelVersion: v.readRegisteredModel,
  DeleteModelVersion: v.deleteRegisteredModel,
  UpdateModelVersion: v.updateRegisteredModel,
  TransitionModelVersionStage: v.updateRegisteredModel,
  GetModelVersionDownloadUri: v.readRegisteredModel,
  SetRegisteredModelTag: v.updateRegisteredModel,
  DeleteRegisteredModelTag: v.updateRegisteredModel,
  SetModelVersionTag: v.updateRegisteredModel,
  DeleteModelVersionTag: v.deleteRegisteredModel,
  SetRegisteredModelAlias: v.updateRegisteredModel,
  DeleteRegisteredModelAlias: v.deleteRegisteredModel,
  GetModelVersionByAlias: v.readRegisteredModel,
  RegisterScorer: v.updateExperiment,
  ListScorers: v.readExperiment,
  GetScorer: v.readScorer,
  DeleteScorer: v.deleteScorer,
  ListScorerVersions: v.readScorer,
  CreatePromptOptimizationJob: v.updateExperiment,
  SearchPromptOptimizationJobs: v.readExperiment,
  CreateGatewayEndpoint: v.createGateway,
  CreateGatewaySecret: v.createGateway,
  CreateGatewayModelDefinition: v.createGateway,
  // Admin only: MLflow 3.11 has these protos, so 7.3.1's forward-compatible import picks them up.
  CreateGatewayBudgetPolicy: v.denyNonAdmin,
  UpdateGatewayBudgetPolicy: v.denyNonAdmin,
  DeleteGatewayBudgetPolicy: v.denyNonAdmin,
};

/** The Flask routes without a proto message (`_add_static_prefix`, `_get_ajax_path`). */
const FLASK_VALIDATORS: Readonly<Record<string, Validator>> = {
  'GET /get-artifact': v.readRun,
  'POST /ajax-api/2.0/mlflow/upload-artifact': v.updateRun,
  'GET /model-versions/get-artifact': v.readRegisteredModel,
  'GET /ajax-api/2.0/mlflow/get-trace-artifact': v.readTraceArtifact,
  'GET /ajax-api/2.0/mlflow/metrics/get-history-bulk': v.readMetricHistoryBulk,
  'GET /ajax-api/2.0/mlflow/metrics/get-history-bulk-interval': v.readMetricHistoryBulkInterval,
  'POST /ajax-api/2.0/mlflow/experiments/search-datasets': v.searchDatasets,
  'POST /ajax-api/2.0/mlflow/runs/create-promptlab-run': v.createPromptlabRun,
  'GET /ajax-api/2.0/mlflow/gateway/provider-config': v.denyNonAdmin,
  'GET /ajax-api/2.0/mlflow/gateway/secrets-config': v.denyNonAdmin,
};

/** LOGGED_MODEL_BEFORE_REQUEST_HANDLERS: matched by regex over the templated paths. */
const LOGGED_MODEL_VALIDATORS: Readonly<Record<string, Validator>> = {
  CreateLoggedModel: v.updateExperiment,
  GetLoggedModel: v.readLoggedModel,
  DeleteLoggedModel: v.deleteLoggedModel,
  FinalizeLoggedModel: v.updateLoggedModel,
  DeleteLoggedModelTag: v.deleteLoggedModel,
  SetLoggedModelTags: v.updateLoggedModel,
  LogLoggedModelParamsRequest: v.updateLoggedModel,
};

/** WORKSPACE_BEFORE_REQUEST_HANDLERS, regex-matched like the logged models. */
const WORKSPACE_VALIDATORS: Readonly<Record<string, Validator>> = {
  CreateWorkspace: v.createWorkspace,
  GetWorkspace: v.readWorkspace,
  ListWorkspaces: v.listWorkspaces,
  UpdateWorkspace: v.updateWorkspace,
  DeleteWorkspace: v.deleteWorkspace,
};

/** `(path, method)` of every route of the given messages, as `get_endpoints` lists them. */
function routesOf(messages: readonly string[]) {
  return ROUTES.filter((r) => r.message !== undefined && messages.includes(r.message));
}

const key = (method: string, path: string) => `${method} ${path}`;

/** BEFORE_REQUEST_VALIDATORS: exact `(path, method)`; a templated path only matches itself, literally. */
const EXACT = new Map<string, Validator>([
  ...routesOf(Object.keys(PROTO_VALIDATORS)).map(
    (r) => [key(r.method, r.path), PROTO_VALIDATORS[r.message!]!] as const,
  ),
  ...Object.entries(FLASK_VALIDATORS),
]);

/**
 * `_re_compile_path`: each `<name>` becomes `([^/]+)`, the rest is used as a regex as written (so the `.` of
 * `2.0` matches any character), matched whole. The groups are the route's `view_args`.
 */
function compiled(table: Readonly<Record<string, Validator>>) {
  return routesOf(Object.keys(table)).map((r) => {
    const names = [...r.path.matchAll(/<(?:[^:>]+:)?([^>]+)>/g)].map((m) => m[1]!);
    const pattern = new RegExp(`^(?:${r.path.replace(/<[^>]+>/g, '([^/]+)')})$`);
    return { method: r.method, pattern, names, validator: table[r.message!]! };
  });
}

const LOGGED_MODEL_ROUTES = compiled(LOGGED_MODEL_VALIDATORS);
const WORKSPACE_ROUTES = compiled(WORKSPACE_VALIDATORS);

/** Creating these in a workspace needs workspace MANAGE (`_WORKSPACE_GATED_CREATION_PATHS`, §4.7). */
const WORKSPACE_GATED = new Set(
  routesOf([
    'CreateExperiment',
    'CreateRegisteredModel',
    'CreateGatewayEndpoint',
    'CreateGatewaySecret',
    'CreateGatewayModelDefinition',
  ]).map((r) => key(r.method, r.path)),
);

interface Found {
  validator: Validator;
  /** Flask's `view_args`: undefined when no route matched. */
  viewArgs: Record<string, string> | undefined;
}

/** `_find_validator`: workspace routes, else logged-model routes, else the exact table. */
function findValidator(method: string, path: string): Found | undefined {
  const byRegex = (routes: ReturnType<typeof compiled>): Found | undefined => {
    for (const route of routes) {
      const m = route.method === method ? route.pattern.exec(path) : null;
      if (m)
        return {
          validator: route.validator,
          viewArgs: Object.fromEntries(route.names.map((name, i) => [name, m[i + 1]!])),
        };
    }
    return undefined;
  };
  if (path.includes('/mlflow/workspaces')) return byRegex(WORKSPACE_ROUTES);
  if (path.includes('/mlflow/logged-models')) return byRegex(LOGGED_MODEL_ROUTES);
  const validator = EXACT.get(key(method, path));
  return validator && { validator, viewArgs: {} };
}

/** `_is_proxy_artifact_path`: the `/api/2.0` artifact proxy only (the `/ajax-api` twin is not looked at). */
const PROXY_ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts/';
/** Download, upload, delete. */
const PROXY_ARTIFACT_VALIDATORS = new Map<string, Validator>([
  ['GET', v.readArtifactProxy],
  ['PUT', v.updateArtifactProxy],
  ['DELETE', v.deleteArtifactProxy],
]);

/**
 * `_get_proxy_artifact_validator`. Flask matched `<path:artifact_path>` (a first character other than `/`) for GET,
 * HEAD, PUT and DELETE; otherwise no route matched (`view_args` None, e.g. `artifacts/` with nothing after it or
 * another method), and that reads as a listing: READ, with DEFAULT_MLFLOW_PERMISSION as no experiment is named.
 * HEAD matched but has no validator.
 */
function proxyArtifactValidator(method: string, path: string): Found | undefined {
  const rest = path.slice(PROXY_ARTIFACTS.length);
  const routed = rest !== '' && !rest.startsWith('/') && ['GET', 'HEAD', 'PUT', 'DELETE'].includes(method);
  if (!routed) return { validator: v.readArtifactProxy, viewArgs: undefined };
  const validator = PROXY_ARTIFACT_VALIDATORS.get(method);
  return validator && { validator, viewArgs: { artifact_path: rest } };
}

/**
 * `before_request_hook` for a request to MLflow's Flask app: undefined lets it through, otherwise the answer to
 * send instead (the 403 denial, or MLflow's error when a lookup failed).
 */
export async function beforeRequest(
  deps: OidcAuthDeps,
  req: OidcRequest,
  identity: OidcIdentity,
): Promise<OidcAuthError | undefined> {
  const path = flaskPath(req.path);
  const method = req.method.toUpperCase();
  if (UNPROTECTED_PREFIXES.some((prefix) => path.startsWith(prefix))) return undefined;
  if (identity.isAdmin) return undefined;
  if (deps.settings.MLFLOW_ENABLE_WORKSPACES && req.workspace && WORKSPACE_GATED.has(key(method, path))) {
    const rule = workspaceRule(deps, req.workspace, identity);
    if (rule === undefined || !PERMISSIONS[rule].canManage) return flaskPermissionDenied();
  }
  const found =
    findValidator(method, path) ??
    (path.startsWith(PROXY_ARTIFACTS) ? proxyArtifactValidator(method, path) : undefined);
  if (!found) return undefined;
  const ctx = { deps, identity, request: flaskRequest(req, found.viewArgs), workspace: req.workspace };
  try {
    return (await found.validator(ctx)) ? undefined : flaskPermissionDenied();
  } catch (error) {
    if (error instanceof OidcAuthError) return error;
    throw error;
  }
}
