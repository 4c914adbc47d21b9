// The plugin's after-the-fact search filtering (mlflow-oidc-auth.md §4.5; `hooks/after_request.py:184-380` of
// 7.3.1): drop what the caller cannot read from MLflow's page, then fetch further pages from MLflow until
// `max_results` is filled or the pages run out, and point `next_page_token` past what was read. Nothing readable
// gives `{}` (D3b, D9c). Admins are not filtered.
import {
  experimentPermission,
  failedLookup,
  mlflowError,
  registeredModelPermission,
  workspaceRule,
} from './authz.js';
import { PERMISSIONS } from './permissions.js';
import { text, type FlaskRequest } from './request-params.js';
import type { OidcAuthDeps, OidcIdentity } from './types.js';
import { pythonJsonDumps } from './python-json.js';

/** One successful search answer, and the request it answers. */
export interface FilterContext {
  deps: OidcAuthDeps;
  identity: OidcIdentity;
  request: FlaskRequest;
  workspace: string | undefined;
}

type Json = Record<string, unknown>;

const record = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
const list = (value: unknown): Json[] => (Array.isArray(value) ? value.map(record) : []);

// --- the request message ---------------------------------------------------------------------------------------

/**
 * `_get_request_message(Search…())` as far as the filters read it: a JSON body for POST, the query for GET (repeated
 * fields with every value), proto defaults for what is absent.
 */
function searchRequest(request: FlaskRequest, defaultMax: number) {
  const fromJson = request.method !== 'GET';
  const body = fromJson ? (request.json ?? {}) : undefined;
  const one = (name: string): unknown => (body ? body[name] : (request.args.get(name) ?? undefined));
  const many = (name: string): unknown[] => {
    if (!body) return request.args.getAll(name);
    const value = body[name];
    return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  };
  const max = one('max_results');
  return {
    maxResults: max === undefined || max === null || max === '' ? defaultMax : Math.trunc(Number(max)),
    filter: one('filter') === undefined || one('filter') === null ? '' : text(one('filter')),
    orderBy: many('order_by'),
    viewType: one('view_type'),
    experimentIds: many('experiment_ids').map(text),
  };
}

// --- page tokens -------------------------------------------------------------------------------------------------

const base64Json = (value: unknown) => Buffer.from(pythonJsonDumps(value)).toString('base64');

/** `SearchUtils.create_page_token`. */
export const offsetToken = (offset: number) => base64Json({ offset });

/**
 * `SearchUtils.parse_start_offset_from_page_token` (strict: MLflow's own tokens carry a positive offset), or with
 * `lenient` the logged models' `Token.decode(…).offset`.
 */
export function tokenOffset(token: string, { lenient = false } = {}): number {
  if (!token) return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw mlflowError('INVALID_PARAMETER_VALUE', 'Invalid page token, could not base64-decode');
  }
  const offset = Math.trunc(Number(record(parsed).offset));
  if (!offset && !lenient)
    throw mlflowError(
      'INVALID_PARAMETER_VALUE',
      `Invalid page token, parsed value=${JSON.stringify(parsed)}`,
    );
  return offset || 0;
}

// --- readability -------------------------------------------------------------------------------------------------

/** The filters' request-scoped memo of `can_read_*` (`_get_request_permission_cache`). */
function readers(ctx: FilterContext) {
  const memo = new Map<string, Promise<boolean>>();
  const once = (key: string, check: () => Promise<boolean>) => {
    let found = memo.get(key);
    if (!found) memo.set(key, (found = check()));
    return found;
  };
  const { deps, identity, workspace } = ctx;
  // `_can_access_workspace`: MLflow's search ran in the request's workspace, so every item is in it.
  const inWorkspace =
    !deps.settings.MLFLOW_ENABLE_WORKSPACES ||
    !workspace ||
    PERMISSIONS[workspaceRule(deps, workspace, identity) ?? 'NO_PERMISSIONS'].canRead;
  return {
    experiment: async (id: string, name?: string) =>
      inWorkspace &&
      (await once(
        `exp:${id}`,
        async () => (await experimentPermission(deps, id, identity, workspace, name)).permission.canRead,
      )),
    model: async (name: string) =>
      inWorkspace &&
      (await once(
        `rm:${name}`,
        async () => (await registeredModelPermission(deps, name, identity, workspace)).permission.canRead,
      )),
  };
}

