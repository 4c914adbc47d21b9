import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClock, type LabClock } from '../clock.js';
import { loadConfig, resolveObject } from '../config/load.js';
import {
  DEFAULT_CONFIG_FILE,
  DEFAULT_HOST,
  DEFAULT_ISSUER_PATH,
  OIDC_AUTH_CLIENT_ID,
  type AuthStack,
} from '../config/defaults.js';
import { configError, type ResolvedLabConfig } from '../config/resolve.js';
import { createAccessToken, type AccessToken, type AccessTokenOptions } from './access-token.js';
import type { LabConfigInput } from '../config/schema.js';
import { AuthlabError, isAuthlabError } from '../errors.js';
import { createIdp, type StartedIdp } from '../idp/create-idp.js';
import { noopLogger, type Logger } from '../log.js';
import type { StartedEmulator } from '../mlflow/emulator/create-emulator.js';
import { startEmulatorBackend } from '../mlflow/backends/emulator.js';
import { startExternalBackend } from '../mlflow/backends/external.js';
import { startContainerBackend, type ContainerPlugin } from '../mlflow/backends/container.js';
import {
  NO_ENGINE_HINT,
  probeContainerEngine,
  requireContainerEngine,
  type ContainerEngine,
} from '../mlflow/backends/engine.js';
import type { MlflowBackend, MlflowBackendKind } from '../mlflow/backends/types.js';
import { listen } from '../listen.js';
import { labEnv } from './env.js';
import { createKubeApi, type StartedKubeApi } from '../kube/create-kube-api.js';
import { kubeconfigFor } from '../kube/kubeconfig.js';
import { createRbacAuthorizer } from '../kube/rbac.js';
import { createGate, type StartedGate } from '../mlflow/auth/kubernetes/create-gate.js';
import type { AuthApp } from '../mlflow/auth/auth-app.js';
import type { OidcAuthStack, ResolvedOidcAuth } from '../mlflow/auth/oidc/stack.js';
import type { OidcPluginSetup } from '../mlflow/backends/plugins.js';
import { gateOptionsFrom } from '../mlflow/auth/kubernetes/options.js';
import { inProcessReviewer } from '../mlflow/auth/kubernetes/reviewer.js';
import { createAuthProxy, createProxyServer, type StartedProxy } from '../proxy/create-proxy.js';
import { parseProxyOptions } from '../proxy/parse-options.js';
import type { LabTls } from '../tls/lab-tls.js';
import type { TlsFault } from '../tls/faults.js';
import { fetchTrusting } from '../trusted-fetch.js';
import { pickToken, requestToken, type TokenOptions, type TokenResponse } from './request-token.js';

/** MLflow backends (DESIGN.md "mlflow/backends"); `none` runs no MLflow. */
export const MLFLOW_BACKENDS = ['auto', 'emulator', 'container', 'process', 'external', 'none'] as const;
export type MlflowBackendChoice = (typeof MLFLOW_BACKENDS)[number];
/** Plugins the real MLflow can run instead of the lab's emulation of them (each is its auth stack's auth app). */
export const MLFLOW_PLUGINS = ['kubernetes-auth', 'oidc-auth'] as const;
export type MlflowPlugin = (typeof MLFLOW_PLUGINS)[number];

/** The kind a choice starts: `auto` is the container or the emulator; `none` starts nothing. */
export type KindOf<B extends MlflowBackendChoice> = B extends 'process'
  ? 'process'
  : B extends 'external'
    ? 'external'
    : B extends 'container'
      ? 'container'
      : B extends 'none'
        ? never
        : B extends 'auto'
          ? 'container' | 'emulator'
          : 'emulator';

export interface LabMlflowOptions<B extends MlflowBackendChoice = MlflowBackendChoice> {
  /**
   * Which MLflow runs behind the lab. Default for the library: `emulator` (in-process, offline, starts in
   * milliseconds). `auto` (the CLI's default) runs the container when a container engine answers, else the emulator.
   */
  backend?: B;
  /** `container`/`auto`: the image to run instead of the pinned official one (docker/mlflow/Dockerfile). */
  image?: string;
  /**
   * The real plugin runs inside MLflow (container or process) and the lab's emulation of it is off. With `image`,
   * that image must already have the plugin; with `command`, that MLflow.
   * - `kubernetes-auth` (with the kubernetes-auth stack): against the lab's fake kube-apiserver, the gate off.
   * - `oidc-auth` (with `auth: 'oidc-auth'`): mlflow-oidc-auth 7.3.1 with the settings the emulation would use, as
   *   its environment; its own server is the tracking URI (on the tracking URI's port; `ports.mlflow` is not used),
   *   and the lab signs users in once and makes its workspace grants through the plugin's API.
   */
  plugin?: MlflowPlugin;
  /** `process`: how to run MLflow, e.g. `mlflow` or `/venv/bin/python -m mlflow` (split on whitespace, quotes kept). */
  command?: string;
  /** `external`: the base URL of an MLflow server that already runs. */
  url?: string;
}

