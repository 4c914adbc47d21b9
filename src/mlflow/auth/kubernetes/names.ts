// The plugin's resource-name parsers (mlflow-workspaces-k8s-auth.md §4.2 "Name parsers"): the MLflow *names* a
// per-name access review is asked about, read from the request and, for ids, looked up in the backend inside the
// caller's workspace. An id that does not resolve yields no name, so the per-name review cannot allow it.
import type { LabClock } from '../../../clock.js';
import { UpstreamUnreachable } from '../../../proxy/context.js';

/** What a parser may read: query (GET), JSON body (POST/PATCH/PUT), body or query (DELETE), path params, headers. */
export interface RequestFields {
  method: string;
  query: URLSearchParams;
  body: Record<string, unknown> | undefined;
  params: Readonly<Record<string, string>>;
  headers: Record<string, string | string[] | undefined>;
  path: string;
  /** Set when a collection policy narrowed the body; the gate then sends the rewritten body upstream. */
  changed?: boolean;
}

/** Calls the MLflow backend directly (behind the gate) as the server itself would read its store. */
export type BackendGet = (path: string, workspace: string) => Promise<unknown>;

/** One field from the place the plugin reads it for this method. */
function field(f: RequestFields, name: string): unknown {
  const fromBody = f.body && Object.hasOwn(f.body, name) ? f.body[name] : undefined;
  const fromQuery = f.query.getAll(name);
  const q = fromQuery.length === 0 ? undefined : fromQuery.length === 1 ? fromQuery[0] : fromQuery;
  if (f.params[name] !== undefined) return f.params[name];
  if (f.method === 'GET') return q;
  if (f.method === 'DELETE') return fromBody ?? q;
  return fromBody;
}

const str = (v: unknown) =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
const one = (v: string | undefined) => (v === undefined ? undefined : [v]);
const strs = (v: unknown) =>
  Array.isArray(v) ? v.map(str).filter((x): x is string => x !== undefined) : str(v) ? [str(v)!] : [];

/** Id → name lookups, cached 60 s on the lab clock as the plugin's lookup caches are (§8). */
export class NameLookups {
  readonly #cache = new Map<string, { value: string | undefined; expiresAt: number }>();
  constructor(
    private readonly get: BackendGet,
    private readonly clock: LabClock,
  ) {}

  async #cached(key: string, load: () => Promise<string | undefined>): Promise<string | undefined> {
    const hit = this.#cache.get(key);
    if (hit && hit.expiresAt > this.clock.now()) return hit.value;
    // An answer MLflow cannot give is no name; MLflow out of reach is the proxy's 502, not a denial.
    const value = await load().catch((error: unknown) => {
      if (error instanceof UpstreamUnreachable) throw error;
      return undefined;
    });
    // Misses are not cached: an experiment created a moment later must resolve.
    if (value !== undefined) this.#cache.set(key, { value, expiresAt: this.clock.now() + 60_000 });
    return value;
  }

  experimentName(workspace: string, id: string): Promise<string | undefined> {
    return this.#cached(`e\0${workspace}\0${id}`, async () => {
      const r = (await this.get(
        `/api/2.0/mlflow/experiments/get?experiment_id=${encodeURIComponent(id)}`,
        workspace,
      )) as {
        experiment?: { name?: string };
      };
      return r?.experiment?.name;
    });
  }

  async runExperimentName(workspace: string, runId: string): Promise<string | undefined> {
    const experimentId = await this.#cached(`r\0${workspace}\0${runId}`, async () => {
      const r = (await this.get(
        `/api/2.0/mlflow/runs/get?run_id=${encodeURIComponent(runId)}`,
        workspace,
      )) as {
        run?: { info?: { experiment_id?: string } };
      };
      return r?.run?.info?.experiment_id;
    });
    return experimentId === undefined ? undefined : this.experimentName(workspace, experimentId);
  }

  /** After a successful rename the plugin updates its name cache (`apply_response_cache_updates`). */
  forgetExperiment(workspace: string, id: string): void {
    this.#cache.delete(`e\0${workspace}\0${id}`);
  }
}

/**
 * The names one parser yields for a request; `undefined` when it cannot resolve (unknown id, missing field), which
 * the caller treats as "denied" unless the rule allows a missing reference.
 */
export async function parseNames(
  parser: string,
  f: RequestFields,
  workspace: string,
  lookups: NameLookups,
): Promise<string[] | undefined> {
  const all = async (ids: string[], one: (id: string) => Promise<string | undefined>) => {
    if (ids.length === 0) return undefined;
    const names = await Promise.all(ids.map(one));
    return names.every((n) => n !== undefined) ? (names as string[]) : undefined;
  };
  switch (parser) {
    case 'experiment_name':
      return one(str(field(f, 'experiment_name')));
    case 'new_experiment_name':
    case 'new_registered_model_name':
      return one(str(field(f, 'new_name')));
    case 'registered_model_name':
      return one(str(field(f, 'name')));
    case 'experiment_id_to_name':
      return all(strs(field(f, 'experiment_id')).slice(0, 1), (id) => lookups.experimentName(workspace, id));
    case 'experiment_ids_to_names':
      return all(strs(field(f, 'experiment_ids')), (id) => lookups.experimentName(workspace, id));
    case 'run_id_to_experiment_name': {
      const id = str(field(f, 'run_id')) ?? str(field(f, 'run_uuid')) ?? str(f.query.get('run_id'));
      return all(id ? [id] : [], (r) => lookups.runExperimentName(workspace, r));
    }
    case 'artifact_experiment_id_to_name': {
      const path = f.params.artifact_path ?? f.query.get('path') ?? '';
      const m = /^(\d+)\//.exec(path);
      return all(m ? [m[1]!] : [], (id) => lookups.experimentName(workspace, id));
    }
    case 'otel_experiment_id_header_to_name': {
      const h = f.headers['x-mlflow-experiment-id'];
      const id = str(Array.isArray(h) ? h[0] : h);
      return all(id ? [id] : [], (e) => lookups.experimentName(workspace, e));
    }
    default:
      // Parsers for objects the lab's backends do not serve (logged models, traces, datasets, webhooks, jobs,
      // gateway): unresolved, as the plugin's parser is when the object does not exist.
      return undefined;
  }
}
