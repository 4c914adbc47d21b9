import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { DEFAULT_HOST } from '../../config/defaults.js';
import { AuthlabError, isAuthlabError } from '../../errors.js';
import { childLogger, type Logger } from '../../log.js';
import {
  OIDC_PLUGIN_START_TIMEOUT_MS,
  OIDC_USERS_DB_FILE,
  oidcPluginArgs,
  oidcPluginEnv,
  type OidcPluginSetup,
} from './plugins.js';
import { reservePort } from './reserve-port.js';
import {
  ensureWorkspaces,
  LineRing,
  logDetails,
  waitForHealth,
  type LabWorkspace,
  type MlflowBackend,
} from './types.js';

export interface ProcessBackend extends MlflowBackend {
  kind: 'process';
  /** The MLflow server's pid (the leader of its process group), under the watchdog. */
  pid: number;
  /** The watchdog's pid: the lab's direct child. */
  watchdogPid: number;
  port: number;
  /** Where the SQLite store and the artifacts are kept: `<stateDir>/mlflow-process`, or a temporary directory. */
  dataDir: string;
  /** Milliseconds from spawn to a healthy server with the lab's workspaces. */
  startMs: number;
}

export interface ProcessBackendOptions {
  /** How to run MLflow: `mlflow`, or `/venv/bin/python -m mlflow`; split on whitespace, quotes honoured. */
  command: string;
  host?: string;
  /** 0 = a free port, picked before MLflow starts. */
  port: number;
  /** Keeps MLflow's SQLite store and artifacts in `<stateDir>/mlflow-process`; default: a temporary directory. */
  stateDir?: string;
  workspaces: readonly LabWorkspace[];
  log: Logger;
  onProgress?: (message: string) => void;
  reason?: string;
  /** How long MLflow may take to answer `/health`; default 120 s (oidc-auth: 240 s). */
  startTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL on dispose; default 5 s. */
  stopGraceMs?: number;
  /**
   * Runs a real plugin in that MLflow (it must be installed there): kubernetes-auth with `--app-name kubernetes-auth
   * --workspace-store-uri kubernetes://`, KUBECONFIG pointing at the lab's fake kube-apiserver and the plugin's env;
   * or oidc-auth with `--app-name oidc-auth`, its settings, its database in the data directory and, under TLS, the
   * lab's certificate on its server and the lab CA in its trust variables (plugins.ts).
   */
  plugin?: { name: 'kubernetes-auth'; kubeconfig: string; env: Record<string, string> } | OidcPluginSetup;
  /** How the lab reaches the server it starts; under TLS (the oidc-auth plugin serves it) one trusting the lab CA. */
  fetch?: typeof globalThis.fetch;
}

/** How many of the server's lines are kept for errors and `logs()`. */
const RING_SIZE = 200;

/**
 * Runs `<command> server …` as a child, the way the vendor guide starts MLflow: workspaces on, a SQLite store,
 * proxied artifacts. Waits for `/health`, creates the lab's workspaces, and stops the server (and its workers) on
 * dispose, or when the lab dies without disposing (see watchdog.ts).
 */