async function kept(items: Json[], readable: (item: Json) => Promise<boolean>): Promise<Json[]> {
  const out: Json[] = [];
  for (const item of items) if (await readable(item)) out.push(item);
  return out;
}

/** The page as `message_to_json` writes it: empty lists and an empty token left out. */
const answer = (key: string, items: Json[], token: string): Json => ({
  ...(items.length > 0 && { [key]: items }),
  ...(token !== '' && { next_page_token: token }),
});

// --- the offset-token searches (experiments, registered models, model versions) -----------------------------------

interface OffsetSearch {
  key: string;
  defaultMax: number;
  readable(r: ReturnType<typeof readers>, item: Json): Promise<boolean>;
  /** One further page from MLflow, as the store would return it. */
  fetch(ctx: FilterContext, req: ReturnType<typeof searchRequest>, token: string): Promise<Json[]>;
}

/**
 * `_filter_search_experiments` and its two registry twins: filter the page, then while short and a token remains,
 * read the next page, keep at most what is missing, and move the token by the number of items read.
 */
async function offsetFilter(ctx: FilterContext, json: Json, search: OffsetSearch): Promise<Json | undefined> {
  if (ctx.identity.isAdmin) return undefined;
  const req = searchRequest(ctx.request, search.defaultMax);
  const r = readers(ctx);
  const items = await kept(list(json[search.key]), (item) => search.readable(r, item));
  let token = typeof json.next_page_token === 'string' ? json.next_page_token : '';
  while (items.length < req.maxResults && token !== '') {
    const page = (await search.fetch(ctx, req, token)).slice(0, req.maxResults - items.length);
    if (page.length === 0) {
      token = '';
      break;
    }
    items.push(...(await kept(page, (item) => search.readable(r, item))));
    token = offsetToken(tokenOffset(token) + page.length);
  }
  return answer(search.key, items, token);
}

/** A search over MLflow's REST API in the request's workspace; its failure is the answer (as the store's raise). */
async function searchPage(
  ctx: FilterContext,
  method: 'GET' | 'POST',
  path: string,
  params: Json,
  key: string,
): Promise<Json[]> {
  let target = path;
  let json: Json | undefined;
  if (method === 'GET') {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params))
      for (const v of [value].flat())
        if (v !== undefined && v !== null && v !== '') query.append(name, text(v));
    target = `${path}?${query.toString()}`;
  } else json = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
  const res = await ctx.deps.mlflow.call(method, target, { ...(json && { json }), workspace: ctx.workspace });
  if (res.status !== 200) throw failedLookup(res, `the next page of ${key}`);
  return list(res.json?.[key]);
}

/** SearchExperiments (its proto has no `max_results` default: MLflow refuses 0 before this runs). */
export const filterSearchExperiments = (ctx: FilterContext, json: Json) =>
  offsetFilter(ctx, json, {
    key: 'experiments',
    defaultMax: 0,
    readable: (r, e) => r.experiment(text(e.experiment_id), typeof e.name === 'string' ? e.name : undefined),
    fetch: (c, req, token) =>
      searchPage(
        c,
        'POST',
        '/api/2.0/mlflow/experiments/search',
        {
          ...(req.viewType !== undefined && { view_type: req.viewType }),
          max_results: req.maxResults,
          order_by: req.orderBy,
          filter: req.filter,
          page_token: token,
        },
        'experiments',
      ),
  });

/** SearchRegisteredModels (proto default 100). */
export const filterSearchRegisteredModels = (ctx: FilterContext, json: Json) =>
  offsetFilter(ctx, json, {
    key: 'registered_models',
    defaultMax: 100,
    readable: (r, m) => r.model(text(m.name)),
    fetch: (c, req, token) =>
      searchPage(
        c,
        'GET',
        '/api/2.0/mlflow/registered-models/search',
        { filter: req.filter, max_results: req.maxResults, order_by: req.orderBy, page_token: token },
        'registered_models',
      ),
  });

