import type { Argv } from 'yargs';
import { AUTH_STACKS, type AuthStack } from '../config/defaults.js';
import {
  MLFLOW_BACKENDS,
  MLFLOW_PLUGINS,
  type LabMlflowOptions,
  type MlflowBackendChoice,
  type MlflowPlugin,
} from '../lab/start-lab.js';

/** The `--auth` and `--mlflow*` flags `up` and `exec` share (DESIGN.md "CLI": `exec [up options]`). */
export interface MlflowArgs {
  auth?: AuthStack;
  mlflow: MlflowBackendChoice;
  'mlflow-image'?: string;
  'mlflow-plugin'?: MlflowPlugin;
  'mlflow-command'?: string;
  'mlflow-url'?: string;
}

export function withMlflowOptions<T>(y: Argv<T>): Argv<T & MlflowArgs> {
  return y
    .option('auth', {
      choices: AUTH_STACKS,
      describe:
        "the auth stack in front of MLflow (default: the config's auth:, else kubernetes-auth): kubernetes-auth (oauth2-proxy + the kubernetes-auth plugin's rules) or oidc-auth (the mlflow-oidc-auth plugin behind Keycloak)",
    })
    .option('mlflow', {
      choices: MLFLOW_BACKENDS,
      default: 'auto' as const,
      describe:
        'the MLflow behind the lab: auto (a container when a container engine answers, else the emulator), emulator, container, process (--mlflow-command), external (--mlflow-url), none',
    })
    .option('mlflow-image', {
      type: 'string',
      describe:
        'with --mlflow container or auto: the image to run instead of the pinned official MLflow image (docker/mlflow/Dockerfile)',
    })
    .option('mlflow-plugin', {
      choices: MLFLOW_PLUGINS,
      describe:
        "run the real plugin inside MLflow (container or process) instead of the lab's emulation of it: kubernetes-auth (against the lab's Kubernetes API, the gate off) or oidc-auth (with --auth oidc-auth: mlflow-oidc-auth 7.3.1, its own server the tracking URI)",
    })
    .option('mlflow-command', {
      type: 'string',
      describe:
        'with --mlflow process: how to run MLflow, e.g. mlflow or "/venv/bin/python -m mlflow" (the lab adds "server" and its flags)',
    })
    .option('mlflow-url', {
      type: 'string',
      describe: 'with --mlflow external: the base URL of an MLflow server that already runs',
    }) as Argv<T & MlflowArgs>;
}

export function mlflowOptionsFrom(argv: MlflowArgs): LabMlflowOptions {
  return {
    backend: argv.mlflow,
    ...(argv['mlflow-image'] !== undefined && { image: argv['mlflow-image'] }),
    ...(argv['mlflow-plugin'] !== undefined && { plugin: argv['mlflow-plugin'] }),
    ...(argv['mlflow-command'] !== undefined && { command: argv['mlflow-command'] }),
    ...(argv['mlflow-url'] !== undefined && { url: argv['mlflow-url'] }),
  };
}
