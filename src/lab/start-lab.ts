import path from 'node:path';
import { createClock, type LabClock } from '../clock.js';
import { loadConfig, resolveObject } from '../config/load.js';
import type { ResolvedLabConfig } from '../config/resolve.js';
import type { LabConfigInput } from '../config/schema.js';
import { AuthlabError } from '../errors.js';
import { createIdp, type StartedIdp } from '../idp/create-idp.js';
import { noopLogger, type Logger } from '../log.js';
import { createMlflowEmulator, type StartedEmulator } from '../mlflow/emulator/create-emulator.js';
import { pickToken, requestToken, type TokenOptions, type TokenResponse } from './request-token.js';

/** MLflow backends; the container and process kinds come with their issue, `none` runs no MLflow. */
export const MLFLOW_BACKENDS = ['auto', 'emulator', 'none'] as const;
export type MlflowBackendChoice = (typeof MLFLOW_BACKENDS)[number];

export interface LabOptions {
  /** A lab.yaml path, a config object, or nothing for the default lab (fixtures/lab.yaml). */
  config?: string | LabConfigInput;
  /** Ports; 0 = any free port. Default: the config's ports (IdP 5556, MLflow 5000). */
  ports?: { idp?: number; mlflow?: number };
  /** Which MLflow runs behind the lab; `auto` (default) picks the emulator today. */
  mlflow?: { backend?: MlflowBackendChoice };
  host?: string;
  /** The lab's one clock; pass one to control time from a test (`lab.clock.advance('25h')`). */
  clock?: LabClock;
  log?: Logger;
  /**
   * Keeps the lab's data across restarts in this directory (relative to the working directory): MLflow's
   * experiments, runs, models and artifacts under `<stateDir>/mlflow`. Default: none, everything in memory.
   */
  stateDir?: string;
}

/** The object `up --json` prints, with the fields of the parts that exist (DESIGN.md "CLI"). */
export interface LabInfo {
  issuer: string;
  tokenEndpoint: string;
  mlflow?: { backend: string; url: string };
}

export interface LabMlflow {
  backend: 'emulator';
  /** Why this backend was chosen, for the banner. */
  reason: string;
  url: string;
  emulator: StartedEmulator;
}

export interface StartedLab {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly discoveryUrl: string;
  readonly jwksUri: string;
  readonly config: ResolvedLabConfig;
  readonly clock: LabClock;
  readonly idp: StartedIdp;
  /** The MLflow server behind the lab, unless `mlflow: { backend: 'none' }`. */
  readonly mlflow: LabMlflow | undefined;
  /** Where the data is kept across restarts (absolute), or undefined when it lives in memory only. */
  readonly stateDir: string | undefined;
  /** The token the vendor guide uses: password grant → id_token; client_credentials → access_token. */
  token(options?: TokenOptions): Promise<string>;
  /** The whole token-endpoint response. */
  tokenResponse(options?: TokenOptions): Promise<TokenResponse>;
  /** Signs with a new key from now on; the old key stays in JWKS for the ID-token lifetime. */
  rotateKeys(): Promise<void>;
  /** Clears MLflow's data (experiments, runs, models, artifacts; saved ones too) for the next test. */
  reset(): void;
  info(): LabInfo;
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a lab: the identity provider, then MLflow; disposed in reverse order. */
export async function startLab(options: LabOptions = {}): Promise<StartedLab> {
  const config =
    typeof options.config === 'string' || options.config === undefined
      ? await loadConfig(options.config === undefined ? {} : { file: options.config })
      : await resolveObject(options.config);
  for (const [name, port] of Object.entries(options.ports ?? {})) {
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', `ports.${name} ${String(port)} is not a port`, {
        hint: 'Give an integer in 0..65535 (0 picks a free port).',
      });
    }
  }
  const clock = options.clock ?? createClock();
  const log = options.log ?? noopLogger;
  const stateDir = options.stateDir === undefined ? undefined : path.resolve(options.stateDir);
  const idp = await createIdp({
    config,
    clock,
    log,
    ...(options.host && { host: options.host }),
    ...(options.ports?.idp !== undefined && { port: options.ports.idp }),
  });

  let mlflow: LabMlflow | undefined;
  const backend = options.mlflow?.backend ?? 'auto';
  try {
    if (backend !== 'none') {
      const emulator = await createMlflowEmulator({
        clock,
        log,
        port: options.ports?.mlflow ?? config.ports.mlflow,
        workspaces: config.workspaces.items,
        ...(options.host && { host: options.host }),
        ...(stateDir !== undefined && { stateDir: path.join(stateDir, 'mlflow') }),
      });
      mlflow = {
        backend: 'emulator',
        reason:
          backend === 'emulator'
            ? 'asked for (--mlflow emulator)'
            : 'auto: the container and process backends are not part of this release',
        url: emulator.url.href.replace(/\/$/, ''),
        emulator,
      };
    }
  } catch (error) {
    await idp.dispose();
    throw error;
  }

  let disposed = false;
  const live = () => {
    if (disposed)
      throw new AuthlabError('AUTHLAB_DISPOSED', 'this lab has been disposed', {
        hint: 'Start a new one with startLab().',
      });
  };
  let disposing: Promise<void> | undefined;
  const dispose = () => {
    disposed = true;
    return (disposing ??= (async () => {
      try {
        await mlflow?.emulator.dispose();
      } finally {
        await idp.dispose();
      }
    })());
  };
  const tokenResponse = (o: TokenOptions = {}) => {
    live();
    return requestToken(idp.tokenEndpoint, config, o);
  };
  return {
    issuer: idp.issuer,
    tokenEndpoint: idp.tokenEndpoint,
    discoveryUrl: idp.discoveryUrl,
    jwksUri: idp.jwksUri,
    config,
    clock,
    idp,
    mlflow,
    stateDir,
    tokenResponse,
    token: async (o = {}) => pickToken(await tokenResponse(o), o.grant),
    rotateKeys: () => {
      live();
      return idp.rotateKeys();
    },
    reset: () => {
      live();
      mlflow?.emulator.reset();
    },
    info: () => ({
      issuer: idp.issuer,
      tokenEndpoint: idp.tokenEndpoint,
      ...(mlflow && { mlflow: { backend: mlflow.backend, url: mlflow.url } }),
    }),
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
