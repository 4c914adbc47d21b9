import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_CONFIG_FILE } from '../../config/defaults.js';
import { AuthlabError } from '../../errors.js';
import { startLab, type StartedLab } from '../../lab/start-lab.js';
import type { ContainerBackend } from '../../mlflow/backends/container.js';
import type { ProcessBackend } from '../../mlflow/backends/process.js';
import { labStateOf, removeLabState, writeLabState, type LabState } from '../../lab/state-file.js';
import { upDetached } from '../detach.js';
import { watchStarter } from '../lifeline.js';
import { mlflowOptionsFrom, withMlflowOptions, type MlflowArgs } from '../mlflow-options.js';
import { out, stderrLogger } from '../output.js';
import { tlsOptionFrom, withTlsOptions, type TlsArgs } from '../tls-options.js';

interface UpArgs extends MlflowArgs, TlsArgs {
  config?: string;
  port?: number;
  'idp-port'?: number;
  'kube-port'?: number;
  'mlflow-port'?: number;
  'state-dir'?: string;
  json: boolean;
  verbose: boolean;
  detach: boolean;
}

export const upCommand: CommandModule<object, UpArgs> = {
  command: 'up',
  describe: 'Start the lab in the foreground until Ctrl-C (SIGINT) or SIGTERM',
  builder: (y: Argv) =>
    withTlsOptions(withMlflowOptions(y))
      .option('config', {
        type: 'string',
        describe: 'lab config file (default: the default lab, fixtures/lab.yaml)',
      })
      .option('port', {
        type: 'number',
        describe: 'port of the auth proxy, the MLFLOW_TRACKING_URI; 0 = any free port (default 4180)',
      })
      .option('idp-port', {
        type: 'number',
        describe: 'port of the identity provider; 0 = any free port (default 5556)',
      })
      .option('kube-port', {
        type: 'number',
        describe: 'port of the fake Kubernetes API; 0 = any free port (default 6443)',
      })
      .option('mlflow-port', {
        type: 'number',
        describe: "port of MLflow's own server; 0 = any free port (default 5000)",
      })
      .option('state-dir', {
        type: 'string',
        describe:
          "keep MLflow's data (experiments, runs, models, artifacts) in this directory across restarts (default: in memory)",
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print one JSON object on stdout once ready',
      })
      .option('detach', {
        alias: 'd',
        type: 'boolean',
        default: false,
        describe: 'start the lab in the background and return once it is ready (stop it with "down")',
      })
      .option('verbose', {
        type: 'boolean',
        default: false,
        describe: 'log what the lab does to stderr',
      }) as Argv<UpArgs>,
  handler: async (argv) => {
    for (const flag of ['port', 'idp-port', 'kube-port', 'mlflow-port'] as const) {
      const value = argv[flag];
      if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value <= 65535)) {
        throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', `--${flag} ${String(value)} is not a port`, {
          hint: 'Give an integer in 0..65535 (0 picks a free port).',
        });
      }
    }
    if (argv.detach) {
      // The same command in the background: every option but --detach (and --json, added by upDetached).
      const args = process.argv.slice(3).filter((a) => !['--detach', '-d', '--json'].includes(a));
      const { info, pid, logFile } = await upDetached(args);
      if (argv.json) return out.json(info);
      out.info(
        `mlflow-authlab is up in the background (pid ${pid})\n` +
          `  tracking URI     ${String(info.trackingUri ?? '(none)')}\n` +
          `  issuer           ${String(info.issuer)}\n` +
          `  log              ${logFile}\n` +
          'next: eval "$(npx mlflow-authlab env)"; npx mlflow-authlab status; npx mlflow-authlab down',
      );
      return;
    }
    const configFile = path.resolve(argv.config ?? fileURLToPath(DEFAULT_CONFIG_FILE));
    // Signals are handled before anything says "ready", so a caller may stop the lab right after; so is the end of
    // whoever started it (a killed npx leaves the lab to init, with no signal).
    const signals = stopSignals();
    const lab = await startLab({
      config: configFile,
      log: stderrLogger(argv.verbose),
      mlflow: mlflowOptionsFrom(argv),
      ...(argv.auth !== undefined && { auth: argv.auth }),
      ...(tlsOptionFrom(argv) !== undefined && { tls: tlsOptionFrom(argv)! }),
      // Slow steps (an MLflow process coming up) say what they wait for; the banner follows once ready.
      onProgress: (message) => out.info(message),
      ...(argv['state-dir'] !== undefined && { stateDir: argv['state-dir'] }),
      ports: {
        ...(argv.port !== undefined && { proxy: argv.port }),
        ...(argv['idp-port'] !== undefined && { idp: argv['idp-port'] }),
        ...(argv['kube-port'] !== undefined && { kube: argv['kube-port'] }),
        ...(argv['mlflow-port'] !== undefined && { mlflow: argv['mlflow-port'] }),
      },
    }).catch((error: unknown) => {
      // Nothing to stop: let the process end on its own (and on Ctrl-C) with the error.
      signals.release();
      throw error;
    });
    const state = labStateOf(lab, configFile);
    try {
      await writeLabState(state);
    } catch (error) {
      // Another lab owns this place: this one stops, and nothing of it (stdin, a timer) keeps the process alive.
      signals.release();
      await lab.dispose();
      throw error;
    }
    if (argv.json) out.json({ ...lab.info(), stateFile: state.stateFile, pid: state.pid });
    out.info(banner(lab, state));
    keepRunningOnStrayErrors();
    const why = await signals.stopped;
    out.info(why ? `${why}: stopping the lab…` : 'stopping the lab…');
    try {
      await lab.dispose();
    } finally {
      // Whatever the console or a backend does on the way out, the state file goes with the lab.
      await removeLabState(state.stateFile);
    }
  },
};

