// Experiment permissions through the plugin's REST API (mlflow-oidc-auth.md §4.8, appendix P1d-P1f, D4-D7, D10;
// `routers/experiment_permissions.py`, the experiment parts of `routers/user_permissions.py` and
// `routers/group_permissions.py`, `dependencies.py check_experiment_manage_permission`): user and group rules on
// one experiment, regex rules, and the listings.
import {
  bodyModel,
  callerIsAdmin,
  INVALID_PATTERN_ID,
  intParam,
  json,
  pythonInt,
  rejectProblems,
  requireAdmin,
  route,
  statusMessage,
  type RouteContext,
} from './api-fastapi.js';
import {
  experimentPermission,
  getExperiment,
  searchExperiments,
  userOrNotFound,
  exactUser,
} from './api-lookups.js';
import { grantPattern, orFail, patternOf, patternsOf, revokePattern, updatePattern } from './api-patterns.js';
import { detailError, pluginMlflowError } from './errors.js';
import { isPermissionName, permissionNamed, PERMISSIONS } from './permissions.js';
import type { OidcAuthDeps } from './types.js';

const EXPERIMENTS = '/api/2.0/mlflow/permissions/experiments';
const USERS = '/api/2.0/mlflow/permissions/users';
const GROUPS = '/api/2.0/mlflow/permissions/groups';

// --- routers/experiment_permissions.py -----------------------------------------------------------------------------

export const experimentRouterRoutes = [
  route('GET', `${EXPERIMENTS}/{experiment_id}/users`, experimentUsers),
  route('GET', `${EXPERIMENTS}/{experiment_id}/groups`, experimentGroups),
  route('GET', EXPERIMENTS, manageableExperiments),
];

/**
 * `Depends(check_experiment_manage_permission)`: admin, or `can_manage` on the experiment by the caller's effective
 * permission (D4). Runs before the body is validated.
 */
async function manageExperiment({ deps, req, identity }: RouteContext, experimentId: string): Promise<void> {
  if (callerIsAdmin(identity)) return;
  const resolved = await experimentPermission(deps, req, identity.user!, experimentId);
  if (!resolved.permission.canManage)
    throw detailError(403, `Insufficient permissions to manage experiment ${experimentId}`);
}

/** `GET …/experiments/{id}/users`: every user with a rule on it, in user order (P1e). */
async function experimentUsers(c: RouteContext) {
  const id = c.params.experiment_id;
  await manageExperiment(c, id);
  const { store } = c.deps;
  return json(
    store.users().flatMap((user) => {
      const rule = store.rule('experiment', id, { user: user.id });
      return rule
        ? [
            {
              name: user.username,
              permission: rule.permission,
              kind: user.isServiceAccount ? 'service-account' : 'user',
            },
          ]
        : [];
    }),
  );
}

/** `GET …/experiments/{id}/groups` (D5g). */
async function experimentGroups(c: RouteContext) {
  const id = c.params.experiment_id;
  await manageExperiment(c, id);
  return json(groupRulesOn(c.deps, id));
}

function groupRulesOn(deps: OidcAuthDeps, experimentId: string) {
  return deps.store.rulesFor('experiment', experimentId).flatMap((rule) => {
    const group = 'group' in rule.principal ? rule.principal.group : undefined;
    const row = deps.store.groups().find((g) => g.id === group);
    return row ? [{ name: row.name, permission: rule.permission, kind: 'group' }] : [];
  });
}

/** `GET /permissions/experiments`: the experiments the caller may manage, all of them for an admin (D10). */
async function manageableExperiments({ deps, req, identity }: RouteContext) {
  const isAdmin = callerIsAdmin(identity);
  const all = await searchExperiments(deps, req);
  const shown = [];
  for (const e of all) {
    if (
      isAdmin ||
      (
        await experimentPermission(deps, req, identity.user!, e.experiment_id, {
          name: e.name,
          workspace: 'mlflow',
        })
      ).permission.canManage
    )
      shown.push({ name: e.name, id: e.experiment_id, tags: e.tags });
  }
  return json(shown);
}

