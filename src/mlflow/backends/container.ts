import { createHash } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { StartedTestContainer } from 'testcontainers';
import { DEFAULT_HOST } from '../../config/defaults.js';
import { AuthlabError, isAuthlabError } from '../../errors.js';
import { childLogger, type Logger } from '../../log.js';
import { hostNetworkProblem, type ContainerEngine } from './engine.js';
import { buildImage, contentTag, ensureImage, pinnedMlflowImage, PLUGIN_IMAGES } from './images.js';
import {
  OIDC_PLUGIN_START_TIMEOUT_MS,
  OIDC_USERS_DB_FILE,
  oidcPluginArgs,
  oidcPluginEnv,
  type MlflowPluginSetup,
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

/** The port `mlflow server` listens on inside the container. */
export const CONTAINER_PORT = 5000;
/** Where the SQLite store and the artifacts live inside the container: a volume. */
export const CONTAINER_DATA_DIR = '/mlflow';
/** Where the kubeconfig for the real kubernetes-auth plugin is copied. */
export const CONTAINER_KUBECONFIG = '/etc/mlflow-authlab/kubeconfig';
/** Where the lab's CA bundle is copied under TLS. */
export const CONTAINER_CA_FILE = '/etc/mlflow-authlab/ca.pem';
/** Under TLS, where the certificate and key the oidc-auth plugin's server presents are copied. */
export const CONTAINER_TLS_CERT = '/etc/mlflow-authlab/server.pem';
export const CONTAINER_TLS_KEY = '/etc/mlflow-authlab/server-key.pem';
/** Every container the lab starts carries these labels, so `down` and a later `up` can find leftovers. */
export const LAB_LABEL = 'io.github.mlflow-authlab.lab';
export const LAB_PID_LABEL = 'io.github.mlflow-authlab.pid';

/**
 * The real plugin inside the container instead of the lab's emulation: kubernetes-auth (a kubeconfig whose server is
 * the lab's fake kube-apiserver as seen from inside the container) or oidc-auth (its settings; see "The network
 * path" below).
 */
export type ContainerPlugin = MlflowPluginSetup;

/*
 * The network path of the real oidc-auth plugin. Its server must reach the lab's IdP: `requests` fetches the
 * discovery document and the JWKS for every bearer token, authlib fetches discovery, the token endpoint and the keys
 * at each browser login. The browser reaches the same IdP at 127.0.0.1 (the authorize endpoint), and the discovery
 * document names every endpoint there: one issuer, one set of URLs, as a single Keycloak hostname gives. The
 * kubernetes-auth container reaches the fake kube-apiserver through the bridge (host.containers.internal, the
 * Kubernetes API listening on the bridge's gateway too), because its kubeconfig can name that host; the discovery
 * document cannot: inside a bridged container 127.0.0.1 is the container itself. Rewriting the back-channel URLs for
 * the container (Keycloak's hostname-backchannel-dynamic, kagenti's JWKS patch) would still need a host address the
 * container reaches, and rootless Podman (slirp4netns, pasta) has none on this machine but its LAN address, where a
 * lab IdP with well-known passwords must not listen.
 *
 * So this container runs on the host's network: it shares this machine's network namespace, 127.0.0.1 is the
 * same loopback for the browser, the lab and the plugin, the discovery document's URLs hold for all three, nothing
 * listens beyond loopback, and the plugin's own server (`--host 127.0.0.1 --port <tracking port>`) is the tracking
 * URI, with no port mapping and no proxy between. Docker Engine and Podman on Linux do this, rootful and rootless
 * alike (rootless Podman's host network is the host's namespace). Where containers run in a virtual machine
 * (Docker Desktop, Podman machines), in RootlessKit's namespace (rootless Docker) or on another machine, 127.0.0.1
 * in the container is not this machine's: the lab refuses at once and says to run the plugin as a local process.
 */

export interface ContainerBackend extends MlflowBackend {
  kind: 'container';
  image: string;
  containerId: string;
  /** The engine that runs it, e.g. `podman 4.3.1`. */
  engine: string;
  /** The named volume that keeps MLflow's data across restarts (only with a state directory). */
  volume: string | undefined;
  /** Milliseconds from the container's start to a healthy server with the lab's workspaces. */
  startMs: number;
}

export interface ContainerBackendOptions {
  engine: ContainerEngine;
  /**
   * Default: the pinned official image (docker/mlflow/Dockerfile); with the plugin, that image plus the plugin
   * (docker/mlflow-kubernetes, built on first use). A given image is run as it is, so with the plugin it must
   * have mlflow-kubernetes-plugins installed.
   */
  image?: string;
  /** The host address the mapped port is bound to (loopback unless the engine is remote). */
  host?: string;
  /** The host port for MLflow; 0 = any free port. */
  port: number;
  /** With a state directory, MLflow's data lives in a named volume derived from its path and survives `down`. */
  stateDir?: string;
  plugin?: ContainerPlugin;
  workspaces: readonly LabWorkspace[];
  log: Logger;
  onProgress?: (message: string) => void;
  reason?: string;
  /**
   * Runs once the container has started, before the health wait: the plugin's fake kube-apiserver listens on the
   * bridge's gateway then, since the bridge interface exists only while a container runs.
   */
  afterStart?: () => Promise<void>;
  /** How long MLflow may take to answer `/health` once the container runs; default 180 s (oidc-auth: 240 s). */
  startTimeoutMs?: number;
  /** How the lab reaches the server it starts; under TLS (the oidc-auth plugin serves it) one trusting the lab CA. */
  fetch?: typeof globalThis.fetch;
}

/** What the container is created with; a pure function so tests can check it for the official image too. */
export interface ContainerSpec {
  image: string;
  command: string[];
  environment: Record<string, string>;
  volume: string | undefined;
  labels: Record<string, string>;
  /** `host` for the oidc-auth plugin (see "The network path"); else the engine's default network, port mapped. */
  network: 'host' | undefined;
}

/**
 * The container for an image: `mlflow server` with workspaces on, a SQLite store and proxied artifacts in
 * /mlflow, listening on all of the container's interfaces (the engine maps the port), as the vendor guide starts
 * it; with the kubernetes-auth plugin, `--app-name kubernetes-auth --workspace-store-uri kubernetes://` and its
 * kubeconfig (mlflow-workspaces-k8s-auth.md §1); with the oidc-auth plugin, `--app-name oidc-auth` on the host's
 * network at `listen` (see "The network path"), its settings, its database in the volume, its trust of the lab CA.
 */
export function containerSpec(options: {
  image: string;
  stateDir?: string;
  plugin?: ContainerPlugin;
  pid?: number;
  /** oidc-auth: the loopback address and port its server takes on the host's network. */
  listen?: { host: string; port: number };
}): ContainerSpec {
  const oidc = options.plugin?.name === 'oidc-auth' ? options.plugin : undefined;
  const listen = oidc ? (options.listen ?? { host: DEFAULT_HOST, port: CONTAINER_PORT }) : undefined;
  const command = [
    'mlflow',
    'server',
    ...['--host', listen?.host ?? '0.0.0.0', '--port', String(listen?.port ?? CONTAINER_PORT)],
    '--enable-workspaces',
    ...['--backend-store-uri', `sqlite:///${CONTAINER_DATA_DIR}/mlflow.db`],
    '--serve-artifacts',
    ...['--artifacts-destination', `${CONTAINER_DATA_DIR}/artifacts`],
  ];
  const environment: Record<string, string> = {};
  if (oidc) {
    command.push(...oidcPluginArgs(oidc.serverTls && { cert: CONTAINER_TLS_CERT, key: CONTAINER_TLS_KEY }));
    Object.assign(
      environment,
      oidcPluginEnv(oidc, {
        dbFile: `${CONTAINER_DATA_DIR}/${OIDC_USERS_DB_FILE}`,
        caFile: oidc.caPem === undefined ? undefined : CONTAINER_CA_FILE,
      }),
    );
  } else if (options.plugin) {
    command.push('--app-name', options.plugin.name, '--workspace-store-uri', 'kubernetes://');
    Object.assign(environment, options.plugin.env, { KUBECONFIG: CONTAINER_KUBECONFIG });
    if (options.plugin.caPem !== undefined) {
      Object.assign(environment, { SSL_CERT_FILE: CONTAINER_CA_FILE, REQUESTS_CA_BUNDLE: CONTAINER_CA_FILE });
    }
  }
  return {
    image: options.image,
    command,
    environment,
    volume: options.stateDir === undefined ? undefined : volumeName(options.stateDir),
    labels: { [LAB_LABEL]: 'mlflow', [LAB_PID_LABEL]: String(options.pid ?? process.pid) },
    network: oidc ? 'host' : undefined,
  };
}

/** `mlflow-authlab-<hash of the state directory>`: the same directory finds the same data again. */
export function volumeName(stateDir: string): string {
  return `mlflow-authlab-${createHash('sha256').update(path.resolve(stateDir)).digest('hex').slice(0, 12)}`;
}

/** How many of the container's lines are kept for errors and `logs()`. */
const RING_SIZE = 200;

/**
 * Runs MLflow in a container through testcontainers: the image pulled (or, with the plugin, built) with progress,
 * the container started with its port on loopback, its output streamed to the lab's log, `/health` awaited, the
 * lab's workspaces created. Removed (with its anonymous volume) on dispose.
 */
export async function startContainerBackend(options: ContainerBackendOptions): Promise<ContainerBackend> {
  const log = childLogger(options.log, 'mlflow');
  const { engine } = options;
  const say = (message: string) => {
    log.info(message);
    options.onProgress?.(message);
  };
  const host = options.host ?? DEFAULT_HOST;
  const oidc = options.plugin?.name === 'oidc-auth';
  if (oidc) {
    const problem = await hostNetworkProblem(engine);
    if (problem) {
      throw new AuthlabError(
        'AUTHLAB_NOT_SUPPORTED',
        `the real mlflow-oidc-auth plugin runs in a container on the host's network, so that it reaches the lab's IdP at 127.0.0.1 as the browser does, but ${problem}`,
        {
          hint: 'Run it as a local process instead: pip install mlflow==3.11.2 mlflow-oidc-auth==7.3.1, then --mlflow process --mlflow-command mlflow (or use Docker Engine or Podman on Linux).',
        },
      );
    }
  }
  if (engine.local) await removeOrphans(engine, log);
  const base = options.image ?? pinnedMlflowImage();
  await ensureImage(engine.docker, base, say);
  let image = base;
  // An image given with the plugin is used as it is: platform images (Open Data Hub's among them) ship the plugin.
  if (options.plugin && options.image === undefined) {
    const { context, repository } = PLUGIN_IMAGES[options.plugin.name];
    const buildArgs = { BASE_IMAGE: base };
    image = await contentTag(repository, context, buildArgs);
    await buildImage(engine.docker, { context, tag: image, buildArgs, onProgress: say });
  }
  // On the host's network the server binds the port itself: a busy one fails here, 0 becomes a free one.
  const listen = oidc ? { host, port: await reservePort(host, options.port) } : undefined;
  const spec = containerSpec({
    image,
    ...(options.stateDir !== undefined && { stateDir: options.stateDir }),
    ...(options.plugin && { plugin: options.plugin }),
    ...(listen && { listen }),
  });

  const { LoopbackContainer } = await loopbackContainerClass();
  const ring = new LineRing(RING_SIZE);
  const container = new LoopbackContainer(spec.image)
    .withCommand(spec.command)
    .withEnvironment(spec.environment)
    .withLabels(spec.labels)
    // The health wait below is the lab's own: it shows progress and ends early when the container exits.
    .withWaitStrategy(new (await readyAtOnceClass())())
    .withLogConsumer((stream: Readable) => {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        ring.push(line);
        log.debug(line);
      });
    });
  if (spec.network === 'host') container.withNetworkMode('host');
  else {
    container.withExposedPorts(
      options.port === 0 ? CONTAINER_PORT : { container: CONTAINER_PORT, host: options.port },
    );
    if (engine.local) container.bindPortsTo(host);
  }
  if (spec.volume)
    container.withBindMounts([{ source: spec.volume, target: CONTAINER_DATA_DIR, mode: 'rw' }]);
  else container.withAnonymousVolume(CONTAINER_DATA_DIR);
  if (options.plugin) {
    const plugin = options.plugin;
    container.withCopyContentToContainer([
      ...(plugin.name === 'kubernetes-auth'
        ? [{ content: plugin.kubeconfig, target: CONTAINER_KUBECONFIG, mode: 0o600 }]
        : []),
      ...(plugin.caPem !== undefined
        ? [{ content: plugin.caPem, target: CONTAINER_CA_FILE, mode: 0o644 }]
        : []),
      ...(plugin.name === 'oidc-auth' && plugin.serverTls
        ? [
            { content: plugin.serverTls.cert, target: CONTAINER_TLS_CERT, mode: 0o644 },
            { content: plugin.serverTls.key, target: CONTAINER_TLS_KEY, mode: 0o600 },
          ]
        : []),
    ]);
    // Docker on Linux knows host.docker.internal only when asked; Podman always adds host.containers.internal.
    if (!engine.podman && spec.network !== 'host')
      container.withExtraHosts([{ host: 'host.docker.internal', ipAddress: 'host-gateway' }]);
  }

  say(`starting ${spec.image} on ${engine.name}: ${spec.command.join(' ')}`);
  const began = Date.now();
  let started: StartedTestContainer;
  try {
    started = await container.start();
  } catch (error) {
    throw new AuthlabError(
      'AUTHLAB_MLFLOW_START_FAILED',
      `could not start a container from ${spec.image}: ${(error as Error)?.message ?? String(error)}`,
      {
        cause: error,
        details: logDetails(ring.last()),
        hint:
          options.port === 0
            ? 'Check the engine (docker ps / podman ps) and that the image runs "mlflow server".'
            : `Is port ${options.port} free? Use --mlflow-port 0 for any free port.`,
      },
    );
  }
  const containerId = started.getId();
  await options.afterStart?.();
  let exit: string | undefined;
  // Settles when the container stops, whoever stopped it.
  void engine.docker
    .getContainer(containerId)
    .wait()
    .then((r: { StatusCode?: number }) => (exit = `the container exited with code ${r.StatusCode ?? '?'}`))
    .catch(() => (exit ??= 'the container is gone'));

  let disposing: Promise<void> | undefined;
  const dispose = () =>
    (disposing ??= (async () => {
      try {
        await started.stop({ timeout: 5_000, remove: true, removeVolumes: true });
      } catch (error) {
        log.warn(
          `could not remove MLflow container ${containerId.slice(0, 12)}: ${(error as Error).message}`,
        );
      }
    })());

  const scheme = options.plugin?.name === 'oidc-auth' && options.plugin.serverTls ? 'https' : 'http';
  const url = listen
    ? `${scheme}://${hostForUrl(listen.host)}:${listen.port}`
    : `http://${engine.local ? hostForUrl(host) : started.getHost()}:${started.getMappedPort(CONTAINER_PORT)}`;
  try {
    await waitForHealth(url, {
      timeoutMs: options.startTimeoutMs ?? (oidc ? OIDC_PLUGIN_START_TIMEOUT_MS : 180_000),
      ...(options.fetch && { fetch: options.fetch }),
      isAlive: () => exit ?? true,
      logs: () => ring.last(),
      onProgress: (m) => say(`${m}; container ${containerId.slice(0, 12)}`),
      hint: `Its output is above; run "${engine.podman ? 'podman' : 'docker'} run --rm${spec.network === 'host' ? ' --network host' : ''} ${spec.image} ${spec.command.join(' ')}" to try it by hand.`,
    });
    // With the kubernetes-auth plugin, workspaces are the fake kube-apiserver's namespaces, and creating one is
    // refused (§5); the oidc-auth plugin lets only its admins create them, which the lab does once it has signed one
    // in (real-plugin.ts).
    if (!options.plugin) {
      const { supported, created } = await ensureWorkspaces(url, options.workspaces);
      if (!supported) {
        log.warn(
          `${spec.image} has no workspaces API (MLflow older than 3.10): the lab's workspaces were not created`,
        );
      } else if (created.length > 0) log.info(`created workspaces: ${created.join(', ')}`);
    }
  } catch (error) {
    await dispose();
    throw isAuthlabError(error)
      ? error
      : new AuthlabError('AUTHLAB_MLFLOW_START_FAILED', String(error), { cause: error });
  }
  const startMs = Date.now() - began;
  say(`MLflow is up at ${url} (${spec.image}, container ${containerId.slice(0, 12)}, ${startMs} ms)`);
  return {
    kind: 'container',
    url,
    reason: options.reason ?? `asked for (--mlflow container, ${engine.name})`,
    image: spec.image,
    containerId,
    engine: engine.name,
    volume: spec.volume,
    startMs,
    logs: () => ring.last(),
    dispose,
  };
}

