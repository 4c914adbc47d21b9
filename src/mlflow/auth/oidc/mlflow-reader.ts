// How the oidc-auth hooks read MLflow's own stores (mlflow-oidc-auth.md §4.3, §4.5). The plugin calls
// `_get_tracking_store()` / `_get_model_registry_store()` in-process; the lab asks the MLflow backend over its REST
// API instead, behind the plugin (no hooks, so nothing filtered), in the request's workspace: over HTTP, or handed
// to the in-process emulator's dispatch. MLflow's REST answers carry the same errors its stores raise, so a failed
// lookup can be handed on as the plugin's `catch_mlflow_exception` would.
import http from 'node:http';
import type { InProcessRequest, InProcessResponse } from '../kubernetes/create-gate.js';
import type { MlflowAnswer, MlflowReader } from './types.js';

/** A backend that answers requests in this process (the lab's emulator's `dispatch`). */
export type MlflowDispatch = (req: InProcessRequest, body: Buffer) => Promise<InProcessResponse>;

const NO_BODY = Buffer.alloc(0);

/** A JSON object, or undefined (not JSON, or JSON of something else). */
export function jsonObjectOf(body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) return undefined;
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The forwarded call's answer, its JSON object parsed when first read: the after-request hook reads the body only on
 * the routes it has a handler for (a search's answer can be large).
 * A class, not an object literal with a getter: V8 puts a literal's getter in an AccessorPair it allocates in the
 * old generation, and each such pair, long dead, held the getter's closure and so the whole request (req, res, the
 * answer) through every young-generation collection until the next full one: the front door's GC cost several
 * times the direct call's (issue 19's bench).
 */
export class LazyJsonAnswer implements MlflowAnswer {
  #json: Record<string, unknown> | undefined | null = null;

  constructor(
    readonly status: number,
    private readonly payload: Buffer,
  ) {}

  get json(): Record<string, unknown> | undefined {
    if (this.#json === null) this.#json = jsonObjectOf(this.payload);
    return this.#json;
  }
}

/** A reader's answer: the hooks read a lookup's body whenever it succeeds, so it is parsed at once. */
const answerOf = (status: number, payload: Buffer): MlflowAnswer => ({ status, json: jsonObjectOf(payload) });

/** The request a reader sends: the path with its query, JSON headers, the workspace in `X-MLFLOW-WORKSPACE`. */
function requestOf(
  path: string,
  o: { query?: Record<string, string>; json?: unknown; workspace?: string | undefined },
) {
  const query = o.query ? `?${new URLSearchParams(o.query)}` : '';
  const headers: http.IncomingHttpHeaders = { accept: 'application/json' };
  if (o.json !== undefined) headers['content-type'] = 'application/json';
  if (o.workspace !== undefined) headers['x-mlflow-workspace'] = o.workspace;
  const body = o.json === undefined ? NO_BODY : Buffer.from(JSON.stringify(o.json));
  return { url: `${path}${query}`, headers, body };
}

/** MLflow over HTTP, as the MLflow client sends the workspace; `agent` keeps connections for the front door. */
export function httpMlflowReader(baseUrl: string | URL, agent?: http.Agent): MlflowReader {
  const base = new URL(baseUrl);
  return {
    call(method, path, o = {}) {
      const { url, headers, body } = requestOf(path, o);
      return new Promise<MlflowAnswer>((resolve, reject) => {
        const req = http.request(
          { ...(agent && { agent }), hostname: base.hostname, port: base.port, method, path: url, headers },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve(answerOf(res.statusCode ?? 502, Buffer.concat(chunks))));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
  };
}

/** MLflow in this process: the same requests, handed to the backend's dispatch without a second HTTP hop. */
export function dispatchMlflowReader(dispatch: MlflowDispatch): MlflowReader {
  return {
    async call(method, path, o = {}) {
      const { url, headers, body } = requestOf(path, o);
      const answer = await dispatch({ method, url, headers }, body);
      return answerOf(answer.status, answer.payload);
    },
  };
}
