// The kubernetes-auth gate: the plugin's request pipeline in front of an MLflow backend that does not run the
// real plugin (mlflow-workspaces-k8s-auth.md §10.2, in order): unprotected paths → workspace resolution (flat
// errors) → identity (nested errors) → rule lookup → deny / workspace-required → broad review → per-name reviews →
// collection policies → run-owner rewrite → upstream → response filters.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { createClock, type LabClock } from '../../../clock.js';
import { AuthlabError } from '../../../errors.js';
import { DEFAULT_HOST } from '../../../config/defaults.js';
import { listen } from '../../../listen.js';
import { childLogger, noopLogger, type Logger } from '../../../log.js';
import type { ResourceAttributes } from '../../../kube/types.js';
import { UpstreamUnreachable } from '../../../proxy/context.js';
import type { AuthApp } from '../auth-app.js';
import { DecisionCache } from './decision-cache.js';
import { DecisionRing, type DecisionRecord } from './decision-ring.js';
import { MESSAGES, pluginError, type GateError } from './errors.js';
import { resolveIdentity, type GateIdentity } from './identity.js';
import { NameLookups, parseNames, type RequestFields } from './names.js';
import type { GateOptions } from './options.js';
import type { AccessReviewer } from './reviewer.js';
import { compileRouteTable, type AuthRule, type RouteLookup } from './route-table.js';
import { WORKSPACE_PERMISSION_RESOURCE_PRIORITY } from './rules.js';
import { requestTarget, type RequestTarget } from './request-target.js';
import { hiddenNamespaces, resolveWorkspace } from './workspace.js';

/** Every review is for this API group (§3.1 `DEFAULT_AUTH_GROUP`). */
const GROUP = 'mlflow.kubeflow.org';
/** Bodies the gate reads to find names and rewrite `user_id`; artifact uploads stream through untouched. */
const MAX_JSON_BODY = 16 * 1024 * 1024;

export interface GateDecision {
  at: string;
  method: string;
  path: string;
  workspace: string | undefined;
  username: string | undefined;
  reviews: Array<{ attributes: ResourceAttributes; allowed: boolean; cached: boolean }>;
  status: number;
  outcome: string;
}

export interface GateConfig {
  /** The MLflow backend's base URL. */
  upstream: string;
  options: GateOptions;
  reviewer: AccessReviewer;
  /** Namespaces that exist (the kube API's list); the gate hides the provider's default globs among them. */
  namespaces: () => string[];
  clock?: LabClock;
  log?: Logger;
  host?: string;
  port?: number;
  /**
   * The backend's request handler when it runs in this process (the lab's emulator): requests reach it without a
   * second HTTP hop. The answer is the same bytes its HTTP server would send.
   */
  inProcess?: (req: InProcessRequest, body: Buffer) => Promise<InProcessResponse>;
  /**
   * The secret that reads the decision log on the gate's own port (`Authorization: Bearer <token>`); generated per
   * gate unless given. The CLI finds it in the lab's state file.
   */
  controlToken?: string;
}

export interface InProcessRequest {
  method?: string | undefined;
  url?: string | undefined;
  headers: http.IncomingHttpHeaders;
}

export interface InProcessResponse {
  status: number;
  headers: Record<string, string | number>;
  payload: Buffer;
}

export interface StartedGate extends AuthApp {
  readonly stack: 'kubernetes-auth';
  url: URL;
  /**
   * The gate's request handler, for a proxy in the same process: it resolves once the response is finished. The
   * lab's proxy hands requests to it directly instead of over HTTP, so proxy + gate cost one network hop, not two.
   * When MLflow cannot be reached before anything was answered, it rejects with `UpstreamUnreachable` and leaves
   * the response to the caller, which answers as it answers a dial failure of its own (the proxy's 502 page).
   * `proxyHeaders` are the proxy's own response headers (GAP-Auth, Set-Cookie…): every response the gate writes
   * carries them, first, as if the proxy had set them.
   */
  handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    proxyHeaders?: http.OutgoingHttpHeaders,
  ): Promise<void>;
  decisions(): GateDecision[];
  /** The bearer token `GET /_authlab/decisions` on the gate's own port requires. */
  controlToken: string;
  /** Forgets cached decisions (the plugin's cache is per process; a restart empties it). */
  clearCache(): void;
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Request headers the gate does not pass to MLflow: hop-by-hop ones, and the workspace it sets itself. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'x-mlflow-workspace']);

const DONE = Promise.resolve();

class Denied extends Error {
  constructor(readonly error: GateError) {
    super(error.body);
  }
}

