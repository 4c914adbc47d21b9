// The kubernetes-auth plugin's route → rule table, as data (mlflow-workspaces-k8s-auth.md §4; plugin 1.2.1 = S1,
// `auth/rules_base.py` + `rules_v3_11.py` + `rules_v3_12.py`). The plugin keys rules by protobuf request message and
// attaches each to every path MLflow registers for it: `/api/<major>.0/<path>` and `/ajax-api/<major>.0/<path>`
// (§4.1); explicit path rules cover Flask custom routes, FastAPI routers, the gateway and OTLP. `route-table.ts`
// compiles this list for one MLflow version.
//
// Paths the research marks "—" (message not in the Dec-2025 proto) are taken from MLflow's `service.proto` on master
// (mlflow/mlflow `mlflow/protos/service.proto`, read 2026) and `GetPresignedDownloadUrl` from MLflow's artifact
// repository client (`/mlflow-artifacts/presigned/<path>`); they are marked [I] below. Where the research only saw a
// path in the plugin's test stubs (ᵀ) and the proto disagrees, the proto wins (noted per row).

/** Kubernetes verbs the plugin asks about (§3.1). */
export type Verb = 'get' | 'list' | 'create' | 'update' | 'delete';

/** RBAC resources of API group `mlflow.kubeflow.org` (§3.1, Appendix A); `workspaces` is the lab's label only. */
export type Resource =
  | 'experiments'
  | 'datasets'
  | 'registeredmodels'
  | 'gatewaysecrets'
  | 'gatewayendpoints'
  | 'gatewaymodeldefinitions'
  | 'gatewaybudgets'
  | 'gatewayguardrails'
  | 'assistants'
  /** Workspace API rules: the plugin has `resource=None`; never sent in a review (deny / access check / filter). */
  | 'workspaces';

/** The resource-name parsers of §4.2 (`auth/resource_names.py`): which request field yields the MLflow name(s). */
export type NameParser =
  /** `experiment_name` */
  | 'experiment_name'
  /** `experiment_id` → experiment name (looked up in the caller's workspace) */
  | 'experiment_id_to_name'
  /** `experiment_ids[]` → experiment names */
  | 'experiment_ids_to_names'
  /** `new_name` (rename target) */
  | 'new_experiment_name'
  /** `run_id` (falls back to `run_uuid`; on `/ajax-api/2.0/mlflow/upload-artifact` also the query) → experiment name */
  | 'run_id_to_experiment_name'
  /** `model_id` (logged model) → experiment name */
  | 'model_id_to_experiment_name'
  /** `name` */
  | 'registered_model_name'
  /** `new_name` */
  | 'new_registered_model_name'
  /** path `artifact_path` or query `path`, `^(\d+)/` → experiment id → name */
  | 'artifact_experiment_id_to_name'
  /** header `X-MLflow-Experiment-Id` → experiment name */
  | 'otel_experiment_id_header_to_name'
  /** `dataset_id` → dataset name */
  | 'dataset_id_to_name'
  /** `request_id` → trace → experiment name */
  | 'trace_request_id_to_experiment_name'
  /** `trace_id` → trace → experiment name */
  | 'trace_id_to_experiment_name'
  /** body `trace.trace_info.trace_location.mlflow_experiment.experiment_id` (snake or camel case) → name */
  | 'trace_v3_experiment_id_to_name'
  /** `webhook_id` → webhook `.name` (a registered model name) */
  | 'webhook_id_to_registered_model_name'
  /** `job_id` → job params `experiment_id` → name */
  | 'job_id_to_experiment_name'
  /** `issue_id` → issue → experiment name (3.11) */
  | 'issue_id_to_experiment_name'
  /** `secret_id` → `.secret_name` */
  | 'gateway_secret_id_to_name'
  /** `endpoint_id` → `.name` */
  | 'gateway_endpoint_id_to_name'
  /** `model_definition_id` → `.name` */
  | 'gateway_model_definition_id_to_name'
  /** `endpoint_id` or `name` (both and conflicting → unresolved) */
  | 'gateway_endpoint_selector_to_name'
  /** path `endpoint_name`, or `gateway_path` matching `gateway/<name>/invocations`, or body `model` */
  | 'gateway_proxy_endpoint_name'
  /** optional `trace_ids[]` → experiment names (issues/invoke, 3.11; with allowIfResourceReferenceMissing) */
  | 'optional_trace_ids_to_experiment_names'
  /** optional `secret_id` → secret name (issues/invoke, 3.11) */
  | 'optional_gateway_secret_id_to_name'
  /** optional endpoint name (issues/invoke, 3.11) */
  | 'optional_gateway_endpoint_name'
  /** optional action `endpoint_id` → endpoint name (guardrails, 3.12) */
  | 'optional_action_endpoint_id_to_name';

/**
 * Collection policies (§4.4, `auth/collection_filters.py`): what a `list`-style rule falls back to when the broad
 * namespace-level review is denied. Request filters narrow the request before MLflow sees it (denied when nothing
 * readable remains); response filters let the request through and drop unreadable items from the response.
 */
export type CollectionPolicyId =
  | 'request_filter_experiment_ids'
  | 'request_filter_experiment_id'
  | 'request_filter_run_ids'
  | 'request_filter_trace_locations'
  | 'response_filter_experiments'
  | 'response_filter_registered_models'
  | 'response_filter_model_versions'
  | 'response_filter_traces'
  | 'response_filter_dataset_summaries'
  | 'response_filter_workspaces'
  | 'graphql_filter'
  | 'broad_only';

export interface CollectionPolicy {
  kind: 'request' | 'response' | 'none';
  /** Request field(s) narrowed, or response list key(s) filtered. */
  fields: readonly string[];
  /** The per-item review: resource and verb, asked with the item's resolved name (or namespace for workspaces). */
  check?: { resource: Resource | 'any-priority-resource'; verb: Verb; by: string };
  description: string;
}

