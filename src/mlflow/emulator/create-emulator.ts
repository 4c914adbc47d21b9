import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createClock, type LabClock } from '../../clock.js';
import { DEFAULT_HOST } from '../../config/defaults.js';
import { AuthlabError } from '../../errors.js';
import { listen } from '../../listen.js';
import { childLogger, noopLogger, type Logger } from '../../log.js';
import { artifactRoutes } from './handlers/artifacts.js';
import { experimentHandlers } from './handlers/experiments.js';
import { registryRoutes } from './handlers/registry.js';
import { ModelRegistry } from './registry/model-registry.js';
import { searchHandlers } from './handlers/search.js';
import { runHandlers } from './handlers/runs.js';
import { checkWorkspaceName, workspaceHandlers, workspaceNotFound } from './handlers/workspaces.js';
import { MlflowError } from './errors.js';
import {
  encode,
  errorResponse,
  HtmlError,
  sendError,
  type ApiRequest,
  type ApiResponse,
  type EncodedResponse,
} from './http.js';
import { Router } from './router.js';
import { STATE_FILE_NAME, serializeState, readSnapshot, restoreState } from './state/snapshot.js';
import { SnapshotWriter } from './state/writer.js';
import { DEFAULT_WORKSPACE, TrackingStore } from './tracking-store.js';

/** The MLflow version the emulator answers as; its behaviour is that of the golden corpus. */
export const EMULATED_MLFLOW_VERSION = '3.11.2.dev0';

export interface EmulatorOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  clock?: LabClock;
  log?: Logger;
  /** Largest request body in bytes; default 512 MiB. */
  maxBodyBytes?: number;
  /** Run ids (32 hex characters); random by default. The golden replay passes the recorded ones. */
  newRunId?: () => string;
  /**
   * Where proxied artifacts are stored; default: `<stateDir>/artifacts`, or without a state directory a fresh
   * temporary directory, removed on dispose.
   */
  artifactRoot?: string;
  /**
   * Keeps the data across restarts: read from `<stateDir>/mlflow-emulator.json` at start, saved there shortly
   * after each change and on dispose. Default: none, the data lives in memory only.
   */
  stateDir?: string;
  /** Workspaces to create at start (the lab's), besides `default`. */
  workspaces?: Array<{ name: string; description?: string }>;
}

/** What the emulator reads of a request besides its body. */
export interface RequestHead {
  method?: string | undefined;
  url?: string | undefined;
  headers: http.IncomingHttpHeaders;
}