// --- routers/user_permissions.py, experiments ---------------------------------------------------------------------

export const userExperimentRoutes = [
  route('GET', `${USERS}/{username}/experiments`, userExperiments),
  route('POST', `${USERS}/{username}/experiments/{experiment_id}`, createUserRule),
  route('GET', `${USERS}/{username}/experiments/{experiment_id}`, getUserRule),
  route('PATCH', `${USERS}/{username}/experiments/{experiment_id}`, updateUserRule),
  route('DELETE', `${USERS}/{username}/experiments/{experiment_id}`, deleteUserRule),
];

export const userExperimentPatternRoutes = [
  route('POST', `${USERS}/{username}/experiment-patterns`, createUserPattern),
  route('GET', `${USERS}/{username}/experiment-patterns`, listUserPatterns),
  route('GET', `${USERS}/{username}/experiment-patterns/{id}`, getUserPattern),
  route('PATCH', `${USERS}/{username}/experiment-patterns/{id}`, updateUserPattern),
  route('DELETE', `${USERS}/{username}/experiment-patterns/{id}`, deleteUserPattern),
];

/**
 * `GET /permissions/users/{u}/experiments` (P1f, D5f): MLflow's experiments with the user's effective permission
 * and where it came from (`kind`). An admin sees all; the user themself those not NO_PERMISSIONS; anyone else those
 * the caller may manage. Within the group source the plugin's batch path keeps whichever group rule it read last;
 * the lab takes the strongest, as the single-experiment check does (§4.3).
 */
async function userExperiments({ deps, req, identity, params }: RouteContext) {
  const isAdmin = callerIsAdmin(identity);
  const all = await searchExperiments(deps, req);
  const target = userOrNotFound(deps, params.username);
  const out = [];
  for (const e of all) {
    const opts = { name: e.name, workspace: 'mlflow' as const };
    const resolved = await experimentPermission(deps, req, target, e.experiment_id, opts);
    const shown = isAdmin
      ? true
      : identity.username === params.username
        ? resolved.permission !== PERMISSIONS.NO_PERMISSIONS
        : (await experimentPermission(deps, req, identity.user!, e.experiment_id, opts)).permission.canManage;
    if (shown)
      out.push({
        name: e.name,
        id: e.experiment_id,
        permission: resolved.permission.name,
        kind: resolved.kind,
      });
  }
  return json(out);
}

const PERMISSION_BODY = { permission: { kind: 'str' } } as const;

/**
 * `POST /permissions/users/{u}/experiments/{id}` (D6): the repository's errors reach the plugin's MlflowException
 * handler: an unknown permission 400 (D6c), an unknown user 404, a second rule 409 (D6b). The 409's message is the
 * repository's `f"Permission already exists ({id}, {user}): {IntegrityError}"`; the SQLAlchemy text is cut after
 * SQLite's constraint line (the real one goes on with the `[SQL: …]`, `[parameters: …]` and "Background on this
 * error" lines).
 */
async function createUserRule(c: RouteContext) {
  const { deps, req, params } = c;
  await manageExperiment(c, params.experiment_id);
  const body = bodyModel(req, PERMISSION_BODY);
  rejectProblems(body.problems);
  const permission = permissionNamed(body.value!.permission);
  const user = userOrNotFound(deps, params.username);
  if (!deps.store.addRule('experiment', params.experiment_id, { user: user.id }, permission.name))
    throw pluginMlflowError(
      'RESOURCE_ALREADY_EXISTS',
      `Permission already exists (${params.experiment_id}, ${params.username}): (sqlite3.IntegrityError) ` +
        'UNIQUE constraint failed: experiment_permissions.experiment_id, experiment_permissions.user_id',
    );
  return json({ message: 'Experiment permission has been created.' });
}

