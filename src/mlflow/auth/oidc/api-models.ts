// Registered-model and prompt permissions through the plugin's REST API (mlflow-oidc-auth.md §4.3, §4.8;
// `routers/registered_model_permissions.py`, `routers/prompt_permissions.py`, and their parts of
// `routers/user_permissions.py` and `routers/group_permissions.py`). Prompts are registered models: they share the
// user and group rules (a group rule made through the prompt routes carries `prompt`, which only decides the
// listings), but have regex rules of their own. The two flavours differ in wording, so each route takes one.
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
  type Route,
  type RouteContext,
} from './api-fastapi.js';
import { exactUser, fetchAllRegisteredModels, modelPermission, userOrNotFound } from './api-lookups.js';
import { grantPattern, orFail, patternOf, patternsOf, revokePattern, updatePattern } from './api-patterns.js';
import { detailError } from './errors.js';
import { isPermissionName, PERMISSION_NAMES, PERMISSIONS } from './permissions.js';
import type { OidcAuthDeps } from './types.js';

const PERMISSIONS_PATH = '/api/2.0/mlflow/permissions';

interface Flavor {
  prompt: boolean;
  /** The regex table: prompts have their own. */
  patterns: 'registered_model' | 'prompt';
  /** "Registered model" / "Prompt", as the messages start. */
  Title: string;
  /** "registered model" / "prompt", inside messages. */
  title: string;
  /** The key wrapping one rule: `registered_model_permission` / `prompt_permission`. */
  key: string;
  /** The path segment in the user and group routers. */
  segment: string;
}

const MODEL: Flavor = {
  prompt: false,
  patterns: 'registered_model',
  Title: 'Registered model',
  title: 'registered model',
  key: 'registered_model_permission',
  segment: 'registered-models',
};

const PROMPT: Flavor = {
  prompt: true,
  patterns: 'prompt',
  Title: 'Prompt',
  title: 'prompt',
  key: 'prompt_permission',
  segment: 'prompts',
};

/**
 * `check_registered_model_manage_permission` and `check_prompt_manage_permission`: admin, or `can_manage` on the
 * registered model of that name (by the registered-model regexes, for prompts too).
 */
function manageModel({ deps, req, identity }: RouteContext, name: string): void {
  if (callerIsAdmin(identity)) return;
  if (!modelPermission(deps, req, identity.user!, name).permission.canManage)
    throw detailError(403, `Insufficient permissions to manage ${name}`);
}

// --- routers/registered_model_permissions.py and routers/prompt_permissions.py ------------------------------------

function resourceRoutes(f: Flavor, base: string, param: 'name' | 'prompt_name'): Route[] {
  return [
    route('GET', `${base}/{${param}:path}/users`, async (c) => {
      const name = c.params[param];
      manageModel(c, name);
      const { store } = c.deps;
      return json(
        store.users().flatMap((user) => {
          const rule = store.rule('registered_model', name, { user: user.id });
          const kind = user.isServiceAccount ? 'service-account' : 'user';
          return rule ? [{ name: user.username, permission: rule.permission, kind }] : [];
        }),
      );
    }),
    route('GET', `${base}/{${param}:path}/groups`, async (c) => {
      const name = c.params[param];
      manageModel(c, name);
      const { store } = c.deps;
      return json(
        store.rulesFor('registered_model', name).flatMap((rule) => {
          if (!('group' in rule.principal) || Boolean(rule.prompt) !== f.prompt) return [];
          const id = rule.principal.group;
          const group = store.groups().find((g) => g.id === id);
          return group ? [{ name: group.name, permission: rule.permission, kind: 'group' }] : [];
        }),
      );
    }),
    /** The models (or prompts) the caller may manage, all for an admin; the entity's fields, not MLflow's JSON. */
    route('GET', base, async ({ deps, req, identity }) => {
      const isAdmin = callerIsAdmin(identity);
      const all = await fetchAllRegisteredModels(deps, req, { prompts: f.prompt });
      return json(
        all
          .filter(
            (m) =>
              isAdmin ||
              modelPermission(deps, req, identity.user!, m.name, { prompt: f.prompt, workspace: 'mlflow' })
                .permission.canManage,
          )
          .map((m) => ({ name: m.name, tags: m.tags, description: m.description, aliases: m.aliases })),
      );
    }),
  ];
}

