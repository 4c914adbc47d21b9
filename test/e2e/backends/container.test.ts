/**
 * The container backend through testcontainers on a real engine (Podman in CI, see DESIGN.md "Container engine in
 * CI"). No registry is reachable there, so these tests run a locally built stand-in image (the emulator as
 * `mlflow server`, standin-image.ts) through the same container code path the official image takes; the official
 * image's create request is checked separately, against the same spec.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { isAuthlabError, startLab, type StartedLab } from '../../../src/index.js';
import {
  CONTAINER_CA_FILE,
  CONTAINER_DATA_DIR,
  CONTAINER_KUBECONFIG,
  containerSpec,
  LAB_PID_LABEL,
  volumeName,
  type ContainerBackend,
} from '../../../src/mlflow/backends/container.js';
import { probeContainerEngine, type ContainerEngine } from '../../../src/mlflow/backends/engine.js';
import { buildImage, pinnedMlflowImage } from '../../../src/mlflow/backends/images.js';
import { upJson } from '../up-json.js';
import { buildStandinImage } from './standin-image.js';

const PORTS = { proxy: 0, idp: 0, kube: 0, mlflow: 0 };
const API = '/api/2.0/mlflow';

const probe = await probeContainerEngine();
const engine: ContainerEngine | undefined = 'engine' in probe ? probe.engine : undefined;
const noEngine = 'error' in probe ? `no container engine (${probe.error}); CI runs Podman` : '';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'authlab-container-'));
  dirs.push(dir);
  return dir;
}

async function inspect(id: string) {
  return engine!.docker.getContainer(id).inspect();
}

async function gone(id: string): Promise<boolean> {
  return inspect(id).then(
    () => false,
    (e: { statusCode?: number }) => e.statusCode === 404,
  );
}

async function alice(lab: StartedLab) {
  return {
    authorization: `Bearer ${await lab.token({ user: 'alice' })}`,
    'content-type': 'application/json',
    'x-mlflow-workspace': 'team-a',
  };
}

/**
 * Runs, inside the container, what the plugin's kubernetes client does at start-up: read KUBECONFIG (server, token,
 * CA data when there is one) and list namespaces.
 */
async function kubeFromContainer(containerId: string) {
  const script = `
    const text = require('fs').readFileSync(process.env.KUBECONFIG, 'utf8');
    const server = /server: (\\S+)/.exec(text)[1];
    const token = /token: (\\S+)/.exec(text)[1];
    const caData = /certificate-authority-data: (\\S+)/.exec(text);
    const ca = caData ? Buffer.from(caData[1], 'base64') : undefined;
    require(server.startsWith('https:') ? 'https' : 'http')
      .get(server + '/api/v1/namespaces', { headers: { authorization: 'Bearer ' + token }, ...(ca && { ca }) }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => console.log(JSON.stringify({ server, status: res.statusCode, body: JSON.parse(body), ca: !!ca })));
      })
      .on('error', (e) => console.log(JSON.stringify({ server, error: e.code || String(e) })));`;
  const exec = await engine!.docker.getContainer(containerId).exec({
    Cmd: ['node', '-e', script],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({});
  const output = await new Promise<string>((resolve) => {
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString('utf8')));
    stream.on('end', () => resolve(text));
  });
  return JSON.parse(output.slice(output.indexOf('{'))) as {
    server: string;
    status?: number;
    body?: { items: Array<{ metadata: { name: string } }> };
    error?: string;
    ca?: boolean;
  };
}