export async function createGate(config: GateConfig): Promise<StartedGate> {
  const clock = config.clock ?? createClock();
  const log = childLogger(config.log ?? noopLogger, 'gate');
  const { options } = config;
  const table = compileRouteTable('3.11');
  const cache = new DecisionCache(clock, options.cacheTtlMs);
  const upstream = new URL(config.upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  // Kept with the time as a number: formatting it (toISOString) was the costliest line of a request's review.
  const decisions = new DecisionRing(1000);
  const recentDecisions = (): GateDecision[] =>
    decisions.list().map(({ atMs, ...d }) => ({ at: new Date(atMs).toISOString(), ...d }));
  const hidden = hiddenNamespaces(options.namespaceExcludeGlobs);
  // The globs' answer for a name never changes; kept for the names that exist (a bounded set), so a call runs no
  // regex.
  const shown = new Map<string, boolean>();
  const exists = (name: string) => {
    if (!config.namespaces().includes(name)) return false;
    let visible = shown.get(name);
    if (visible === undefined) shown.set(name, (visible = !hidden(name)));
    return visible;
  };

  /** The backend, called directly as the plugin reads MLflow's own stores (id → name lookups). */
  const backendGet = (path: string, workspace: string) =>
    new Promise<unknown>((resolve, reject) => {
      const req = http.get(
        new URL(path, upstream),
        { agent, headers: { 'x-mlflow-workspace': workspace, accept: 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200) return resolve(undefined);
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch (error) {
              reject(error as Error);
            }
          });
        },
      );
      req.on('error', (error) => reject(new UpstreamUnreachable(error, upstream)));
    });
  const lookups = new NameLookups(backendGet, clock);
  const controlToken = config.controlToken ?? randomBytes(32).toString('base64url');
  // An empty secret would match a request without one.
  if (controlToken.length < 16)
    throw new AuthlabError(
      'AUTHLAB_INVALID_ARGUMENT',
      'the gate control token is shorter than 16 characters',
      {
        hint: 'Leave controlToken out to have a random one generated, or give at least 16 random characters.',
      },
    );

  /**
   * Nothing a request does may take the lab down: an unexpected error is the plugin's INTERNAL_ERROR. MLflow out of
   * reach is what a dead MLflow process looks like: handed over by the proxy, the proxy answers it with its 502
   * page; on the gate's own port (MLflow's stand-in) the connection closes unanswered.
   */
  const failed = (req: http.IncomingMessage, res: http.ServerResponse, error: unknown): void => {
    if (error instanceof UpstreamUnreachable && !res.headersSent) {
      log.error(`MLflow backend ${upstream.href} unreachable: ${error.message}`);
      if (handedOver.has(res)) throw error;
      return void res.destroy();
    }
    log.error(`unexpected error on ${req.method} ${req.url}: ${(error as Error)?.message ?? String(error)}`);
    if (!res.headersSent) sendError(res, pluginError('INTERNAL_ERROR', (error as Error)?.message ?? ''));
    else res.destroy();
  };
  const run = (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    let done: Promise<void>;
    try {
      done = handle(req, res);
    } catch (error) {
      done = Promise.reject(error as Error);
    }
    return done.catch((error: unknown) => failed(req, res, error));
  };
  /** The in-process entry (`StartedGate.handle`): the proxy's request, with the proxy's own response headers. */
  const handedOver = new WeakSet<http.ServerResponse>();
  const safeHandle = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    proxyHeaders?: http.OutgoingHttpHeaders,
  ): Promise<void> => {
    handedOver.add(res);
    if (proxyHeaders !== undefined) addedHeaders.set(res, proxyHeaders);
    return run(req, res);
  };
  // The decision log names every caller, path and workspace: it is served on the gate's own port, to the holder of
  // the control token only, never to a request the proxy hands over (any valid token would do there).
  const server = http.createServer((req, res) => {
    if (isDecisionsRequest(req)) return serveDecisions(req, res);
    void run(req, res);
  });
  function serveDecisions(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!bearerMatches(req.headers.authorization, controlToken)) {
      const body = JSON.stringify({
        error: {
          code: 'UNAUTHENTICATED',
          message:
            "The lab's decision log needs the lab's control token (Authorization: Bearer <controlToken from the lab's state file>). Read it with: mlflow-authlab logs --decisions",
        },
      });
      res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      return void res.end(body);
    }
    const body = JSON.stringify({ decisions: recentDecisions() });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** Ends a decision: its status and outcome, into the log. */
  const finish = (record: DecisionRecord, status: number, outcome: string, reviewsGoOn = false): void => {
    record.status = status;
    record.outcome = outcome;
    decisions.add(record, reviewsGoOn);
  };

  /**
   * The pipeline up to the first step that has to wait. A client's repeated call (its broad reviews cached as
   * allowed, no body to read) is decided and handed to MLflow here, without an async frame or a closure per call;
   * any other request goes on in `decide`.
   */
  function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = requestTarget(req.url ?? '/');
    const method = req.method ?? 'GET';
    const found = table.lookup(method, url.pathname);
    // What is forwarded is the path the decision was made on (dot segments resolved), never the raw one.
    if (found.kind === 'unprotected') return forwardAsIs(req, res, `${url.pathname}${url.search}`);

    const record: DecisionRecord = {
      atMs: clock.now(),
      method,
      path: url.pathname,
      workspace: undefined,
      username: undefined,
      reviews: [],
      status: 0,
      outcome: '',
    };

    // Workspace resolution runs before authentication, in MLflow's flat shape (§5.1).
    const ws = resolveWorkspace(req.headers['x-mlflow-workspace'], {
      defaultWorkspace: options.defaultWorkspace,
      exists,
    });
    if ('error' in ws) {
      finish(record, ws.error.status, ws.error.message);
      sendError(res, { status: ws.error.status, body: JSON.stringify(ws.error.toJSON()) });
      return DONE;
    }
    const workspace = ws.workspace;
    record.workspace = workspace;

    const who = resolveIdentity(req.headers, options);
    if ('error' in who) {
      finish(record, 401, who.error);
      sendError(res, pluginError('UNAUTHENTICATED', who.error));
      return DONE;
    }
    const identity = who.identity;
    record.username = identity.username;

    if (found.kind === 'unmapped') {
      finish(record, 404, 'no rule for this route');
      sendError(res, pluginError('ENDPOINT_NOT_FOUND', MESSAGES.endpointNotFound));
      return DONE;
    }

    // Rules whose broad review is cached as allowed are decided here, as authorize() would decide them, without a
    // promise each: a client's repeated calls are all like that. The first other rule goes the whole way.
    const rules = found.entry.rules;
    let next = 0;
    while (next < rules.length && allowedFromCache(rules[next]!, workspace, identity.cacheKey, record))
      next++;
    if (next === rules.length && !readsBody(req, url.pathname)) {
      // Nothing left to decide or rewrite: no body (so no user_id to override, no rename to follow), no filter.
      finish(record, 200, 'allowed');
      return forward(req, res, `${url.pathname}${url.search}`, workspace);
    }
    return decide(req, res, url, found, record, identity, next);
  }

  /** The rest of the pipeline, from the first rule not decided from the cache (`next`); reads the body if JSON. */
  async function decide(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: RequestTarget,
    found: Extract<RouteLookup, { kind: 'rules' }>,
    record: DecisionRecord,
    identity: GateIdentity,
    next: number,
  ): Promise<void> {
    const { method, workspace } = record;
    const body = readsBody(req, url.pathname) ? await readBody(req) : NO_JSON;
    if (body.tooLarge) {
      finish(record, 413, 'request body too large for the gate to inspect');
      res.shouldKeepAlive = false;
      return sendError(
        res,
        pluginError('INVALID_PARAMETER_VALUE', `Request body exceeds ${MAX_JSON_BODY} bytes.`),
        413,
      );
    }
    const fields: RequestFields = {
      method,
      query: url.searchParams,
      body: body.json,
      params: found.params,
      headers: req.headers,
      path: url.pathname,
    };
    const review = async (attributes: ResourceAttributes): Promise<boolean> => {
      const key = DecisionCache.key(attributes);
      const hit = cache.get(identity.cacheKey, key);
      if (hit !== undefined) {
        record.reviews.push({ attributes, allowed: hit, cached: true });
        return hit;
      }
      const r = await config.reviewer.review(identity, attributes);
      if (r.kind === 'failed') throw new Denied(kubeFailure(r.status, r.detail, identity));
      cache.set(identity.cacheKey, key, r.allowed);
      record.reviews.push({ attributes, allowed: r.allowed, cached: false });
      return r.allowed;
    };

    let responseFilter: ResponseFilter | undefined;
    const rules = found.entry.rules;
    try {
      for (; next < rules.length; next++) {
        const filter = await authorize(rules[next]!, workspace, fields, review);
        responseFilter ??= filter;
      }
    } catch (error) {
      if (!(error instanceof Denied)) throw error;
      const parsed = JSON.parse(error.error.body) as { error: { message: string } };
      finish(record, error.error.status, parsed.error.message);
      return sendError(res, error.error);
    }

    // §7: runs/create is recorded under the caller, whatever user_id the body says.
    let payload =
      fields.changed && fields.body && method !== 'GET' ? Buffer.from(JSON.stringify(fields.body)) : body.raw;
    if (rules.some((r) => r.overrideRunUser) && identity.username && fields.body) {
      payload = Buffer.from(JSON.stringify({ ...fields.body, user_id: identity.username }));
    }
    // A response filter reviews each listed item after this: those reviews belong to this decision too.
    finish(record, 200, 'allowed', responseFilter !== undefined);
    let target = `${url.pathname}${url.search}`;
    if (fields.changed && method === 'GET') {
      const search = fields.query.toString();
      target = `${url.pathname}${search ? `?${search}` : ''}`;
    }
    await forward(
      req,
      res,
      target,
      workspace,
      payload,
      responseFilter && ((json) => responseFilter!(json, review)),
    );
    // After a rename the plugin updates its id → name cache (`apply_response_cache_updates`, §8).
    const renamed = fields.body?.experiment_id;
    if (
      renamed !== undefined &&
      workspace &&
      res.statusCode === 200 &&
      url.pathname.endsWith('/experiments/update')
    )
      lookups.forgetExperiment(workspace, String(renamed));
  }

  /**
   * authorize()'s answer for a rule that needs only its broad review, when the cache holds an allow for it: the
   * review is recorded as cached and true returned. False when the rule needs more (it is then authorized fully).
   */
  function allowedFromCache(
    rule: AuthRule,
    workspace: string | undefined,
    identityKey: string,
    record: DecisionRecord,
  ): boolean {
    if (rule.deny || rule.workspaceAccessCheck || rule.collectionPolicy === 'response_filter_workspaces')
      return false;
    if (rule.requiresWorkspace !== false && !workspace) return false;
    const broad = broadReview(rule, workspace);
    if (cache.get(identityKey, broad.key) !== true) return false;
    record.reviews.push(broad.allowedFromCache);
    return true;
  }

  /**
   * A rule's broad review in a workspace and its cache key, made once: workspaces are few, and a spread object and
   * a six-part key string on every call were a fifth of what the gate allocated.
   */
  const broadReviews = new Map<
    AuthRule,
    Map<
      string,
      { attributes: ResourceAttributes; key: string; allowedFromCache: GateDecision['reviews'][number] }
    >
  >();
  function broadReview(rule: AuthRule, workspace: string | undefined) {
    let byWorkspace = broadReviews.get(rule);
    if (byWorkspace === undefined) broadReviews.set(rule, (byWorkspace = new Map()));
    // No workspace is keyed apart from any name: '\0' is not a valid workspace name.
    const at = workspace ?? '\0';
    let broad = byWorkspace.get(at);
    if (broad === undefined) {
      const attributes = Object.freeze(broadAttributes(rule, workspace));
      broad = {
        attributes,
        key: DecisionCache.key(attributes),
        allowedFromCache: Object.freeze({ attributes, allowed: true, cached: true }),
      };
      byWorkspace.set(at, broad);
    }
    return broad;
  }

  type Review = (a: ResourceAttributes) => Promise<boolean>;
  type ResponseFilter = (json: Record<string, unknown>, review: Review) => Promise<Record<string, unknown>>;

  /** One rule of §4.2; returns a response filter when the collection policy needs one. */
  async function authorize(
    rule: AuthRule,
    workspace: string | undefined,
    f: RequestFields,
    review: Review,
  ): Promise<ResponseFilter | undefined> {
    if (rule.deny) throw new Denied(pluginError('PERMISSION_DENIED', rule.deny));
    if (rule.workspaceAccessCheck) {
      // §5.4: the header/default workspace wins; the path's name is used only without one, and only if it exists.
      const fromPath = f.params.workspace_name;
      const ns = workspace ?? (fromPath !== undefined && exists(fromPath) ? fromPath : undefined);
      for (const resource of WORKSPACE_PERMISSION_RESOURCE_PRIORITY) {
        if (ns && (await review({ group: GROUP, resource, verb: rule.verb, namespace: ns })))
          return undefined;
      }
      throw new Denied(pluginError('PERMISSION_DENIED', MESSAGES.denied));
    }
    if (rule.requiresWorkspace !== false && !workspace)
      throw new Denied(pluginError('INVALID_PARAMETER_VALUE', MESSAGES.workspaceRequired));
    const base = broadAttributes(rule, workspace);
    if (rule.collectionPolicy === 'response_filter_workspaces') return filterWorkspaces;
    if (await review(base)) return undefined;

    if (rule.nameParsers && rule.nameParsers.length > 0 && workspace) {
      let names: string[] | undefined = [];
      for (const parser of rule.nameParsers) {
        const got = await parseNames(parser, f, workspace, lookups);
        if (got === undefined) {
          names = undefined;
          break;
        }
        names.push(...got);
      }
      // Only an absent optional reference is skipped; one that is present but does not resolve is denied.
      if (names === undefined && rule.allowIfResourceReferenceMissing && !referencePresent(rule, f))
        return undefined;
      // §3.1: the name is dropped for bare create, so a per-name retry cannot differ from the broad one.
      const named = rule.verb === 'create' && !rule.subresource ? [] : (names ?? []);
      if (named.length > 0) {
        let all = true;
        for (const name of named) if (!(await review({ ...base, name }))) all = false;
        if (all) return undefined;
      }
    }
    const policy = rule.collectionPolicy;
    if (policy && workspace) {
      const filter = await collectionPolicy(policy, workspace, f, review);
      if (filter !== 'deny') return filter;
    }
    throw new Denied(pluginError('PERMISSION_DENIED', MESSAGES.denied));
  }

  /**
   * §4.4 collection policies, applied only once the broad check failed: narrow the request to readable experiments,
   * or filter the response's list by a per-name `get`.
   */
  async function collectionPolicy(
    policy: string,
    workspace: string,
    f: RequestFields,
    review: Review,
  ): Promise<ResponseFilter | undefined | 'deny'> {
    const readable = async (resource: string, name: string | undefined) =>
      name !== undefined &&
      (await review({ group: GROUP, resource, verb: 'get', namespace: workspace, name }));
    switch (policy) {
      case 'request_filter_experiment_ids': {
        const ids = Array.isArray(f.body?.experiment_ids)
          ? (f.body.experiment_ids as unknown[]).map(String)
          : [];
        const kept: string[] = [];
        for (const id of ids)
          if (await readable('experiments', await lookups.experimentName(workspace, id))) kept.push(id);
        if (kept.length === 0) return 'deny';
        if (f.body && kept.length !== ids.length) {
          f.body.experiment_ids = kept;
          f.changed = true;
        }
        return undefined;
      }
      case 'request_filter_experiment_id': {
        const id = f.body?.experiment_id ?? f.query.get('experiment_id') ?? undefined;
        const name = id === undefined ? undefined : await lookups.experimentName(workspace, String(id));
        return (await readable('experiments', name)) ? undefined : 'deny';
      }
      case 'request_filter_run_ids': {
        // GET …/metrics/get-history-bulk-interval carries run_ids in the query; narrowed there, like the body.
        const fromBody = Array.isArray(f.body?.run_ids)
          ? (f.body.run_ids as unknown[]).map(String)
          : undefined;
        const ids = fromBody ?? f.query.getAll('run_ids');
        const kept: string[] = [];
        for (const id of ids)
          if (await readable('experiments', await lookups.runExperimentName(workspace, id))) kept.push(id);
        if (kept.length === 0) return 'deny';
        if (kept.length !== ids.length) {
          if (fromBody && f.body) f.body.run_ids = kept;
          else {
            f.query.delete('run_ids');
            for (const id of kept) f.query.append('run_ids', id);
          }
          f.changed = true;
        }
        return undefined;
      }
      case 'response_filter_experiments':
        return listFilter('experiments', (e) => readable('experiments', str(e.name)));
      case 'response_filter_registered_models':
        return listFilter('registered_models', (m) => readable('registeredmodels', str(m.name)));
      case 'response_filter_model_versions':
        return listFilter('model_versions', (v) => readable('registeredmodels', str(v.name)));
      default:
        return 'deny';
    }
  }

  /** A response filter over one list key; a malformed body becomes `{}` (§4.4 "Response filtering details"). */
  function listFilter(
    key: string,
    keep: (item: Record<string, unknown>) => Promise<boolean>,
  ): ResponseFilter {
    return async (json) => {
      const list = json[key];
      if (list === undefined) return json;
      if (!Array.isArray(list)) return {};
      const kept = [];
      for (const item of list)
        if (item && typeof item === 'object' && (await keep(item as Record<string, unknown>)))
          kept.push(item);
      return { ...json, [key]: kept };
    };
  }

  /** The workspaces list: kept where the caller may `list` any priority resource in that namespace (§4.4). */
  const filterWorkspaces: ResponseFilter = async (json, review) => {
    const list = json.workspaces;
    if (list === undefined) return json;
    if (!Array.isArray(list)) return {};
    const kept = [];
    for (const w of list as Array<{ name?: unknown } | null>) {
      if (!w || typeof w.name !== 'string' || !exists(w.name)) continue;
      for (const resource of WORKSPACE_PERMISSION_RESOURCE_PRIORITY)
        if (await review({ group: GROUP, resource, verb: 'list', namespace: w.name })) {
          kept.push(w);
          break;
        }
    }
    return { ...json, workspaces: kept };
  };

  function kubeFailure(status: number, detail: string, identity: GateIdentity): GateError {
    if (status === 401) return pluginError('UNAUTHENTICATED', MESSAGES.kubeUnauthenticated);
    if (status === 403)
      return pluginError(
        'PERMISSION_DENIED',
        identity.mode === 'self' ? MESSAGES.ssarForbidden : MESSAGES.sarForbidden,
      );
    return pluginError('INTERNAL_ERROR', MESSAGES.kubeFailure(detail));
  }

  /**
   * The whole JSON body; `tooLarge` past MAX_JSON_BODY. The rest is then read and dropped while the 413 goes out
   * with `Connection: close`, so the connection ends instead of waiting on a body nobody reads (a `for await` that
   * returned early destroyed the stream and left the next request on the connection hanging).
   */
  function readBody(req: http.IncomingMessage): Promise<GateBody> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (c: Buffer) => {
        size += c.length;
        if (size <= MAX_JSON_BODY) return void chunks.push(c);
        req.off('data', onData);
        req.resume();
        resolve(TOO_LARGE);
      };
      req.on('data', onData);
      req.once('error', reject);
      req.once('end', () => {
        if (size > MAX_JSON_BODY) return;
        const raw = Buffer.concat(chunks);
        try {
          const v: unknown = JSON.parse(raw.toString('utf8'));
          resolve({
            raw,
            json:
              v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined,
          });
        } catch {
          resolve({ raw, json: undefined });
        }
      });
    });
  }

  function forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    workspace: string | undefined,
    payload?: Buffer,
    filter?: (json: Record<string, unknown>) => Promise<Record<string, unknown>>,
  ): Promise<void> {
    const headers = upstreamHeaders(req.headers, workspace, payload);
    if (config.inProcess) {
      const head = { method: req.method, url: path, headers };
      return answerInProcess(config.inProcess, req, res, head, payload, filter).catch((error: unknown) => {
        log.error(`backend failed: ${(error as Error)?.message ?? String(error)}`);
        if (!res.headersSent)
          sendError(
            res,
            pluginError('INTERNAL_ERROR', `MLflow backend failed: ${(error as Error)?.message}`),
          );
      });
    }
    return new Promise((resolve, reject) => {
      const up = http.request(
        {
          agent,
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path,
          headers,
        },
        (upRes) => {
          if (!filter || (upRes.statusCode ?? 500) >= 400) {
            const out: http.OutgoingHttpHeaders = { ...upRes.headers };
            delete out.connection;
            delete out['keep-alive'];
            writeHead(res, upRes.statusCode ?? 502, out);
            // pipeline: an upstream that dies mid-answer ends the client's response too, instead of a hang.
            pipeline(upRes, res, () => resolve());
            return;
          }
          const chunks: Buffer[] = [];
          upRes.on('data', (c: Buffer) => chunks.push(c));
          upRes.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              json = undefined;
            }
            const filtered =
              json && typeof json === 'object' && !Array.isArray(json)
                ? filter(json as Record<string, unknown>)
                : Promise.resolve({});
            void filtered.then(
              (out) => {
                const text = JSON.stringify(out);
                const h: http.OutgoingHttpHeaders = {
                  ...upRes.headers,
                  'content-length': String(Buffer.byteLength(text)),
                };
                delete h.connection;
                delete h['keep-alive'];
                delete h['transfer-encoding'];
                writeHead(res, upRes.statusCode ?? 200, h);
                res.end(text);
                resolve();
              },
              (error: unknown) => {
                // A review that failed while filtering answers like any failed review (401/403/500), never hangs.
                sendError(
                  res,
                  error instanceof Denied
                    ? error.error
                    : pluginError('INTERNAL_ERROR', (error as Error).message),
                );
                resolve();
              },
            );
          });
        },
      );
      up.on('error', (error) => {
        if (!res.headersSent) return reject(new UpstreamUnreachable(error, upstream));
        log.error(`MLflow backend ${upstream.href} failed mid-answer: ${error.message}`);
        res.destroy();
        resolve();
      });
      // A client that goes away takes the MLflow request with it.
      res.on('close', () => {
        if (!res.writableFinished) up.destroy();
      });
      if (payload !== undefined) up.end(payload);
      else req.pipe(up);
    });
  }

  /**
   * The in-process backend's answer written as the HTTP one would be: piped as it is, or (a search) parsed,
   * filtered by the caller's access and re-encoded. The body not read yet (unprotected paths) is read first; a
   * bodiless request goes to the backend at once.
   */
  function answerInProcess(
    backend: NonNullable<GateConfig['inProcess']>,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    head: InProcessRequest,
    payload: Buffer | undefined,
    filter: ((json: Record<string, unknown>) => Promise<Record<string, unknown>>) | undefined,
  ): Promise<void> {
    const body = payload ?? bodyIfComplete(req);
    let answered: Promise<InProcessResponse>;
    try {
      answered = body !== undefined ? backend(head, body) : readAll(req).then((all) => backend(head, all));
    } catch (error) {
      // A backend that throws instead of rejecting fails the same way.
      answered = Promise.reject(error as Error);
    }
    return answered.then((answer) => writeAnswer(res, answer, filter));
  }

  function writeAnswer(
    res: http.ServerResponse,
    answer: InProcessResponse,
    filter: ((json: Record<string, unknown>) => Promise<Record<string, unknown>>) | undefined,
  ): Promise<void> | undefined {
    if (res.destroyed) return;
    const out: http.OutgoingHttpHeaders = { ...answer.headers };
    if (!filter || answer.status >= 400) {
      writeHead(res, answer.status, out);
      res.end(answer.payload);
      return;
    }
    return writeFiltered(res, answer, out, filter);
  }

  async function writeFiltered(
    res: http.ServerResponse,
    answer: InProcessResponse,
    out: http.OutgoingHttpHeaders,
    filter: (json: Record<string, unknown>) => Promise<Record<string, unknown>>,
  ): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(answer.payload.toString('utf8'));
    } catch {
      json = undefined;
    }
    try {
      const filtered =
        json && typeof json === 'object' && !Array.isArray(json)
          ? await filter(json as Record<string, unknown>)
          : {};
      const text = JSON.stringify(filtered);
      for (const k of Object.keys(out)) if (k.toLowerCase() === 'content-length') delete out[k];
      out['content-length'] = String(Buffer.byteLength(text));
      writeHead(res, answer.status, out);
      res.end(text);
    } catch (error) {
      // A review that failed while filtering answers like any failed review (401/403/500), never hangs.
      sendError(
        res,
        error instanceof Denied ? error.error : pluginError('INTERNAL_ERROR', (error as Error).message),
      );
    }
  }

  /** Unprotected paths (health, static UI, server-info) go through untouched, workspace header included. */
  function forwardAsIs(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const header = req.headers['x-mlflow-workspace'];
    return forward(req, res, path, Array.isArray(header) ? header[0] : header);
  }

  await listen(server, config.host ?? DEFAULT_HOST, config.port ?? 0, 'gate', '--gate-port');
  const address = server.address() as AddressInfo;
  const dispose = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      agent.destroy();
    });
  return {
    url: new URL(`http://${address.address}:${address.port}/`),
    handle: safeHandle,
    decisions: recentDecisions,
    controlToken,
    clearCache: () => cache.clear(),
    stack: 'kubernetes-auth',
    frontDoor: false,
    reset: () => cache.clear(),
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** `GET /_authlab/decisions` (a query allowed), whatever the rest of the request says. */
function isDecisionsRequest(req: http.IncomingMessage): boolean {
  if (req.method !== 'GET' || !req.url?.startsWith('/_authlab/decisions')) return false;
  const rest = req.url.slice('/_authlab/decisions'.length);
  return rest === '' || rest.startsWith('?');
}

/** Whether `Authorization` is `Bearer <secret>`, compared in constant time. */
function bearerMatches(authorization: string | undefined, secret: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '');
  const expected = Buffer.from(secret);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The plugin's JSON error; a response that cannot be written any more (or at all) loses its connection instead. */
function sendError(res: http.ServerResponse, e: GateError, status = e.status): void {
  if (res.headersSent) return void res.destroy();
  try {
    writeHead(res, status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(e.body),
    });
    res.end(e.body);
  } catch {
    res.destroy();
  }
}