/**
 * The first SIGINT/SIGTERM, or the end of the process that started the lab, resolves `stopped` (with the reason
 * for the latter); a signal while stopping ends the process at once.
 */
function stopSignals(): { stopped: Promise<string | undefined>; release(): void } {
  let stop!: (why?: string) => void;
  const stopped = new Promise<string | undefined>((resolve) => {
    stop = (why?: string) => {
      release();
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(why);
    };
  });
  const onSignal = () => stop();
  const unwatch = watchStarter(stop, { stdin: true });
  const release = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    unwatch();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { stopped, release };
}

/**
 * Each server answers its own errors (a 500, and the lab goes on); an error that escapes one anyway is logged with
 * its stack and the lab keeps serving, instead of taking every user's session and data with it.
 */
function keepRunningOnStrayErrors(): void {
  const report = (error: unknown) =>
    out.info(
      `error: an internal error escaped a request handler; the lab goes on (please report it):\n${
        error instanceof Error ? (error.stack ?? error.message) : String(error)
      }`,
    );
  process.on('uncaughtException', report);
  process.on('unhandledRejection', report);
}

function mlflowData(lab: StartedLab): string {
  const m = lab.mlflow;
  if (!m) return '(none)';
  if (m.emulator) {
    const dir = m.emulator.stateDir;
    return dir ? `${dir}  (kept across restarts)` : 'in memory (--state-dir D keeps it across restarts)';
  }
  if (m.server.kind === 'process') {
    const { dataDir } = m.server as ProcessBackend;
    return lab.stateDir
      ? `${dataDir}  (SQLite and artifacts, kept across restarts)`
      : `${dataDir}  (temporary, removed on stop; --state-dir D keeps it)`;
  }
  if (m.server.kind === 'container') {
    const { volume } = m.server as ContainerBackend;
    return volume
      ? `volume ${volume}  (SQLite and artifacts, kept across restarts)`
      : 'inside the container, removed on stop (--state-dir D keeps it in a named volume)';
  }
  return `wherever the server at ${m.url} keeps it (not managed by the lab)`;
}

