// The plugin's effective permissions (mlflow-oidc-auth.md §4.3 "Resolving one permission", §4.7 "Workspaces";
// `utils/permissions.py` `resolve_permission`, `utils/workspace_cache.py`): the store's sources in
// PERMISSION_SOURCE_ORDER, the first with a rule deciding; regex rules matched on the resource's NAME; then
// DEFAULT_MLFLOW_PERMISSION, or with workspaces on the caller's permission in the request's workspace. Admins are
// the callers' business: nothing here looks at `isAdmin`.
//
// Unlike the plugin there is no 30 s cache: a grant counts from the next request, as measured (§4.3, D5b).
import { MlflowError, type MlflowErrorCode } from '../../emulator/errors.js';
import { OidcAuthError } from './errors.js';
import {
  PERMISSIONS,
  pythonMatch,
  resolvePermission,
  strongestOf,
  type PatternRule,
  type PermissionName,
  type PermissionSource,
  type ResolvedPermission,
  type SourceLookup,
} from './permissions.js';
import type { PatternTable, RuleTable } from './store.js';
import type { MlflowAnswer, OidcAuthDeps, OidcIdentity } from './types.js';

/** An MlflowException raised in a hook, as `catch_mlflow_exception` answers it: MLflow's own error JSON. */
export function mlflowError(code: MlflowErrorCode, message: string): OidcAuthError {
  const error = new MlflowError(code, message);
  return new OidcAuthError(error.status, JSON.stringify(error.toJSON()));
}

/**
 * A store call that failed: MLflow's REST answer carries the exception its store raised, so it is handed on as is
 * (an answer that is not MLflow's JSON becomes an INTERNAL_ERROR, as an unexpected exception would be a 500).
 */
export function failedLookup(answer: MlflowAnswer, what: string): OidcAuthError {
  if (answer.json !== undefined && typeof answer.json.error_code === 'string')
    return new OidcAuthError(answer.status, JSON.stringify(answer.json));
  return mlflowError('INTERNAL_ERROR', `Could not read ${what} from MLflow (HTTP ${answer.status})`);
}

const isNotFound = (answer: MlflowAnswer) =>
  answer.status === 404 && answer.json?.error_code === 'RESOURCE_DOES_NOT_EXIST';

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

/**
 * `_get_tracking_store().get_experiment(id).name`: undefined when MLflow has no such experiment (the plugin's
 * regex sources then count as "no rule"); any other failure is thrown (it reaches the client, §4.3).
 */
export async function experimentName(
  deps: OidcAuthDeps,
  experimentId: string,
  workspace: string | undefined,
): Promise<string | undefined> {
  const local = deps.mlflow.local?.experimentName(experimentId, workspace);
  if (local !== undefined) return local;
  const answer = await deps.mlflow.call('GET', '/api/2.0/mlflow/experiments/get', {
    query: { experiment_id: experimentId },
    workspace,
  });
  if (answer.status === 200) return String(record(answer.json?.experiment).name ?? '');
  if (isNotFound(answer)) return undefined;
  throw failedLookup(answer, `experiment ${experimentId}`);
}

/** What one resource's permission is resolved from: its exact rules, and how its name is had for the regexes. */
interface Subject {
  rules: { table: RuleTable; key: string };
  /** Undefined: no regex table for this kind (scorers have none in the lab's store). */
  patterns?: PatternTable;
  /** The name the regexes match, read only once a regex source is reached (for experiments a lookup by id). */
  name(): Promise<string | undefined>;
}

/**
 * `resolve_permission`: the exact sources first; the name is looked up only when a regex source is reached and the
 * user has a row (without one the plugin's regex listing fails as "not found" before any lookup). The workspace
 * fallback replaces `fallback` only (§4.7).
 */
async function resolve(
  deps: OidcAuthDeps,
  identity: OidcIdentity,
  subject: Subject,
  workspace: string | undefined,
): Promise<ResolvedPermission> {
  const { settings, store } = deps;
  const order = settings.PERMISSION_SOURCE_ORDER;
  const exact = store.sources(subject.rules, undefined, identity.user);
  let byName: SourceLookup = () => undefined;
  for (const source of order) {
    if (source === 'user' || source === 'group') {
      if (exact(source) !== undefined) break;
      continue;
    }
    if (identity.user === undefined) break;
    const name = await subject.name();
    if (name !== undefined && subject.patterns !== undefined)
      byName = store.sources(undefined, { table: subject.patterns, name }, identity.user);
    break;
  }
  const lookup: SourceLookup = (source) =>
    source === 'user' || source === 'group' ? exact(source) : byName(source);
  const fallbackToWorkspace = settings.MLFLOW_ENABLE_WORKSPACES && Boolean(workspace);
  return resolvePermission(
    lookup,
    order,
    settings.DEFAULT_MLFLOW_PERMISSION,
    fallbackToWorkspace ? { permission: workspaceRule(deps, workspace!, identity) } : undefined,
  );
}