/** The headers a proxy in this process handed over with a response (`StartedGate.handle`'s `proxyHeaders`). */
const addedHeaders = new WeakMap<http.ServerResponse, http.OutgoingHttpHeaders>();

/**
 * Every response the gate writes, with the headers a proxy in this process handed over placed as Node places
 * headers set on the response first: each in the proxy's place, in the gate's spelling and with the gate's value
 * where it writes the same header, except cookies, which are merged (the proxy's first: a refreshed or cleared
 * session next to MLflow's own). Handed over rather than set: set first, they made Node merge every header of
 * every call one by one.
 */
function writeHead(res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders): void {
  const added = addedHeaders.get(res);
  let out = headers;
  if (added !== undefined) {
    out = {};
    for (const name in added) {
      const theirs = sameHeader(headers, name);
      if (theirs === undefined) out[name] = added[name];
      else if (name.toLowerCase() === 'set-cookie')
        out[theirs] = [...[added[name]!].flat().map(String), ...[headers[theirs]!].flat().map(String)];
      else out[theirs] = headers[theirs];
    }
    for (const name in headers) if (!(name in out)) out[name] = headers[name];
  }
  // Cookies the proxy set on the response itself (`setHeader`) are kept too: writeHead's would replace them.
  const prior = res.getHeader('set-cookie');
  const own = prior === undefined ? undefined : sameHeader(out, 'set-cookie');
  if (own !== undefined) out[own] = [...[prior!].flat().map(String), ...[out[own]!].flat().map(String)];
  res.writeHead(status, out);
}