export interface LabOptions<B extends MlflowBackendChoice = MlflowBackendChoice> {
  /** A lab.yaml path, a config object, or nothing for the default lab (fixtures/lab.yaml). */
  config?: string | LabConfigInput;
  /**
   * The auth stack in front of MLflow (DESIGN.md "Auth stacks"); default: the config's `auth:` (kubernetes-auth).
   * `oidc-auth` runs the default lab's IdP in its Keycloak flavour.
   */
  auth?: AuthStack;
  /** Ports; 0 = any free port. Default: the config's ports (proxy 4180, IdP 5556, MLflow 5000). */
  ports?: { proxy?: number; idp?: number; kube?: number; mlflow?: number };
  mlflow?: LabMlflowOptions<B>;
  /** Progress of slow start-up steps (an MLflow process coming up), one line each, for the user. */
  onProgress?: (message: string) => void;
  host?: string;
  /** The lab's one clock; pass one to control time from a test (`lab.clock.advance('25h')`). */
  clock?: LabClock;
  log?: Logger;
  /**
   * Keeps the lab's data across restarts in this directory (relative to the working directory): MLflow's
   * experiments, runs, models and artifacts under `<stateDir>/mlflow`. Default: none, everything in memory.
   */
  stateDir?: string;
  /**
   * HTTPS on the proxy, the IdP and the Kubernetes API, with a lab CA (in `<stateDir>/tls`, or a temporary
   * directory), and the certificate faults the proxy presents. Default: the config's `tls:` section (off).
   */
  tls?: boolean | { faults?: TlsFault[] };
  /**
   * `OAUTH2_PROXY_*` variables for the proxy, over the config's `proxy:` section (oauth2-proxy-and-dex.md §A6).
   * Default: `process.env`.
   */
  env?: Record<string, string | undefined>;
}

/** The object `up --json` prints, with the fields of the parts that exist (DESIGN.md "CLI"). */
export interface LabInfo {
  /** The stack in front of MLflow (DESIGN.md "Auth stacks"). */
  auth: AuthStack;
  /** The proxy's (or the oidc-auth front door's) URL: what MLFLOW_TRACKING_URI points at. */
  trackingUri?: string;
  issuer: string;
  tokenEndpoint: string;
  kubeApiUrl: string;
  mlflow?: { backend: string; url: string; reason?: string };
  /** Under TLS, the CA bundle clients need (`env` points every trust variable at it). */
  caFile?: string;
}

/**
 * The MLflow behind the lab. Typed by the backend asked for, so `lab.mlflow.emulator` is the emulator without a
 * check when the lab was started with the (default) emulator.
 */
export interface LabMlflow<K extends MlflowBackendKind = MlflowBackendKind> {
  backend: K;
  /** Why this backend was chosen, for the banner. */
  reason: string;
  /** MLflow's own URL (no trailing slash), behind the gate. */
  url: string;
  /** The running backend: its logs, its dispose. */
  server: MlflowBackend;
  /** The in-process emulator, when that is the backend. */
  emulator: K extends 'emulator' ? StartedEmulator : undefined;
}