test("the official image's container: pinned in docker/mlflow/Dockerfile, started as the vendor guide starts mlflow server", async () => {
  const dockerfile = await readFile(new URL('../../../docker/mlflow/Dockerfile', import.meta.url), 'utf8');
  expect(dockerfile.trim()).toMatch(/^FROM ghcr\.io\/mlflow\/mlflow:v3\.\d+\.\d+$/);
  expect(pinnedMlflowImage()).toBe(dockerfile.trim().slice('FROM '.length));
  // The plugin image builds on the same pin by default.
  const plugin = await readFile(
    new URL('../../../docker/mlflow-kubernetes/Dockerfile', import.meta.url),
    'utf8',
  );
  expect(plugin).toContain(`ARG BASE_IMAGE=${pinnedMlflowImage()}`);
  expect(plugin).toMatch(/pip install --no-cache-dir mlflow-kubernetes-plugins==\d+\.\d+\.\d+/);

  expect(containerSpec({ image: pinnedMlflowImage(), pid: 42 })).toEqual({
    image: pinnedMlflowImage(),
    command: [
      'mlflow',
      'server',
      ...['--host', '0.0.0.0', '--port', '5000'],
      '--enable-workspaces',
      ...['--backend-store-uri', 'sqlite:////mlflow/mlflow.db'],
      '--serve-artifacts',
      ...['--artifacts-destination', '/mlflow/artifacts'],
    ],
    environment: {},
    volume: undefined,
    labels: { 'io.github.mlflow-authlab.lab': 'mlflow', [LAB_PID_LABEL]: '42' },
  });
  const withPlugin = containerSpec({
    image: 'x',
    stateDir: '/data/lab',
    plugin: { name: 'kubernetes-auth', kubeconfig: 'k', env: { MLFLOW_K8S_DEFAULT_WORKSPACE: 'team-a' } },
  });
  expect(withPlugin.command.slice(-4)).toEqual([
    '--app-name',
    'kubernetes-auth',
    '--workspace-store-uri',
    'kubernetes://',
  ]);
  expect(withPlugin.environment).toEqual({
    MLFLOW_K8S_DEFAULT_WORKSPACE: 'team-a',
    KUBECONFIG: CONTAINER_KUBECONFIG,
  });
  expect(withPlugin.volume).toBe(volumeName('/data/lab'));
  expect(withPlugin.volume).toMatch(/^mlflow-authlab-[0-9a-f]{12}$/);
});

