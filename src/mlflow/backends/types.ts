import { AuthlabError } from '../../errors.js';

/** The kinds of MLflow server the lab can front (DESIGN.md, "mlflow/backends"). */
export type MlflowBackendKind = 'emulator' | 'process' | 'external' | 'container';

/** One running MLflow server behind the lab, whatever started it. */
export interface MlflowBackend {
  kind: MlflowBackendKind;
  /** The server's base URL, no trailing slash. */
  url: string;
  /** Why this backend was chosen, for the banner and `--json`. */
  reason: string;
  /** The server's last output lines, oldest first (empty when it has none of its own). */
  logs(): string[];
  /** Back to a fresh server; only backends that own their data can do it. */
  reset?(): void;
  /** Stops what this backend started (nothing for an external server). Safe to call twice. */
  dispose(): Promise<void>;
}

export interface LabWorkspace {
  name: string;
  description?: string;
}

/** How many of a server's last lines go into a start-up error. */
export const START_ERROR_LOG_LINES = 50;

/** Keeps the last `size` lines; a child's chatter never grows the lab's memory. */
export class LineRing {
  private readonly lines: string[] = [];
  constructor(private readonly size: number) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.splice(0, this.lines.length - this.size);
  }
  last(n = this.size): string[] {
    return this.lines.slice(-n);
  }
}

/** The lines an error shows: the server's last output, indented, or a note that there was none. */
export function logDetails(lines: string[]): string[] {
  const last = lines.slice(-START_ERROR_LOG_LINES);
  if (last.length === 0) return ['(the server printed nothing)'];
  return [`last ${last.length} line(s) of the server's output:`, ...last.map((l) => `  | ${l}`)];
}

export interface WaitForHealthOptions {
  /** Give up after this long; default 120 s (a first `mlflow server` start with a fresh SQLite store is slow). */
  timeoutMs?: number;
  /** Between two polls; default 250 ms. */
  intervalMs?: number;
  /** Called about every `progressEveryMs` (default 2 s) while waiting, with a line for the user. */
  onProgress?: (message: string) => void;
  progressEveryMs?: number;
  /**
   * Whether the server can still come up; a process backend answers false once its child has exited, so the wait
   * stops at once instead of running into the timeout. The returned string, if any, says why (e.g. the exit code).
   */
  isAlive?: () => boolean | string;
  /** The server's last lines for the error. */
  logs?: () => string[];
  /** What the error's hint suggests. */
  hint?: string;
  /**
   * Whether a failed poll ends the wait at once, e.g. ECONNREFUSED for a server that should already be running;
   * gets the poll's error (`ECONNREFUSED`, `GET /health answered 503 …`).
   */
  fatal?: (why: string) => boolean;
  /** How to reach the server; default the global fetch (a server the lab started under TLS: one trusting its CA). */
  fetch?: typeof globalThis.fetch;
}

/**
 * Polls `GET <url>/health` until MLflow answers 200 `OK` (what `mlflow server` serves once its app is loaded), or
 * 200 `{"status":"ok"}`: the mlflow-oidc-auth plugin's own health route, which answers in front of MLflow's
 * (mlflow-oidc-auth.md §4.8). Gives up with AUTHLAB_MLFLOW_START_FAILED naming the URL and the server's last lines.
 */
