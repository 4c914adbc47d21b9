// How the plugin's FastAPI routers answer (mlflow-oidc-auth.md §4.8), the parts every router shares: routes tried
// in registration order on the percent-decoded path (Starlette's `{name}` is one segment, `{name:path}` anything),
// FastAPI's JSON answers, its request validation (422 with pydantic v2's error list) and the plugin's two
// authorization dependencies, `get_is_admin` and `check_admin_permission` (`dependencies.py`).
import { ADMIN_REQUIRED, detailError, OidcAuthError, pluginMlflowError } from './errors.js';
import type { OidcAuthDeps, OidcIdentity, OidcRequest } from './types.js';

export interface ApiAnswer {
  status: number;
  body: string;
  contentType: string;
}

export interface RouteContext {
  deps: OidcAuthDeps;
  req: OidcRequest;
  identity: OidcIdentity;
  /** The path parameters, decoded (a route reads only those its template has). */
  params: RouteParams;
}

/** Every path parameter name the plugin's routers use. */
export interface RouteParams {
  username: string;
  experiment_id: string;
  group_name: string;
  name: string;
  prompt_name: string;
  id: string;
  workspace: string;
  permission_id: string;
  run_id: string;
}

export type RouteMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface Route {
  method: RouteMethod;
  pattern: RegExp;
  handle(c: RouteContext): Promise<ApiAnswer>;
}

/** A route from a FastAPI path template: `{name}` matches one segment (`[^/]+`), `{name:path}` anything (`.*`). */
export function route(method: RouteMethod, template: string, handle: Route['handle']): Route {
  let source = '';
  let rest = template;
  for (let m = /\{(\w+)(:path)?\}/.exec(rest); m; m = /\{(\w+)(:path)?\}/.exec(rest)) {
    source += escapeRegExp(rest.slice(0, m.index)) + `(?<${m[1]}>${m[2] ? '.*' : '[^/]+'})`;
    rest = rest.slice(m.index + m[0].length);
  }
  return { method, pattern: new RegExp(`^${source}${escapeRegExp(rest)}$`), handle };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The first route whose path and method both match. A path matching only with another method is not answered
 * here: the Flask app mounted at `/` after the routers takes the request as a full match (`app.py`), so it goes
 * on to MLflow. Starlette answers HEAD on GET routes.
 */
export function findRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; params: RouteParams } | undefined {
  const wanted = method === 'HEAD' ? 'GET' : method;
  for (const r of routes) {
    if (r.method !== wanted) continue;
    const m = r.pattern.exec(path);
    if (m) return { route: r, params: { ...m.groups } as unknown as RouteParams };
  }
  return undefined;
}

/** uvicorn's `unquote` of the raw path: `%XX` sequences as UTF-8 (bad bytes replaced), anything else as is. */
export function decodePath(raw: string): string {
  return raw.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) =>
    Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'),
  );
}

// --- answers -------------------------------------------------------------------------------------------------------

/** FastAPI's `JSONResponse`: `json.dumps(..., ensure_ascii=False, separators=(",", ":"))`, which is JSON.stringify. */
export const json = (value: unknown, status = 200): ApiAnswer => ({
  status,
  body: JSON.stringify(value),
  contentType: 'application/json',
});

/** A route declared with `status_code=204`: no body. */
export const noContent = (): ApiAnswer => ({ status: 204, body: '', contentType: 'application/json' });

/** `{"status": "success", "message": …}` (`StatusMessageResponse`). */
export const statusMessage = (message: string, status = 200) => json({ status: 'success', message }, status);

/** An exception no handler maps: Starlette's ServerErrorMiddleware page. */
export const internalServerError = () =>
  new OidcAuthError(500, 'Internal Server Error', 'text/plain; charset=utf-8');

// --- dependencies --------------------------------------------------------------------------------------------------

/**
 * `Depends(get_is_admin)`: reads the caller's row, so a caller without one (a bearer or Basic identity that never
 * logged in in the browser) gets the plugin's MlflowException handler's 404 before the route runs (§3.3 T6).
 */
export function callerIsAdmin(identity: OidcIdentity): boolean {
  if (!identity.user)
    throw pluginMlflowError('RESOURCE_DOES_NOT_EXIST', `User '${identity.username}' not found`);
  return identity.isAdmin;
}

