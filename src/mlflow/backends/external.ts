import { AuthlabError } from '../../errors.js';
import { childLogger, type Logger } from '../../log.js';
import { ensureWorkspaces, waitForHealth, type LabWorkspace, type MlflowBackend } from './types.js';

export interface ExternalBackend extends MlflowBackend {
  kind: 'external';
}

export interface ExternalBackendOptions {
  /** The MLflow server someone already runs, e.g. `http://127.0.0.1:5000`. */
  url: string;
  reason?: string;
  workspaces: readonly LabWorkspace[];
  log: Logger;
  /** How long to wait for `/health`; default 10 s: the server is supposed to be up already. */
  timeoutMs?: number;
  onProgress?: (message: string) => void;
}

/**
 * Fronts an MLflow server the lab did not start: checks it answers, creates the lab's workspaces in it, and leaves
 * it running on dispose.
 */
export async function startExternalBackend(options: ExternalBackendOptions): Promise<ExternalBackend> {
  const log = childLogger(options.log, 'mlflow');
  const url = normalizeMlflowUrl(options.url);
  await waitForHealth(url, {
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.onProgress && { onProgress: options.onProgress }),
    // Nothing listening, no such host, or a port fetch refuses: waiting will not change that.
    fatal: (why) => /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|bad port)$/.test(why),
    hint: `Start the MLflow server first (e.g. "mlflow server --enable-workspaces --host 127.0.0.1 --port ${new URL(url).port || 80}"), or check --mlflow-url.`,
  });
  const { supported, created } = await ensureWorkspaces(url, options.workspaces);
  if (!supported) {
    // A server without workspaces still serves the default workspace; the lab's other workspaces will not exist.
    log.warn(
      `MLflow at ${url} has no workspaces API (older than 3.10, or started without --enable-workspaces): the lab's workspaces were not created`,
    );
  } else if (created.length > 0) log.info(`created workspaces in MLflow at ${url}: ${created.join(', ')}`);
  return {
    kind: 'external',
    url,
    reason: options.reason ?? `asked for (--mlflow-url ${url})`,
    logs: () => [],
    dispose: async () => {},
  };
}

/** An http(s) URL without a trailing slash; anything else is a usage error with a hint. */
export function normalizeMlflowUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badUrl(raw);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badUrl(raw);
  return url.href.replace(/\/+$/, '');
}

const badUrl = (raw: string) =>
  new AuthlabError('AUTHLAB_INVALID_ARGUMENT', `--mlflow-url ${JSON.stringify(raw)} is not an http(s) URL`, {
    hint: 'Give the MLflow server’s base URL, e.g. --mlflow-url http://127.0.0.1:5000',
  });