describe.skipIf(!engine)(
  `container backend on a real engine${noEngine ? ` (skipped: ${noEngine})` : ''}`,
  () => {
    let image: string;
    beforeAll(async () => {
      image = await buildStandinImage(engine!);
    }, 300_000);

    test('a local stand-in image (not the official MLflow image) runs behind the whole lab; the create request is the official one; dispose removes the container', async () => {
      const progress: string[] = [];
      const lab = await startLab({
        ports: PORTS,
        env: {},
        mlflow: { backend: 'container', image },
        onProgress: (m) => progress.push(m),
      });
      onTestFinished(() => lab.dispose());
      const server = lab.mlflow!.server as ContainerBackend;
      expect(lab.mlflow!.backend).toBe('container');
      expect(lab.mlflow!.reason).toBe(`asked for (--mlflow container, ${engine!.name})`);
      expect(lab.mlflow!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(
        progress.some((p) =>
          p.startsWith(`starting ${image} on ${engine!.name}: mlflow server --host 0.0.0.0`),
        ),
      ).toBe(true);
      expect(progress.at(-1)).toMatch(/^MLflow is up at http:\/\/127\.0\.0\.1:\d+ \(/);
      console.info(`container backend: MLflow healthy ${server.startMs} ms after the container started`);

      // What the engine was asked to create: the official image's command and flags, port on loopback only.
      const info = await inspect(server.containerId);
      const official = containerSpec({ image: pinnedMlflowImage() });
      expect(info.Config.Cmd).toEqual(official.command);
      expect(info.Config.Labels).toMatchObject(official.labels);
      expect(info.HostConfig.PortBindings).toEqual({
        '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: expect.any(String) }],
      });
      expect(info.Mounts.map((m) => m.Destination)).toContain(CONTAINER_DATA_DIR);

      // The lab's workspaces exist in the container's MLflow; alice works in team-a through proxy and gate.
      const ws = (await (await fetch(`${server.url}/api/3.0/mlflow/workspaces`)).json()) as {
        workspaces: Array<{ name: string }>;
      };
      expect(ws.workspaces.map((w) => w.name).sort()).toEqual(['default', 'team-a', 'team-b']);
      const headers = await alice(lab);
      const created = await fetch(`${lab.trackingUri}${API}/experiments/create`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'in-the-container' }),
      });
      expect(created.status).toBe(200);
      const bob = await fetch(`${lab.trackingUri}${API}/experiments/create`, {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${await lab.token({ user: 'bob' })}` },
        body: JSON.stringify({ name: 'bob-may-not' }),
      });
      expect([bob.status, await bob.json()]).toEqual([
        403,
        { error: { code: 'PERMISSION_DENIED', message: 'Permission denied for requested operation.' } },
      ]);
      // The container's own output reached the lab.
      expect(server.logs().join('\n')).toMatch(/Uvicorn running on http:\/\/0\.0\.0\.0:5000/);
      expect(() => lab.reset()).toThrow(/emulator only/);

      await lab.dispose();
      expect(await gone(server.containerId)).toBe(true);
    });

    test('with a state directory the data lives in a named volume and survives a restart', async () => {
      const stateDir = await tempDir();
      const options = { ports: PORTS, env: {}, stateDir, mlflow: { backend: 'container' as const, image } };
      const first = await startLab(options);
      const volume = (first.mlflow!.server as ContainerBackend).volume!;
      onTestFinished(() =>
        engine!.docker
          .getVolume(volume)
          .remove()
          .catch(() => undefined),
      );
      expect(volume).toBe(volumeName(stateDir));
      const res = await fetch(`${first.trackingUri}${API}/experiments/create`, {
        method: 'POST',
        headers: await alice(first),
        body: JSON.stringify({ name: 'kept-in-the-volume' }),
      });
      expect(res.status).toBe(200);
      const { experiment_id } = (await res.json()) as { experiment_id: string };
      await first.dispose();

      const again = await startLab(options);
      onTestFinished(() => again.dispose());
      const read = await fetch(`${again.trackingUri}${API}/experiments/get?experiment_id=${experiment_id}`, {
        headers: await alice(again),
      });
      expect(read.status).toBe(200);
      expect(((await read.json()) as { experiment: { name: string } }).experiment.name).toBe(
        'kept-in-the-volume',
      );
    });

    test('a container that exits during start-up fails at once with its last lines, and is removed', async () => {
      // An image whose entrypoint prints an error and exits, as an MLflow image without the right packages does.
      const context = await tempDir();
      await writeFile(
        path.join(context, 'Dockerfile'),
        `FROM ${image}\nENTRYPOINT ["node", "-e", "console.error('ModuleNotFoundError: No module named mlflow'); process.exit(3)"]\n`,
      );
      const broken = `localhost/mlflow-authlab-broken:${image.split(':')[1]}`;
      await buildImage(engine!.docker, { context, tag: broken });
      const began = Date.now();
      const error = await startLab({
        ports: PORTS,
        env: {},
        mlflow: { backend: 'container', image: broken },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isAuthlabError(error)).toBe(true);
      if (!isAuthlabError(error)) return;
      expect(error.code).toBe('AUTHLAB_MLFLOW_START_FAILED');
      expect(error.message).toMatch(/did not become healthy: the container exited with code 3$/);
      expect(error.details).toContain('  | ModuleNotFoundError: No module named mlflow');
      expect(Date.now() - began).toBeLessThan(30_000); // not the 180 s health timeout
      const left = await engine!.docker.listContainers({ all: true, filters: { ancestor: [broken] } });
      expect(left).toEqual([]);
    });

    test("the real plugin's setup: gate off, kubeconfig in the container reaches the lab's Kubernetes API with the MLflow token", async () => {
      // The stand-in does not run the plugin; what the lab sets up for it is real and checked from inside.
      const lab = await startLab({
        ports: PORTS,
        env: {},
        mlflow: { backend: 'container', image, plugin: 'kubernetes-auth' },
      });
      onTestFinished(() => lab.dispose());
      expect(lab.gate).toBeUndefined();
      const server = lab.mlflow!.server as ContainerBackend;
      const info = await inspect(server.containerId);
      expect(info.Config.Cmd!.slice(-4)).toEqual([
        '--app-name',
        'kubernetes-auth',
        '--workspace-store-uri',
        'kubernetes://',
      ]);
      expect(info.Config.Env).toEqual(
        expect.arrayContaining(['MLFLOW_K8S_DEFAULT_WORKSPACE=team-a', `KUBECONFIG=${CONTAINER_KUBECONFIG}`]),
      );
      // From inside the container, as the plugin's kubernetes client would: kubeconfig server + token → namespaces.
      const result = await kubeFromContainer(server.containerId);
      expect(result.server).toBe(
        `http://${engine!.podman ? 'host.containers.internal' : 'host.docker.internal'}:${new URL(lab.kubeApiUrl).port}`,
      );
      expect(result.error).toBeUndefined();
      expect(result.status).toBe(200);
      expect(result.body!.items.map((n) => n.metadata.name)).toEqual(
        expect.arrayContaining(['team-a', 'team-b']),
      );
      // Requests reach MLflow without the gate: the proxy's upstream is the container itself. (The stand-in has no
      // workspace provider for namespaces, so this asks the default workspace.)
      const search = await fetch(`${lab.trackingUri}${API}/experiments/search?max_results=1`, {
        headers: { authorization: `Bearer ${await lab.token({ user: 'alice' })}` },
      });
      expect(search.status).toBe(200);
      expect(lab.info().mlflow!.url).toBe(server.url);
    });

    test("an image the engine cannot pull: auto falls back to the emulator and says why; --mlflow container fails with the engine's message", async () => {
      // Nothing listens on port 9: the pull fails at once, as it does offline or without a registry.
      const absent = '127.0.0.1:9/mlflow-authlab/absent:1';
      const progress: string[] = [];
      const lab = await startLab({
        ports: PORTS,
        env: {},
        mlflow: { backend: 'auto', image: absent },
        onProgress: (m) => progress.push(m),
      });
      onTestFinished(() => lab.dispose());
      expect(progress[0]).toBe(`pulling ${absent} (first start only; the engine keeps it)`);
      expect(lab.mlflow!.backend).toBe('emulator');
      expect(lab.mlflow!.reason).toMatch(
        new RegExp(
          `^auto: ${engine!.name} answered, but could not pull ${absent.replace(/[.]/g, '\\.')}: .+`,
        ),
      );

      const error = await startLab({
        ports: PORTS,
        env: {},
        mlflow: { backend: 'container', image: absent },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isAuthlabError(error) && error.code).toBe('AUTHLAB_MLFLOW_IMAGE_UNAVAILABLE');
      expect((error as Error).message).toMatch(
        /^could not pull 127\.0\.0\.1:9\/mlflow-authlab\/absent:1: .*(refused|connect)/,
      );
      expect(isAuthlabError(error) && error.hint).toMatch(/--mlflow-image/);
    });

    test('the real plugin under --tls: the kubeconfig carries the lab CA and reaches the Kubernetes API over HTTPS by host.containers.internal', async () => {
      const lab = await startLab({
        ports: PORTS,
        env: {},
        tls: true,
        mlflow: { backend: 'container', image, plugin: 'kubernetes-auth' },
      });
      onTestFinished(() => lab.dispose());
      const server = lab.mlflow!.server as ContainerBackend;
      const info = await inspect(server.containerId);
      expect(info.Config.Env).toEqual(
        expect.arrayContaining([
          `SSL_CERT_FILE=${CONTAINER_CA_FILE}`,
          `REQUESTS_CA_BUNDLE=${CONTAINER_CA_FILE}`,
        ]),
      );
      const result = await kubeFromContainer(server.containerId);
      expect(result.server).toBe(
        `https://${engine!.podman ? 'host.containers.internal' : 'host.docker.internal'}:${new URL(lab.kubeApiUrl).port}`,
      );
      expect(result).toMatchObject({ status: 200, ca: true });
      expect(result.body!.items.map((n) => n.metadata.name)).toEqual(
        expect.arrayContaining(['team-a', 'team-b']),
      );
    });

    test('a lab killed with SIGKILL leaves its container; the next start removes it', async () => {
      const box = await tempDir();
      const { child, info } = await upJson({
        cwd: box,
        env: { AUTHLAB_HOME: path.join(box, 'home') },
        args: ['--mlflow', 'container', '--mlflow-image', image],
      });
      const [orphan] = await engine!.docker.listContainers({
        filters: { label: [`${LAB_PID_LABEL}=${info.pid}`] },
      });
      expect(orphan).toBeDefined();
      child.kill('SIGKILL');
      await child;
      expect(await gone(orphan!.Id)).toBe(false);

      const lab = await startLab({ ports: PORTS, env: {}, mlflow: { backend: 'container', image } });
      onTestFinished(() => lab.dispose());
      expect(await gone(orphan!.Id)).toBe(true);
    });

    test('up (auto) with an engine runs the container and says which engine answered; Ctrl-C removes it', async () => {
      const box = await tempDir();
      const { child, info } = await upJson({
        cwd: box,
        env: { AUTHLAB_HOME: path.join(box, 'home') },
        args: ['--mlflow-image', image],
      });
      onTestFinished(() => {
        child.kill('SIGKILL');
      });
      expect(info.mlflow).toMatchObject({ backend: 'container', reason: `auto: ${engine!.name} answered` });
      const [container] = await engine!.docker.listContainers({
        filters: { label: [`${LAB_PID_LABEL}=${info.pid}`] },
      });
      expect(container).toBeDefined();
      child.kill('SIGINT');
      expect((await child).exitCode).toBe(0);
      expect(await gone(container!.Id)).toBe(true);
    });
  },
);

test.skipIf(existsSync('/var/run/docker.sock'))(
  'up (auto) where no engine answers (DOCKER_HOST pointed at nothing) takes the emulator and says why',
  async () => {
    const box = await tempDir();
    const { child, info } = await upJson({
      cwd: box,
      env: { AUTHLAB_HOME: path.join(box, 'home'), DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    expect(info.mlflow).toEqual({
      backend: 'emulator',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      reason:
        "auto: no container engine answered (Could not find a working container runtime strategy); set DOCKER_HOST to your engine's socket to run the real MLflow image",
    });
  },
);