/** `Depends(check_admin_permission)`: a caller it cannot read is refused like a non-admin (§4.8). */
export function requireAdmin(identity: OidcIdentity): void {
  if (!identity.user || !identity.isAdmin) throw detailError(403, ADMIN_REQUIRED);
}

// --- request validation --------------------------------------------------------------------------------------------

/** One pydantic v2 error as FastAPI lists it (without `url`). */
export interface Problem {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/** FastAPI's RequestValidationError answer. */
export const unprocessable = (problems: Problem[]) =>
  new OidcAuthError(422, JSON.stringify({ detail: problems }));

/** Throws the 422 when any of the lists (path, query, then body: FastAPI's order) has a problem. */
export function rejectProblems(...lists: Problem[][]): void {
  const all = lists.flat();
  if (all.length > 0) throw unprocessable(all);
}

export type FieldKind = 'str' | 'int' | 'bool';

/** A pydantic model's fields in declaration order; `optional` fields default to None / False when absent. */
export type ModelSpec = Record<string, { kind: FieldKind; optional?: boolean }>;

type Body = { kind: 'absent' } | { kind: 'value'; value: unknown } | { kind: 'bad'; problem: Problem };

/**
 * The body as FastAPI reads it for a body parameter: nothing when empty; JSON when there is no content type or a
 * JSON one; otherwise the raw text (which no model accepts). A JSON syntax error's position and message are
 * Python's `json` module's; here always the start and "Expecting value", an approximation.
 */
function readBody(req: OidcRequest): Body {
  if (req.body.length === 0) return { kind: 'absent' };
  const type = headerValue(req, 'content-type');
  const isJson = type === undefined || /^application\/(?:[\w.+-]*\+)?json\b/i.test(type.trim());
  const text = req.body.toString('utf8');
  if (!isJson) return { kind: 'value', value: text };
  if (req.json !== undefined) return { kind: 'value', value: req.json };
  try {
    return { kind: 'value', value: JSON.parse(text) as unknown };
  } catch {
    return {
      kind: 'bad',
      problem: {
        type: 'json_invalid',
        loc: ['body', 0],
        msg: 'JSON decode error',
        input: {},
        ctx: { error: 'Expecting value' },
      },
    };
  }
}

function headerValue(req: OidcRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * A `Body(...)` pydantic model: the fields coerced as pydantic v2's lax mode does (a numeric string is an int, "yes"
 * a bool, but a number is never a str), or the problems. `optionalBody`: `Body(None)`, absent or null is fine.
 */
export function bodyModel(
  req: OidcRequest,
  spec: ModelSpec,
  o: { optionalBody?: boolean } = {},
): { value: Record<string, unknown> | undefined; problems: Problem[] } {
  const body = readBody(req);
  if (body.kind === 'bad') return { value: undefined, problems: [body.problem] };
  if (body.kind === 'absent' || (body.value === null && o.optionalBody)) {
    return o.optionalBody
      ? { value: undefined, problems: [] }
      : {
          value: undefined,
          problems: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }],
        };
  }
  const input = body.value;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      value: undefined,
      problems: [
        {
          type: 'model_attributes_type',
          loc: ['body'],
          msg: 'Input should be a valid dictionary or object to extract fields from',
          input,
        },
      ],
    };
  }
  const fields = input as Record<string, unknown>;
  const value: Record<string, unknown> = {};
  const problems: Problem[] = [];
  for (const [name, field] of Object.entries(spec)) {
    if (!(name in fields)) {
      if (field.optional) value[name] = field.kind === 'bool' ? false : undefined;
      else problems.push({ type: 'missing', loc: ['body', name], msg: 'Field required', input });
      continue;
    }
    if (fields[name] === null && field.optional && field.kind === 'str') {
      value[name] = undefined;
      continue;
    }
    const coerced = coerce(field.kind, fields[name], ['body', name]);
    if ('problem' in coerced) problems.push(coerced.problem);
    else value[name] = coerced.value;
  }
  return { value: problems.length ? undefined : value, problems };
}

/**
 * `Body(..., embed=True)`: one field read from the JSON object. A missing body, or one that is not an object, is
 * that field missing.
 */
