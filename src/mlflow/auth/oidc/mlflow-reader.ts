// How the oidc-auth hooks read MLflow's own stores (mlflow-oidc-auth.md §4.3, §4.5). The plugin calls
// `_get_tracking_store()` / `_get_model_registry_store()` in-process; the lab asks the MLflow backend over its REST
// API instead, behind the plugin (no hooks, so nothing filtered), in the request's workspace. MLflow's REST
// answers carry the same errors its stores raise, so a failed lookup can be handed on as the plugin's
// `catch_mlflow_exception` would.
import type { MlflowAnswer, MlflowReader } from './types.js';

/** A reader over a backend's `EncodedResponse`-style dispatch (the lab's in-process emulator). */
export interface MlflowDispatch {
  (
    req: { method: string; url: string; headers: Record<string, string> },
    body: Buffer,
  ): Promise<{ status: number; payload: Buffer }>;
}

const JSON_HEADERS = { accept: 'application/json' } as const;

function target(path: string, query: Record<string, string> | undefined): string {
  const search = query && Object.keys(query).length > 0 ? `?${new URLSearchParams(query).toString()}` : '';
  return `${path}${search}`;
}

function headersFor(json: unknown, workspace: string | undefined): Record<string, string> {
  return {
    ...JSON_HEADERS,
    ...(json !== undefined && { 'content-type': 'application/json' }),
    ...(workspace !== undefined && { 'x-mlflow-workspace': workspace }),
  };
}

/** The body as an object when it is JSON of one; MLflow's error pages (Werkzeug HTML) give undefined. */
function parsed(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** MLflow over HTTP (`fetch`), with the workspace in `X-MLFLOW-WORKSPACE` as the MLflow client sends it. */
export function httpMlflowReader(baseUrl: string | URL): MlflowReader {
  const base = String(baseUrl).replace(/\/$/, '');
  return {
    async call(method, path, o = {}): Promise<MlflowAnswer> {
      const res = await fetch(`${base}${target(path, o.query)}`, {
        method,
        headers: headersFor(o.json, o.workspace),
        ...(o.json !== undefined && { body: JSON.stringify(o.json) }),
      });
      return { status: res.status, json: parsed(await res.text()) };
    },
  };
}

/** MLflow in this process: the same requests, handed to the backend's dispatch without a second HTTP hop. */
export function dispatchMlflowReader(dispatch: MlflowDispatch): MlflowReader {
  return {
    async call(method, path, o = {}): Promise<MlflowAnswer> {
      const body = o.json === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(o.json));
      const res = await dispatch(
        { method, url: target(path, o.query), headers: headersFor(o.json, o.workspace) },
        body,
      );
      return { status: res.status, json: parsed(res.payload.toString('utf8')) };
    },
  };
}