/** §4.4 as data. Response filters are skipped for status ≥ 400; pagination tokens are left untouched. */
export const COLLECTION_POLICIES: Readonly<Record<CollectionPolicyId, CollectionPolicy>> = {
  request_filter_experiment_ids: {
    kind: 'request',
    fields: ['experiment_ids'],
    check: { resource: 'experiments', verb: 'get', by: 'experiment id → name' },
    description:
      '`experiment_ids` in the body and/or query narrowed to ids whose experiment name passes experiments:get; ' +
      'body/query rewritten before MLflow sees it; none readable → 403.',
  },
  request_filter_experiment_id: {
    kind: 'request',
    fields: ['experiment_id'],
    check: { resource: 'experiments', verb: 'get', by: 'experiment id → name' },
    description:
      'Allowed iff the single `experiment_id` (body and/or query) is readable; nothing is rewritten.',
  },
  request_filter_run_ids: {
    kind: 'request',
    fields: ['run_ids'],
    check: { resource: 'experiments', verb: 'get', by: 'run id → experiment name' },
    description: '`run_ids` (body and/or query) narrowed to runs whose experiment is readable; none → 403.',
  },
  request_filter_trace_locations: {
    kind: 'request',
    fields: ['locations'],
    check: { resource: 'experiments', verb: 'get', by: 'locations[].mlflow_experiment.experiment_id → name' },
    description:
      'Body `locations[]` narrowed to readable `mlflow_experiment.experiment_id` (snake/camel); none → 403.',
  },
  response_filter_experiments: {
    kind: 'response',
    fields: ['experiments'],
    check: { resource: 'experiments', verb: 'get', by: 'item `name`' },
    description: 'Response `experiments[]` filtered by experiments:get on each `name`.',
  },
  response_filter_registered_models: {
    kind: 'response',
    fields: ['registered_models'],
    check: { resource: 'registeredmodels', verb: 'get', by: 'item `name`' },
    description: 'Response `registered_models[]` filtered by registeredmodels:get on each `name`.',
  },
  response_filter_model_versions: {
    kind: 'response',
    fields: ['model_versions'],
    check: { resource: 'registeredmodels', verb: 'get', by: 'item `name`' },
    description:
      "Response `model_versions[]` filtered by registeredmodels:get on each version's model `name`.",
  },
  response_filter_traces: {
    kind: 'response',
    fields: ['traces', 'trace_infos'],
    check: { resource: 'experiments', verb: 'get', by: 'item experiment id → name' },
    description:
      "Response `traces[]` / `trace_infos[]` filtered by the trace location's experiment id → name.",
  },
  response_filter_dataset_summaries: {
    kind: 'response',
    fields: ['datasets', 'dataset_summaries'],
    check: { resource: 'experiments', verb: 'get', by: 'item `experiment_id` → name' },
    description: "Response `datasets[]` / `dataset_summaries[]` filtered by each item's `experiment_id`.",
  },
  response_filter_workspaces: {
    kind: 'response',
    fields: ['workspaces'],
    check: { resource: 'any-priority-resource', verb: 'list', by: 'item `name` as namespace' },
    description:
      'ListWorkspaces (plugin flag `apply_workspace_filter`, no review of its own): response `workspaces[]` kept ' +
      'where the caller may `list` any WORKSPACE_PERMISSION_RESOURCE_PRIORITY resource in that namespace (§4.4).',
  },
  graphql_filter: {
    kind: 'request',
    fields: ['input.experimentIds'],
    check: { resource: 'experiments', verb: 'get', by: 'experiment id → name' },
    description: 'GraphQL search fields: `input.experimentIds` narrowed inside the resolver (§4.6).',
  },
  broad_only: {
    kind: 'none',
    fields: [],
    description: 'No fallback: the broad list review decides; denied → 403.',
  },
};

export interface AuthRule {
  resource: Resource;
  verb: Verb;
  /** `use` for gateway invocation rules (`gatewayendpoints/use` etc.). */
  subresource?: string;
  /** Names re-checked one by one after a broad deny (§4.2 step 4); all parsers' names must be allowed. */
  nameParsers?: NameParser[];
  collectionPolicy?: CollectionPolicyId;
  /** Default true: no workspace → 400 "Workspace context is required for this request." */
  requiresWorkspace?: boolean;
  /** Always denied with this message (403 PERMISSION_DENIED). */
  deny?: string;
  /** GetWorkspace: allowed if the caller may `verb` any priority resource in the workspace (§4.2, §5.4). */
  workspaceAccessCheck?: boolean;
  /** An absent optional reference skips this rule instead of denying (3.11 issues/invoke, 3.12 guardrails). */
  allowIfResourceReferenceMissing?: boolean;
  /** No per-name or collection fallback after a broad deny (policy `broad_only`). */
  broadOnly?: boolean;
  /** CreateRun: the body's `user_id` is replaced by the caller's username after authorization (§7). */
  overrideRunUser?: boolean;
  /** 3.12 guardrail rules: the §4.5 gateway dependency checks are not run for this rule. */
  skipGatewayDependencyPermissions?: boolean;
  /**
   * §4.5 extra checks: endpoint create/update needs `gatewaymodeldefinitions/use:create`; model-definition
   * create/update needs `gatewaysecrets/use:create`; budgets reject a GLOBAL `target_scope` (400).
   */
  gatewayCheck?: 'endpoint_model_definitions_use' | 'model_definition_secrets_use' | 'budget_workspace_scope';
}

export interface RouteEntry {
  method: string;
  /** Full path; templated segments `<x>` (one segment) and `<path:x>` (the rest, slashes included). */
  path: string;
  /** All must pass. */
  rules: AuthRule[];
  /** MLflow minor version whose rule table added the entry ('3.11', '3.12'); absent = 3.10 baseline. */
  since?: string;
  /** Protobuf request message, for proto-derived routes. */
  message?: string;
  /** `/graphql`: the real rules come from the query's root fields (GRAPHQL_FIELD_RULES); `rules` is the fallback. */
  graphql?: boolean;
}

/** §4.6 `auth/constants.py`: no identity, no workspace resolution, no review. */
export const UNPROTECTED_PATHS: ReadonlySet<string> = new Set([
  '/',
  '/health',
  '/version',
  '/server-info',
  '/metrics',
  '/api/3.0/mlflow/server-info',
  '/ajax-api/3.0/mlflow/server-info',
  '/ajax-api/3.0/mlflow/ui-telemetry',
]);

/** Plain `startsWith` prefixes, so `/static` also covers `/static-files/...` and `/health` covers `/healthz`. */
export const UNPROTECTED_PATH_PREFIXES: readonly string[] = ['/static', '/favicon.ico', '/health', '/build'];

/** §4.2: GetWorkspace / ListWorkspaces check these, in order (S1 1.2.1 with budgets and guardrails). */
export const WORKSPACE_PERMISSION_RESOURCE_PRIORITY: readonly Resource[] = [
  'experiments',
  'datasets',
  'registeredmodels',
  'gatewaysecrets',
  'gatewayendpoints',
  'gatewaymodeldefinitions',
  'gatewaybudgets',
  'gatewayguardrails',
];

/** §5.3 / §6, exact text. */
export const WORKSPACE_MUTATION_DENIED_MESSAGE =
  'Workspace create, update, and delete operations are not supported when MLflow workspaces map to Kubernetes namespaces.';

/** `rules_v3_11.py` `_GATEWAY_BUDGET_WINDOWS_DENIED_MESSAGE`, exact text. */
export const GATEWAY_BUDGET_WINDOWS_DENIED_MESSAGE =
  'Gateway budget window listing is disabled because the upstream MLflow endpoint returns tracker state without ' +
  'workspace filtering.';

/** OTLP ingest (`mlflow.tracing.utils.otlp.OTLP_TRACES_PATH`). */
export const OTLP_TRACES_PATH = '/v1/traces';

// ---------------------------------------------------------------------------------------------------------------
// Builders (keep the table below one line per row).

type RuleOptions = Omit<AuthRule, 'resource' | 'verb'>;
const rule =
  (resource: Resource) =>
  (verb: Verb, options: RuleOptions = {}): AuthRule => ({ resource, verb, ...options });
