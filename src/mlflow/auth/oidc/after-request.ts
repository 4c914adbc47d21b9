// mlflow-oidc-auth 7.3.1's Flask after-request hook (mlflow-oidc-auth.md §3.2, §4.3, §4.5, §4.7;
// `hooks/after_request.py`): on a successful MLflow answer, creators get MANAGE, a deleted or renamed registered
// model takes its rules along, a deleted scorer loses its rules, searches are filtered (`search-filters.ts`). An
// MlflowException on the way replaces the answer (`catch_mlflow_exception`): that is how a creator without a DB
// row gets a 404 for a resource that was nevertheless created (B1c).
import { ROUTES } from '../kubernetes/rules.js';
import { mlflowError, scorerKey } from './authz.js';
import { OidcAuthError } from './errors.js';
import { flaskPath, flaskRequest, modelName, text, type FlaskRequest } from './request-params.js';
import {
  filterListWorkspaces,
  filterSearchExperiments,
  filterSearchLoggedModels,
  filterSearchModelVersions,
  filterSearchRegisteredModels,
  type FilterContext,
} from './search-filters.js';
import type { Principal, RuleTable } from './store.js';
import type { OidcAuthDeps, OidcIdentity, OidcRequest } from './types.js';

const key = (method: string, path: string) => `${method} ${path}`;

type AfterHandler = (
  ctx: FilterContext & { req: OidcRequest },
  answer: { status: number; json: Record<string, unknown> },
) => Promise<Record<string, unknown> | undefined> | Record<string, unknown> | undefined;

/** The caller's DB row as the plugin's `get_user` finds it at that moment, or its 404 (§3.2, B1c). */
function userRow(ctx: FilterContext) {
  const user = ctx.deps.store.user(ctx.identity.username);
  if (!user)
    throw mlflowError('RESOURCE_DOES_NOT_EXIST', `User with username=${ctx.identity.username} not found`);
  return user;
}

/** `grant_permission(…, MANAGE)` for the creator; a rule already there is the table's UNIQUE constraint. */
function grantManage(
  ctx: FilterContext,
  table: RuleTable,
  resourceKey: string,
  duplicate: () => string,
): void {
  const user = userRow(ctx);
  if (!ctx.deps.store.addRule(table, resourceKey, { user: user.id }, 'MANAGE'))
    throw mlflowError('RESOURCE_ALREADY_EXISTS', duplicate());
}

/** SQLAlchemy's IntegrityError text, up to the constraint (the real one goes on with the SQL statement, D6b). */
const integrity = (table: string, columns: string[]) =>
  `(sqlite3.IntegrityError) UNIQUE constraint failed: ${columns.map((c) => `${table}.${c}`).join(', ')}`;

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

/** `request.get_json(force=True, silent=True)`: the body as JSON whatever its content type. */
function forcedJson(req: OidcRequest): Record<string, unknown> {
  if (req.json) return req.json;
  try {
    return record(JSON.parse(req.body.toString('utf8')));
  } catch {
    return {};
  }
}

/**
 * `rename_registered_model_permissions` then `rename_group_model_permissions`: each raises when the model has no
 * rules of its kind, after the user rules were already moved (separate sessions).
 */
function moveModelRules(ctx: FilterContext, from: string, to: string): void {
  const { store } = ctx.deps;
  for (const [kind, label] of [
    ['user', 'registered model permissions'],
    ['group', 'registered model group permissions'],
  ] as const) {
    const rules = store.rulesFor('registered_model', from).filter((r) => kind in r.principal);
    if (rules.length === 0)
      throw mlflowError('RESOURCE_DOES_NOT_EXIST', `No ${label} found for name: ${from}`);
    for (const rule of rules) {
      const principal: Principal = rule.principal;
      store.deleteRule('registered_model', from, principal);
      store.putRule('registered_model', to, principal, rule.permission);
    }
  }
}