/** `_get_permission`'s RESOURCE_DOES_NOT_EXIST, which the routers let through (404). */
function userRuleOrNotFound(deps: OidcAuthDeps, experimentId: string, username: string) {
  const user = exactUser(deps, username);
  const rule = user && deps.store.rule('experiment', experimentId, { user: user.id });
  if (!user || !rule)
    throw pluginMlflowError(
      'RESOURCE_DOES_NOT_EXIST',
      `No permission for experiment_id=${experimentId}, user=${username}`,
    );
  return { user, rule };
}

/** `GET /permissions/users/{u}/experiments/{id}` (P1d). */
async function getUserRule(c: RouteContext) {
  const { deps, params } = c;
  await manageExperiment(c, params.experiment_id);
  const { user, rule } = userRuleOrNotFound(deps, params.experiment_id, params.username);
  return json({
    experiment_permission: {
      experiment_id: params.experiment_id,
      permission: rule.permission,
      user_id: user.id,
      group_id: null,
    },
  });
}

async function updateUserRule(c: RouteContext) {
  const { deps, req, params } = c;
  await manageExperiment(c, params.experiment_id);
  const body = bodyModel(req, PERMISSION_BODY);
  rejectProblems(body.problems);
  const permission = permissionNamed(body.value!.permission);
  const { user } = userRuleOrNotFound(deps, params.experiment_id, params.username);
  deps.store.putRule('experiment', params.experiment_id, { user: user.id }, permission.name);
  return json({ message: 'Experiment permission has been changed.' });
}

async function deleteUserRule(c: RouteContext) {
  const { deps, params } = c;
  await manageExperiment(c, params.experiment_id);
  const { user } = userRuleOrNotFound(deps, params.experiment_id, params.username);
  deps.store.deleteRule('experiment', params.experiment_id, { user: user.id });
  return json({ message: 'Experiment permission has been deleted.' });
}

const REGEX_BODY = {
  regex: { kind: 'str' },
  priority: { kind: 'int' },
  permission: { kind: 'str' },
} as const;

function regexBody(c: RouteContext) {
  const body = bodyModel(c.req, REGEX_BODY);
  return {
    problems: body.problems,
    rule: body.value as { regex: string; priority: number; permission: string } | undefined,
  };
}

/** The user regex routes (admin only): any repository failure is the route's own 500. */
async function createUserPattern(c: RouteContext) {
  const { deps, identity, params } = c;
  requireAdmin(identity);
  const { problems, rule } = regexBody(c);
  rejectProblems(problems);
  const principal = userPrincipal(deps, params.username);
  orFail(
    () => grantPattern(deps, 'experiment', principal, rule!, 'regex-first'),
    () => detailError(500, 'Failed to create experiment pattern permission'),
  );
  return statusMessage(`Experiment pattern permission created for ${params.username}`, 201);
}

const userPrincipal = (deps: OidcAuthDeps, username: string) => {
  const user = exactUser(deps, username);
  return user && { user: user.id };
};

/** `ExperimentRegexPermission`: its `id` is a string. */
const userPatternJson = (p: { id: number; regex: string; priority: number; permission: string }) => ({
  id: String(p.id),
  regex: p.regex,
  priority: p.priority,
  permission: p.permission,
});

async function listUserPatterns({ deps, identity, params }: RouteContext) {
  requireAdmin(identity);
  const principal = userPrincipal(deps, params.username);
  if (!principal) throw detailError(500, 'Failed to retrieve experiment pattern permissions');
  return json(patternsOf(deps, 'experiment', principal).map(userPatternJson));
}

async function getUserPattern({ deps, identity, params }: RouteContext) {
  requireAdmin(identity);
  const id = pythonInt(params.id);
  if (id === undefined) throw INVALID_PATTERN_ID();
  const principal = userPrincipal(deps, params.username);
  const found = principal && patternOf(deps, 'experiment', principal, id);
  if (!found) throw detailError(404, 'Experiment pattern permission not found');
  return json(userPatternJson(found));
}