const exp = rule('experiments');
const ds = rule('datasets');
const rm = rule('registeredmodels');
const gws = rule('gatewaysecrets');
const gwe = rule('gatewayendpoints');
const gwm = rule('gatewaymodeldefinitions');
const gwb = rule('gatewaybudgets');
const gwg = rule('gatewayguardrails');
const asst = rule('assistants');
const ws = rule('workspaces');
/** `<resource>/use:create`, the gateway invocation permission. */
const use = (resource: Resource, options: RuleOptions = {}): AuthRule => ({
  resource,
  verb: 'create',
  subresource: 'use',
  ...options,
});
const by = (...nameParsers: NameParser[]): RuleOptions => ({ nameParsers });
const policy = (collectionPolicy: CollectionPolicyId): RuleOptions =>
  collectionPolicy === 'broad_only' ? { collectionPolicy, broadOnly: true } : { collectionPolicy };

type Since = '3.11' | '3.12' | undefined;

/** A protobuf route: registered by MLflow under `/api/<v>` and `/ajax-api/<v>` (§4.1). `path` starts at `/<v>`. */
function proto(
  message: string,
  methods: string | string[],
  path: string,
  rules: AuthRule | AuthRule[],
  since?: Since,
): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (const method of [methods].flat())
    for (const root of ['/api', '/ajax-api']) out.push(entry(method, root + path, rules, since, message));
  return out;
}

/** An explicit path rule listed under both roots. */
function both(method: string, path: string, rules: AuthRule | AuthRule[], since?: Since): RouteEntry[] {
  return ['/api', '/ajax-api'].map((root) => entry(method, root + path, rules, since));
}

/** An explicit path rule for exactly one path. */
function at(method: string, path: string, rules: AuthRule | AuthRule[], since?: Since): RouteEntry[] {
  return [entry(method, path, rules, since)];
}

function entry(
  method: string,
  path: string,
  rules: AuthRule | AuthRule[],
  since: Since,
  message?: string,
): RouteEntry {
  return {
    method,
    path,
    rules: [rules].flat(),
    ...(since !== undefined && { since }),
    ...(message !== undefined && { message }),
  };
}

const M2 = '/2.0/mlflow';
const M3 = '/3.0/mlflow';
const A2 = '/2.0/mlflow-artifacts';

// ---------------------------------------------------------------------------------------------------------------
// The table (§4.3). Row order follows §4.3; template precedence only matters among templates of one method.