export interface StartedEmulator {
  url: URL;
  /**
   * Answers one request in this process, as its HTTP server would (the lab's gate calls it instead of a second
   * HTTP hop). `url` is the path and query as sent.
   */
  dispatch(req: RequestHead, body: Buffer): Promise<EncodedResponse>;
  artifactRoot: string;
  /** The directory the data is kept in (absolute), or undefined when it lives in memory only. */
  stateDir: string | undefined;
  /** The live data. Changes made here directly are saved with the next change made over HTTP, or on dispose. */
  store: TrackingStore;
  /**
   * Back to a fresh server: only the `default` workspace (and the configured ones) and experiment 0, no
   * artifacts; with a state directory, its saved state goes too.
   */
  reset(): void;
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Largest request body accepted (artifact uploads included); larger ones get Werkzeug's 413 page. */
export const DEFAULT_MAX_BODY_BYTES = 512 * 1024 * 1024;

/**
 * An in-process MLflow tracking server that answers like a real MLflow 3.11 server with `--enable-workspaces`
 * and proxied artifacts, judged against golden/mlflow-3.11/.
 */
export async function createMlflowEmulator(options: EmulatorOptions = {}): Promise<StartedEmulator> {
  const clock = options.clock ?? createClock();
  const log = childLogger(options.log ?? noopLogger, 'mlflow');
  const store = new TrackingStore(clock, options.newRunId);
  const registry = new ModelRegistry(store);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const seed = () => {
    for (const w of options.workspaces ?? []) {
      if (!store.workspaces.has(w.name))
        store.workspaces.set(w.name, { name: w.name, ...(w.description && { description: w.description }) });
    }
  };

  const stateDir = options.stateDir === undefined ? undefined : path.resolve(options.stateDir);
  let writer: SnapshotWriter | undefined;
  if (stateDir !== undefined) {
    const file = path.join(stateDir, STATE_FILE_NAME);
    const saved = readSnapshot(file);
    if (saved) restoreState(saved, store, registry);
    seed();
    writer = new SnapshotWriter(file, () => serializeState(store, registry), log);
    // Creates the directory and proves it writable before anything is served.
    await writer.write();
    log.info(`MLflow data ${saved ? 'read from' : 'kept in'} ${file}`);
  } else seed();

  const ownRoot = options.artifactRoot === undefined && stateDir === undefined;
  let artifactRoot: string;
  if (options.artifactRoot !== undefined) artifactRoot = options.artifactRoot;
  else if (stateDir !== undefined) {
    artifactRoot = path.join(stateDir, 'artifacts');
    mkdirSync(artifactRoot, { recursive: true, mode: 0o700 });
  } else artifactRoot = await mkdtemp(path.join(tmpdir(), 'authlab-artifacts-'));
  const router = buildRouter(store, registry, { artifactRoot });

  const inFlight = new Set<Promise<void>>();
  let disposed: Promise<void> | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= maxBody) chunks.push(c);
      else if (!res.headersSent) {
        // Answer at once and drop the connection rather than buffer or store a cut-off body.
        res.setHeader('Connection', 'close');
        sendError(res, new HtmlError(413));
        req.destroy();
      }
    });
    req.on('end', () => {
      if (res.headersSent || disposed) return;
      void tracked(respond(req, Buffer.concat(chunks))).then(
        (out) => {
          res.writeHead(out.status, out.headers);
          res.end(out.payload);
        },
        (error: unknown) => {
          log.error(`internal error: ${(error as Error)?.stack ?? String(error)}`);
          if (!res.headersSent) sendError(res, error);
        },
      );
    });
  });

  /** dispose() waits for handlers under way, so none writes to a removed artifact root or state. */
  function tracked<T>(work: Promise<T>): Promise<T> {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
    return work;
  }
  server.keepAliveTimeout = 65_000;

  /** One request, answered as bytes; the HTTP server writes them, the lab's gate may call this directly. */
  async function respond(req: RequestHead, body: Buffer): Promise<EncodedResponse> {
    // The path as sent: WHATWG URL parsing would resolve `..` and `%2e%2e` before MLflow's own path checks.
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q === -1 ? raw : raw.slice(0, q);
    const method = req.method ?? 'GET';
    let out: ApiResponse;
    try {
      const workspace = resolveWorkspace(req, pathname, store);
      const { handler, tail } = router.resolve(method, pathname);
      const apiRequest: ApiRequest = {
        method,
        path: pathname,
        tail,
        query: new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)),
        body,
        contentType: req.headers['content-type'],
        workspace,
        raw: req,
      };
      out = await handler(apiRequest);
    } catch (error) {
      // MLflow's own errors and Werkzeug pages are answers; anything else is a bug of the emulator, logged.
      if (!(error instanceof MlflowError) && !(error instanceof HtmlError)) {
        log.error(`internal error on ${method} ${pathname}: ${(error as Error)?.stack ?? String(error)}`);
      }
      out = errorResponse(error);
    } finally {
      // A failed request may have changed something too (a batch half applied); a spare write costs little.
      if (writer && changesState(method, pathname)) writer.changed();
    }
    return encode(out);
  }

  try {
    await listen(server, options.host ?? DEFAULT_HOST, options.port ?? 0, 'MLflow emulator', '--mlflow-port');
  } catch (error) {
    if (ownRoot) await rm(artifactRoot, { recursive: true, force: true });
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = new URL(`http://${options.host ?? DEFAULT_HOST}:${port}`);
  log.info(`MLflow emulator (${EMULATED_MLFLOW_VERSION}) at ${url.href}`);

  const dispose = () =>
    (disposed ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.allSettled([...inFlight]);
      try {
        await writer?.flush();
      } finally {
        if (ownRoot) await rm(artifactRoot, { recursive: true, force: true });
      }
    })());
  return {
    url,
    dispatch: (req, body) => {
      if (disposed) return Promise.reject(new Error('the MLflow emulator has been disposed'));
      return tracked(respond(req, body));
    },
    artifactRoot,
    stateDir,
    store,
    reset: () => {
      if (disposed) {
        throw new AuthlabError('AUTHLAB_DISPOSED', 'this MLflow emulator has been disposed', {
          hint: 'Start a new one; reset() after dispose() would delete saved data.',
        });
      }
      // The fresh state is what a start without a saved state gives: nothing to save until the next change.
      writer?.discard();
      store.reset();
      // Artifacts go with the runs that owned them; a root the caller passed in is theirs to manage.
      if (options.artifactRoot === undefined) emptyDirectory(artifactRoot);
      seed();
    },
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}

