// What the plugin's routers read besides their own tables: MLflow's experiments and registered models (through
// `deps.mlflow`, as `_get_tracking_store()` / `_get_model_registry_store()` in the request's workspace), and a
// user's effective permission on one of them (mlflow-oidc-auth.md §4.3, §4.7; `utils/permissions.py`,
// `utils/batch_permissions.py`, `utils/workspace_cache.py`). Kept here so the API compiles on its own, next to
// the hooks' copy of the same rules.
import { internalServerError } from './api-fastapi.js';
import { pluginMlflowError } from './errors.js';
import {
  PERMISSIONS,
  pythonMatch,
  resolvePermission,
  strongestOf,
  type PermissionName,
  type ResolvedPermission,
} from './permissions.js';
import type { UserRow } from './store.js';
import type { OidcAuthDeps, OidcRequest } from './types.js';

/** MLflow's default workspace: where a request without `X-MLFLOW-WORKSPACE` lands. */
const DEFAULT_WORKSPACE = 'default';

// --- MLflow's stores -----------------------------------------------------------------------------------------------

export interface ExperimentRow {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
  artifact_location: string;
  /** The entity's `tags`: a dict. */
  tags: Record<string, string>;
  creation_time: number | null;
  last_update_time: number | null;
}

export interface RegisteredModelRow {
  name: string;
  tags: Record<string, string>;
  /** None when the model was created without one. */
  description: string | null;
  /** `{alias: version}`, the version a number as the SQL store keeps it. */
  aliases: Record<string, number>;
}

const tagDict = (tags: unknown): Record<string, string> =>
  Object.fromEntries(
    (Array.isArray(tags) ? (tags as Array<{ key?: unknown; value?: unknown }>) : []).map((t) => [
      String(t.key),
      String(t.value ?? ''),
    ]),
  );

function experimentRow(raw: Record<string, unknown>): ExperimentRow {
  return {
    experiment_id: String(raw.experiment_id),
    name: String(raw.name),
    lifecycle_stage: String(raw.lifecycle_stage),
    artifact_location: String(raw.artifact_location ?? ''),
    tags: tagDict(raw.tags),
    creation_time: typeof raw.creation_time === 'number' ? raw.creation_time : null,
    last_update_time: typeof raw.last_update_time === 'number' ? raw.last_update_time : null,
  };
}

/** A failed read is a store exception inside a router: no handler maps it. */
function answered(status: number, json: Record<string, unknown> | undefined): Record<string, unknown> {
  if (status !== 200 || json === undefined) throw internalServerError();
  return json;
}

export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

/**
 * `tracking_store.search_experiments()` with its defaults: one page of up to 1000 (SEARCH_MAX_RESULTS_DEFAULT),
 * MLflow's default order, active only; what the experiment listings read (they do not page on).
 */
export async function searchExperiments(
  deps: OidcAuthDeps,
  req: OidcRequest,
  view: ViewType = 'ACTIVE_ONLY',
): Promise<ExperimentRow[]> {
  const page = await experimentsPage(deps, req, view, undefined);
  return page.rows;
}

/** `fetch_all_experiments(view_type)`: every page. */
export async function fetchAllExperiments(
  deps: OidcAuthDeps,
  req: OidcRequest,
  view: ViewType,
): Promise<ExperimentRow[]> {
  const rows: ExperimentRow[] = [];
  let token: string | undefined;
  do {
    const page = await experimentsPage(deps, req, view, token);
    rows.push(...page.rows);
    token = page.next;
  } while (token);
  return rows;
}

async function experimentsPage(
  deps: OidcAuthDeps,
  req: OidcRequest,
  view: ViewType,
  token: string | undefined,
): Promise<{ rows: ExperimentRow[]; next: string | undefined }> {
  const a = await deps.mlflow.call('POST', '/api/2.0/mlflow/experiments/search', {
    json: { max_results: 1000, view_type: view, ...(token && { page_token: token }) },
    workspace: req.workspace,
  });
  const json = answered(a.status, a.json);
  const list = Array.isArray(json.experiments) ? (json.experiments as Array<Record<string, unknown>>) : [];
  const next =
    typeof json.next_page_token === 'string' && json.next_page_token ? json.next_page_token : undefined;
  return { rows: list.map(experimentRow), next };
}