export interface StartedLab<K extends MlflowBackendKind = MlflowBackendKind> {
  /** The auth proxy's URL (no trailing slash): the MLFLOW_TRACKING_URI users point at. */
  readonly trackingUri: string | undefined;
  /** The oauth2-proxy-compatible proxy in front of MLflow; undefined when there is nothing to front. */
  readonly proxy: StartedProxy | undefined;
  /** The fake kube-apiserver's URL: SelfSubjectAccessReviews with the lab's tokens, namespaces, RBAC. */
  readonly kubeApiUrl: string;
  readonly kube: StartedKubeApi;
  /** The kubernetes-auth gate between the proxy and MLflow (when MLflow runs and the stack is kubernetes-auth). */
  readonly gate: StartedGate | undefined;
  /** The stack in front of MLflow. */
  readonly auth: AuthStack;
  /** The mlflow-oidc-auth front door (the oidc-auth stack), in place of the proxy and the gate. */
  readonly oidcAuth: OidcAuthStack | undefined;
  /**
   * The stack's auth app as the lab emulates it (the gate, or the oidc-auth front door), one contract for both;
   * undefined when a real plugin runs inside MLflow (`mlflow.plugin`) or no MLflow runs.
   */
  readonly authApp: AuthApp | undefined;
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly discoveryUrl: string;
  readonly jwksUri: string;
  readonly config: ResolvedLabConfig;
  readonly clock: LabClock;
  readonly idp: StartedIdp;
  /** The MLflow server behind the lab, unless `mlflow: { backend: 'none' }`. */
  readonly mlflow: LabMlflow<K> | undefined;
  /** Where the data is kept across restarts (absolute), or undefined when it lives in memory only. */
  readonly stateDir: string | undefined;
  /** The lab's TLS (CA files, bundle, faults), when it serves HTTPS. */
  readonly tls: LabTls | undefined;
  /**
   * The environment the stock MLflow SDK needs (what `mlflow-authlab env` prints): MLFLOW_TRACKING_URI (the proxy),
   * MLFLOW_TRACKING_TOKEN (a fresh token for `user`, default alice), MLFLOW_WORKSPACE, AUTHLAB_ISSUER, AUTHLAB_KUBE_API_URL.
   */
  /**
   * The environment for the stock MLflow SDK. `basic: true` (oidc-auth stack): Basic credentials with an access token
   * from the plugin's API (`accessToken()`) instead of a bearer token.
   */
  env(options?: { user?: string; workspace?: string; basic?: boolean }): Promise<Record<string, string>>;
  /**
   * oidc-auth stack: a new access token for the user from the plugin's API (the previous one stops working), for
   * `Basic <username>:<token>`, i.e. MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD.
   */
  accessToken(options?: { user?: string } & AccessTokenOptions): Promise<AccessToken>;
  /** The token the vendor guide uses: password grant → id_token; client_credentials → access_token. */
  token(options?: TokenOptions): Promise<string>;
  /** The whole token-endpoint response. */
  tokenResponse(options?: TokenOptions): Promise<TokenResponse>;
  /** Signs with a new key from now on; the old key stays in JWKS for the ID-token lifetime. */
  rotateKeys(): Promise<void>;
  /**
   * Clears MLflow's data (experiments, runs, models, artifacts; saved ones too) for the next test, and with the
   * oidc-auth stack puts the plugin's database back to the lab's seed. Emulator only: AUTHLAB_NOT_SUPPORTED with
   * another backend.
   */
  reset(): void;
  info(): LabInfo;
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a lab: the identity provider, then MLflow; disposed in reverse order. */
export async function startLab<B extends MlflowBackendChoice = 'emulator'>(
  options: LabOptions<B> = {},
): Promise<StartedLab<KindOf<B>>> {
  const mlflowChoice = checkMlflowOptions(options.mlflow);
  let config =
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
  const auth = options.auth ?? config.auth;
  checkPluginStack(options.mlflow?.plugin, auth);
  if (auth === 'oidc-auth' && config.source === defaultLabSource()) {
    // The oidc-auth stack is deployed behind Keycloak (issue 19): the default lab's IdP takes that flavour.
    const issuerPath =
      config.idp.issuerPath === DEFAULT_ISSUER_PATH.dex
        ? DEFAULT_ISSUER_PATH.keycloak
        : config.idp.issuerPath;
    config = { ...config, idp: { ...config.idp, flavour: 'keycloak', issuerPath } };
  }
  const clock = options.clock ?? createClock();
  const log = options.log ?? noopLogger;
  const stateDir = options.stateDir === undefined ? undefined : path.resolve(options.stateDir);
  const host = options.host ?? DEFAULT_HOST;
  const tlsWanted =
    options.tls === undefined ? config.tls.enabled || config.tls.faults.length > 0 : options.tls !== false;
  const faults =
    typeof options.tls === 'object' ? (options.tls.faults ?? []) : tlsWanted ? config.tls.faults : [];
  // Everything started so far, stopped in reverse when a later part fails or the lab is disposed.
  const started: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of started.splice(0).reverse()) await stop().catch(() => undefined);
  };
  let idp: StartedIdp;
  let kube: StartedKubeApi;
  let gate: StartedGate | undefined;
  let oidcAuth: OidcAuthStack | undefined;
  let mlflow: LabMlflow | undefined;
  let proxy: StartedProxy | undefined;
  let tls: LabTls | undefined;
  // How the lab's own parts (proxy, Kubernetes API, `lab.token()`) reach the IdP: trusting the lab CA under TLS.
  let trustedFetch = globalThis.fetch;
  try {
    if (tlsWanted) {
      tls = await startTls(stateDir, faults, started);
      // oauth2-proxy behind HTTPS: secure cookies and an https:// redirect_uri (§A5).
      config = { ...config, proxy: { ...config.proxy, 'cookie-secure': true } };
    }
    trustedFetch = fetchTrusting(tls?.trustPem);
    // The proxy's port is bound first: with port 0 the IdP must learn the real callback URL before it starts.
    const proxyServer = createProxyServer(tls?.server);
    await listen(proxyServer, host, options.ports?.proxy ?? config.ports.proxy, 'proxy', '--port');
    started.push(() => new Promise<void>((r) => proxyServer.close(() => r())));
    const proxyPort = (proxyServer.address() as AddressInfo).port;
    idp = await createIdp({
      config: withCallbacks(config, auth, proxyPort, tls ? 'https' : 'http'),
      clock,
      log,
      ...(tls && { tls: tls.validServer }),
      ...(options.host && { host: options.host }),
      ...(options.ports?.idp !== undefined && { port: options.ports.idp }),
    });
    started.push(() => idp.dispose());
    kube = await createKubeApi({
      config,
      issuer: idp.issuer,
      jwksUri: idp.jwksUri,
      clock,
      log,
      authorizer: createRbacAuthorizer(config.rbac),
      ...(options.host && { host: options.host }),
      port: options.ports?.kube ?? config.ports.kube,
      ...(tls && { tls: tls.validServer, fetch: trustedFetch }),
    });
    started.push(() => kube.dispose());

    // The real mlflow-oidc-auth plugin: its settings resolved as the emulation resolves them, its own server on the
    // tracking URI's port (released here for it; the IdP already knows its callback URL).
    const realOidc =
      options.mlflow?.plugin === 'oidc-auth' && mlflowChoice !== 'none'
        ? await prepareRealOidcPlugin(config, idp, tls, options.env ?? process.env, log)
        : undefined;
    if (realOidc) await new Promise<void>((r) => proxyServer.close(() => r()));
    const ownFetch = ownServerFetch(tls, trustedFetch);
    if (mlflowChoice !== 'none') {
      mlflow = await startMlflow(mlflowChoice, options, config, {
        clock,
        log,
        host,
        port: realOidc ? proxyPort : (options.ports?.mlflow ?? config.ports.mlflow),
        stateDir,
        kube,
        tls,
        ownFetch,
        ...(realOidc && { oidcPlugin: realOidc.setup }),
      });
      const server = mlflow.server;
      started.push(() => server.dispose());
    }
    if (realOidc && mlflow) {
      const { seedRealPlugin } = await import('../mlflow/auth/oidc/real-plugin.js');
      const server = mlflow.server;
      await seedRealPlugin({
        trackingUri: mlflow.url,
        config,
        resolved: realOidc.resolved,
        fetch: ownFetch,
        idpFetch: trustedFetch,
        loginCanWork: !tls || realOidc.setup.trust.includes('SSL_CERT_FILE'),
        logs: () => server.logs(),
        log,
      });
    } else if (auth === 'oidc-auth') {
      // The mlflow-oidc-auth plugin's own front door on the tracking URI's port, in place of proxy and gate.
      const { startOidcAuthStack } = await import('../mlflow/auth/oidc/stack.js');
      oidcAuth = await startOidcAuthStack({
        config,
        idp,
        mlflow,
        server: proxyServer,
        stateDir,
        env: options.env ?? process.env,
        fetch: trustedFetch,
        clock,
        log,
      });
      const o = oidcAuth;
      started.push(() => o.dispose());
    }
    // The kubernetes-auth plugin's rules between the proxy and MLflow, asking the fake kube-apiserver in-process;
    // not when the real plugin runs inside MLflow.
    if (auth === 'kubernetes-auth' && mlflow && !options.mlflow?.plugin) {
      // The config's workspaces are fixed for the lab's life: listed once, not on every request.
      const workspaceNames = config.workspaces.items.map((w) => w.name);
      gate = await createGate({
        upstream: mlflow.url,
        options: gateOptionsFrom(config.gate, {
          ...(config.workspaces.default !== undefined && { defaultWorkspace: config.workspaces.default }),
        }),
        reviewer: inProcessReviewer(kube),
        namespaces: () => workspaceNames,
        // The emulator runs in this process: the gate hands requests to it directly, as the proxy does to the gate.
        ...(mlflow.emulator && { inProcess: mlflow.emulator.dispatch }),
        clock,
        log,
        ...(options.host && { host: options.host }),
      });
      const g = gate;
      started.push(() => g.dispose());
    }
    if (auth === 'kubernetes-auth')
      proxy = await startProxy(
        config,
        idp,
        gate,
        mlflow?.url,
        proxyServer,
        options,
        clock,
        log,
        trustedFetch,
      );
    if (proxy) {
      const p = proxy;
      started.push(() => p.dispose());
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  // With the real oidc-auth plugin, its own server is the tracking URI.
  const trackingUri =
    (proxy?.url ?? oidcAuth?.url)?.href.replace(/\/$/, '') ??
    (options.mlflow?.plugin === 'oidc-auth' ? mlflow?.url : undefined);
  const kubeApiUrl = kube.url.href.replace(/\/$/, '');
  const authApp: AuthApp | undefined = gate ?? oidcAuth;

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
    return (disposing ??= stopAll());
  };
  const tokenResponse = (o: TokenOptions = {}) => {
    live();
    return requestToken(idp.tokenEndpoint, config, o, trustedFetch);
  };
  const accessToken = async ({ user, ...o }: { user?: string } & AccessTokenOptions = {}) => {
    if (auth !== 'oidc-auth' || trackingUri === undefined)
      throw new AuthlabError('AUTHLAB_NOT_SUPPORTED', "access tokens are the mlflow-oidc-auth plugin's", {
        hint: 'Start the lab with auth: "oidc-auth" (and an MLflow behind it); the kubernetes-auth stack takes bearer tokens only.',
      });
    const bearer = pickToken(await tokenResponse({ user: user ?? 'alice' }));
    return createAccessToken(trackingUri, bearer, o, trustedFetch);
  };
  return {
    trackingUri,
    kubeApiUrl,
    proxy,
    kube,
    gate,
    auth,
    oidcAuth,
    authApp,
    issuer: idp.issuer,
    tokenEndpoint: idp.tokenEndpoint,
    discoveryUrl: idp.discoveryUrl,
    jwksUri: idp.jwksUri,
    config,
    clock,
    idp,
    mlflow,
    stateDir,
    tls,
    tokenResponse,
    token: async (o = {}) => pickToken(await tokenResponse(o), o.grant),
    accessToken,
    env: async (o = {}) => {
      if (trackingUri === undefined)
        throw new AuthlabError(
          'AUTHLAB_INVALID_ARGUMENT',
          'this lab has no tracking URI (it fronts no MLflow)',
          {
            hint: 'Start the lab with an MLflow backend (not mlflow: { backend: "none" }).',
          },
        );
      const workspace = o.workspace ?? config.workspaces.default;
      const user = o.user ?? 'alice';
      const basic = o.basic ? await accessToken({ user }) : undefined;
      return labEnv({
        trackingUri,
        issuer: idp.issuer,
        kubeApiUrl,
        ...(basic
          ? { basic: { username: basic.username, password: basic.token } }
          : { token: pickToken(await tokenResponse({ user })) }),
        ...(workspace !== undefined && { workspace }),
        ...(tls && { caFile: tls.caFile }),
      });
    },
    rotateKeys: () => {
      live();
      return idp.rotateKeys();
    },
    reset: () => {
      live();
      if (mlflow && !mlflow.server.reset) {
        throw new AuthlabError(
          'AUTHLAB_NOT_SUPPORTED',
          `reset() clears the emulator only, not a ${mlflow.backend} MLflow`,
          {
            hint: 'Start the lab with the emulator (mlflow: { backend: "emulator" }), or clean up through the MLflow API.',
          },
        );
      }
      mlflow?.server.reset?.();
      authApp?.reset();
    },
    info: () => ({
      ...(trackingUri !== undefined && { trackingUri }),
      issuer: idp.issuer,
      tokenEndpoint: idp.tokenEndpoint,
      kubeApiUrl,
      ...(mlflow && { mlflow: { backend: mlflow.backend, url: mlflow.url, reason: mlflow.reason } }),
      ...(tls && { caFile: tls.caFile }),
      // After DESIGN.md's keys, so readers of `up --json` that list them keep working.
      auth,
    }),
    dispose,
    [Symbol.asyncDispose]: dispose,
  } as StartedLab<KindOf<B>>;
}