async function updateUserPattern(c: RouteContext) {
  const { deps, identity, params } = c;
  requireAdmin(identity);
  const { problems, rule } = regexBody(c);
  rejectProblems(problems);
  const id = pythonInt(params.id);
  if (id === undefined) throw INVALID_PATTERN_ID();
  orFail(
    () => updatePattern(deps, 'experiment', userPrincipal(deps, params.username), id, rule!, 'regex-first'),
    () => detailError(500, 'Failed to update experiment pattern permission'),
  );
  return statusMessage(`Experiment pattern permission updated for ${params.username}`);
}

async function deleteUserPattern({ deps, identity, params }: RouteContext) {
  requireAdmin(identity);
  const id = pythonInt(params.id);
  if (id === undefined) throw INVALID_PATTERN_ID();
  orFail(
    () => revokePattern(deps, 'experiment', userPrincipal(deps, params.username), id),
    () => detailError(500, 'Failed to delete experiment pattern permission'),
  );
  return statusMessage(`Experiment pattern permission deleted for ${params.username}`);
}

// --- routers/group_permissions.py, experiments --------------------------------------------------------------------

export const groupExperimentRoutes = [
  route('GET', `${GROUPS}/{group_name:path}/experiments`, groupExperiments),
  route('POST', `${GROUPS}/{group_name:path}/experiments/{experiment_id}`, createGroupRule),
  route('PATCH', `${GROUPS}/{group_name:path}/experiments/{experiment_id}`, updateGroupRule),
  route('DELETE', `${GROUPS}/{group_name:path}/experiments/{experiment_id}`, deleteGroupRule),
];

export const groupExperimentPatternRoutes = [
  route('GET', `${GROUPS}/{group_name:path}/experiment-patterns`, listGroupPatterns),
  route('POST', `${GROUPS}/{group_name:path}/experiment-patterns`, createGroupPattern),
  route('GET', `${GROUPS}/{group_name:path}/experiment-patterns/{id}`, getGroupPattern),
  route('PATCH', `${GROUPS}/{group_name:path}/experiment-patterns/{id}`, updateGroupPattern),
  route('DELETE', `${GROUPS}/{group_name:path}/experiment-patterns/{id}`, deleteGroupPattern),
];

/**
 * `GET /permissions/groups/{g}/experiments`: the group's rules on experiments the caller may manage, each named
 * from MLflow; an unknown group or experiment is the route's 500.
 */
async function groupExperiments({ deps, req, identity, params }: RouteContext) {
  const isAdmin = callerIsAdmin(identity);
  const failed = () => detailError(500, 'Failed to retrieve group experiment permissions');
  const group = deps.store.group(params.group_name);
  if (!group) throw failed();
  const items = [];
  for (const rule of deps.store.rulesOf('experiment', { group: group.id })) {
    if (!isAdmin && !(await experimentPermission(deps, req, identity.user!, rule.key)).permission.canManage)
      continue;
    const experiment = await getExperiment(deps, req, rule.key);
    if (!experiment) throw failed();
    items.push({ id: rule.key, name: experiment.name, permission: rule.permission, kind: 'group' });
  }
  return json(items);
}

/**
 * The group rule routes wrap every repository failure (an unknown group or permission, a second rule) in their own
 * 500 (D5).
 */
async function createGroupRule(c: RouteContext) {
  const { deps, req, params } = c;
  await manageExperiment(c, params.experiment_id);
  const body = bodyModel(req, PERMISSION_BODY);
  rejectProblems(body.problems);
  const group = deps.store.group(params.group_name);
  const permission = String(body.value!.permission);
  if (
    !group ||
    !isPermissionName(permission) ||
    !deps.store.addRule('experiment', params.experiment_id, { group: group.id }, permission)
  )
    throw detailError(500, 'Failed to create group experiment permission');
  return statusMessage(
    `Experiment permission created for group ${params.group_name} on experiment ${params.experiment_id}`,
    201,
  );
}