export async function startProcessBackend(options: ProcessBackendOptions): Promise<ProcessBackend> {
  const log = childLogger(options.log, 'mlflow');
  const argv = splitCommand(options.command);
  const [file, ...prefix] = argv;
  if (file === undefined) {
    throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', 'the MLflow command is empty', {
      hint: 'Give the command that runs MLflow, e.g. --mlflow-command mlflow or --mlflow-command "/venv/bin/python -m mlflow".',
    });
  }
  const host = options.host ?? DEFAULT_HOST;
  const graceMs = options.stopGraceMs ?? 5_000;
  const port = await reservePort(host, options.port);
  const ownDir = options.stateDir === undefined;
  const dataDir =
    options.stateDir === undefined
      ? await mkdtemp(path.join(tmpdir(), 'authlab-mlflow-'))
      : path.join(path.resolve(options.stateDir), 'mlflow-process');
  await mkdir(path.join(dataDir, 'artifacts'), { recursive: true, mode: 0o700 });
  const oidc = options.plugin?.name === 'oidc-auth' ? options.plugin : undefined;
  // Under TLS the plugin serves the lab's certificate itself (plugins.ts oidcPluginArgs), from files only it reads.
  const tlsFiles = oidc?.serverTls && {
    cert: path.join(dataDir, 'server.pem'),
    key: path.join(dataDir, 'server-key.pem'),
  };
  if (oidc?.serverTls && tlsFiles) {
    await writeFile(tlsFiles.cert, oidc.serverTls.cert, { mode: 0o644 });
    await writeFile(tlsFiles.key, oidc.serverTls.key, { mode: 0o600 });
  }
  const caFile = oidc?.caPem === undefined ? undefined : path.join(dataDir, 'ca.pem');
  if (caFile !== undefined) await writeFile(caFile, oidc!.caPem!, { mode: 0o644 });
  const args = [
    ...prefix,
    'server',
    ...['--host', host, '--port', String(port)],
    '--enable-workspaces',
    ...['--backend-store-uri', `sqlite:///${path.join(dataDir, 'mlflow.db')}`],
    '--serve-artifacts',
    ...['--artifacts-destination', path.join(dataDir, 'artifacts')],
    ...(oidc
      ? oidcPluginArgs(tlsFiles)
      : options.plugin
        ? ['--app-name', options.plugin.name, '--workspace-store-uri', 'kubernetes://']
        : []),
  ];
  const env: Record<string, string> = {};
  if (oidc) {
    Object.assign(env, oidcPluginEnv(oidc, { dbFile: path.join(dataDir, OIDC_USERS_DB_FILE), caFile }));
  } else if (options.plugin?.name === 'kubernetes-auth') {
    const kubeconfig = path.join(dataDir, 'kubeconfig');
    await writeFile(kubeconfig, options.plugin.kubeconfig, { mode: 0o600 });
    Object.assign(env, options.plugin.env, { KUBECONFIG: kubeconfig });
  }
  const url = `${tlsFiles ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const commandLine = [file, ...args].join(' ');
  log.info(`starting MLflow: ${commandLine}`);
  options.onProgress?.(`starting MLflow: ${commandLine}`);

  const ring = new LineRing(RING_SIZE);
  const began = Date.now();
  const watchdog = spawnWatchdog(file, args, graceMs, ownDir ? dataDir : undefined, env);
  const capture = (stream: NodeJS.ReadableStream | null) =>
    stream &&
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      ring.push(line);
      log.debug(line);
    });
  capture(watchdog.stdout);
  capture(watchdog.stderr);

  // Settles once the watchdog has exited and its output has been read.
  let exit: string | undefined;
  let stopping = false;
  const exited = watchdog.then((result) => {
    exit = result.signal ? `it was killed by ${result.signal}` : `it exited with code ${result.exitCode}`;
    if (!stopping) {
      log.warn(`MLflow at ${url} stopped: ${exit}; its last lines:\n${ring.last(20).join('\n')}`);
    }
  });

  let pid: number | undefined;
  let disposing: Promise<void> | undefined;
  const dispose = () =>
    (disposing ??= (async () => {
      stopping = true;
      if (exit === undefined) {
        watchdog.kill('SIGTERM');
        // The watchdog escalates to SIGKILL after the grace period itself; this is for a watchdog that hangs.
        const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs + 2_000).unref());
        if ((await Promise.race([exited, timer])) === 'timeout') {
          watchdog.kill('SIGKILL');
          if (pid !== undefined) killGroup(pid);
          await exited;
        }
      }
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    })());

  try {
    pid = await serverPid(
      watchdog,
      exited,
      () => exit,
      () => ring.last(),
    );
    await waitForHealth(url, {
      timeoutMs: options.startTimeoutMs ?? (oidc ? OIDC_PLUGIN_START_TIMEOUT_MS : 120_000),
      ...(options.fetch && { fetch: options.fetch }),
      isAlive: () => (exit === undefined ? true : `the MLflow process stopped during start-up: ${exit}`),
      logs: () => ring.last(),
      ...(options.onProgress && { onProgress: options.onProgress }),
      hint: `Check that "${options.command} server --help" works and the MLflow is 3.10 or later (workspaces); run with --verbose to see its output.`,
    });
    // With the kubernetes-auth plugin, workspaces are the fake kube-apiserver's namespaces, and creating one is
    // refused; the oidc-auth plugin lets only its admins create them, which the lab does once it has signed one in.
    const { supported, created } = options.plugin
      ? { supported: true, created: [] }
      : await ensureWorkspaces(url, options.workspaces);
    if (!supported) {
      throw new AuthlabError(
        'AUTHLAB_MLFLOW_START_FAILED',
        `MLflow at ${url} has no workspaces API although it was started with --enable-workspaces`,
        {
          details: logDetails(ring.last()),
          hint: 'Use MLflow 3.10 or later (pip install -U "mlflow>=3.10").',
        },
      );
    }
    if (created.length > 0) log.info(`created workspaces: ${created.join(', ')}`);
  } catch (error) {
    // The error shows the output up to now; a start that never got this far leaves nothing running.
    await dispose();
    throw isAuthlabError(error)
      ? error
      : new AuthlabError(
          'AUTHLAB_MLFLOW_START_FAILED',
          `MLflow (${commandLine}) did not start: ${String(error)}`,
          {
            cause: error,
            details: logDetails(ring.last()),
          },
        );
  }
  const startMs = Date.now() - began;
  log.info(`MLflow (pid ${pid}) healthy at ${url} after ${startMs} ms`);
  return {
    kind: 'process',
    url,
    reason: options.reason ?? `asked for (--mlflow process --mlflow-command ${options.command})`,
    pid,
    watchdogPid: watchdog.pid ?? -1,
    port,
    dataDir,
    startMs,
    logs: () => ring.last(),
    dispose,
  };
}

/** The watchdog module next to this one: the built `.js`, or the source `.ts` when running from src (tests). */
function watchdogModule(): string {
  for (const name of ['watchdog.js', 'watchdog.ts']) {
    const file = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new AuthlabError('AUTHLAB_INTERNAL', 'the MLflow watchdog module is missing next to process.js', {
    hint: 'Reinstall mlflow-authlab (or run "npm run build").',
  });
}

function spawnWatchdog(
  file: string,
  args: string[],
  graceMs: number,
  tempDir: string | undefined,
  env: Record<string, string>,
) {
  const module = watchdogModule();
  const flags = module.endsWith('.ts')
    ? [
        ...(process.features.typescript ? [] : ['--experimental-strip-types']),
        '--disable-warning=ExperimentalWarning',
      ]
    : [];
  return execa(process.execPath, [...flags, module, String(graceMs), tempDir ?? '-', file, ...args], {
    ipc: true,
    // Killed with the lab when the lab exits normally; the watchdog covers the abnormal ends.
    cleanup: true,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    forceKillAfterDelay: false,
    // Python buffers its output when it is not a terminal; the lab wants the lines as they come.
    env: { PYTHONUNBUFFERED: '1', ...env },
  });
}

/** Waits for the watchdog's word that the server runs, and its pid; or for the watchdog's end. */
async function serverPid(
  watchdog: ReturnType<typeof spawnWatchdog>,
  exited: Promise<void>,
  exit: () => string | undefined,
  logs: () => string[],
): Promise<number> {
  const isStarted = (m: unknown): m is { type: 'started'; pid: number } =>
    typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'started';
  // Rejects when the watchdog ends without the message; `exited` says why.
  const started = watchdog
    .getOneMessage({ filter: isStarted })
    .then((m) => (isStarted(m) ? m.pid : undefined))
    .catch(() => undefined);
  const pid = await Promise.race([started, exited.then(() => undefined)]);
  if (pid === undefined) {
    // The watchdog is ending (or has): its exit status and last output say why.
    await exited;
    throw new AuthlabError(
      'AUTHLAB_MLFLOW_START_FAILED',
      `the MLflow process could not be started: ${exit()}`,
      {
        details: logDetails(logs()),
        hint: 'Check the --mlflow-command: is the program installed and on PATH?',
      },
    );
  }
  return pid;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/**
 * Splits a command line on whitespace; single and double quotes group words (`"/my venv/bin/python" -m mlflow`),
 * a backslash escapes the next character outside single quotes. No other shell syntax.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < command.length) word += command[++i]!;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < command.length) {
      word = (word ?? '') + command[++i]!;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (quote) {
    throw new AuthlabError(
      'AUTHLAB_INVALID_ARGUMENT',
      `unbalanced ${quote} in the MLflow command: ${command}`,
      {
        hint: 'Close the quote, e.g. --mlflow-command "\'/my venv/bin/python\' -m mlflow".',
      },
    );
  }
  if (word !== undefined) words.push(word);
  return words;
}
