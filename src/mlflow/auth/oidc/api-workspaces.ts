// Workspace permissions through the plugin's REST API, served only with MLFLOW_ENABLE_WORKSPACES (mlflow-oidc-auth.md
// §4.7, §4.8; `routers/workspace_permissions.py`, `routers/workspace_regex_permissions.py`,
// `dependencies.py check_workspace_{read,manage}_permission`, `sqlalchemy_store.py` workspace methods). These
// routers catch nothing: every repository MlflowException reaches the plugin's handler.
import {
  bodyModel,
  intParam,
  json,
  noContent,
  rejectProblems,
  requireAdmin,
  requiredQuery,
  route,
  type RouteContext,
} from './api-fastapi.js';
import { userOrNotFound, workspacePermission } from './api-lookups.js';
import { patternOf, patternsOf, ruleFailure } from './api-patterns.js';
import { detailError, OidcAuthError, pluginMlflowError } from './errors.js';
import { PERMISSIONS, permissionNamed, type PermissionName } from './permissions.js';
import type { Principal, StoredPattern } from './store.js';
import type { OidcAuthDeps } from './types.js';

const WORKSPACES = '/api/3.0/mlflow/permissions/workspaces';
const REGEX = `${WORKSPACES}/regex`;

export const workspaceRoutes = [
  route('GET', `${WORKSPACES}/{workspace}/users`, listUserRules),
  route('GET', `${WORKSPACES}/{workspace}/groups`, listGroupRules),
  route('POST', `${WORKSPACES}/{workspace}/users`, createUserRule),
  route('POST', `${WORKSPACES}/{workspace}/groups`, createGroupRule),
  route('PATCH', `${WORKSPACES}/{workspace}/users/{username}`, updateUserRule),
  route('PATCH', `${WORKSPACES}/{workspace}/groups/{group_name}`, updateGroupRule),
  route('DELETE', `${WORKSPACES}/{workspace}/users/{username}`, deleteUserRule),
  route('DELETE', `${WORKSPACES}/{workspace}/groups/{group_name}`, deleteGroupRule),
  route('POST', `${REGEX}/user`, createUserRegex),
  route('GET', `${REGEX}/user`, listUserRegexes),
  route('PATCH', `${REGEX}/user/{permission_id}`, updateUserRegex),
  route('DELETE', `${REGEX}/user/{permission_id}`, deleteUserRegex),
  route('POST', `${REGEX}/group`, createGroupRegex),
  route('GET', `${REGEX}/group`, listGroupRegexes),
  route('PATCH', `${REGEX}/group/{permission_id}`, updateGroupRegex),
  route('DELETE', `${REGEX}/group/{permission_id}`, deleteGroupRegex),
];

/**
 * `check_workspace_read_permission` / `check_workspace_manage_permission`: admin, or that much workspace
 * permission (§4.7). A caller the dependency cannot read gets 403 "Authentication required".
 */
function checkWorkspace({ deps, identity, params }: RouteContext, need: 'READ' | 'MANAGE'): void {
  if (!identity.user) throw detailError(403, 'Authentication required');
  if (identity.isAdmin) return;
  const name = workspacePermission(deps, identity.user, params.workspace);
  const permission = name === undefined ? undefined : PERMISSIONS[name];
  if (!permission || !(need === 'READ' ? permission.canRead : permission.canManage))
    throw detailError(403, `${need} permission required on workspace '${params.workspace}'`);
}

/** `get_group`'s RESOURCE_DOES_NOT_EXIST. */
function groupOrNotFound(deps: OidcAuthDeps, name: string) {
  const group = deps.store.group(name);
  if (!group) throw pluginMlflowError('RESOURCE_DOES_NOT_EXIST', `Group with name=${name} not found`);
  return group;
}

const userRules = (deps: OidcAuthDeps, workspace: string) =>
  deps.store.rulesFor('workspace', workspace).filter((r) => 'user' in r.principal);
const groupRules = (deps: OidcAuthDeps, workspace: string) =>
  deps.store.rulesFor('workspace', workspace).filter((r) => 'group' in r.principal);