export const ROUTES: readonly RouteEntry[] = [
  // Experiments (§4.3 rows 1–9)
  ...proto('CreateExperiment', 'POST', `${M2}/experiments/create`, exp('create')),
  ...proto('GetExperiment', 'GET', `${M2}/experiments/get`, exp('get', by('experiment_id_to_name'))),
  ...proto('GetExperimentByName', 'GET', `${M2}/experiments/get-by-name`, exp('get', by('experiment_name'))),
  ...proto(
    'DeleteExperiment',
    'POST',
    `${M2}/experiments/delete`,
    exp('delete', by('experiment_id_to_name')),
  ),
  ...proto(
    'RestoreExperiment',
    'POST',
    `${M2}/experiments/restore`,
    exp('update', by('experiment_id_to_name')),
  ),
  ...proto(
    'UpdateExperiment',
    'POST',
    `${M2}/experiments/update`,
    exp('update', by('experiment_id_to_name', 'new_experiment_name')),
  ),
  ...proto(
    'SetExperimentTag',
    'POST',
    `${M2}/experiments/set-experiment-tag`,
    exp('update', by('experiment_id_to_name')),
  ),
  ...proto(
    'DeleteExperimentTag',
    'POST',
    `${M2}/experiments/delete-experiment-tag`,
    exp('update', by('experiment_id_to_name')),
  ),
  ...proto(
    'SearchExperiments',
    ['POST', 'GET'],
    `${M2}/experiments/search`,
    exp('list', policy('response_filter_experiments')),
  ),

  // Evaluation datasets (§4.3); DeleteDatasetRecords path from the MLflow proto [I]
  ...proto('AddDatasetToExperiments', 'POST', `${M3}/datasets/<dataset_id>/add-experiments`, [
    ds('update', by('dataset_id_to_name')),
    exp('update', by('experiment_ids_to_names')),
  ]),
  ...proto('CreateDataset', 'POST', `${M3}/datasets/create`, ds('create')),
  ...proto('DeleteDataset', 'DELETE', `${M3}/datasets/<dataset_id>`, ds('delete', by('dataset_id_to_name'))),
  ...proto(
    'DeleteDatasetRecords',
    'DELETE',
    `${M3}/datasets/<dataset_id>/records`,
    ds('update', by('dataset_id_to_name')),
  ),
  ...proto(
    'DeleteDatasetTag',
    'DELETE',
    `${M3}/datasets/<dataset_id>/tags/<key>`,
    ds('update', by('dataset_id_to_name')),
  ),
  ...proto('RemoveDatasetFromExperiments', 'POST', `${M3}/datasets/<dataset_id>/remove-experiments`, [
    ds('update', by('dataset_id_to_name')),
    exp('update', by('experiment_ids_to_names')),
  ]),
  ...proto(
    'SetDatasetTags',
    'PATCH',
    `${M3}/datasets/<dataset_id>/tags`,
    ds('update', by('dataset_id_to_name')),
  ),
  ...proto(
    'UpsertDatasetRecords',
    'POST',
    `${M3}/datasets/<dataset_id>/records`,
    ds('update', by('dataset_id_to_name')),
  ),

  // Experiment child resources, writes (§4.3). The proto names CreateAssessment's segment `{assessment.trace_id}`.
  ...proto(
    'CreateAssessment',
    'POST',
    `${M3}/traces/<trace_id>/assessments`,
    exp('update', by('trace_id_to_experiment_name')),
  ),
  ...proto(
    'UpdateAssessment',
    'PATCH',
    `${M3}/traces/<trace_id>/assessments/<assessment_id>`,
    exp('update', by('trace_id_to_experiment_name')),
  ),
  ...proto(
    'CreateRun',
    'POST',
    `${M2}/runs/create`,
    exp('update', { ...by('experiment_id_to_name'), overrideRunUser: true }),
  ),
  ...proto('DeleteRun', 'POST', `${M2}/runs/delete`, exp('update', by('run_id_to_experiment_name'))),
  ...proto('RestoreRun', 'POST', `${M2}/runs/restore`, exp('update', by('run_id_to_experiment_name'))),
  ...proto('UpdateRun', 'POST', `${M2}/runs/update`, exp('update', by('run_id_to_experiment_name'))),
  ...proto('LogMetric', 'POST', `${M2}/runs/log-metric`, exp('update', by('run_id_to_experiment_name'))),
  ...proto('LogBatch', 'POST', `${M2}/runs/log-batch`, exp('update', by('run_id_to_experiment_name'))),
  ...proto('LogModel', 'POST', `${M2}/runs/log-model`, exp('update', by('run_id_to_experiment_name'))),
  ...proto('SetTag', 'POST', `${M2}/runs/set-tag`, exp('update', by('run_id_to_experiment_name'))),
  ...proto('DeleteTag', 'POST', `${M2}/runs/delete-tag`, exp('update', by('run_id_to_experiment_name'))),
  ...proto('LogParam', 'POST', `${M2}/runs/log-parameter`, exp('update', by('run_id_to_experiment_name'))),
  ...proto('CreateLoggedModel', 'POST', `${M2}/logged-models`, exp('update', by('experiment_id_to_name'))),
  ...proto(
    'DeleteLoggedModel',
    'DELETE',
    `${M2}/logged-models/<model_id>`,
    exp('update', by('model_id_to_experiment_name')),
  ),
  ...proto(
    'FinalizeLoggedModel',
    'PATCH',
    `${M2}/logged-models/<model_id>`,
    exp('update', by('model_id_to_experiment_name')),
  ),
  ...proto(
    'DeleteLoggedModelTag',
    'DELETE',
    `${M2}/logged-models/<model_id>/tags/<tag_key>`,
    exp('update', by('model_id_to_experiment_name')),
  ),
  ...proto(
    'SetLoggedModelTags',
    'PATCH',
    `${M2}/logged-models/<model_id>/tags`,
    exp('update', by('model_id_to_experiment_name')),
  ),
  ...proto(
    'LogLoggedModelParamsRequest',
    'POST',
    `${M2}/logged-models/<model_id>/params`,
    exp('update', by('model_id_to_experiment_name')),
  ),
  ...proto('RegisterScorer', 'POST', `${M3}/scorers/register`, exp('update', by('experiment_id_to_name'))),
  ...proto('DeleteScorer', 'DELETE', `${M3}/scorers/delete`, exp('update', by('experiment_id_to_name'))),
  ...proto(
    'EndTrace',
    'PATCH',
    `${M2}/traces/<request_id>`,
    exp('update', by('trace_request_id_to_experiment_name')),
  ),
  // LinkPromptsToTrace path from the MLflow proto [I]
  ...proto(
    'LinkPromptsToTrace',
    'POST',
    `${M2}/traces/link-prompts`,
    exp('update', by('trace_id_to_experiment_name')),
  ),
  ...proto(
    'LinkTracesToRun',
    'POST',
    `${M2}/traces/link-to-run`,
    exp('update', by('run_id_to_experiment_name')),
  ),
  ...proto(
    'DeleteTraceTag',
    'DELETE',
    `${M2}/traces/<request_id>/tags`,
    exp('update', by('trace_request_id_to_experiment_name')),
  ),
  ...proto(
    'DeleteTraceTagV3',
    'DELETE',
    `${M3}/traces/<trace_id>/tags`,
    exp('update', by('trace_id_to_experiment_name')),
  ),
  ...proto('DeleteTraces', 'POST', `${M2}/traces/delete-traces`, exp('update', by('experiment_id_to_name'))),
  ...proto(
    'DeleteTracesV3',
    'POST',
    `${M3}/traces/delete-traces`,
    exp('update', by('experiment_id_to_name')),
  ),
  ...proto(
    'SetTraceTag',
    'PATCH',
    `${M2}/traces/<request_id>/tags`,
    exp('update', by('trace_request_id_to_experiment_name')),
  ),
  ...proto(
    'SetTraceTagV3',
    'PATCH',
    `${M3}/traces/<trace_id>/tags`,
    exp('update', by('trace_id_to_experiment_name')),
  ),
  ...proto('StartTrace', 'POST', `${M2}/traces`, exp('update', by('experiment_id_to_name'))),
  ...proto('StartTraceV3', 'POST', `${M3}/traces`, exp('update', by('trace_v3_experiment_id_to_name'))),
  ...proto('LogInputs', 'POST', `${M2}/runs/log-inputs`, exp('update', by('run_id_to_experiment_name'))),
  ...proto('LogOutputs', 'POST', `${M2}/runs/outputs`, exp('update', by('run_id_to_experiment_name'))),

  // Proxied artifacts (`mlflow_artifacts.proto`, §4.3): the experiment id is the first segment of the path
  ...proto(
    'CompleteMultipartUpload',
    'POST',
    `${A2}/mpu/complete/<path:artifact_path>`,
    exp('update', by('artifact_experiment_id_to_name')),
  ),
  ...proto(
    'CreateMultipartUpload',
    'POST',
    `${A2}/mpu/create/<path:artifact_path>`,
    exp('update', by('artifact_experiment_id_to_name')),
  ),
  ...proto(
    'AbortMultipartUpload',
    'POST',
    `${A2}/mpu/abort/<path:artifact_path>`,
    exp('update', by('artifact_experiment_id_to_name')),
  ),
  ...proto(
    'DeleteArtifact',
    'DELETE',
    `${A2}/artifacts/<path:artifact_path>`,
    exp('update', by('artifact_experiment_id_to_name')),
  ),
  ...proto(
    'UploadArtifact',
    'PUT',
    `${A2}/artifacts/<path:artifact_path>`,
    exp('update', by('artifact_experiment_id_to_name')),
  ),

  // Experiment child resources, single-experiment reads (§4.3)
  ...proto(
    'GetAssessmentRequest',
    'GET',
    `${M3}/traces/<trace_id>/assessments/<assessment_id>`,
    exp('get', by('trace_id_to_experiment_name')),
  ),
  ...proto('GetRun', 'GET', `${M2}/runs/get`, exp('get', by('run_id_to_experiment_name'))),
  ...proto(
    'GetMetricHistory',
    'GET',
    `${M2}/metrics/get-history`,
    exp('get', by('run_id_to_experiment_name')),
  ),
  ...proto('ListArtifacts', 'GET', `${M2}/artifacts/list`, exp('get', by('run_id_to_experiment_name'))),
  ...proto(
    'GetLoggedModel',
    'GET',
    `${M2}/logged-models/<model_id>`,
    exp('get', by('model_id_to_experiment_name')),
  ),
  ...proto(
    'ListLoggedModelArtifacts',
    'GET',
    `${M2}/logged-models/<model_id>/artifacts/directories`,
    exp('get', by('model_id_to_experiment_name')),
  ),
  ...proto('ListScorers', 'GET', `${M3}/scorers/list`, exp('get', by('experiment_id_to_name'))),
  ...proto('GetScorer', 'GET', `${M3}/scorers/get`, exp('get', by('experiment_id_to_name'))),
  ...proto('ListScorerVersions', 'GET', `${M3}/scorers/versions`, exp('get', by('experiment_id_to_name'))),
  ...proto(
    'GetTraceInfo',
    'GET',
    `${M2}/traces/<request_id>/info`,
    exp('get', by('trace_request_id_to_experiment_name')),
  ),
  ...proto('GetTraceInfoV3', 'GET', `${M3}/traces/<trace_id>`, exp('get', by('trace_id_to_experiment_name'))),
  ...proto(
    'DownloadArtifact',
    'GET',
    `${A2}/artifacts/<path:artifact_path>`,
    exp('get', by('artifact_experiment_id_to_name')),
  ),
  ...proto(
    'ListArtifactsMlflowArtifacts',
    'GET',
    `${A2}/artifacts`,
    exp('get', by('artifact_experiment_id_to_name')),
  ),

  // Dataset reads (§4.3). SearchDatasets' proto path lacks its leading slash, so MLflow registers
  // `/api/2.0mlflow/...`; the plugin adds explicit rules for the intended path (path rules below).
  ...proto('GetDataset', 'GET', `${M3}/datasets/<dataset_id>`, ds('get', by('dataset_id_to_name'))),
  ...proto(
    'GetDatasetExperimentIds',
    'GET',
    `${M3}/datasets/<dataset_id>/experiment-ids`,
    ds('list', by('dataset_id_to_name')),
  ),
  ...proto(
    'GetDatasetRecords',
    'GET',
    `${M3}/datasets/<dataset_id>/records`,
    ds('list', by('dataset_id_to_name')),
  ),
  ...proto(
    'SearchDatasets',
    'POST',
    '/2.0mlflow/experiments/search-datasets',
    ds('list', policy('request_filter_experiment_ids')),
  ),
  ...proto(
    'SearchEvaluationDatasets',
    ['POST', 'GET'],
    `${M3}/datasets/search`,
    ds('list', policy('response_filter_dataset_summaries')),
  ),

  // Experiment child resources, multi-experiment reads (§4.3, §4.4); QueryTraceMetrics path from the proto [I]
  ...proto(
    'SearchLoggedModels',
    'POST',
    `${M2}/logged-models/search`,
    exp('list', policy('request_filter_experiment_ids')),
  ),
  ...proto('BatchGetTraces', 'GET', `${M3}/traces/batchGet`, exp('list', policy('response_filter_traces'))),
  ...proto(
    'CalculateTraceFilterCorrelation',
    'POST',
    `${M3}/traces/calculate-filter-correlation`,
    exp('list', policy('request_filter_experiment_ids')),
  ),
  ...proto(
    'QueryTraceMetrics',
    'POST',
    `${M3}/traces/metrics`,
    exp('list', policy('request_filter_experiment_ids')),
  ),
  ...proto('SearchTraces', 'GET', `${M2}/traces`, exp('list', policy('response_filter_traces'))),
  ...proto(
    'SearchTracesV3',
    'POST',
    `${M3}/traces/search`,
    exp('list', policy('request_filter_trace_locations')),
  ),
  ...proto(
    'GetMetricHistoryBulkInterval',
    'GET',
    `${M2}/metrics/get-history-bulk-interval`,
    exp('list', policy('request_filter_run_ids')),
  ),
  ...proto('SearchRuns', 'POST', `${M2}/runs/search`, exp('list', policy('request_filter_experiment_ids'))),

  // Model registry (§4.3, `model_registry.proto`): versions, tags and aliases are updates of the model
  ...proto('CreateRegisteredModel', 'POST', `${M2}/registered-models/create`, rm('create')),
  ...proto(
    'GetRegisteredModel',
    'GET',
    `${M2}/registered-models/get`,
    rm('get', by('registered_model_name')),
  ),
  ...proto(
    'DeleteRegisteredModel',
    'DELETE',
    `${M2}/registered-models/delete`,
    rm('delete', by('registered_model_name')),
  ),
  ...proto(
    'UpdateRegisteredModel',
    'PATCH',
    `${M2}/registered-models/update`,
    rm('update', by('registered_model_name')),
  ),
  ...proto(
    'RenameRegisteredModel',
    'POST',
    `${M2}/registered-models/rename`,
    rm('update', by('registered_model_name', 'new_registered_model_name')),
  ),
  ...proto(
    'SearchRegisteredModels',
    'GET',
    `${M2}/registered-models/search`,
    rm('list', policy('response_filter_registered_models')),
  ),
  ...proto(
    'CreateModelVersion',
    'POST',
    `${M2}/model-versions/create`,
    rm('update', by('registered_model_name')),
  ),
  ...proto(
    'DeleteModelVersion',
    'DELETE',
    `${M2}/model-versions/delete`,
    rm('update', by('registered_model_name')),
  ),
  ...proto(
    'UpdateModelVersion',
    'PATCH',
    `${M2}/model-versions/update`,
    rm('update', by('registered_model_name')),
  ),
  ...proto(
    'TransitionModelVersionStage',
    'POST',
    `${M2}/model-versions/transition-stage`,
    rm('update', by('registered_model_name')),
  ),
  ...proto(
    'SetRegisteredModelTag',
    'POST',
    `${M2}/registered-models/set-tag`,
    rm('update', by('registered_model_name')),
  ),
  ...proto(
    'DeleteRegisteredModelTag',
    'DELETE',
    `${M2}/registered-models/delete-tag`,
    rm('update', by('registered_model_name')),
  ),
  ...proto(
    'SetModelVersionTag',
    'POST',
    `${M2}/model-versions/set-tag`,
    rm('update', by('registered_model_name')),
  ),
  ...proto(
    'DeleteModelVersionTag',
    'DELETE',
    `${M2}/model-versions/delete-tag`,
    rm('update', by('registered_model_name')),
  ),
  ...proto(
    'SetRegisteredModelAlias',
    'POST',
    `${M2}/registered-models/alias`,
    rm('update', by('registered_model_name')),
  ),
  ...proto(
    'DeleteRegisteredModelAlias',
    'DELETE',
    `${M2}/registered-models/alias`,
    rm('update', by('registered_model_name')),
  ),
  ...proto('GetModelVersion', 'GET', `${M2}/model-versions/get`, rm('get', by('registered_model_name'))),
  ...proto(
    'GetModelVersionDownloadUri',
    'GET',
    `${M2}/model-versions/get-download-uri`,
    rm('get', by('registered_model_name')),
  ),
  ...proto(
    'GetModelVersionByAlias',
    'GET',
    `${M2}/registered-models/alias`,
    rm('get', by('registered_model_name')),
  ),
  ...proto(
    'GetLatestVersions',
    ['POST', 'GET'],
    `${M2}/registered-models/get-latest-versions`,
    rm('list', by('registered_model_name')),
  ),

  // Webhooks (`webhooks.proto`, §4.3): registered-model scoped
  ...proto('CreateWebhook', 'POST', `${M2}/webhooks`, rm('update', by('registered_model_name'))),
  ...proto(
    'DeleteWebhook',
    'DELETE',
    `${M2}/webhooks/<webhook_id>`,
    rm('update', by('webhook_id_to_registered_model_name')),
  ),
  ...proto(
    'TestWebhook',
    'POST',
    `${M2}/webhooks/<webhook_id>/test`,
    rm('update', by('webhook_id_to_registered_model_name')),
  ),
  ...proto(
    'UpdateWebhook',
    'PATCH',
    `${M2}/webhooks/<webhook_id>`,
    rm('update', by('webhook_id_to_registered_model_name')),
  ),
  ...proto(
    'GetWebhook',
    'GET',
    `${M2}/webhooks/<webhook_id>`,
    rm('get', by('webhook_id_to_registered_model_name')),
  ),
  ...proto('ListWebhooks', 'GET', `${M2}/webhooks`, rm('list', policy('broad_only'))),

  // AI gateway management (§4.3, §4.5). Paths from the MLflow proto (`since` major 3 → `/api/3.0/...`) [I];
  // the research's ᵀ paths `/api/2.0/mlflow/gateway/...` came from plugin test stubs only.
  ...proto('CreateGatewaySecret', 'POST', `${M3}/gateway/secrets/create`, gws('create')),
  ...proto(
    'GetGatewaySecretInfo',
    'GET',
    `${M3}/gateway/secrets/get`,
    gws('get', by('gateway_secret_id_to_name')),
  ),
  ...proto(
    'UpdateGatewaySecret',
    'POST',
    `${M3}/gateway/secrets/update`,
    gws('update', by('gateway_secret_id_to_name')),
  ),
  ...proto(
    'DeleteGatewaySecret',
    'DELETE',
    `${M3}/gateway/secrets/delete`,
    gws('delete', by('gateway_secret_id_to_name')),
  ),
  ...proto('ListGatewaySecretInfos', 'GET', `${M3}/gateway/secrets/list`, gws('list', policy('broad_only'))),
  ...proto(
    'CreateGatewayEndpoint',
    'POST',
    `${M3}/gateway/endpoints/create`,
    gwe('create', { gatewayCheck: 'endpoint_model_definitions_use' }),
  ),
  ...proto(
    'GetGatewayEndpoint',
    'GET',
    `${M3}/gateway/endpoints/get`,
    gwe('get', by('gateway_endpoint_selector_to_name')),
  ),
  ...proto(
    'UpdateGatewayEndpoint',
    'POST',
    `${M3}/gateway/endpoints/update`,
    gwe('update', { ...by('gateway_endpoint_id_to_name'), gatewayCheck: 'endpoint_model_definitions_use' }),
  ),
  ...proto(
    'DeleteGatewayEndpoint',
    'DELETE',
    `${M3}/gateway/endpoints/delete`,
    gwe('delete', by('gateway_endpoint_id_to_name')),
  ),
  ...proto('ListGatewayEndpoints', 'GET', `${M3}/gateway/endpoints/list`, gwe('list', policy('broad_only'))),
  ...proto(
    'CreateGatewayModelDefinition',
    'POST',
    `${M3}/gateway/model-definitions/create`,
    gwm('create', { gatewayCheck: 'model_definition_secrets_use' }),
  ),
  ...proto(
    'GetGatewayModelDefinition',
    'GET',
    `${M3}/gateway/model-definitions/get`,
    gwm('get', by('gateway_model_definition_id_to_name')),
  ),
  ...proto(
    'UpdateGatewayModelDefinition',
    'POST',
    `${M3}/gateway/model-definitions/update`,
    gwm('update', {
      ...by('gateway_model_definition_id_to_name'),
      gatewayCheck: 'model_definition_secrets_use',
    }),
  ),
  ...proto(
    'DeleteGatewayModelDefinition',
    'DELETE',
    `${M3}/gateway/model-definitions/delete`,
    gwm('delete', by('gateway_model_definition_id_to_name')),
  ),
  ...proto(
    'ListGatewayModelDefinitions',
    'GET',
    `${M3}/gateway/model-definitions/list`,
    gwm('list', policy('broad_only')),
  ),
  ...proto(
    'AttachModelToGatewayEndpoint',
    'POST',
    `${M3}/gateway/endpoints/models/attach`,
    gwe('update', by('gateway_endpoint_id_to_name')),
  ),
  ...proto(
    'DetachModelFromGatewayEndpoint',
    'POST',
    `${M3}/gateway/endpoints/models/detach`,
    gwe('update', by('gateway_endpoint_id_to_name')),
  ),
  ...proto(
    'CreateGatewayEndpointBinding',
    'POST',
    `${M3}/gateway/endpoints/bindings/create`,
    gwe('update', by('gateway_endpoint_id_to_name')),
  ),
  ...proto(
    'DeleteGatewayEndpointBinding',
    'DELETE',
    `${M3}/gateway/endpoints/bindings/delete`,
    gwe('update', by('gateway_endpoint_id_to_name')),
  ),
  ...proto(
    'ListGatewayEndpointBindings',
    'GET',
    `${M3}/gateway/endpoints/bindings/list`,
    gwe('list', by('gateway_endpoint_id_to_name')),
  ),
  ...proto(
    'SetGatewayEndpointTag',
    'POST',
    `${M3}/gateway/endpoints/set-tag`,
    gwe('update', by('gateway_endpoint_id_to_name')),
  ),
  ...proto(
    'DeleteGatewayEndpointTag',
    'DELETE',
    `${M3}/gateway/endpoints/delete-tag`,
    gwe('update', by('gateway_endpoint_id_to_name')),
  ),

  // Prompt optimization jobs (§4.3): experiment scoped. Paths from the MLflow proto [I]; the proto also has
  // `GET .../jobs/search` besides the research's ᵀ `POST`.
  ...proto(
    'CreatePromptOptimizationJob',
    'POST',
    `${M3}/prompt-optimization/jobs`,
    exp('update', by('experiment_id_to_name')),
  ),
  ...proto(
    'GetPromptOptimizationJob',
    'GET',
    `${M3}/prompt-optimization/jobs/<job_id>`,
    exp('get', by('job_id_to_experiment_name')),
  ),
  ...proto(
    'SearchPromptOptimizationJobs',
    ['POST', 'GET'],
    `${M3}/prompt-optimization/jobs/search`,
    exp('list', policy('request_filter_experiment_id')),
  ),
  ...proto(
    'CancelPromptOptimizationJob',
    'POST',
    `${M3}/prompt-optimization/jobs/<job_id>/cancel`,
    exp('update', by('job_id_to_experiment_name')),
  ),
  ...proto(
    'DeletePromptOptimizationJob',
    'DELETE',
    `${M3}/prompt-optimization/jobs/<job_id>`,
    exp('update', by('job_id_to_experiment_name')),
  ),

  // Workspaces API (§5.3, ᵂ paths): list filtered (authN only, no workspace), get via the workspace access check,
  // mutations always denied. `resource` is a label here (the plugin has none).
  ...proto(
    'ListWorkspaces',
    'GET',
    `${M3}/workspaces`,
    ws('list', { requiresWorkspace: false, collectionPolicy: 'response_filter_workspaces' }),
  ),
  ...proto(
    'GetWorkspace',
    'GET',
    `${M3}/workspaces/<workspace_name>`,
    ws('get', { requiresWorkspace: false, workspaceAccessCheck: true }),
  ),
  ...proto(
    'CreateWorkspace',
    'POST',
    `${M3}/workspaces`,
    ws('create', { requiresWorkspace: false, deny: WORKSPACE_MUTATION_DENIED_MESSAGE }),
  ),
  ...proto(
    'UpdateWorkspace',
    'PATCH',
    `${M3}/workspaces/<workspace_name>`,
    ws('update', { requiresWorkspace: false, deny: WORKSPACE_MUTATION_DENIED_MESSAGE }),
  ),
  ...proto(
    'DeleteWorkspace',
    'DELETE',
    `${M3}/workspaces/<workspace_name>`,
    ws('delete', { requiresWorkspace: false, deny: WORKSPACE_MUTATION_DENIED_MESSAGE }),
  ),

  // Path rules (§4.3 "(path rule)" rows). `GET /version` and `GET /server-info` are path rules too, but
  // UNPROTECTED_PATHS answers them first, so they are not repeated here.
  ...both('GET', `${M2}/model-versions/search`, rm('list', policy('response_filter_model_versions'))),
  // GraphQL (§4.6): the real rules come from the query's root fields; see GRAPHQL_FIELD_RULES
  ...at('GET', '/graphql', exp('get')).map((e) => ({ ...e, graphql: true })),
  ...at('POST', '/graphql', exp('get')).map((e) => ({ ...e, graphql: true })),
  // Gateway invocation (§4.3, §4.5): `gatewayendpoints/use:create`
  ...both('GET', `${M2}/gateway-proxy`, use('gatewayendpoints')),
  ...both('POST', `${M2}/gateway-proxy`, use('gatewayendpoints', by('gateway_proxy_endpoint_name'))),
  ...at(
    'POST',
    '/gateway/<endpoint_name>/mlflow/invocations',
    use('gatewayendpoints', by('gateway_proxy_endpoint_name')),
  ),
  ...at(
    'POST',
    '/gateway/mlflow/v1/chat/completions',
    use('gatewayendpoints', by('gateway_proxy_endpoint_name')),
  ),
  ...at(
    'POST',
    '/gateway/openai/v1/chat/completions',
    use('gatewayendpoints', by('gateway_proxy_endpoint_name')),
  ),
  ...at('POST', '/gateway/openai/v1/embeddings', use('gatewayendpoints', by('gateway_proxy_endpoint_name'))),
  ...at('POST', '/gateway/openai/v1/responses', use('gatewayendpoints', by('gateway_proxy_endpoint_name'))),
  ...at('POST', '/gateway/anthropic/v1/messages', use('gatewayendpoints', by('gateway_proxy_endpoint_name'))),
  ...at(
    'POST',
    '/gateway/gemini/v1beta/models/<endpoint_name>:generateContent',
    use('gatewayendpoints', by('gateway_proxy_endpoint_name')),
  ),
  ...at(
    'POST',
    '/gateway/gemini/v1beta/models/<endpoint_name>:streamGenerateContent',
    use('gatewayendpoints', by('gateway_proxy_endpoint_name')),
  ),
  // Flask custom routes (UI downloads/uploads)
  ...at('GET', '/get-artifact', exp('get', by('run_id_to_experiment_name'))),
  ...at('GET', '/model-versions/get-artifact', rm('get', by('registered_model_name'))),
  ...at('POST', '/ajax-api/2.0/mlflow/upload-artifact', exp('update', by('run_id_to_experiment_name'))),
  ...at(
    'GET',
    '/ajax-api/2.0/mlflow/get-trace-artifact',
    exp('get', by('trace_request_id_to_experiment_name')),
  ),
  ...at(
    'GET',
    '/ajax-api/3.0/mlflow/get-trace-artifact',
    exp('get', by('trace_request_id_to_experiment_name')),
  ),
  ...at(
    'GET',
    '/ajax-api/2.0/mlflow/metrics/get-history-bulk',
    exp('list', policy('request_filter_run_ids')),
  ),
  // Same rule as the GetMetricHistoryBulkInterval proto route for this path.
  ...at(
    'GET',
    '/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval',
    exp('list', policy('request_filter_run_ids')),
  ),
  ...at('POST', '/ajax-api/2.0/mlflow/runs/create-promptlab-run', exp('update', by('experiment_id_to_name'))),
  ...at(
    'GET',
    '/ajax-api/2.0/mlflow/logged-models/<model_id>/artifacts/files',
    exp('get', by('model_id_to_experiment_name')),
  ),
  ...both('POST', `${M2}/experiments/search-datasets`, ds('list', policy('request_filter_experiment_ids'))),
  ...both(
    'DELETE',
    `${M3}/traces/<trace_id>/assessments/<assessment_id>`,
    exp('update', by('trace_id_to_experiment_name')),
  ),
  ...both('GET', `${M3}/traces/get`, exp('get', by('trace_id_to_experiment_name'))),
  // OTLP ingest (FastAPI): the experiment comes from the `X-MLflow-Experiment-Id` header
  ...at('POST', OTLP_TRACES_PATH, exp('update', by('otel_experiment_id_header_to_name'))),
  // Jobs (FastAPI), with and without trailing slash; no name parsers in 1.2.1
  ...['', '/'].flatMap((slash) => [
    ...at('POST', `/ajax-api/3.0/jobs${slash}`, exp('update')),
    ...at('GET', `/ajax-api/3.0/jobs/<job_id>${slash}`, exp('get')),
    ...at('PATCH', `/ajax-api/3.0/jobs/cancel/<job_id>${slash}`, exp('update')),
    ...at('POST', `/ajax-api/3.0/jobs/search${slash}`, exp('list', policy('request_filter_experiment_id'))),
    ...at('GET', `/ajax-api/3.0/mlflow/jobs/<job_id>${slash}`, exp('get')),
    ...at('PATCH', `/ajax-api/3.0/mlflow/jobs/cancel/<job_id>${slash}`, exp('update')),
  ]),
  // Assistant (FastAPI)
  ...at('POST', '/ajax-api/3.0/mlflow/assistant/message', asst('create')),
  ...at('GET', '/ajax-api/3.0/mlflow/assistant/sessions/<session_id>/stream', asst('get')),
  ...at('GET', '/ajax-api/3.0/mlflow/assistant/status', asst('get')),
  ...at('PATCH', '/ajax-api/3.0/mlflow/assistant/sessions/<session_id>', asst('update')),
  ...at('GET', '/ajax-api/3.0/mlflow/assistant/providers/<provider>/health', asst('get')),
  ...at('GET', '/ajax-api/3.0/mlflow/assistant/config', asst('get')),
  ...at('PUT', '/ajax-api/3.0/mlflow/assistant/config', asst('update')),
  ...at('POST', '/ajax-api/3.0/mlflow/assistant/skills/install', asst('update')),
  // Gateway UI helpers (FastAPI)
  ...at('GET', '/ajax-api/3.0/mlflow/gateway/supported-providers', gwm('list', policy('broad_only'))),
  ...at('GET', '/ajax-api/3.0/mlflow/gateway/supported-models', gwm('list', policy('broad_only'))),
  ...at('GET', '/ajax-api/3.0/mlflow/gateway/provider-config', gwm('get')),
  ...at('GET', '/ajax-api/3.0/mlflow/gateway/secrets/config', gws('get')),
  // Online scorer configs and scorer invocation
  ...both('GET', `${M3}/scorers/online-configs`, exp('get', by('experiment_id_to_name'))),
  ...both('PUT', `${M3}/scorers/online-config`, exp('update', by('experiment_id_to_name'))),
  ...at('POST', '/ajax-api/3.0/mlflow/scorer/invoke', exp('update', by('experiment_id_to_name'))),
  // Demo data
  ...at('POST', '/ajax-api/3.0/mlflow/demo/generate', [exp('create'), ds('create'), rm('create')]),
  ...at('POST', '/ajax-api/3.0/mlflow/demo/delete', [exp('delete'), ds('delete'), rm('delete')]),

  // MLflow 3.11 deltas (`rules_v3_11.py`, §4.3 "3.11" rows). Issues paths from the MLflow proto [I];
  // GetPresignedDownloadUrl's path from MLflow's artifact client (`/mlflow-artifacts/presigned/<path>`) [I].
  ...proto(
    'BatchGetTraceInfos',
    'POST',
    `${M3}/traces/batchGetInfos`,
    exp('list', policy('response_filter_traces')),
    '3.11',
  ),
  ...proto(
    'GetPresignedDownloadUrl',
    'GET',
    `${A2}/presigned/<path:artifact_path>`,
    exp('get', by('artifact_experiment_id_to_name')),
    '3.11',
  ),
  ...proto('CreateIssue', 'POST', `${M3}/issues`, exp('update', by('experiment_id_to_name')), '3.11'),
  ...proto(
    'GetIssue',
    'GET',
    `${M3}/issues/<issue_id>`,
    exp('get', by('issue_id_to_experiment_name')),
    '3.11',
  ),
  ...proto(
    'UpdateIssue',
    'PATCH',
    `${M3}/issues/<issue_id>`,
    exp('update', by('issue_id_to_experiment_name')),
    '3.11',
  ),
  ...proto(
    'SearchIssues',
    'POST',
    `${M3}/issues/search`,
    exp('list', policy('request_filter_experiment_id')),
    '3.11',
  ),
  // Budgets stay workspace-scoped (no name parsers: budget ids are opaque)
  ...proto(
    'CreateGatewayBudgetPolicy',
    'POST',
    `${M3}/gateway/budgets/create`,
    gwb('create', { gatewayCheck: 'budget_workspace_scope' }),
    '3.11',
  ),
  ...proto('GetGatewayBudgetPolicy', 'GET', `${M3}/gateway/budgets/get`, gwb('get'), '3.11'),
  ...proto(
    'UpdateGatewayBudgetPolicy',
    'POST',
    `${M3}/gateway/budgets/update`,
    gwb('update', { gatewayCheck: 'budget_workspace_scope' }),
    '3.11',
  ),
  ...proto('DeleteGatewayBudgetPolicy', 'DELETE', `${M3}/gateway/budgets/delete`, gwb('delete'), '3.11'),
  ...proto(
    'ListGatewayBudgetPolicies',
    'GET',
    `${M3}/gateway/budgets/list`,
    gwb('list', policy('broad_only')),
    '3.11',
  ),
  ...proto(
    'ListGatewayBudgetWindows',
    'GET',
    `${M3}/gateway/budgets/windows`,
    gwb('list', { deny: GATEWAY_BUDGET_WINDOWS_DENIED_MESSAGE }),
    '3.11',
  ),
  ...['', '/'].flatMap((slash) =>
    at(
      'POST',
      `/ajax-api/3.0/mlflow/issues/invoke${slash}`,
      [
        exp('update', by('experiment_id_to_name')),
        exp('get', {
          ...by('optional_trace_ids_to_experiment_names'),
          allowIfResourceReferenceMissing: true,
        }),
        use('gatewaysecrets', {
          ...by('optional_gateway_secret_id_to_name'),
          allowIfResourceReferenceMissing: true,
        }),
        use('gatewayendpoints', {
          ...by('optional_gateway_endpoint_name'),
          allowIfResourceReferenceMissing: true,
        }),
      ],
      '3.11',
    ),
  ),

  // MLflow 3.12 deltas (`rules_v3_12.py`): not compiled for 3.11. Paths from the MLflow proto [I].
  ...proto(
    'CreatePresignedUploadUrl',
    'POST',
    `${M2}/artifacts/presigned-upload-url`,
    exp('update', by('run_id_to_experiment_name')),
    '3.12',
  ),
  ...proto(
    'CreateGatewayGuardrail',
    'POST',
    `${M3}/gateway/guardrails/create`,
    [
      gwg('create'),
      use('gatewayendpoints', {
        ...by('optional_action_endpoint_id_to_name'),
        allowIfResourceReferenceMissing: true,
      }),
    ],
    '3.12',
  ),
  ...proto('GetGatewayGuardrail', 'GET', `${M3}/gateway/guardrails/get`, gwg('get'), '3.12'),
  ...proto('DeleteGatewayGuardrail', 'DELETE', `${M3}/gateway/guardrails/delete`, gwg('delete'), '3.12'),
  ...proto('ListGatewayGuardrails', 'GET', `${M3}/gateway/guardrails/list`, gwg('list'), '3.12'),
  ...proto(
    'AddGuardrailToEndpoint',
    'POST',
    `${M3}/gateway/guardrails/add-to-endpoint`,
    [
      gwe('update', { ...by('gateway_endpoint_id_to_name'), skipGatewayDependencyPermissions: true }),
      gwg('update'),
    ],
    '3.12',
  ),
  ...proto(
    'RemoveGuardrailFromEndpoint',
    'DELETE',
    `${M3}/gateway/guardrails/remove-from-endpoint`,
    [
      gwe('update', { ...by('gateway_endpoint_id_to_name'), skipGatewayDependencyPermissions: true }),
      gwg('update'),
    ],
    '3.12',
  ),
  ...proto(
    'ListEndpointGuardrailConfigs',
    'GET',
    `${M3}/gateway/guardrails/list-for-endpoint`,
    [gwe('get', by('gateway_endpoint_id_to_name')), gwg('list')],
    '3.12',
  ),
  ...proto(
    'UpdateEndpointGuardrailConfig',
    'PATCH',
    `${M3}/gateway/guardrails/update-config`,
    [
      gwe('update', { ...by('gateway_endpoint_id_to_name'), skipGatewayDependencyPermissions: true }),
      gwg('update'),
    ],
    '3.12',
  ),
];

