import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_CONFIG_FILE } from '../../config/defaults.js';
import { AuthlabError } from '../../errors.js';
import { labEnv } from '../../lab/env.js';
import { CONTEXT_ENV, labContextOf } from '../../testing/context.js';
import { startLab } from '../../lab/start-lab.js';
import { labStateOf, removeLabState, writeLabState } from '../../lab/state-file.js';
import { watchStarter } from '../lifeline.js';
import { mlflowOptionsFrom, withMlflowOptions, type MlflowArgs } from '../mlflow-options.js';
import { out, stderrLogger } from '../output.js';
import { tlsOptionFrom, withTlsOptions, type TlsArgs } from '../tls-options.js';

interface ExecArgs extends MlflowArgs, TlsArgs {
  config?: string;
  user: string;
  workspace?: string;
  port: number;
  'idp-port': number;
  'kube-port': number;
  'mlflow-port': number;
  verbose: boolean;
  '--'?: Array<string | number>;
}

/**
 * `mlflow-authlab exec -- <cmd>`: a throwaway lab around one command (DESIGN.md "CLI"). The command runs with the
 * `env` of the lab (tracking URI, a token, the workspace, `AUTHLAB_*`), signals are passed on to it, the lab stops
 * when it ends, and its exit status is ours. Ports default to free ones, so parallel CI jobs do not collide.
 */
export const execCommand: CommandModule<object, ExecArgs> = {
  command: 'exec',
  describe:
    'Start a lab, run a command against it (with the env of "env"), stop the lab, exit with its status',
  builder: (y: Argv) =>
    withTlsOptions(withMlflowOptions(y))
      .parserConfiguration({ 'populate--': true })
      .usage('$0 exec [options] -- <command> [args…]')
      .option('config', { type: 'string', describe: 'lab config file (default: the default lab)' })
      .option('user', {
        type: 'string',
        default: 'alice',
        describe: 'whose token goes in MLFLOW_TRACKING_TOKEN',
      })
      .option('workspace', { type: 'string', describe: 'MLFLOW_WORKSPACE (default: the lab’s default)' })
      .option('port', { type: 'number', default: 0, describe: 'proxy port (default: any free port)' })
      .option('idp-port', { type: 'number', default: 0, describe: 'IdP port (default: any free port)' })
      .option('kube-port', {
        type: 'number',
        default: 0,
        describe: 'Kubernetes API port (default: any free port)',
      })
      .option('mlflow-port', { type: 'number', default: 0, describe: 'MLflow port (default: any free port)' })
      .option('verbose', {
        type: 'boolean',
        default: false,
        describe: 'log what the lab does to stderr',
      }) as Argv<ExecArgs>,
  handler: async (argv) => {
    const command = (argv['--'] ?? []).map(String);
    if (command.length === 0)
      throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', 'exec needs a command after "--"', {
        hint: 'For example: npx mlflow-authlab exec -- python train.py',
      });
    const configFile = path.resolve(argv.config ?? fileURLToPath(DEFAULT_CONFIG_FILE));
    const lab = await startLab({
      config: configFile,
      log: stderrLogger(argv.verbose),
      mlflow: mlflowOptionsFrom(argv),
      ...(argv.auth !== undefined && { auth: argv.auth }),
      ...(tlsOptionFrom(argv) !== undefined && { tls: tlsOptionFrom(argv)! }),
      onProgress: (message) => out.info(message),
      ports: {
        proxy: argv.port,
        idp: argv['idp-port'],
        kube: argv['kube-port'],
        mlflow: argv['mlflow-port'],
      },
    });
    const state = labStateOf(lab, configFile);
    let code: number;
    try {
      await writeLabState(state);
      const workspace = argv.workspace ?? lab.config.workspaces.default;
      const env = labEnv({
        trackingUri: lab.trackingUri!,
        issuer: lab.issuer,
        kubeApiUrl: lab.kubeApiUrl,
        token: await lab.token({ user: argv.user }),
        ...(workspace !== undefined && { workspace }),
        home: path.dirname(state.stateFile),
        ...(lab.tls && { caFile: lab.tls.caFile }),
      });
      // labFromEnv() in a Node child (mlflow-authlab/testing) finds the lab through this.
      env[CONTEXT_ENV] = JSON.stringify(labContextOf(lab));
      code = await run(command, env);
    } finally {
      await lab.dispose();
      await removeLabState(state.stateFile);
    }
    if (code !== 0) out.info(`exec: the command exited with status ${code}`);
    process.exitCode = code;
  },
};

/** Runs the command with the lab's env on top of ours, passing SIGINT/SIGTERM on; resolves to a shell-style status. */
function run(command: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env: { ...process.env, ...env } });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    // Whoever started exec going away (a killed npx) ends the command, and with it the lab. The command reads
    // stdin itself, so only the parent is watched.
    const unwatch = watchStarter(
      (why) => {
        out.info(`${why}: stopping the command and the lab…`);
        child.kill('SIGTERM');
      },
      { stdin: false },
    );
    const done = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      unwatch();
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      done();
      reject(
        new AuthlabError('AUTHLAB_INVALID_ARGUMENT', `cannot run ${command[0]}: ${error.message}`, {
          hint: 'Check the command after "--" exists and is on PATH.',
          cause: error,
        }),
      );
    });
    child.on('exit', (code, signal) => {
      done();
      // As a shell reports it: 128 + the signal number for a command killed by a signal.
      const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
      resolve(code ?? 128 + (signal ? (signals[signal] ?? 1) : 1));
    });
  });
}