/** `process` needs a command and `external` a URL; a flag for another backend is a mistake worth saying. */
function checkMlflowOptions(o: LabMlflowOptions | undefined): MlflowBackendChoice {
  const choice = o?.backend ?? 'emulator';
  const usage = (message: string, hint: string) =>
    new AuthlabError('AUTHLAB_INVALID_ARGUMENT', message, { hint });
  if (!MLFLOW_BACKENDS.includes(choice)) {
    throw usage(
      `unknown MLflow backend ${JSON.stringify(choice)}`,
      `Use one of ${MLFLOW_BACKENDS.join(', ')}.`,
    );
  }
  if (choice === 'process' && !o?.command?.trim()) {
    throw usage(
      'the process backend needs the command that runs MLflow',
      'Pass --mlflow-command, e.g. --mlflow-command mlflow or --mlflow-command "/venv/bin/python -m mlflow".',
    );
  }
  if (choice === 'external' && !o?.url?.trim()) {
    throw usage(
      'the external backend needs the URL of a running MLflow',
      'Pass --mlflow-url, e.g. --mlflow-url http://127.0.0.1:5000.',
    );
  }
  if (o?.command !== undefined && choice !== 'process') {
    throw usage(
      `an MLflow command was given, but the backend is ${choice}`,
      'Add --mlflow process to run that command, or drop --mlflow-command.',
    );
  }
  if (o?.url !== undefined && choice !== 'external') {
    throw usage(
      `an MLflow URL was given, but the backend is ${choice}`,
      'Add --mlflow external to front that server, or drop --mlflow-url.',
    );
  }
  if (o?.image !== undefined && choice !== 'container' && choice !== 'auto') {
    throw usage(
      `an MLflow image was given, but the backend is ${choice}`,
      'Add --mlflow container (or auto) to run that image, or drop --mlflow-image.',
    );
  }
  if (o?.plugin !== undefined) {
    if (!MLFLOW_PLUGINS.includes(o.plugin)) {
      throw usage(
        `unknown MLflow plugin ${JSON.stringify(o.plugin)}`,
        `Use one of ${MLFLOW_PLUGINS.join(', ')}.`,
      );
    }
    if (!['container', 'auto', 'process'].includes(choice)) {
      throw usage(
        `the ${o.plugin} plugin runs inside a real MLflow, but the backend is ${choice}`,
        `Use --mlflow container (or process, with an MLflow that has ${PLUGIN_PACKAGES[o.plugin]} installed).`,
      );
    }
  }
  return choice;
}