export const promptRouterRoutes = resourceRoutes(PROMPT, `${PERMISSIONS_PATH}/prompts`, 'prompt_name');
export const registeredModelRouterRoutes = resourceRoutes(
  MODEL,
  `${PERMISSIONS_PATH}/registered-models`,
  'name',
);

// --- routers/user_permissions.py ------------------------------------------------------------------------------------

function userRuleRoutes(f: Flavor): Route[] {
  const base = `${PERMISSIONS_PATH}/users/{username}/${f.segment}`;
  return [
    /** The resources with the user's effective permission (the filters of the experiment listing, §4.8). */
    route('GET', base, async ({ deps, req, identity, params }) => {
      const isAdmin = callerIsAdmin(identity);
      const all = await fetchAllRegisteredModels(deps, req, { prompts: f.prompt });
      const target = userOrNotFound(deps, params.username);
      const opts = { prompt: f.prompt, workspace: 'mlflow' as const };
      const out = [];
      for (const m of all) {
        const resolved = modelPermission(deps, req, target, m.name, opts);
        const shown = isAdmin
          ? true
          : identity.username === params.username
            ? resolved.permission !== PERMISSIONS.NO_PERMISSIONS
            : modelPermission(deps, req, identity.user!, m.name, opts).permission.canManage;
        if (shown) out.push({ name: m.name, permission: resolved.permission.name, kind: resolved.kind });
      }
      return json(out);
    }),
    /**
     * A second rule is a 409 and an unknown permission a 400, both `{"detail": …}` here; an unknown user passes
     * through to the MlflowException handler (404).
     */
    route('POST', `${base}/{name:path}`, async (c) => {
      const { deps, req, params } = c;
      manageModel(c, params.name);
      const body = bodyModel(req, { permission: { kind: 'str' } });
      rejectProblems(body.problems);
      const permission = String(body.value!.permission);
      if (!isPermissionName(permission)) throw detailError(400, invalidPermission(permission));
      const user = userOrNotFound(deps, params.username);
      if (!deps.store.addRule('registered_model', params.name, { user: user.id }, permission))
        throw detailError(409, `${f.Title} permission already exists`);
      return statusMessage(`${f.Title} permission created for ${params.username} on ${params.name}`, 201);
    }),
    route('GET', `${base}/{name:path}`, async (c) => {
      const { deps, params } = c;
      manageModel(c, params.name);
      const user = exactUser(deps, params.username);
      const rule = user && deps.store.rule('registered_model', params.name, { user: user.id });
      if (!user || !rule) throw detailError(404, `${f.Title} permission not found`);
      return json({
        [f.key]: {
          name: params.name,
          user_id: user.id,
          permission: rule.permission,
          group_id: null,
          prompt: false,
        },
      });
    }),
    route('PATCH', `${base}/{name:path}`, async (c) => {
      const { deps, req, params } = c;
      manageModel(c, params.name);
      const body = bodyModel(req, { permission: { kind: 'str' } });
      rejectProblems(body.problems);
      const permission = String(body.value!.permission);
      if (!isPermissionName(permission)) throw detailError(400, invalidPermission(permission));
      const user = exactUser(deps, params.username);
      if (!user || !deps.store.rule('registered_model', params.name, { user: user.id }))
        throw detailError(404, `${f.Title} permission does not exist`);
      deps.store.putRule('registered_model', params.name, { user: user.id }, permission);
      return statusMessage(`${f.Title} permission updated for ${params.username} on ${params.name}`);
    }),
    route('DELETE', `${base}/{name:path}`, async (c) => {
      const { deps, params } = c;
      manageModel(c, params.name);
      const user = exactUser(deps, params.username);
      if (!user || !deps.store.deleteRule('registered_model', params.name, { user: user.id }))
        throw detailError(500, `Failed to delete ${f.title} permission`);
      return statusMessage(`${f.Title} permission deleted for ${params.username} on ${params.name}`);
    }),
  ];
}