/** The key of `headers` that names the same header as `name` (header names ignore case). */
function sameHeader(headers: http.OutgoingHttpHeaders, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const key in headers) if (key.length === lower.length && key.toLowerCase() === lower) return key;
  return undefined;
}

/** Whether the request carries the field an optional name parser reads (present but unresolved is not "missing"). */
function referencePresent(rule: AuthRule, f: RequestFields): boolean {
  const fields = [
    'secret_id',
    'trace_ids',
    'endpoint_id',
    'endpoint_name',
    'name',
    'experiment_id',
    'run_id',
  ];
  return (
    (rule.nameParsers ?? []).length > 0 &&
    fields.some(
      (k) => f.params[k] !== undefined || (f.body !== undefined && f.body[k] !== undefined) || f.query.has(k),
    )
  );
}

interface GateBody {
  raw: Buffer | undefined;
  json: Record<string, unknown> | undefined;
  tooLarge?: boolean;
}

/** What the gate reads of a request it does not read the body of. */
const NO_JSON: GateBody = Object.freeze({ raw: undefined, json: undefined });
const TOO_LARGE: GateBody = Object.freeze({ raw: undefined, json: undefined, tooLarge: true });

/**
 * The request headers MLflow gets: the hop-by-hop ones dropped, the reviewed workspace, the length of a rewritten
 * body. MLflow runs the request in the workspace that was reviewed: a missing or `default` header would otherwise
 * land in MLflow's own default workspace, which nobody was checked against. The request's own headers are passed
 * as they are when they already say all that (a proxy in front has dropped the hop-by-hop ones): no copy per call.
 */