async function listUserRules(c: RouteContext) {
  checkWorkspace(c, 'READ');
  const { deps, params } = c;
  return json(
    userRules(deps, params.workspace).map((r) => {
      const id = (r.principal as { user: number }).user;
      return {
        workspace: params.workspace,
        username: deps.store.userById(id)?.username ?? String(id),
        permission: r.permission,
      };
    }),
  );
}

async function listGroupRules(c: RouteContext) {
  checkWorkspace(c, 'READ');
  const { deps, params } = c;
  return json(
    groupRules(deps, params.workspace).map((r) => {
      const id = (r.principal as { group: number }).group;
      return {
        workspace: params.workspace,
        group_name: deps.store.groups().find((g) => g.id === id)?.name ?? String(id),
        permission: r.permission,
      };
    }),
  );
}

const USER_BODY = { username: { kind: 'str' }, permission: { kind: 'str' } } as const;
const GROUP_BODY = { group_name: { kind: 'str' }, permission: { kind: 'str' } } as const;

async function createUserRule(c: RouteContext) {
  checkWorkspace(c, 'MANAGE');
  const { deps, req, params } = c;
  const body = bodyModel(req, USER_BODY);
  rejectProblems(body.problems);
  const { username, permission } = body.value as { username: string; permission: string };
  const name = permissionNamed(permission).name;
  const user = userOrNotFound(deps, username);
  if (!deps.store.addRule('workspace', params.workspace, { user: user.id }, name))
    throw pluginMlflowError(
      'RESOURCE_ALREADY_EXISTS',
      `Workspace permission already exists for workspace=${params.workspace}, user_id=${user.id}`,
    );
  return json({ workspace: params.workspace, username, permission: name }, 201);
}

async function createGroupRule(c: RouteContext) {
  checkWorkspace(c, 'MANAGE');
  const { deps, req, params } = c;
  const body = bodyModel(req, GROUP_BODY);
  rejectProblems(body.problems);
  const { group_name, permission } = body.value as { group_name: string; permission: string };
  const name = permissionNamed(permission).name;
  const group = groupOrNotFound(deps, group_name);
  if (!deps.store.addRule('workspace', params.workspace, { group: group.id }, name))
    throw pluginMlflowError(
      'RESOURCE_ALREADY_EXISTS',
      `Workspace group permission already exists for workspace=${params.workspace}, group_id=${group.id}`,
    );
  return json({ workspace: params.workspace, group_name, permission: name }, 201);
}

/** The update body repeats the principal (the model requires it); the path's is the one used. */
async function updateUserRule(c: RouteContext) {
  checkWorkspace(c, 'MANAGE');
  const { deps, req, params } = c;
  const body = bodyModel(req, USER_BODY);
  rejectProblems(body.problems);
  const name = permissionNamed((body.value as { permission: string }).permission).name;
  const user = userOrNotFound(deps, params.username);
  userRuleOrNotFound(deps, params.workspace, user.id);
  deps.store.putRule('workspace', params.workspace, { user: user.id }, name);
  return json({ workspace: params.workspace, username: params.username, permission: name });
}

async function updateGroupRule(c: RouteContext) {
  checkWorkspace(c, 'MANAGE');
  const { deps, req, params } = c;
  const body = bodyModel(req, GROUP_BODY);
  rejectProblems(body.problems);
  const name = permissionNamed((body.value as { permission: string }).permission).name;
  const group = groupOrNotFound(deps, params.group_name);
  groupRuleOrNotFound(deps, params.workspace, group.id);
  deps.store.putRule('workspace', params.workspace, { group: group.id }, name);
  return json({ workspace: params.workspace, group_name: params.group_name, permission: name });
}

async function deleteUserRule(c: RouteContext) {
  checkWorkspace(c, 'MANAGE');
  const { deps, params } = c;
  const user = userOrNotFound(deps, params.username);
  userRuleOrNotFound(deps, params.workspace, user.id);
  deps.store.deleteRule('workspace', params.workspace, { user: user.id });
  return noContent();
}

async function deleteGroupRule(c: RouteContext) {
  checkWorkspace(c, 'MANAGE');
  const { deps, params } = c;
  const group = groupOrNotFound(deps, params.group_name);
  groupRuleOrNotFound(deps, params.workspace, group.id);
  deps.store.deleteRule('workspace', params.workspace, { group: group.id });
  return noContent();
}