/** The package each plugin comes in, for hints. */
const PLUGIN_PACKAGES: Record<MlflowPlugin, string> = {
  'kubernetes-auth': 'mlflow-kubernetes-plugins',
  'oidc-auth': 'mlflow-oidc-auth==7.3.1',
};

/** Each plugin is its own stack's auth app (DESIGN.md "Auth stacks"): a plugin for another stack is a mistake. */
function checkPluginStack(plugin: MlflowPlugin | undefined, auth: AuthStack): void {
  if (plugin === undefined || plugin === auth) return;
  throw new AuthlabError(
    'AUTHLAB_INVALID_ARGUMENT',
    `the ${plugin} plugin is the ${plugin} stack's auth app, but the auth stack is ${auth}`,
    {
      hint:
        plugin === 'oidc-auth'
          ? 'Add --auth oidc-auth (auth: "oidc-auth" in the library or the config) to run the real mlflow-oidc-auth plugin, or drop --mlflow-plugin.'
          : `Use --mlflow-plugin ${auth} for the ${auth} stack, or --auth ${plugin} for the real ${plugin} plugin.`,
    },
  );
}

interface MlflowContext {
  clock: LabClock;
  log: Logger;
  host: string;
  port: number;
  stateDir: string | undefined;
  kube: StartedKubeApi;
  tls: LabTls | undefined;
  /** How the lab reaches a server it starts that presents the tracking URI's certificate. */
  ownFetch: typeof globalThis.fetch;
  /** The real mlflow-oidc-auth plugin's setup, when it runs inside MLflow. */
  oidcPlugin?: OidcPluginSetup;
}