/**
 * `effective_experiment_permission`: exact rules by experiment id, regexes on the experiment's name (looked up by
 * id in `workspace` unless the caller already has it, e.g. from a search result).
 */
export function experimentPermission(
  deps: OidcAuthDeps,
  experimentId: string,
  identity: OidcIdentity,
  workspace: string | undefined,
  knownName?: string,
): Promise<ResolvedPermission> {
  return resolve(
    deps,
    identity,
    {
      rules: { table: 'experiment', key: experimentId },
      patterns: 'experiment',
      name: async () => knownName ?? (await experimentName(deps, experimentId, workspace)),
    },
    workspace,
  );
}

/** `effective_registered_model_permission`: everything keyed by the model's name. */
export function registeredModelPermission(
  deps: OidcAuthDeps,
  name: string,
  identity: OidcIdentity,
  workspace: string | undefined,
): Promise<ResolvedPermission> {
  return resolve(
    deps,
    identity,
    { rules: { table: 'registered_model', key: name }, patterns: 'registered_model', name: async () => name },
    workspace,
  );
}

/**
 * `effective_prompt_permission`: the registered-model user and group tables, but the prompt regex tables
 * (`utils/permissions.py:155-172`, §4.3).
 */
export function promptPermission(
  deps: OidcAuthDeps,
  name: string,
  identity: OidcIdentity,
  workspace: string | undefined,
): Promise<ResolvedPermission> {
  return resolve(
    deps,
    identity,
    { rules: { table: 'registered_model', key: name }, patterns: 'prompt', name: async () => name },
    workspace,
  );
}

/**
 * `effective_scorer_permission`: rules keyed by (experiment id, scorer name). The plugin's scorer regex tables have
 * no counterpart in the lab's store, so only the exact sources and the fallback apply.
 */
export function scorerPermission(
  deps: OidcAuthDeps,
  experimentId: string,
  scorerName: string,
  identity: OidcIdentity,
  workspace: string | undefined,
): Promise<ResolvedPermission> {
  return resolve(
    deps,
    identity,
    { rules: { table: 'scorer', key: scorerKey(experimentId, scorerName) }, name: async () => scorerName },
    workspace,
  );
}

/** How the store keys a scorer's rules. */
export const scorerKey = (experimentId: string, scorerName: string) => `${experimentId}/${scorerName}`;

/**
 * `get_workspace_permission_cached`: the caller's permission in a workspace, from the first source with an answer;
 * none (or workspaces off) → NO_PERMISSIONS with kind `workspace-deny`, which every check reads as "no".
 */
export function workspacePermission(
  deps: OidcAuthDeps,
  workspace: string,
  identity: OidcIdentity,
): ResolvedPermission {
  const found = workspaceSource(deps, workspace, identity);
  return found
    ? { permission: PERMISSIONS[found.permission], kind: found.source }
    : { permission: PERMISSIONS.NO_PERMISSIONS, kind: 'workspace-deny' };
}

/** The workspace permission's name, or undefined when the plugin's lookup gives None. */
export function workspaceRule(
  deps: OidcAuthDeps,
  workspace: string,
  identity: OidcIdentity,
): PermissionName | undefined {
  return workspaceSource(deps, workspace, identity)?.permission;
}

function workspaceSource(
  deps: OidcAuthDeps,
  workspace: string,
  identity: OidcIdentity,
): { source: PermissionSource; permission: PermissionName } | undefined {
  const { settings, store } = deps;
  const user = identity.user;
  if (!settings.MLFLOW_ENABLE_WORKSPACES || user === undefined) return undefined;
  const bySource: Record<PermissionSource, () => PermissionName | undefined> = {
    user: () => store.rule('workspace', workspace, { user: user.id })?.permission,
    group: () =>
      strongestOf(
        user.groupIds
          .map((group) => store.rule('workspace', workspace, { group })?.permission)
          .filter((p): p is PermissionName => p !== undefined),
      ),
    regex: () => tieredMatch(store.patternsOf('workspace', { user: user.id }), workspace),
    'group-regex': () =>
      tieredMatch(
        user.groupIds.flatMap((group) => store.patternsOf('workspace', { group })),
        workspace,
      ),
  };
  for (const source of settings.PERMISSION_SOURCE_ORDER) {
    const permission = bySource[source]();
    if (permission !== undefined) return { source, permission };
  }
  return undefined;
}

/**
 * `_match_workspace_regex_permission`: unlike the resource regexes, every match in the lowest matching priority
 * tier counts and the one with the highest priority number wins (so NO_PERMISSIONS beats MANAGE there too).
 */
function tieredMatch(rules: readonly PatternRule[], name: string): PermissionName | undefined {
  const sorted = [...rules].sort((a, b) => a.priority - b.priority || a.id - b.id);
  let best: PatternRule | undefined;
  for (const rule of sorted) {
    if (best !== undefined && rule.priority > best.priority) break;
    if (!pythonMatch(rule.regex, name)) continue;
    if (best === undefined || PERMISSIONS[rule.permission].priority > PERMISSIONS[best.permission].priority)
      best = rule;
  }
  return best?.permission;
}