function userRuleOrNotFound(deps: OidcAuthDeps, workspace: string, user: number) {
  if (!deps.store.rule('workspace', workspace, { user }))
    throw pluginMlflowError(
      'RESOURCE_DOES_NOT_EXIST',
      `Workspace permission not found for workspace=${workspace}, user_id=${user}`,
    );
}

function groupRuleOrNotFound(deps: OidcAuthDeps, workspace: string, group: number) {
  if (!deps.store.rule('workspace', workspace, { group }))
    throw pluginMlflowError(
      'RESOURCE_DOES_NOT_EXIST',
      `Workspace group permission not found for workspace=${workspace}, group_id=${group}`,
    );
}

// --- regex rules (admin only) ---------------------------------------------------------------------------------------

const USER_REGEX_BODY = {
  regex: { kind: 'str' },
  priority: { kind: 'int' },
  permission: { kind: 'str' },
  username: { kind: 'str' },
} as const;
const GROUP_REGEX_BODY = {
  regex: { kind: 'str' },
  priority: { kind: 'int' },
  permission: { kind: 'str' },
  group_name: { kind: 'str' },
} as const;

type UserRegexBody = { regex: string; priority: number; permission: string; username: string };
type GroupRegexBody = { regex: string; priority: number; permission: string; group_name: string };

/**
 * What the regex repositories refuse before the database, as the MlflowException handler answers it: a regex
 * `validate_regex` rejects is INVALID_STATE, 400 (which `pluginMlflowError` does not map); a bad permission 400.
 */
function checkRegexRule(
  rule: { regex: string; permission: string },
  order: 'regex-first' | 'permission-first',
) {
  const failure = ruleFailure(rule, order);
  if (failure?.code === 'INVALID_STATE')
    throw new OidcAuthError(
      400,
      JSON.stringify({ error_code: 'INVALID_STATE', message: failure.message, details: failure.message }),
    );
  if (failure) permissionNamed(rule.permission);
}

const regexJson = (p: { id: number; regex: string; priority: number; permission: PermissionName }) => ({
  id: p.id,
  regex: p.regex,
  priority: p.priority,
  permission: p.permission,
});

/** `_get_regex_permission` / `_get_group_regex_permission`: the principal's rule with that id, else 404. */
function regexRuleOrNotFound(deps: OidcAuthDeps, principal: Principal, id: number): StoredPattern {
  const found = patternOf(deps, 'workspace', principal, id);
  if (found) return found;
  throw pluginMlflowError(
    'RESOURCE_DOES_NOT_EXIST',
    'user' in principal
      ? `Permission not found for user_id: ${principal.user}, and id: ${id}`
      : `Permission not found for group_id: ${principal.group} and id: ${id}`,
  );
}

/** The route validates the permission, then the repository the regex and the permission again, then the user. */
async function createUserRegex({ deps, req, identity }: RouteContext) {
  requireAdmin(identity);
  const body = bodyModel(req, USER_REGEX_BODY);
  rejectProblems(body.problems);
  const rule = body.value as UserRegexBody;
  permissionNamed(rule.permission);
  checkRegexRule(rule, 'regex-first');
  const user = userOrNotFound(deps, rule.username);
  if (patternsOf(deps, 'workspace', { user: user.id }).some((p) => p.regex === rule.regex))
    throw pluginMlflowError(
      'RESOURCE_ALREADY_EXISTS',
      `Regex perm exists (${rule.regex},${rule.username}): (sqlite3.IntegrityError) UNIQUE constraint failed: ` +
        'workspace_regex_permissions.regex, workspace_regex_permissions.user_id',
    );
  const created = deps.store.addPattern('workspace', { user: user.id }, regexRule(rule));
  return json({ ...regexJson(created), username: rule.username }, 201);
}

const regexRule = (rule: { regex: string; priority: number; permission: string }) => ({
  regex: rule.regex,
  priority: rule.priority,
  permission: rule.permission as PermissionName,
});