function upstreamHeaders(
  incoming: http.IncomingHttpHeaders,
  workspace: string | undefined,
  payload: Buffer | undefined,
): http.IncomingHttpHeaders {
  if (
    payload === undefined &&
    incoming['x-mlflow-workspace'] === workspace &&
    incoming.connection === undefined &&
    incoming['keep-alive'] === undefined &&
    incoming['transfer-encoding'] === undefined
  )
    return incoming;
  // Copied by skipping, not `delete` (which turns V8 objects into slow dictionaries on every request).
  const headers: http.IncomingHttpHeaders = {};
  for (const name in incoming) if (!NOT_FORWARDED.has(name)) headers[name] = incoming[name];
  if (workspace !== undefined) headers['x-mlflow-workspace'] = workspace;
  if (payload !== undefined) headers['content-length'] = String(payload.length);
  return headers;
}

/** JSON bodies are read (names, user_id); anything else streams: GET, HEAD, other types, artifact uploads. */
function readsBody(req: http.IncomingMessage, pathname: string): boolean {
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return false;
  const type = String(req.headers['content-type'] ?? '');
  if (!(type.includes('json') || type === '')) return false;
  return !/^\/(api|ajax-api)\/2\.0\/mlflow-artifacts\//.test(pathname);
}

/** The broad review of a rule (§4.2): the rule's resource, verb and subresource in the request's workspace. */
function broadAttributes(rule: AuthRule, workspace: string | undefined): ResourceAttributes {
  return {
    group: GROUP,
    resource: rule.resource,
    verb: rule.verb,
    ...(workspace !== undefined && { namespace: workspace }),
    ...(rule.subresource !== undefined && { subresource: rule.subresource }),
  };
}

const NO_BODY = Buffer.alloc(0);

/**
 * A GET's message is complete before any handler runs: its (empty) body is known at once, without the stream
 * bookkeeping a read costs on every call. Undefined when the body has still to be read.
 */
function bodyIfComplete(req: http.IncomingMessage): Buffer | undefined {
  if (!(req.readableEnded || (req.complete && req.readableLength === 0))) return undefined;
  req.resume();
  return NO_BODY;
}

/** The whole request body. */
function readAll(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