/**
 * Requests that may change the data to save: all but reads, the searches MLflow sends as POST, and artifact
 * transfers (their files are on disk already).
 */
function changesState(method: string, pathname: string): boolean {
  return (
    method !== 'GET' &&
    method !== 'HEAD' &&
    !pathname.includes('/mlflow-artifacts/') &&
    !/\/(search|get-latest-versions)$/.test(pathname)
  );
}

function emptyDirectory(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) rmSync(path.join(dir, entry), { recursive: true, force: true });
}

/**
 * `X-MLFLOW-WORKSPACE`: empty means `default`; an invalid name is a 400; an unknown one a 404 on every route,
 * `/health` included, except `server-info` (golden README, "Workspaces" 15).
 */
function resolveWorkspace(req: RequestHead, pathname: string, store: TrackingStore): string {
  const header = req.headers['x-mlflow-workspace'];
  const name = (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
  if (name === '') return DEFAULT_WORKSPACE;
  if (pathname.endsWith('/mlflow/server-info')) return store.workspaces.has(name) ? name : DEFAULT_WORKSPACE;
  checkWorkspaceName(name);
  if (!store.workspaces.has(name)) throw workspaceNotFound(name);
  return name;
}

function buildRouter(
  store: TrackingStore,
  registry: ModelRegistry,
  options: { artifactRoot: string },
): Router {
  const experiments = experimentHandlers(store);
  const runs = runHandlers(store);
  const workspaces = workspaceHandlers(store, registry);
  const search = searchHandlers(store);
  const m = '/2.0/mlflow';
  const router = new Router();
  registryRoutes(router, store, registry);
  artifactRoutes(router, store, options);
  return (
    router
      .plain('GET', '/health', () => ({ text: 'OK' }))
      .plain('GET', '/version', () => ({ text: EMULATED_MLFLOW_VERSION }))
      .api('GET', '/3.0/mlflow/server-info', () => ({
        json: { store_type: 'SqlStore', workspaces_enabled: true },
      }))
      // Experiments
      .api('POST', `${m}/experiments/create`, experiments.create)
      .api('GET', `${m}/experiments/get`, experiments.get)
      .api('GET', `${m}/experiments/get-by-name`, experiments.getByName)
      .api('POST', `${m}/experiments/update`, experiments.update)
      .api('POST', `${m}/experiments/delete`, experiments.delete)
      .api('POST', `${m}/experiments/restore`, experiments.restore)
      .api('POST', `${m}/experiments/set-experiment-tag`, experiments.setTag)
      .api('POST', `${m}/experiments/delete-experiment-tag`, experiments.deleteTag)
      .api('POST', `${m}/experiments/search`, search.experiments)
      .api('GET', `${m}/experiments/search`, search.experiments)
      .api('POST', `${m}/runs/search`, search.runs)
      // Runs
      .api('POST', `${m}/runs/create`, runs.create)
      .api('GET', `${m}/runs/get`, runs.get)
      .api('POST', `${m}/runs/update`, runs.update)
      .api('POST', `${m}/runs/delete`, runs.delete)
      .api('POST', `${m}/runs/restore`, runs.restore)
      .api('POST', `${m}/runs/log-parameter`, runs.logParameter)
      .api('POST', `${m}/runs/log-metric`, runs.logMetric)
      .api('POST', `${m}/runs/set-tag`, runs.setTag)
      .api('POST', `${m}/runs/delete-tag`, runs.deleteTag)
      .api('POST', `${m}/runs/log-batch`, runs.logBatch)
      .api('POST', `${m}/runs/log-inputs`, runs.logInputs)
      .api('GET', `${m}/metrics/get-history`, runs.metricHistory)
      // The client's implicit logged-model lookup; the emulator keeps no logged models yet.
      .api('POST', `${m}/logged-models/search`, () => ({ json: {} }))
      // Workspaces (MLflow 3.10+)
      .api('GET', '/3.0/mlflow/workspaces', workspaces.list)
      .api('POST', '/3.0/mlflow/workspaces', workspaces.create)
      .apiPrefix('GET', '/3.0/mlflow/workspaces', workspaces.get)
      .apiPrefix('PATCH', '/3.0/mlflow/workspaces', workspaces.update)
      .apiPrefix('DELETE', '/3.0/mlflow/workspaces', workspaces.delete)
  );
}