/**
 * Removes the MLflow containers of labs that died without disposing (kill -9, a crash) where no reaper ran
 * (TESTCONTAINERS_RYUK_DISABLED): their label names a lab process that no longer exists on this machine.
 */
export async function removeOrphans(engine: ContainerEngine, log: Logger): Promise<string[]> {
  const removed: string[] = [];
  let containers: Array<{ Id: string; Labels?: Record<string, string> }>;
  try {
    containers = await engine.docker.listContainers({ all: true, filters: { label: [LAB_LABEL] } });
  } catch (error) {
    log.debug(`could not list old lab containers: ${(error as Error).message}`);
    return removed;
  }
  for (const c of containers) {
    const pid = Number(c.Labels?.[LAB_PID_LABEL]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processExists(pid)) continue;
    try {
      await engine.docker.getContainer(c.Id).remove({ force: true, v: true });
      removed.push(c.Id);
      log.info(`removed container ${c.Id.slice(0, 12)} of a lab that is gone (pid ${pid})`);
    } catch (error) {
      log.debug(`could not remove ${c.Id.slice(0, 12)}: ${(error as Error).message}`);
    }
  }
  return removed;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * GenericContainer with two things its builder lacks: ports published on one host address (the lab binds loopback,
 * never all interfaces), and an anonymous volume for MLflow's data when nothing has to survive the container.
 * Defined on first use, since testcontainers is loaded lazily.
 */
async function loopbackContainerClass() {
  const { GenericContainer } = await import('testcontainers');
  class LoopbackContainer extends GenericContainer {
    bindPortsTo(hostIp: string): this {
      for (const bindings of Object.values(this.hostConfig.PortBindings ?? {}) as Array<
        Array<{ HostIp?: string }>
      >) {
        for (const b of bindings) b.HostIp = hostIp;
      }
      return this;
    }
    withAnonymousVolume(target: string): this {
      this.createOpts.Volumes = { ...this.createOpts.Volumes, [target]: {} };
      return this;
    }
  }
  return { LoopbackContainer };
}

/** A wait strategy that is satisfied as soon as the container runs. */
async function readyAtOnceClass() {
  const { StartupCheckStrategy } = await import('testcontainers');
  return class ReadyAtOnce extends StartupCheckStrategy {
    checkStartupState(): Promise<'SUCCESS'> {
      return Promise.resolve('SUCCESS');
    }
  };
}