/** `_validate_permission`'s message (D6c), which these routers put in `detail`. */
const invalidPermission = (name: string) =>
  `Invalid permission '${name}'. Valid permissions are: (${PERMISSION_NAMES.map((n) => `'${n}'`).join(', ')})`;

const REGEX_BODY = {
  regex: { kind: 'str' },
  priority: { kind: 'int' },
  permission: { kind: 'str' },
} as const;
type RegexRule = { regex: string; priority: number; permission: string };

/** `RegisteredModelRegexPermissionRecord`. */
const userPatternJson = (
  p: { id: number; regex: string; priority: number; permission: string },
  user: number,
  prompt: boolean,
) => ({ id: p.id, regex: p.regex, priority: p.priority, user_id: user, permission: p.permission, prompt });

function userPatternRoutes(f: Flavor): Route[] {
  const base = `${PERMISSIONS_PATH}/users/{username}/${f.segment}-patterns`;
  const userOf = (deps: OidcAuthDeps, username: string) => exactUser(deps, username);
  const principalOf = (deps: OidcAuthDeps, username: string) => {
    const user = userOf(deps, username);
    return user && { user: user.id };
  };
  const list = route('GET', base, async ({ deps, identity, params }) => {
    requireAdmin(identity);
    const user = userOf(deps, params.username);
    if (!user) throw detailError(500, `Failed to retrieve ${f.title} pattern permissions`);
    return json(
      patternsOf(deps, f.patterns, { user: user.id }).map((p) => userPatternJson(p, user.id, f.prompt)),
    );
  });
  const create = route('POST', base, async ({ deps, req, identity, params }) => {
    requireAdmin(identity);
    const body = bodyModel(req, REGEX_BODY);
    rejectProblems(body.problems);
    orFail(
      () =>
        grantPattern(
          deps,
          f.patterns,
          principalOf(deps, params.username),
          body.value as RegexRule,
          'regex-first',
        ),
      () => detailError(500, `Failed to create ${f.title} pattern permission`),
    );
    return statusMessage(`${f.Title} pattern permission created for ${params.username}`, 201);
  });
  return [
    list,
    create,
    route('GET', `${base}/{id}`, async ({ deps, identity, params }) => {
      requireAdmin(identity);
      const id = pythonInt(params.id);
      if (id === undefined) throw INVALID_PATTERN_ID();
      const user = userOf(deps, params.username);
      const found = user && patternOf(deps, f.patterns, { user: user.id }, id);
      if (!user || !found) throw detailError(404, `${f.Title} pattern permission not found`);
      return json({ [f.key]: userPatternJson(found, user.id, f.prompt) });
    }),
    route('PATCH', `${base}/{id}`, async ({ deps, req, identity, params }) => {
      requireAdmin(identity);
      const body = bodyModel(req, REGEX_BODY);
      rejectProblems(body.problems);
      const id = pythonInt(params.id);
      if (id === undefined) throw INVALID_PATTERN_ID();
      const user = userOf(deps, params.username);
      const updated = orFail(
        () =>
          updatePattern(
            deps,
            f.patterns,
            principalOf(deps, params.username),
            id,
            body.value as RegexRule,
            'regex-first',
          ),
        () => detailError(500, `Failed to update ${f.title} pattern permission`),
      );
      return json({ [f.key]: userPatternJson(updated, user!.id, f.prompt) });
    }),
    route('DELETE', `${base}/{id}`, async ({ deps, identity, params }) => {
      requireAdmin(identity);
      const id = pythonInt(params.id);
      if (id === undefined) throw INVALID_PATTERN_ID();
      orFail(
        () => revokePattern(deps, f.patterns, principalOf(deps, params.username), id),
        () => detailError(500, `Failed to delete ${f.title} pattern permission`),
      );
      return json({ status: 'success' });
    }),
  ];
}

