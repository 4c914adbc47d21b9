// How the plugin's validators read a request (mlflow-oidc-auth.md §4.4; `utils/request_helpers.py`): Flask's view
// of it (decoded path, query args, JSON body only for a JSON content type, form body, the matched route's
// `view_args`) and the helpers that pull `experiment_id`, `run_id`, `name`, `model_id` out of it, with the
// MlflowException each raises when a value is missing (answered 400 by `catch_mlflow_exception`).
import { mlflowError } from './authz.js';
import type { OidcRequest } from './types.js';

/** What Flask's `request` holds that the hooks read. */
export interface FlaskRequest {
  method: string;
  /** `request.path`: percent-decoded. */
  path: string;
  /** `request.args`. */
  args: URLSearchParams;
  /** `request.is_json`: `application/json` or `application/*+json`. */
  isJson: boolean;
  /** `request.json` when `isJson` (an unreadable body reads as no fields). */
  json: Record<string, unknown> | undefined;
  /** `request.form`: a url-encoded body's fields (multipart bodies are not read). */
  form: URLSearchParams;
  /** The matched route's path parameters; undefined when no route matched (Flask's `view_args = None`). */
  viewArgs: Record<string, string> | undefined;
}

/** `request.path`: Werkzeug decodes the path; a malformed escape stays as sent. */
export function flaskPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export function flaskRequest(req: OidcRequest, viewArgs: Record<string, string> | undefined): FlaskRequest {
  const header = req.headers['content-type'];
  const mimetype = (Array.isArray(header) ? header[0] : header)?.split(';')[0]?.trim().toLowerCase() ?? '';
  const isJson =
    mimetype === 'application/json' || (mimetype.startsWith('application/') && mimetype.endsWith('+json'));
  const form =
    mimetype === 'application/x-www-form-urlencoded'
      ? new URLSearchParams(req.body.toString('utf8'))
      : new URLSearchParams();
  return {
    method: req.method.toUpperCase(),
    path: flaskPath(req.path),
    args: req.query,
    isJson,
    json: isJson ? req.json : undefined,
    form,
    viewArgs,
  };
}

/** Python's truthiness of a request value (`not value`). */
const falsy = (value: unknown) =>
  value === undefined ||
  value === null ||
  value === '' ||
  value === 0 ||
  value === false ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' && value !== null && Object.keys(value).length === 0);

/** A value as the store sees it (JSON numbers compare as their text in the plugin's string columns). */
export const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** One field of a MultiDict or a JSON object, or undefined. */
function field(source: URLSearchParams | Record<string, unknown> | undefined, name: string): unknown {
  if (source === undefined) return undefined;
  if (source instanceof URLSearchParams) return source.has(name) ? source.get(name) : undefined;
  return Object.hasOwn(source, name) ? source[name] : undefined;
}

const isEmpty = (source: URLSearchParams | Record<string, unknown> | undefined) =>
  source === undefined ||
  (source instanceof URLSearchParams ? source.size === 0 : Object.keys(source).length === 0);

/**
 * `get_request_param`: GET reads the query; POST, PATCH and DELETE the JSON body, or the form for other bodies
 * (never the query: `upload-artifact`'s `run_uuid` in the query is not found); a missing `run_id` is looked for as
 * `run_uuid`.
 */
export function requestParam(request: FlaskRequest, name: string): unknown {
  let source: URLSearchParams | Record<string, unknown> | undefined;
  if (request.method === 'GET') source = request.args;
  else if (['POST', 'PATCH', 'DELETE'].includes(request.method))
    source = request.isJson ? (request.json ?? {}) : request.form;
  else throw mlflowError('BAD_REQUEST', `Unsupported HTTP method '${request.method}'`);
  const value = isEmpty(source) ? undefined : field(source, name);
  if (value === undefined) {
    if (name === 'run_id') return requestParam(request, 'run_uuid');
    throw mlflowError(
      'INVALID_PARAMETER_VALUE',
      `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`,
    );
  }
  if (falsy(value) || (typeof value === 'string' && value.trim() === ''))
    throw mlflowError(
      'INVALID_PARAMETER_VALUE',
      `Empty value for required parameter '${name}'. See the API docs for more information about request parameters.`,
    );
  return value;
}

/** `_extract_param_from_all_sources`: path parameters, then the query (any method), then a JSON body. */
export function anyParam(request: FlaskRequest, name: string): unknown {
  const fromPath = request.viewArgs?.[name];
  if (fromPath !== undefined) return fromPath;
  const fromQuery = field(request.args, name);
  if (fromQuery !== undefined) return fromQuery;
  const json = request.json;
  if (json !== undefined && !isEmpty(json)) return field(json, name);
  return undefined;
}

/** `get_model_name`. */
export function modelName(request: FlaskRequest): string {
  const name = anyParam(request, 'name');
  if (name === undefined || name === null)
    throw mlflowError('INVALID_PARAMETER_VALUE', 'Model name must be provided in the request data.');
  return text(name);
}

/** `get_model_id`. */
export function modelId(request: FlaskRequest): string {
  const id = anyParam(request, 'model_id');
  if (id === undefined || id === null)
    throw mlflowError('INVALID_PARAMETER_VALUE', 'Model ID must be provided in the request data.');
  return text(id);
}

/** `request.args.to_dict(flat=False).get(name, [])`, or a JSON body's list (`data.get(name, []) or []`). */
export function listParam(request: FlaskRequest, name: string): string[] {
  if (request.method === 'POST' && request.isJson) {
    const value = request.json?.[name];
    if (falsy(value)) return [];
    // Python iterates what it is given: a list's items, a string's characters.
    if (Array.isArray(value)) return value.map(text);
    return typeof value === 'string' ? [...value] : [text(value)];
  }
  return request.args.getAll(name);
}
