import type Dockerode from 'dockerode';
import type { ContainerRuntimeClient } from 'testcontainers';
import { AuthlabError } from '../../errors.js';

/** A container engine that answered: testcontainers' client and the Docker API client under it. */
export interface ContainerEngine {
  client: ContainerRuntimeClient;
  docker: Dockerode;
  /** `docker 28.2.2` or `podman 4.3.1`, for the banner. */
  name: string;
  /** Whether it is Podman: containers reach the host at host.containers.internal rather than host.docker.internal. */
  podman: boolean;
  /** Whether the engine publishes ports on this machine, so a port can be bound to loopback only. */
  local: boolean;
}

export type EngineProbe = { engine: ContainerEngine } | { error: string };

/** How long `auto` waits for an engine before it takes the emulator: an answering engine replies in milliseconds. */
export const ENGINE_PROBE_TIMEOUT_MS = 5_000;

/** The hint for a machine where no engine answered. */
export const NO_ENGINE_HINT =
  'Start Docker or Podman, or point DOCKER_HOST at its socket (e.g. DOCKER_HOST=unix:///run/podman/podman.sock); DEBUG=testcontainers* shows what was tried.';

/**
 * Asks testcontainers for a container engine (DOCKER_HOST, ~/.testcontainers.properties, the default sockets), for
 * at most `timeoutMs`. Never throws: `auto` reports the error as its reason for choosing the emulator.
 * testcontainers is loaded here, on first use, so a lab that never probes does not pay for loading it.
 */
export async function probeContainerEngine(timeoutMs = ENGINE_PROBE_TIMEOUT_MS): Promise<EngineProbe> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<EngineProbe>((resolve) => {
    timer = setTimeout(
      () => resolve({ error: `no container engine answered within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
    timer.unref();
  });
  const probe = (async (): Promise<EngineProbe> => {
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      const client = await getContainerRuntimeClient();
      const docker = client.container.dockerode;
      const version = await docker.version();
      const podman = (version.Components ?? []).some((c) => /podman/i.test(c.Name));
      const host = client.info.containerRuntime.host;
      return {
        engine: {
          client,
          docker,
          name: `${podman ? 'podman' : 'docker'} ${version.Version}`,
          podman,
          local: host === 'localhost' || host === '127.0.0.1' || host === '::1',
        },
      };
    } catch (error) {
      // testcontainers' own words: "Could not find a working container runtime strategy".
      return { error: (error as Error)?.message ?? String(error) };
    }
  })();
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The engine, or AUTHLAB_NO_CONTAINER_ENGINE for `--mlflow container` on a machine without one. */
export async function requireContainerEngine(timeoutMs = ENGINE_PROBE_TIMEOUT_MS): Promise<ContainerEngine> {
  const probe = await probeContainerEngine(timeoutMs);
  if ('engine' in probe) return probe.engine;
  throw new AuthlabError(
    'AUTHLAB_NO_CONTAINER_ENGINE',
    `the container backend needs a container engine: ${probe.error}`,
    {
      hint: `${NO_ENGINE_HINT} Or use --mlflow emulator.`,
    },
  );
}

/**
 * Why a container on the engine's host network would not share this machine's loopback, or undefined when it
 * would. The real mlflow-oidc-auth plugin needs that (container.ts, "The network path"): Docker Engine and Podman
 * on Linux, rootful or rootless, run the container in this machine's network namespace; Docker Desktop and Podman
 * machines run it in a virtual machine, rootless Docker in RootlessKit's own namespace, and a remote engine on
 * another machine, where 127.0.0.1 is not this machine's.
 */
export async function hostNetworkProblem(engine: ContainerEngine): Promise<string | undefined> {
  if (!engine.local) return `${engine.name} runs its containers on another machine (DOCKER_HOST)`;
  if (process.platform !== 'linux')
    return `${engine.name} runs its containers in a virtual machine on ${process.platform}`;
  let info: { OperatingSystem?: string; SecurityOptions?: string[] };
  try {
    info = (await engine.docker.info()) as typeof info;
  } catch {
    return undefined;
  }
  if (/docker desktop/i.test(info.OperatingSystem ?? ''))
    return `${engine.name} is Docker Desktop, whose containers run in a virtual machine`;
  // Podman reports name=rootless too, and its rootless host network is this machine's.
  if (!engine.podman && (info.SecurityOptions ?? []).some((o) => /name=rootless/.test(o)))
    return `${engine.name} is rootless Docker, whose host network is RootlessKit's namespace, not this machine's`;
  return undefined;
}