export const userPromptRoutes = [...userRuleRoutes(PROMPT), ...userPatternRoutes(PROMPT)];
export const userRegisteredModelRoutes = userRuleRoutes(MODEL);
export const userRegisteredModelPatternRoutes = userPatternRoutes(MODEL);

// --- routers/group_permissions.py ----------------------------------------------------------------------------------

function groupRuleRoutes(f: Flavor): Route[] {
  const base = `${PERMISSIONS_PATH}/groups/{group_name:path}/${f.segment}`;
  const param = f.prompt ? ('prompt_name' as const) : ('name' as const);
  /** These routes check inside the handler, after the body is validated (unlike the dependency-based ones). */
  const manage = ({ deps, req, identity }: RouteContext, isAdmin: boolean, name: string) => {
    if (isAdmin) return;
    if (!modelPermission(deps, req, identity.user!, name, { prompt: f.prompt }).permission.canManage)
      throw detailError(403, `Insufficient permissions to manage ${f.title} ${name}`);
  };
  const on = (name: string) => (f.prompt ? `on prompt ${name}` : `on model ${name}`);
  /** The rule a group route may change: a prompt route only a `prompt` one; a model route any. */
  const ruleOf = (deps: OidcAuthDeps, group: number, name: string) => {
    const rule = deps.store.rule('registered_model', name, { group });
    return rule && (!f.prompt || rule.prompt) ? rule : undefined;
  };
  return [
    route('GET', base, async ({ deps, req, identity, params }) => {
      const isAdmin = callerIsAdmin(identity);
      const group = deps.store.group(params.group_name);
      if (!group)
        throw detailError(
          500,
          f.prompt
            ? 'Failed to get group prompt permissions'
            : 'Failed to retrieve group registered model permissions',
        );
      const items = deps.store
        .rulesOf('registered_model', { group: group.id })
        .filter((rule) => !f.prompt || rule.prompt)
        .filter(
          (rule) =>
            isAdmin ||
            modelPermission(deps, req, identity.user!, rule.key, { prompt: f.prompt }).permission.canManage,
        )
        .map((rule) => ({ name: rule.key, permission: rule.permission, kind: 'group' }));
      return json(items);
    }),
    route('POST', `${base}/{${param}:path}`, async (c) => {
      const { deps, req, identity, params } = c;
      const isAdmin = callerIsAdmin(identity);
      const body = bodyModel(req, { permission: { kind: 'str' } });
      rejectProblems(body.problems);
      const name = params[param];
      manage(c, isAdmin, name);
      const group = deps.store.group(params.group_name);
      const permission = String(body.value!.permission);
      if (
        !group ||
        !isPermissionName(permission) ||
        !deps.store.addRule('registered_model', name, { group: group.id }, permission, { prompt: f.prompt })
      )
        throw detailError(500, `Failed to create group ${f.title} permission`);
      return statusMessage(`${f.Title} permission created for group ${params.group_name} ${on(name)}`, 201);
    }),
    route('PATCH', `${base}/{${param}:path}`, async (c) => {
      const { deps, req, identity, params } = c;
      const isAdmin = callerIsAdmin(identity);
      const body = bodyModel(req, { permission: { kind: 'str' } });
      rejectProblems(body.problems);
      const name = params[param];
      manage(c, isAdmin, name);
      const group = deps.store.group(params.group_name);
      const permission = String(body.value!.permission);
      if (!group || !isPermissionName(permission) || !ruleOf(deps, group.id, name))
        throw detailError(500, `Failed to update group ${f.title} permission`);
      deps.store.putRule('registered_model', name, { group: group.id }, permission);
      return statusMessage(`${f.Title} permission updated for group ${params.group_name} ${on(name)}`);
    }),
    route('DELETE', `${base}/{${param}:path}`, async (c) => {
      const { deps, identity, params } = c;
      const isAdmin = callerIsAdmin(identity);
      const name = params[param];
      manage(c, isAdmin, name);
      const group = deps.store.group(params.group_name);
      if (!group || !ruleOf(deps, group.id, name))
        throw detailError(500, `Failed to delete group ${f.title} permission`);
      deps.store.deleteRule('registered_model', name, { group: group.id });
      return statusMessage(`${f.Title} permission deleted for group ${params.group_name} ${on(name)}`);
    }),
  ];
}

