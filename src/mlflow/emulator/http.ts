import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { MlflowError, invalidParameter } from './errors.js';
import { parsePythonJson } from './python-values.js';

/**
 * The request/response layer of the emulator, shaped after MLflow's Flask handlers
 * (golden/mlflow-3.11/README.md, "Serialisation" and "Validation quirks").
 */

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
  /** The request's headers as sent (e.g. the declared Content-Length of an upload). */
  raw: { headers: IncomingHttpHeaders };
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

/** A response as bytes: what goes on the wire, or to an in-process caller (the lab's gate). */
export interface EncodedResponse {
  status: number;
  headers: Record<string, string | number>;
  payload: Buffer;
}

export function send(res: ServerResponse, out: ApiResponse): void {
  const { status, headers, payload } = encode(out);
  res.writeHead(status, headers);
  res.end(payload);
}

export function encode(out: ApiResponse): EncodedResponse {
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
  return {
    status: out.status ?? 200,
    headers: { ...out.headers, 'Content-Type': type, 'Content-Length': payload.length },
    payload,
  };
}

export function sendError(res: ServerResponse, error: unknown): void {
  send(res, errorResponse(error));
}

export function errorResponse(error: unknown): ApiResponse {
  if (error instanceof MlflowError) return { status: error.status, json: error.toJSON() };
  const status = error instanceof HtmlError ? error.status : 500;
  return { status, text: WERKZEUG[status]! };
}

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