/** `tracking_store.get_experiment(id)`, or undefined when MLflow has no such experiment. */
export async function getExperiment(
  deps: OidcAuthDeps,
  req: OidcRequest,
  experimentId: string,
): Promise<ExperimentRow | undefined> {
  const a = await deps.mlflow.call('GET', '/api/2.0/mlflow/experiments/get', {
    query: { experiment_id: experimentId },
    workspace: req.workspace,
  });
  const experiment = a.status === 200 ? a.json?.experiment : undefined;
  return typeof experiment === 'object' && experiment !== null
    ? experimentRow(experiment as Record<string, unknown>)
    : undefined;
}

const PROMPT_FILTER = "tags.`mlflow.prompt.is_prompt` = 'true'";

/**
 * `fetch_all_registered_models()` (every page of 1000; MLflow leaves prompts out) or, with `prompts`,
 * `fetch_all_prompts()` (the same search filtered on the prompt tag).
 */
export async function fetchAllRegisteredModels(
  deps: OidcAuthDeps,
  req: OidcRequest,
  o: { prompts?: boolean } = {},
): Promise<RegisteredModelRow[]> {
  const rows: RegisteredModelRow[] = [];
  let token: string | undefined;
  do {
    const a = await deps.mlflow.call('GET', '/api/2.0/mlflow/registered-models/search', {
      query: {
        max_results: '1000',
        ...(o.prompts && { filter: PROMPT_FILTER }),
        ...(token && { page_token: token }),
      },
      workspace: req.workspace,
    });
    const json = answered(a.status, a.json);
    const list = Array.isArray(json.registered_models)
      ? (json.registered_models as Array<Record<string, unknown>>)
      : [];
    for (const m of list) {
      const aliases = Array.isArray(m.aliases)
        ? (m.aliases as Array<{ alias?: unknown; version?: unknown }>)
        : [];
      rows.push({
        name: String(m.name),
        tags: tagDict(m.tags),
        description: typeof m.description === 'string' ? m.description : null,
        aliases: Object.fromEntries(aliases.map((x) => [String(x.alias), Number(x.version)])),
      });
    }
    token =
      typeof json.next_page_token === 'string' && json.next_page_token ? json.next_page_token : undefined;
  } while (token);
  return rows;
}

// --- users ---------------------------------------------------------------------------------------------------------

/** The plugin's repositories look users up by exact username (`SqlUser.username == username`), unlike the store. */
export const exactUser = (deps: OidcAuthDeps, username: string): UserRow | undefined =>
  deps.store.users().find((u) => u.username === username);

/** `repository/utils.py get_user`: the MlflowException the routers let through to the handler (404). */
export function userOrNotFound(deps: OidcAuthDeps, username: string): UserRow {
  const user = exactUser(deps, username);
  if (!user) throw pluginMlflowError('RESOURCE_DOES_NOT_EXIST', `User with username=${username} not found`);
  return user;
}

// --- effective permissions -----------------------------------------------------------------------------------------

/**
 * Which workspace the workspace fallback reads (§4.7). The single-resource checks (`resolve_permission`) read the
 * auth context's, the `X-MLFLOW-WORKSPACE` header as sent (none without it: no fallback); the listings
 * (`batch_resolve_*`) read MLflow's request workspace, which is `default` without the header.
 */
export type WorkspaceSource = 'header' | 'mlflow';

function fallbackWorkspace(deps: OidcAuthDeps, req: OidcRequest, source: WorkspaceSource) {
  if (!deps.settings.MLFLOW_ENABLE_WORKSPACES) return undefined;
  return req.workspace ?? (source === 'mlflow' ? DEFAULT_WORKSPACE : undefined);
}

/**
 * A user's effective permission on an experiment (`effective_experiment_permission`). The regex sources match the
 * experiment's name, read from MLflow only when they are reached; a missing experiment has no name and so no
 * regex match (the plugin's RESOURCE_DOES_NOT_EXIST is skipped the same way).
 */