/**
 * What the real mlflow-oidc-auth plugin gets (issue 19): the settings the emulation would use (stack.ts
 * resolveOidcAuth, the same config section, environment and lab base), as its environment (real-plugin.ts), and
 * under TLS the lab's certificate for its server and the lab CA for the trust variables `oidcAuth.serverTrust`
 * names. kagenti's patches cannot be applied to it: refused (real-plugin.ts refuseKagentiPatch).
 */
async function prepareRealOidcPlugin(
  config: ResolvedLabConfig,
  idp: StartedIdp,
  tls: LabTls | undefined,
  env: Record<string, string | undefined>,
  log: Logger,
): Promise<{ setup: OidcPluginSetup; resolved: ResolvedOidcAuth }> {
  const { resolveOidcAuth, serverTrustOf } = await import('../mlflow/auth/oidc/stack.js');
  const { realPluginEnvironment, refuseKagentiPatch } = await import('../mlflow/auth/oidc/real-plugin.js');
  refuseKagentiPatch(config);
  const resolved = resolveOidcAuth({ config, idp, env, log });
  return {
    resolved,
    setup: {
      name: 'oidc-auth',
      env: realPluginEnvironment(resolved.settings),
      trust: serverTrustOf(config.oidcAuth.serverTrust),
      ...(tls && { caPem: tls.trustPem, serverTls: tls.server }),
    },
  };
}

/**
 * How the lab reaches a server it started that presents the tracking URI's certificate (the real oidc-auth plugin
 * under TLS): trusting the lab CA; with TLS faults on (an expired or misnamed certificate, for clients to meet), not
 * checking it, since the lab's own health wait and seeding are not what the faults are for.
 */
function ownServerFetch(tls: LabTls | undefined, trusted: typeof globalThis.fetch): typeof globalThis.fetch {
  if (!tls || tls.faults.length === 0) return trusted;
  let agent:
    Promise<{ fetch: typeof import('undici').fetch; dispatcher: import('undici').Agent }> | undefined;
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const { fetch: undiciFetch, dispatcher } = await (agent ??= import('undici').then((u) => ({
      fetch: u.fetch,
      dispatcher: new u.Agent({ connect: { rejectUnauthorized: false } }),
    })));
    return undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
  }) as unknown as typeof fetch;
}