/**
 * GraphQL root fields → rules (§4.6, `auth/graphql.py`). The query is parsed (operationName is never trusted);
 * an unknown field, or an empty/unparseable query, has no rule → 404. Any nested `modelVersions` adds
 * `registeredmodels:get` (broad only).
 */
export interface GraphqlFieldRule {
  rule: AuthRule;
  /** Where the names come from, in the field's `input` argument. */
  input?: 'experimentId' | 'runId' | 'runIds' | 'experimentIds';
}

export const GRAPHQL_FIELD_RULES: Readonly<Record<string, GraphqlFieldRule>> = {
  mlflowGetExperiment: { rule: exp('get'), input: 'experimentId' },
  mlflowGetRun: { rule: exp('get'), input: 'runId' },
  mlflowListArtifacts: { rule: exp('get'), input: 'runId' },
  mlflowGetMetricHistoryBulkInterval: { rule: exp('get'), input: 'runIds' },
  mlflowSearchRuns: { rule: exp('list', policy('graphql_filter')), input: 'experimentIds' },
  mlflowSearchDatasets: { rule: exp('list', policy('graphql_filter')), input: 'experimentIds' },
  // §4.6 says "response filter" without naming the policy; the model-versions one is the natural fit [I].
  mlflowSearchModelVersions: { rule: rm('list', policy('response_filter_model_versions')) },
  test: { rule: exp('get', { broadOnly: true }) },
  testMutation: { rule: exp('get', { broadOnly: true }) },
};

/** Added to a GraphQL request's rules whenever `modelVersions` is selected anywhere in the query. */
export const GRAPHQL_NESTED_MODEL_VERSIONS_RULE: AuthRule = rm('get', { broadOnly: true });