/** AFTER_REQUEST_PATH_HANDLERS, without the gateway ones (no gateway tables in the lab's store). */
const AFTER_HANDLERS: Readonly<Record<string, AfterHandler>> = {
  CreateExperiment: (ctx, { json }) => {
    const id = text(json.experiment_id ?? '');
    const user = ctx.identity.username;
    grantManage(
      ctx,
      'experiment',
      id,
      () =>
        `Permission already exists (${id}, ${user}): ${integrity('experiment_permissions', ['experiment_id', 'user_id'])}`,
    );
    return undefined;
  },
  CreateRegisteredModel: (ctx, { json }) => {
    const name = text(record(json.registered_model).name ?? '');
    const user = ctx.identity.username;
    grantManage(
      ctx,
      'registered_model',
      name,
      () =>
        `Permission already exists (${name}, ${user}): ${integrity('registered_model_permissions', ['name', 'user_id'])}`,
    );
    return undefined;
  },
  /** Names are the key, so a model made again under the same name must not inherit the old rules. */
  DeleteRegisteredModel: (ctx) => {
    const name = modelName(ctx.request);
    if (name) ctx.deps.store.renameResource('registered_model', name, undefined);
    return undefined;
  },
  RenameRegisteredModel: (ctx) => {
    const data = forcedJson(ctx.req);
    if (!data.name || !data.new_name) return undefined;
    moveModelRules(ctx, text(data.name), text(data.new_name));
    return undefined;
  },
  RegisterScorer: (ctx, { json }) => {
    const [id, name] = [text(json.experiment_id ?? ''), text(json.name ?? '')];
    const user = ctx.identity.username;
    grantManage(
      ctx,
      'scorer',
      scorerKey(id, name),
      () =>
        `Scorer permission already exists (${id}, ${name}, ${user}): ${integrity('scorer_permissions', ['experiment_id', 'scorer_name', 'user_id'])}`,
    );
    return undefined;
  },
  DeleteScorer: (ctx) => {
    const data = forcedJson(ctx.req);
    if (data.experiment_id && data.name)
      ctx.deps.store.renameResource(
        'scorer',
        scorerKey(text(data.experiment_id), text(data.name)),
        undefined,
      );
    return undefined;
  },
  SearchExperiments: (ctx, { json }) => filterSearchExperiments(ctx, json),
  SearchRegisteredModels: (ctx, { json }) => filterSearchRegisteredModels(ctx, json),
  SearchLoggedModels: (ctx, { json }) => filterSearchLoggedModels(ctx, json),
  ListWorkspaces: (ctx, { status, json }) => filterListWorkspaces(ctx, status, json),
  /** The creator (an admin: nobody else gets past the validator) manages it; failures are only logged. */
  CreateWorkspace: (ctx, { status, json }) => {
    const name = record(json.workspace).name;
    if (!ctx.deps.settings.MLFLOW_ENABLE_WORKSPACES || status >= 300 || typeof name !== 'string' || !name)
      return undefined;
    const user = ctx.deps.store.user(ctx.identity.username);
    if (user) ctx.deps.store.addRule('workspace', name, { user: user.id }, 'MANAGE');
    return undefined;
  },
  // DeleteWorkspace's cascade is keyed by its templated path, which an exact match never finds: never runs.
};

/** AFTER_REQUEST_HANDLERS: exact `(path, method)`; SearchModelVersions carries no message in the lab's table. */
const AFTER = new Map<string, AfterHandler>([
  ...ROUTES.filter((r) => r.message !== undefined && Object.hasOwn(AFTER_HANDLERS, r.message)).map(
    (r) => [key(r.method, r.path), AFTER_HANDLERS[r.message!]!] as const,
  ),
  ...['/api', '/ajax-api'].map(
    (root) =>
      [
        key('GET', `${root}/2.0/mlflow/model-versions/search`),
        ((ctx, { json }) => filterSearchModelVersions(ctx, json)) as AfterHandler,
      ] as const,
  ),
]);

/**
 * `after_request_hook` for a successful (< 400) MLflow answer: undefined leaves it as it is; `json` replaces its
 * body; `error` replaces the whole answer (MLflow's error JSON with its status).
 */
export async function afterRequest(
  deps: OidcAuthDeps,
  req: OidcRequest,
  identity: OidcIdentity,
  answer: { status: number; json: Record<string, unknown> | undefined },
): Promise<{ json?: Record<string, unknown>; error?: OidcAuthError } | undefined> {
  if (answer.status >= 400 && answer.status < 600) return undefined;
  const handler = AFTER.get(key(req.method.toUpperCase(), flaskPath(req.path)));
  if (!handler) return undefined;
  const request: FlaskRequest = flaskRequest(req, {});
  try {
    const json = await handler(
      { deps, identity, request, workspace: req.workspace, req },
      { status: answer.status, json: answer.json ?? {} },
    );
    return json === undefined ? undefined : { json };
  } catch (error) {
    if (error instanceof OidcAuthError) return { error };
    throw error;
  }
}