/** `Group{RegisteredModel,Prompt}RegexPermissionItem`. */
const groupPatternJson = (
  p: { id: number; regex: string; priority: number; permission: string },
  group: number,
  prompt: boolean,
) => ({
  id: p.id,
  regex: p.regex,
  priority: p.priority,
  group_id: group,
  permission: p.permission,
  prompt,
  kind: 'group',
});

function groupPatternRoutes(f: Flavor): Route[] {
  const base = `${PERMISSIONS_PATH}/groups/{group_name:path}/${f.segment}-patterns`;
  const principalOf = (deps: OidcAuthDeps, name: string) => {
    const group = deps.store.group(name);
    return group && { group: group.id };
  };
  return [
    route('GET', base, async ({ deps, identity, params }) => {
      requireAdmin(identity);
      const principal = principalOf(deps, params.group_name);
      if (!principal) throw detailError(500, `Failed to get group ${f.title} pattern permissions`);
      return json(
        patternsOf(deps, f.patterns, principal).map((p) => groupPatternJson(p, principal.group, f.prompt)),
      );
    }),
    route('POST', base, async ({ deps, req, identity, params }) => {
      requireAdmin(identity);
      const body = bodyModel(req, REGEX_BODY);
      rejectProblems(body.problems);
      orFail(
        () =>
          grantPattern(
            deps,
            f.patterns,
            principalOf(deps, params.group_name),
            body.value as RegexRule,
            'permission-first',
          ),
        () => detailError(500, `Failed to create group ${f.title} pattern permission`),
      );
      return statusMessage(`${f.Title} pattern permission created for group ${params.group_name}`, 201);
    }),
    route('GET', `${base}/{id}`, async ({ deps, identity, params }) => {
      requireAdmin(identity);
      const id = intParam(params.id, 'id');
      rejectProblems(id.problems);
      const principal = principalOf(deps, params.group_name);
      const found = principal && patternOf(deps, f.patterns, principal, id.value!);
      if (!principal || !found) throw detailError(500, `Failed to get group ${f.title} pattern permission`);
      return json(groupPatternJson(found, principal.group, f.prompt));
    }),
    route('PATCH', `${base}/{id}`, async ({ deps, req, identity, params }) => {
      requireAdmin(identity);
      const id = intParam(params.id, 'id');
      const body = bodyModel(req, REGEX_BODY);
      rejectProblems(id.problems, body.problems);
      orFail(
        () =>
          updatePattern(
            deps,
            f.patterns,
            principalOf(deps, params.group_name),
            id.value!,
            body.value as RegexRule,
            'permission-first',
          ),
        () => detailError(500, `Failed to update group ${f.title} pattern permission`),
      );
      return statusMessage(`${f.Title} pattern permission updated for group ${params.group_name}`);
    }),
    route('DELETE', `${base}/{id}`, async ({ deps, identity, params }) => {
      requireAdmin(identity);
      const id = intParam(params.id, 'id');
      rejectProblems(id.problems);
      orFail(
        () => revokePattern(deps, f.patterns, principalOf(deps, params.group_name), id.value!),
        () => detailError(500, `Failed to delete group ${f.title} pattern permission`),
      );
      return statusMessage(`${f.Title} pattern permission deleted for group ${params.group_name}`);
    }),
  ];
}

export const groupRegisteredModelRoutes = groupRuleRoutes(MODEL);
export const groupPromptRoutes = groupRuleRoutes(PROMPT);
export const groupRegisteredModelPatternRoutes = groupPatternRoutes(MODEL);
export const groupPromptPatternRoutes = groupPatternRoutes(PROMPT);