/** Every user's rules; `username` is the user's id as a string (the router's own quirk). */
async function listUserRegexes({ deps, identity }: RouteContext) {
  requireAdmin(identity);
  return json(
    deps.store
      .users()
      .flatMap((u) => deps.store.patternsOf('workspace', { user: u.id }).map((p) => ({ p, owner: u.id })))
      .sort((a, b) => a.p.id - b.p.id)
      .map(({ p, owner }) => ({ ...regexJson(p), username: String(owner) })),
  );
}

async function updateUserRegex({ deps, req, identity, params }: RouteContext) {
  requireAdmin(identity);
  const id = intParam(params.permission_id, 'permission_id');
  const body = bodyModel(req, USER_REGEX_BODY);
  rejectProblems(id.problems, body.problems);
  const rule = body.value as UserRegexBody;
  permissionNamed(rule.permission);
  checkRegexRule(rule, 'regex-first');
  const user = userOrNotFound(deps, rule.username);
  const found = regexRuleOrNotFound(deps, { user: user.id }, id.value!);
  deps.store.updatePattern(found, regexRule(rule));
  return json({ ...regexJson(found), username: rule.username });
}

async function deleteUserRegex({ deps, req, identity, params }: RouteContext) {
  requireAdmin(identity);
  const id = intParam(params.permission_id, 'permission_id');
  const username = requiredQuery(req, 'username');
  rejectProblems(id.problems, username.problems);
  const user = userOrNotFound(deps, username.value);
  deps.store.deletePattern(regexRuleOrNotFound(deps, { user: user.id }, id.value!));
  return noContent();
}

/** The group repository checks the permission before the regex. */
async function createGroupRegex({ deps, req, identity }: RouteContext) {
  requireAdmin(identity);
  const body = bodyModel(req, GROUP_REGEX_BODY);
  rejectProblems(body.problems);
  const rule = body.value as GroupRegexBody;
  permissionNamed(rule.permission);
  checkRegexRule(rule, 'permission-first');
  const group = groupOrNotFound(deps, rule.group_name);
  if (patternsOf(deps, 'workspace', { group: group.id }).some((p) => p.regex === rule.regex))
    throw pluginMlflowError(
      'RESOURCE_ALREADY_EXISTS',
      `Group regex perm exists (${rule.regex},${rule.group_name}): (sqlite3.IntegrityError) UNIQUE constraint ` +
        'failed: workspace_group_regex_permissions.regex, workspace_group_regex_permissions.group_id',
    );
  const created = deps.store.addPattern('workspace', { group: group.id }, regexRule(rule));
  return json({ ...regexJson(created), group_name: rule.group_name }, 201);
}

/** Every group's rules; `group_name` is the group's id as a string. */
async function listGroupRegexes({ deps, identity }: RouteContext) {
  requireAdmin(identity);
  return json(
    deps.store
      .groups()
      .flatMap((g) => deps.store.patternsOf('workspace', { group: g.id }).map((p) => ({ p, owner: g.id })))
      .sort((a, b) => a.p.id - b.p.id)
      .map(({ p, owner }) => ({ ...regexJson(p), group_name: String(owner) })),
  );
}

async function updateGroupRegex({ deps, req, identity, params }: RouteContext) {
  requireAdmin(identity);
  const id = intParam(params.permission_id, 'permission_id');
  const body = bodyModel(req, GROUP_REGEX_BODY);
  rejectProblems(id.problems, body.problems);
  const rule = body.value as GroupRegexBody;
  permissionNamed(rule.permission);
  checkRegexRule(rule, 'permission-first');
  const group = groupOrNotFound(deps, rule.group_name);
  const found = regexRuleOrNotFound(deps, { group: group.id }, id.value!);
  deps.store.updatePattern(found, regexRule(rule));
  return json({ ...regexJson(found), group_name: rule.group_name });
}

async function deleteGroupRegex({ deps, req, identity, params }: RouteContext) {
  requireAdmin(identity);
  const id = intParam(params.permission_id, 'permission_id');
  const groupName = requiredQuery(req, 'group_name');
  rejectProblems(id.problems, groupName.problems);
  const group = groupOrNotFound(deps, groupName.value);
  deps.store.deletePattern(regexRuleOrNotFound(deps, { group: group.id }, id.value!));
  return noContent();
}