/** What stands in front of MLflow, in one line. */
function authLine(lab: StartedLab): string {
  if (lab.auth === 'oidc-auth') {
    return lab.oidcAuth
      ? "oidc-auth: the mlflow-oidc-auth 7.3.1 plugin's rules (browser login, Bearer JWT, Basic access tokens)"
      : '(off: the real mlflow-oidc-auth plugin runs inside MLflow)';
  }
  if (lab.gate)
    return "kubernetes-auth: oauth2-proxy, then the plugin's rules (decisions: mlflow-authlab logs --decisions)";
  return lab.mlflow
    ? 'kubernetes-auth: oauth2-proxy (the real kubernetes-auth plugin runs inside MLflow)'
    : '(none: no MLflow)';
}

function banner(lab: StartedLab, state: LabState): string {
  // Passwords and secrets are shown for the default lab only, whose credentials are documented anyway.
  const demo = state.configFile === fileURLToPath(DEFAULT_CONFIG_FILE);
  const users = lab.config.users
    .map(
      (u) =>
        `    ${u.name.padEnd(9)} ${u.email.padEnd(22)} ${(demo ? (u.password ?? '(hash)') : '(not shown)').padEnd(18)} ${u.groups.join(', ') || '(no groups)'}`,
    )
    .join('\n');
  const clients = lab.config.clients
    .map((c) => `    ${c.id.padEnd(13)} ${c.grantTypes.join(', ')}`)
    .join('\n');
  return `mlflow-authlab is up (${lab.config.idp.flavour} flavour, config ${displayPath(state.configFile)})

  tracking URI     ${lab.trackingUri ?? '(no proxy: nothing to front)'}
  issuer           ${lab.issuer}
  discovery        ${lab.discoveryUrl}
  token endpoint   ${lab.tokenEndpoint}
  JWKS             ${lab.jwksUri}
  Kubernetes API   ${lab.kubeApiUrl}  (SelfSubjectAccessReviews with the lab's tokens; RBAC from the config)
  MLflow           ${lab.mlflow ? `${lab.mlflow.url}  (${lab.mlflow.backend}: ${lab.mlflow.reason})` : '(none)'}
  auth stack       ${authLine(lab)}
  MLflow data      ${mlflowData(lab)}
  state file       ${state.stateFile}${
    lab.tls
      ? `
  CA bundle        ${lab.tls.caFile}  (trust it: eval "$(npx mlflow-authlab env)" sets REQUESTS_CA_BUNDLE and friends)${
    lab.tls.faults.length > 0
      ? `
  TLS faults       ${lab.tls.faults.join(', ')} on the tracking URI (the IdP and the Kubernetes API stay valid)`
      : ''
  }`
      : ''
  }

  users (login with the e-mail):
${users}
  clients${demo ? ' (secret <id>-secret)' : ''}:
${clients}

next:${
    lab.trackingUri
      ? `
  eval "$(npx mlflow-authlab env --user alice --workspace team-a)"   # the stock MLflow SDK, through the ${lab.auth === 'oidc-auth' ? 'plugin' : 'proxy'}
  curl -s${lab.tls ? ` --cacert ${lab.tls.caFile}` : ''} -H "Authorization: Bearer $MLFLOW_TRACKING_TOKEN" ${lab.trackingUri}/api/2.0/mlflow/experiments/search?max_results=5${
    lab.auth === 'oidc-auth'
      ? `
  eval "$(npx mlflow-authlab env --user alice --basic)"   # Basic with an access token from the plugin's API
  open ${lab.trackingUri}/login in a browser to sign in (the plugin's session cookie)`
      : `
  npx mlflow-authlab can-i --user bob update experiments -n team-a   # the gate's RBAC, explained
  open ${lab.trackingUri}/ in a browser to sign in through the login page`
  }`
      : ''
  }
  npx mlflow-authlab token --user alice            # an id_token for alice through mlflow-cli
  npx mlflow-authlab token --grant client_credentials --client mlflow
  curl -s${lab.tls ? ` --cacert ${lab.tls.caFile}` : ''} -u ${demo ? 'mlflow-cli:mlflow-cli-secret' : '<client>:<secret>'} ${lab.tokenEndpoint} \\
    -d grant_type=password -d username=${demo ? 'alice@example.com -d password=alice-password' : '<e-mail> -d password=<password>'} -d 'scope=openid email groups'

Press Ctrl-C to stop.`;
}

/** Relative to the working directory when below it, else absolute. */
function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}