export async function waitForHealth(url: string, options: WaitForHealthOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const intervalMs = options.intervalMs ?? 250;
  const progressEveryMs = options.progressEveryMs ?? 2_000;
  const started = Date.now();
  let nextProgress = started + progressEveryMs;
  let last: string;
  const fail = (why: string) =>
    new AuthlabError('AUTHLAB_MLFLOW_START_FAILED', `MLflow at ${url} did not become healthy: ${why}`, {
      // A server the lab did not start has no output to show.
      ...(options.logs && { details: logDetails(options.logs()) }),
      hint: options.hint ?? `Check that an MLflow server runs at ${url} and answers GET /health.`,
    });
  for (;;) {
    const alive = options.isAlive?.() ?? true;
    if (alive !== true) throw fail(typeof alive === 'string' ? alive : 'the server stopped');
    try {
      const res = await (options.fetch ?? fetch)(`${url}/health`, {
        signal: AbortSignal.timeout(Math.max(intervalMs, 2_000)),
      });
      const text = await res.text();
      if (res.status === 200 && (text.trim() === 'OK' || text.trim() === '{"status":"ok"}')) return;
      last = `GET /health answered ${res.status} ${JSON.stringify(text.slice(0, 100))}`;
    } catch (error) {
      last = describeFetchError(error);
    }
    if (options.fatal?.(last)) throw fail(last);
    const now = Date.now();
    if (now - started >= timeoutMs)
      throw fail(`no healthy answer within ${Math.round(timeoutMs / 1000)} s (${last})`);
    if (now >= nextProgress) {
      options.onProgress?.(`waiting for MLflow at ${url} (${Math.round((now - started) / 1000)}s)`);
      nextProgress = now + progressEveryMs;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `fetch failed` says nothing; the cause's code (ECONNREFUSED…) does. */
export function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return cause.code;
  // e.g. `bad port`: fetch refuses the ports browsers block (1, 6000, 6665-6669…).
  if (cause?.message) return cause.message;
  return (error as Error)?.message ?? String(error);
}

export interface EnsureWorkspacesResult {
  /** False when the server has no workspaces API (older than MLflow 3.10, or started without --enable-workspaces). */
  supported: boolean;
  created: string[];
}

const WORKSPACES_PATH = '/api/3.0/mlflow/workspaces';

/**
 * Creates the lab's workspaces through MLflow's workspaces API: lists them, then creates the missing ones. A
 * workspace made meanwhile by someone else (RESOURCE_ALREADY_EXISTS) is fine. The `default` workspace is
 * MLflow's own and never created. `o.headers` go with every call: an auth app in front of MLflow (the
 * mlflow-oidc-auth plugin) lets an admin's session through.
 */
export async function ensureWorkspaces(
  url: string,
  workspaces: readonly LabWorkspace[],
  o: { fetch?: typeof globalThis.fetch; headers?: Record<string, string> } = {},
): Promise<EnsureWorkspacesResult> {
  const fetch = o.fetch ?? globalThis.fetch;
  const list = await fetch(url + WORKSPACES_PATH, {
    headers: o.headers ?? {},
    signal: AbortSignal.timeout(10_000),
  });
  const listBody = await list.text();
  if (list.status === 404 || /ENDPOINT_NOT_FOUND|FEATURE_DISABLED/.test(listBody)) {
    return { supported: false, created: [] };
  }
  if (list.status !== 200) throw workspaceError(url, `GET ${WORKSPACES_PATH}`, list.status, listBody);
  const existing = new Set(
    ((JSON.parse(listBody) as { workspaces?: Array<{ name: string }> }).workspaces ?? []).map((w) => w.name),
  );
  const created: string[] = [];
  for (const w of workspaces) {
    if (w.name === 'default' || existing.has(w.name)) continue;
    const res = await fetch(url + WORKSPACES_PATH, {
      method: 'POST',
      headers: { ...o.headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: w.name,
        ...(w.description !== undefined && { description: w.description }),
      }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = await res.text();
    if (res.status === 201 || res.status === 200) created.push(w.name);
    else if (!body.includes('RESOURCE_ALREADY_EXISTS'))
      throw workspaceError(url, `POST ${WORKSPACES_PATH} (${w.name})`, res.status, body);
  }
  return { supported: true, created };
}

function workspaceError(url: string, call: string, status: number, body: string): AuthlabError {
  return new AuthlabError(
    'AUTHLAB_MLFLOW_START_FAILED',
    `could not create the lab's workspaces in MLflow at ${url}: ${call} answered ${status} ${body.slice(0, 300)}`,
    { hint: 'The lab needs an MLflow 3.10 or later started with --enable-workspaces.' },
  );
}