/** Starts the chosen backend; the caller disposes it with the lab. */
async function startMlflow(
  choice: Exclude<MlflowBackendChoice, 'none'>,
  options: LabOptions,
  config: ResolvedLabConfig,
  at: MlflowContext,
): Promise<LabMlflow> {
  const workspaces = config.workspaces.items;
  const onProgress = options.onProgress;
  const plugin = options.mlflow?.plugin;
  let server: MlflowBackend;
  let autoReason: string | undefined;
  if (choice === 'container' || choice === 'auto') {
    const probe =
      choice === 'container' ? { engine: await requireContainerEngine() } : await probeContainerEngine();
    if ('error' in probe) {
      autoReason = `auto: no container engine answered (${probe.error}); set DOCKER_HOST to your engine's socket to run the real MLflow image`;
      if (plugin) {
        throw new AuthlabError(
          'AUTHLAB_NO_CONTAINER_ENGINE',
          `the ${plugin} plugin runs inside a real MLflow, and no container engine answered: ${probe.error}`,
          {
            hint: `${NO_ENGINE_HINT} Or run a local MLflow that has the plugin: --mlflow process --mlflow-command mlflow.`,
          },
        );
      }
      at.log.info(`${autoReason}; using the emulator`);
    } else {
      const { engine } = probe;
      const image = options.mlflow?.image;
      try {
        server = await startContainerBackend({
          engine,
          ...(image !== undefined && { image }),
          host: at.host,
          port: at.port,
          workspaces,
          log: at.log,
          reason:
            choice === 'container'
              ? `asked for (--mlflow container, ${engine.name})`
              : `auto: ${engine.name} answered`,
          ...(onProgress && { onProgress }),
          ...(at.stateDir !== undefined && { stateDir: at.stateDir }),
          fetch: at.ownFetch,
          ...(at.oidcPlugin
            ? { plugin: at.oidcPlugin }
            : plugin && {
                plugin: containerPlugin(config, at, engine),
                afterStart: () => listenOnBridge(at, engine),
              }),
        });
        return { backend: server.kind, reason: server.reason, url: server.url, server, emulator: undefined };
      } catch (error) {
        // `auto` on a machine whose engine cannot get the image (offline, no registry) still gives a working lab.
        if (
          choice !== 'auto' ||
          plugin ||
          !isAuthlabError(error) ||
          error.code !== 'AUTHLAB_MLFLOW_IMAGE_UNAVAILABLE'
        )
          throw error;
        autoReason = `auto: ${engine.name} answered, but ${error.message}`;
        at.log.warn(`${autoReason}; using the emulator`);
      }
    }
  }
  if (choice === 'process') {
    // Loaded only for this backend: execa and its helpers cost ~15 MB resident in every other lab.
    const { startProcessBackend } = await import('../mlflow/backends/process.js');
    server = await startProcessBackend({
      command: options.mlflow!.command!,
      host: at.host,
      port: at.port,
      workspaces,
      log: at.log,
      ...(onProgress && { onProgress }),
      ...(at.stateDir !== undefined && { stateDir: at.stateDir }),
      fetch: at.ownFetch,
      ...(at.oidcPlugin
        ? { plugin: at.oidcPlugin }
        : plugin && {
            plugin: {
              name: 'kubernetes-auth' as const,
              kubeconfig: kubeconfigFor(
                at.kube.url.href.replace(/\/$/, ''),
                at.kube.serviceAccountToken,
                at.tls?.trustPem,
              ),
              env: {
                ...pluginEnv(config),
                ...(at.tls && { SSL_CERT_FILE: at.tls.caFile, REQUESTS_CA_BUNDLE: at.tls.caFile }),
              },
            },
          }),
    });
  } else if (choice === 'external') {
    server = await startExternalBackend({
      url: options.mlflow!.url!,
      workspaces,
      log: at.log,
      ...(onProgress && { onProgress }),
    });
  } else {
    const emulator = await startEmulatorBackend({
      reason:
        autoReason ??
        (options.mlflow?.backend === undefined
          ? "startLab()'s default (in-process, offline)"
          : 'asked for (--mlflow emulator)'),
      clock: at.clock,
      log: at.log,
      port: at.port,
      workspaces,
      ...(options.host && { host: options.host }),
      ...(at.stateDir !== undefined && { stateDir: path.join(at.stateDir, 'mlflow') }),
    });
    return {
      backend: 'emulator',
      reason: emulator.reason,
      url: emulator.url,
      server: emulator,
      emulator: emulator.emulator,
    };
  }
  return { backend: server.kind, reason: server.reason, url: server.url, server, emulator: undefined };
}

/**
 * The real plugin's settings: the config's `gate:` section (the plugin's own variable names) and the default
 * workspace, as the gate would have used them.
 */
function pluginEnv(config: ResolvedLabConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.gate)) if (value !== undefined) env[name] = String(value);
  if (config.workspaces.default !== undefined) env.MLFLOW_K8S_DEFAULT_WORKSPACE ??= config.workspaces.default;
  return env;
}

/**
 * The plugin inside a container reaches the fake kube-apiserver at host.containers.internal (Podman) or
 * host.docker.internal (Docker, with `host-gateway`): the bridge's gateway on this machine.
 */
function containerPlugin(
  config: ResolvedLabConfig,
  at: MlflowContext,
  engine: ContainerEngine,
): ContainerPlugin {
  const hostName = engine.podman ? 'host.containers.internal' : 'host.docker.internal';
  return {
    name: 'kubernetes-auth',
    kubeconfig: kubeconfigFor(
      `${at.kube.url.protocol}//${hostName}:${at.kube.url.port}`,
      at.kube.serviceAccountToken,
      at.tls?.trustPem,
    ),
    env: pluginEnv(config),
    ...(at.tls && { caPem: at.tls.trustPem }),
  };
}

/**
 * Loopback is not reachable from a container, so the fake kube-apiserver also listens on the bridge's gateway,
 * once the container runs (the bridge interface comes up with the first container; MLflow's Python start-up
 * takes seconds, so the API is there before the plugin asks). Where the gateway is not an address of this
 * machine (Docker Desktop routes host.docker.internal to the host's loopback itself), loopback is enough.
 */
async function listenOnBridge(at: MlflowContext, engine: ContainerEngine): Promise<void> {
  const gateway = await bridgeGateway(engine);
  if (!gateway) return;
  let last: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      return await at.kube.listenAlso(gateway);
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  at.log.warn(
    `the Kubernetes API could not listen on the container bridge ${gateway} (${(last as Error)?.message}); the plugin in the container may not reach it`,
  );
}

