import type { IncomingMessage, ServerResponse } from 'node:http';
import { MlflowError, invalidParameter } from './errors.js';
import { parsePythonJson, pyJson, pyTypeName } from './python-values.js';

/**
 * The request/response layer of the emulator, shaped after MLflow's Flask handlers
 * (golden/mlflow-3.11/README.md, "Serialisation" and "Validation quirks").
 */

/** One parsed request message: the query string for GET, else the JSON body. */
export type Message = Record<string, unknown>;

export interface ApiRequest {
  method: string;
  /** Path without the `/api` or `/ajax-api` prefix and version, e.g. `/mlflow/runs/get`. */
  path: string;
  /** Decoded tail of a prefix route (artifact path, workspace name). */
  tail: string;
  query: URLSearchParams;
  body: Buffer;
  contentType: string | undefined;
  workspace: string;
  raw: IncomingMessage;
}

export interface ApiResponse {
  status?: number;
  json?: unknown;
  text?: string;
  body?: Buffer;
  contentType?: string;
  /** Extra response headers (e.g. `Content-Disposition` on artifact downloads). */
  headers?: Record<string, string>;
}

export type Handler = (req: ApiRequest) => ApiResponse | Promise<ApiResponse>;

/** Thrown when the real server answers with a Werkzeug HTML page instead of JSON. */
export class HtmlError extends Error {
  constructor(readonly status: 404 | 405 | 413 | 500) {
    super(`HTTP ${status}`);
  }
}

const WERKZEUG: Record<number, string> = {
  404: '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n',
  405: '<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n',
  413: '<!doctype html>\n<html lang=en>\n<title>413 Request Entity Too Large</title>\n<h1>Request Entity Too Large</h1>\n<p>The data value transmitted exceeds the capacity limit.</p>\n',
  500: '<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n',
};

export function send(res: ServerResponse, out: ApiResponse): void {
  let payload: Buffer;
  let type = out.contentType;
  if (out.json !== undefined) {
    // Plain JSON.stringify: the only non-finite numbers (metric values) are written by metricJson.
    payload = Buffer.from(JSON.stringify(out.json));
    type ??= 'application/json';
  } else if (out.text !== undefined) {
    payload = Buffer.from(out.text);
    type ??= 'text/html; charset=utf-8';
  } else {
    payload = out.body ?? Buffer.alloc(0);
    type ??= 'text/html; charset=utf-8';
  }
  res.writeHead(out.status ?? 200, {
    ...out.headers,
    'Content-Type': type,
    'Content-Length': payload.length,
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof MlflowError) return send(res, { status: error.status, json: error.toJSON() });
  const status = error instanceof HtmlError ? error.status : 500;
  send(res, { status, text: WERKZEUG[status]! });
}

export const missingParameter = (name: string) =>
  invalidParameter(
    `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`,
  );

export const invalidValue = (name: string, value: unknown) =>
  invalidParameter(
    `Invalid value ${pyJson(value)} for parameter '${name}' supplied:  Hint: Value was of type '${pyTypeName(value)}'. See the API docs for more information about request parameters.`,
  );

/**
 * MLflow's `_get_request_json`: POST and PUT need `Content-Type: application/json` (README "Validation quirks"
 * 10; other methods are not checked), then the body is read as JSON whatever its type. `null` where Flask's
 * silent `get_json` gives None: an empty body or malformed JSON.
 */
export function readRequestJson(req: ApiRequest): unknown {
  if (req.method === 'POST' || req.method === 'PUT') {
    if (req.contentType === undefined) throw invalidParameter('Bad Request. Content-Type header is missing.');
    if (req.contentType.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
      throw invalidParameter("Bad Request. Content-Type must be one of ['application/json'].");
    }
  }
  try {
    return parsePythonJson(new TextDecoder('utf-8', { fatal: true }).decode(req.body));
  } catch {
    return null;
  }
}

/**
 * `_get_normalized_request_json`: None reads as `{}` (malformed JSON is an empty message, README "Validation
 * quirks" 11), and a JSON string is decoded once more, as MLflow does for old clients that double-encoded
 * their bodies. Returns what Python's json module returns: usually a dict.
 */
export function readJsonBody(req: ApiRequest): unknown {
  const parsed = readRequestJson(req);
  if (typeof parsed !== 'string') return parsed ?? {};
  try {
    return parsePythonJson(parsed) ?? {};
  } catch {
    throw new HtmlError(500);
  }
}

/**
 * The body as one message object (the older reader, kept for handlers that use {@link Fields}): a GET with a
 * query string reads the query; anything else reads the JSON body (a GET may carry one).
 */
export function readMessage(req: ApiRequest, listFields: ReadonlySet<string> = new Set()): Message {
  if (req.method === 'GET' && [...req.query.keys()].length > 0) {
    const message: Message = {};
    for (const key of new Set(req.query.keys())) {
      const values = req.query.getAll(key);
      message[key] = listFields.has(key) ? values : values[0];
    }
    return message;
  }
  const parsed = readJsonBody(req);
  // A JSON array (or scalar) breaks the handler: Werkzeug's 500 page (README "Serialisation" 2).
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HtmlError(500);
  return parsed as Message;
}

/** Typed access to one message field, with MLflow's exact messages. */
export class Fields {
  constructor(private readonly message: Message) {}

  has(name: string): boolean {
    const v = this.message[name];
    return v !== undefined && v !== null;
  }

  raw(name: string): unknown {
    return this.message[name];
  }

  /** A proto string field: a JSON number is a type error; missing or "" fails when required. */
  string(name: string, required: true): string;
  string(name: string, required?: false): string | undefined;
  string(name: string, required = false): string | undefined {
    const v = this.message[name];
    if (v === undefined || v === null || v === '') {
      if (required) throw missingParameter(name);
      return v === '' ? '' : undefined;
    }
    if (typeof v !== 'string') throw invalidValue(name, v);
    return v;
  }

  /** A proto int64 field; numeric strings are accepted as protobuf's JSON parser does. */
  int(name: string, required = false): number | undefined {
    const v = this.message[name];
    if (v === undefined || v === null || v === '') {
      if (required) throw missingParameter(name);
      return undefined;
    }
    const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw invalidValue(name, v);
    return n;
  }

  /** A proto double field: numbers, numeric strings and "NaN"/"Infinity"/"-Infinity". */
  double(name: string, required = false): number | undefined {
    const v = this.message[name];
    if (v === undefined || v === null) {
      if (required) throw missingParameter(name);
      return undefined;
    }
    if (typeof v === 'number') return v;
    if (typeof v === 'string') {
      const t = v.trim();
      if (t === 'NaN' || t === 'Infinity' || t === '-Infinity' || (t !== '' && Number.isFinite(Number(t))))
        return Number(t);
    }
    throw invalidValue(name, v);
  }

  /** A repeated string field. */
  strings(name: string): string[] {
    const v = this.message[name];
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    for (const item of list) if (typeof item !== 'string') throw invalidValue(name, v);
    return list as string[];
  }

  /** A repeated message field (objects). */
  objects(name: string): Message[] {
    const v = this.message[name];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw invalidValue(name, v);
    return v.map((item) => (typeof item === 'object' && item !== null ? (item as Message) : {}));
  }
}