/** SearchModelVersions, readable by their model's name (proto default 200000). */
export const filterSearchModelVersions = (ctx: FilterContext, json: Json) =>
  offsetFilter(ctx, json, {
    key: 'model_versions',
    defaultMax: 200_000,
    readable: (r, v) => r.model(text(v.name)),
    fetch: (c, req, token) =>
      searchPage(
        c,
        'GET',
        '/api/2.0/mlflow/model-versions/search',
        { filter: req.filter, max_results: req.maxResults, order_by: req.orderBy, page_token: token },
        'model_versions',
      ),
  });

// --- SearchLoggedModels: its own token, which carries the search's parameters -------------------------------------

/**
 * `_filter_search_logged_models`: readable by the model's experiment; further pages are read whole, and the token
 * points just past the last model kept when the page fills (`SearchLoggedModelsPaginationToken`, proto default 50).
 */
export async function filterSearchLoggedModels(ctx: FilterContext, json: Json): Promise<Json | undefined> {
  if (ctx.identity.isAdmin) return undefined;
  const req = searchRequest(ctx.request, 50);
  const r = readers(ctx);
  const readable = (m: Json) => r.experiment(text(record(m.info).experiment_id));
  const models = await kept(list(json.models), readable);
  const max = req.maxResults;
  // The plugin's copy of the search's parameters: an unset dataset field reads "" from the proto.
  const params = {
    experiment_ids: req.experimentIds,
    filter_string: req.filter || null,
    order_by:
      req.orderBy.length > 0
        ? req.orderBy.map(record).map((ob) => ({
            field_name: text(ob.field_name ?? ''),
            ascending: ob.ascending ?? true,
            dataset_name: ob.dataset_name ?? '',
            dataset_digest: ob.dataset_digest ?? '',
          }))
        : null,
  };
  const encode = (offset: number) => base64Json({ ...params, offset });
  let next =
    typeof json.next_page_token === 'string' && json.next_page_token !== ''
      ? json.next_page_token
      : undefined;
  while (models.length < max && next !== undefined) {
    const batch = await logged(ctx, req, max, next);
    const offset = tokenOffset(next, { lenient: true });
    next = batch.last ? undefined : encode(offset + max);
    for (const [index, model] of batch.models.entries()) {
      if (!(await readable(model))) continue;
      models.push(model);
      if (models.length >= max) {
        next = batch.last && index === batch.models.length - 1 ? undefined : encode(offset + index + 1);
        break;
      }
    }
  }
  return answer('models', models, next ?? '');
}

async function logged(
  ctx: FilterContext,
  req: ReturnType<typeof searchRequest>,
  max: number,
  token: string,
): Promise<{ models: Json[]; last: boolean }> {
  const res = await ctx.deps.mlflow.call('POST', '/api/2.0/mlflow/logged-models/search', {
    json: {
      experiment_ids: req.experimentIds,
      ...(req.filter !== '' && { filter: req.filter }),
      ...(req.orderBy.length > 0 && { order_by: req.orderBy }),
      max_results: max,
      page_token: token,
    },
    workspace: ctx.workspace,
  });
  if (res.status !== 200) throw failedLookup(res, 'the next page of logged models');
  const next = res.json?.next_page_token;
  return { models: list(res.json?.models), last: typeof next !== 'string' || next === '' };
}

// --- ListWorkspaces -------------------------------------------------------------------------------------------------

/** `_filter_list_workspaces`: only the workspaces the caller may read (workspaces on, a 200, not an admin). */
export function filterListWorkspaces(ctx: FilterContext, status: number, json: Json): Json | undefined {
  if (!ctx.deps.settings.MLFLOW_ENABLE_WORKSPACES || status !== 200 || ctx.identity.isAdmin) return undefined;
  if (!('workspaces' in json)) return undefined;
  const workspaces = list(json.workspaces).filter((ws) => {
    const rule = workspaceRule(ctx.deps, typeof ws.name === 'string' ? ws.name : '', ctx.identity);
    return rule !== undefined && PERMISSIONS[rule].canRead;
  });
  return { ...json, workspaces };
}