async function updateGroupRule(c: RouteContext) {
  const { deps, req, params } = c;
  await manageExperiment(c, params.experiment_id);
  const body = bodyModel(req, PERMISSION_BODY);
  rejectProblems(body.problems);
  const group = deps.store.group(params.group_name);
  const permission = String(body.value!.permission);
  if (
    !group ||
    !isPermissionName(permission) ||
    !deps.store.rule('experiment', params.experiment_id, { group: group.id })
  )
    throw detailError(500, 'Failed to update group experiment permission');
  deps.store.putRule('experiment', params.experiment_id, { group: group.id }, permission);
  return statusMessage(
    `Experiment permission updated for group ${params.group_name} on experiment ${params.experiment_id}`,
  );
}

async function deleteGroupRule(c: RouteContext) {
  const { deps, params } = c;
  await manageExperiment(c, params.experiment_id);
  const group = deps.store.group(params.group_name);
  if (!group || !deps.store.deleteRule('experiment', params.experiment_id, { group: group.id }))
    throw detailError(500, 'Failed to delete group experiment permission');
  return statusMessage(
    `Experiment permission deleted for group ${params.group_name} on experiment ${params.experiment_id}`,
  );
}

const groupPrincipal = (deps: OidcAuthDeps, name: string) => {
  const group = deps.store.group(name);
  return group && { group: group.id };
};

/** `GroupExperimentRegexPermissionItem` (D7a). */
const groupPatternJson = (
  p: { id: number; regex: string; priority: number; permission: string },
  group: number,
) => ({
  id: p.id,
  regex: p.regex,
  priority: p.priority,
  group_id: group,
  permission: p.permission,
  kind: 'group',
});

async function listGroupPatterns({ deps, identity, params }: RouteContext) {
  requireAdmin(identity);
  const principal = groupPrincipal(deps, params.group_name);
  if (!principal) throw detailError(500, 'Failed to get group experiment pattern permissions');
  return json(patternsOf(deps, 'experiment', principal).map((p) => groupPatternJson(p, principal.group)));
}

/** D7. The group repository checks the permission before the regex. */
async function createGroupPattern(c: RouteContext) {
  const { deps, identity, params } = c;
  requireAdmin(identity);
  const { problems, rule } = regexBody(c);
  rejectProblems(problems);
  orFail(
    () =>
      grantPattern(deps, 'experiment', groupPrincipal(deps, params.group_name), rule!, 'permission-first'),
    () => detailError(500, 'Failed to create group experiment pattern permission'),
  );
  return statusMessage(`Experiment pattern permission created for group ${params.group_name}`, 201);
}

async function getGroupPattern({ deps, identity, params }: RouteContext) {
  requireAdmin(identity);
  const id = intParam(params.id, 'id');
  rejectProblems(id.problems);
  const principal = groupPrincipal(deps, params.group_name);
  const found = principal && patternOf(deps, 'experiment', principal, id.value!);
  if (!principal || !found) throw detailError(500, 'Failed to get group experiment pattern permission');
  return json(groupPatternJson(found, principal.group));
}

async function updateGroupPattern(c: RouteContext) {
  const { deps, identity, params } = c;
  requireAdmin(identity);
  const id = intParam(params.id, 'id');
  const { problems, rule } = regexBody(c);
  rejectProblems(id.problems, problems);
  orFail(
    () =>
      updatePattern(
        deps,
        'experiment',
        groupPrincipal(deps, params.group_name),
        id.value!,
        rule!,
        'permission-first',
      ),
    () => detailError(500, 'Failed to update group experiment pattern permission'),
  );
  return statusMessage(`Experiment pattern permission updated for group ${params.group_name}`);
}

async function deleteGroupPattern({ deps, identity, params }: RouteContext) {
  requireAdmin(identity);
  const id = intParam(params.id, 'id');
  rejectProblems(id.problems);
  orFail(
    () => revokePattern(deps, 'experiment', groupPrincipal(deps, params.group_name), id.value!),
    () => detailError(500, 'Failed to delete group experiment pattern permission'),
  );
  return statusMessage(`Experiment pattern permission deleted for group ${params.group_name}`);
}