/** The gateway of the engine's default network (podman / bridge), e.g. 10.88.0.1 or 172.17.0.1. */
async function bridgeGateway(engine: ContainerEngine): Promise<string | undefined> {
  try {
    const network = (await engine.docker.getNetwork(engine.podman ? 'podman' : 'bridge').inspect()) as {
      IPAM?: { Config?: Array<{ Gateway?: string }> };
    };
    return network.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
  } catch {
    return undefined;
  }
}

/** The proxy's client id: the `proxy:` section's `client-id`, else the default lab's `oauth2-proxy`. */
function proxyClientId(config: ResolvedLabConfig): string {
  const id = config.proxy['client-id'];
  return typeof id === 'string' ? id : 'oauth2-proxy';
}

/**
 * Registers the front door's real callback URLs (127.0.0.1 and localhost on the bound port) with its browser-login
 * client, so a lab on port 0 can still log in: the proxy's `<proxy-prefix>/callback`, or the oidc-auth plugin's
 * `/callback`. The scheme is the lab's own: with `cookie-secure: true` oauth2-proxy asks for an https redirect_uri
 * the IdP does not know, and `Unregistered redirect_uri.` is the symptom users meet in production (§A5).
 */
function withCallbacks(
  config: ResolvedLabConfig,
  auth: AuthStack,
  port: number,
  scheme: 'http' | 'https',
): ResolvedLabConfig {
  const configured = config.oidcAuth.OIDC_CLIENT_ID;
  const id =
    auth === 'oidc-auth'
      ? typeof configured === 'string'
        ? configured
        : OIDC_AUTH_CLIENT_ID
      : proxyClientId(config);
  const path =
    auth === 'oidc-auth'
      ? '/callback'
      : `${typeof config.proxy['proxy-prefix'] === 'string' ? config.proxy['proxy-prefix'] : '/oauth2'}/callback`;
  const extra = ['127.0.0.1', 'localhost'].map((h) => `${scheme}://${h}:${port}${path}`);
  return {
    ...config,
    clients: config.clients.map((c) =>
      c.id === id && c.grantTypes.includes('authorization_code')
        ? { ...c, redirectURIs: [...new Set([...c.redirectURIs, ...extra])] }
        : c,
    ),
  };
}

/** How the default lab's config names itself (`source`), to tell it from a user's own. */
function defaultLabSource(): string {
  const file = fileURLToPath(DEFAULT_CONFIG_FILE);
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/** Resolves the proxy options (config section, then OAUTH2_PROXY_* over it) and starts the proxy on its port. */
async function startProxy(
  config: ResolvedLabConfig,
  idp: StartedIdp,
  gate: StartedGate | undefined,
  mlflowUrl: string | undefined,
  server: http.Server,
  options: LabOptions,
  clock: LabClock,
  log: Logger,
  fetch: typeof globalThis.fetch,
): Promise<StartedProxy | undefined> {
  const clientId = proxyClientId(config);
  const client = config.clients.find((c) => c.id === clientId);
  const upstream = (gate?.url.href ?? mlflowUrl)?.replace(/\/$/, '');
  const hasUpstream =
    upstream !== undefined ||
    config.proxy.upstream !== undefined ||
    (options.env ?? process.env).OAUTH2_PROXY_UPSTREAMS;
  if (!hasUpstream) return undefined;
  const { options: proxyOptions, problems } = parseProxyOptions({
    config: config.proxy,
    env: options.env ?? process.env,
    base: {
      clientId,
      ...(client?.secret !== undefined && { clientSecret: client.secret }),
      oidcIssuerUrl: idp.issuer,
      ...(upstream !== undefined && { upstreams: [`${upstream}/`] }),
      // A per-lab secret: 32 random bytes, base64url, i.e. an AES-256 key (§A1 "Secret handling"). Never logged.
      cookieSecret: randomBytes(32).toString('base64url'),
    },
  });
  if (problems.length > 0) throw configError(`${config.source}, proxy`, problems);
  // The gate runs in this process: the proxy hands requests to it directly, unless the config points the proxy
  // at another upstream.
  const inProcess = gate !== undefined && proxyOptions.upstreams[0]?.replace(/\/$/, '') === upstream;
  return createAuthProxy({
    options: proxyOptions,
    clock,
    log,
    server,
    fetch,
    ...(inProcess && { upstreamHandler: gate.handle }),
  });
}

/**
 * The lab CA and the leaf in `<stateDir>/tls` (kept, so clients that trust it once keep trusting it), or in a
 * temporary directory removed with the lab. Loaded on demand: a plain-HTTP lab never loads the X.509 code.
 */
async function startTls(
  stateDir: string | undefined,
  faults: TlsFault[],
  started: Array<() => Promise<void>>,
): Promise<LabTls> {
  const { createLabTls } = await import('../tls/lab-tls.js');
  let dir: string;
  if (stateDir !== undefined) dir = path.join(stateDir, 'tls');
  else {
    const temp = await mkdtemp(path.join(tmpdir(), 'authlab-tls-'));
    started.push(() => rm(temp, { recursive: true, force: true }));
    dir = temp;
  }
  return createLabTls({ dir, faults });
}