export async function experimentPermission(
  deps: OidcAuthDeps,
  req: OidcRequest,
  user: UserRow,
  experimentId: string,
  o: { name?: string; workspace?: WorkspaceSource } = {},
): Promise<ResolvedPermission> {
  const rules = { table: 'experiment' as const, key: experimentId };
  let name = o.name;
  if (name === undefined && regexReached(deps, deps.store.sources(rules, undefined, user)))
    name = (await getExperiment(deps, req, experimentId))?.name;
  const lookup = deps.store.sources(
    rules,
    name === undefined ? undefined : { table: 'experiment', name },
    user,
  );
  return withWorkspace(deps, req, user, o.workspace ?? 'header', lookup);
}

/**
 * A user's effective permission on a registered model, or on a prompt: prompts share the registered-model user and
 * group rules but have regex rules of their own (§4.3).
 */
export function modelPermission(
  deps: OidcAuthDeps,
  req: OidcRequest,
  user: UserRow,
  name: string,
  o: { prompt?: boolean; workspace?: WorkspaceSource } = {},
): ResolvedPermission {
  const lookup = deps.store.sources(
    { table: 'registered_model', key: name },
    { table: o.prompt ? 'prompt' : 'registered_model', name },
    user,
  );
  return withWorkspace(deps, req, user, o.workspace ?? 'header', lookup);
}

/** Whether resolution gets past the exact sources to a regex one (so the resource's name is needed). */
function regexReached(deps: OidcAuthDeps, exact: ReturnType<OidcAuthDeps['store']['sources']>): boolean {
  for (const source of deps.settings.PERMISSION_SOURCE_ORDER) {
    if (source === 'regex' || source === 'group-regex') return true;
    if (exact(source) !== undefined) return false;
  }
  return false;
}

function withWorkspace(
  deps: OidcAuthDeps,
  req: OidcRequest,
  user: UserRow,
  source: WorkspaceSource,
  lookup: ReturnType<OidcAuthDeps['store']['sources']>,
): ResolvedPermission {
  const workspace = fallbackWorkspace(deps, req, source);
  return resolvePermission(
    lookup,
    deps.settings.PERMISSION_SOURCE_ORDER,
    deps.settings.DEFAULT_MLFLOW_PERMISSION,
    workspace === undefined ? undefined : { permission: workspacePermission(deps, user, workspace) },
  );
}

/**
 * `get_workspace_permission_cached` (`_lookup_workspace_permission`): the first source in PERMISSION_SOURCE_ORDER
 * with an answer. Groups: the strongest rule. Regex: among the rules of the lowest priority that matches, the
 * strongest permission (`_match_workspace_regex_permission`). Undefined: no workspace permission at all.
 */
export function workspacePermission(
  deps: OidcAuthDeps,
  user: UserRow | undefined,
  workspace: string,
): PermissionName | undefined {
  if (!user) return undefined;
  const store = deps.store;
  const regexOver = (principals: Array<{ user: number } | { group: number }>) => {
    const rules = principals
      .flatMap((p) => store.patternsOf('workspace', p))
      .sort((a, b) => a.priority - b.priority || a.id - b.id);
    let best: { permission: PermissionName; priority: number } | undefined;
    for (const rule of rules) {
      if (best && rule.priority > best.priority) break;
      if (!pythonMatch(rule.regex, workspace)) continue;
      if (!best || PERMISSIONS[rule.permission].priority > PERMISSIONS[best.permission].priority)
        best = { permission: rule.permission, priority: best?.priority ?? rule.priority };
    }
    return best?.permission;
  };
  for (const source of deps.settings.PERMISSION_SOURCE_ORDER) {
    let found: PermissionName | undefined;
    if (source === 'user') found = store.rule('workspace', workspace, { user: user.id })?.permission;
    else if (source === 'group')
      found = strongestOf(
        user.groupIds
          .map((group) => store.rule('workspace', workspace, { group })?.permission)
          .filter((p): p is PermissionName => p !== undefined),
      );
    else if (source === 'regex') found = regexOver([{ user: user.id }]);
    else found = regexOver(user.groupIds.map((group) => ({ group })));
    if (found !== undefined) return found;
  }
  return undefined;
}