export function embeddedBodyField(
  req: OidcRequest,
  name: string,
  kind: FieldKind,
): { value: unknown; problems: Problem[] } {
  const body = readBody(req);
  if (body.kind === 'bad') return { value: undefined, problems: [body.problem] };
  const fields =
    body.kind === 'value' &&
    typeof body.value === 'object' &&
    body.value !== null &&
    !Array.isArray(body.value)
      ? (body.value as Record<string, unknown>)
      : {};
  if (!(name in fields))
    return {
      value: undefined,
      problems: [{ type: 'missing', loc: ['body', name], msg: 'Field required', input: null }],
    };
  const coerced = coerce(kind, fields[name], ['body', name]);
  return 'problem' in coerced
    ? { value: undefined, problems: [coerced.problem] }
    : { value: coerced.value, problems: [] };
}

/** An `int` path parameter (`id: int = Path(...)`). */
export function intParam(text: string, name: string): { value: number | undefined; problems: Problem[] } {
  const coerced = coerce('int', text, ['path', name]);
  return 'problem' in coerced
    ? { value: undefined, problems: [coerced.problem] }
    : { value: coerced.value as number, problems: [] };
}

/** A `bool` query parameter with a default (the last value when repeated, as Starlette's `get`). */
export function boolQuery(
  req: OidcRequest,
  name: string,
  fallback: boolean,
): { value: boolean; problems: Problem[] } {
  const values = req.query.getAll(name);
  if (values.length === 0) return { value: fallback, problems: [] };
  const coerced = coerce('bool', values[values.length - 1] ?? '', ['query', name]);
  return 'problem' in coerced
    ? { value: fallback, problems: [coerced.problem] }
    : { value: coerced.value as boolean, problems: [] };
}

/** A required `str` query parameter. */
export function requiredQuery(req: OidcRequest, name: string): { value: string; problems: Problem[] } {
  const values = req.query.getAll(name);
  if (values.length === 0)
    return {
      value: '',
      problems: [{ type: 'missing', loc: ['query', name], msg: 'Field required', input: null }],
    };
  return { value: values[values.length - 1] ?? '', problems: [] };
}

const TRUE_WORDS = ['1', 'on', 't', 'true', 'y', 'yes'];
const FALSE_WORDS = ['0', 'off', 'f', 'false', 'n', 'no'];

function coerce(
  kind: FieldKind,
  input: unknown,
  loc: Array<string | number>,
): { value: unknown } | { problem: Problem } {
  const problem = (type: string, msg: string) => ({ problem: { type, loc, msg, input } });
  switch (kind) {
    case 'str':
      return typeof input === 'string'
        ? { value: input }
        : problem('string_type', 'Input should be a valid string');
    case 'int':
      if (typeof input === 'boolean') return { value: input ? 1 : 0 };
      if (typeof input === 'number') {
        if (Number.isInteger(input)) return { value: input };
        return Number.isFinite(input)
          ? problem('int_from_float', 'Input should be a valid integer, got a number with a fractional part')
          : problem('finite_number', 'Input should be a finite number');
      }
      if (typeof input === 'string') {
        return /^\s*[+-]?\d+\s*$/.test(input)
          ? { value: Number(input.trim()) }
          : problem('int_parsing', 'Input should be a valid integer, unable to parse string as an integer');
      }
      return problem('int_type', 'Input should be a valid integer');
    case 'bool':
      if (typeof input === 'boolean') return { value: input };
      if (typeof input === 'number') {
        if (input === 0 || input === 1) return { value: input === 1 };
        return problem('bool_parsing', 'Input should be a valid boolean, unable to interpret input');
      }
      if (typeof input === 'string') {
        const word = input.toLowerCase();
        if (TRUE_WORDS.includes(word)) return { value: true };
        if (FALSE_WORDS.includes(word)) return { value: false };
        return problem('bool_parsing', 'Input should be a valid boolean, unable to interpret input');
      }
      return problem('bool_type', 'Input should be a valid boolean');
  }
}

/**
 * Python's `int(text)` as the user-pattern routes apply it to their `str` id: surrounding blanks, a sign and `_`
 * between digits are fine; anything else is their 400 "Invalid pattern ID format".
 */
export function pythonInt(text: string): number | undefined {
  return /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(text) ? Number(text.trim().replace(/_/g, '')) : undefined;
}

export const INVALID_PATTERN_ID = () => detailError(400, 'Invalid pattern ID format. Expected an integer.');
