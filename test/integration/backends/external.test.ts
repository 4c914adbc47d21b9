import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, onTestFinished, test } from 'vitest';
import { isAuthlabError, startLab, type AuthlabError, type Logger } from '../../../src/index.js';
import { createMlflowEmulator } from '../../../src/mlflow/emulator/create-emulator.js';
import { ensureWorkspaces, waitForHealth } from '../../../src/mlflow/backends/types.js';

const PORTS = { proxy: 0, idp: 0, kube: 0, mlflow: 0 };
const API = '/api/2.0/mlflow';

async function startError(promise: Promise<unknown>): Promise<AuthlabError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAuthlabError(error)) throw new Error(`expected an AuthlabError, got ${String(error)}`);
  return error;
}

/** A port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('external backend (an MLflow someone already runs)', () => {
  test('the lab fronts it: workspaces created in it, the gate and proxy work, dispose leaves it running', async () => {
    // No workspaces of the lab's: the lab creates them through the workspaces API.
    const mlflow = await createMlflowEmulator({ port: 0 });
    onTestFinished(() => mlflow.dispose());
    const url = mlflow.url.href; // with the trailing slash a user may well type
    const lab = await startLab({ ports: PORTS, env: {}, mlflow: { backend: 'external', url } });
    onTestFinished(() => lab.dispose());
    expect(lab.mlflow!.backend).toBe('external');
    expect(lab.mlflow!.url).toBe(url.replace(/\/$/, ''));
    expect(lab.mlflow!.reason).toMatch(/--mlflow-url/);
    expect(lab.mlflow!.emulator).toBeUndefined();
    expect([...mlflow.store.workspaces.keys()].sort()).toEqual(['default', 'team-a', 'team-b']);

    const alice = { authorization: `Bearer ${await lab.token({ user: 'alice' })}` };
    const created = await fetch(`${lab.trackingUri}${API}/experiments/create`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json', 'x-mlflow-workspace': 'team-a' },
      body: JSON.stringify({ name: 'fronted' }),
    });
    expect(created.status).toBe(200);
    // bob views team-b only: the gate answers for the external server too.
    const bob = { authorization: `Bearer ${await lab.token({ user: 'bob' })}` };
    const denied = await fetch(`${lab.trackingUri}${API}/experiments/create`, {
      method: 'POST',
      headers: { ...bob, 'content-type': 'application/json', 'x-mlflow-workspace': 'team-a' },
      body: JSON.stringify({ name: 'not-bobs' }),
    });
    expect(denied.status).toBe(403);

    await lab.dispose();
    expect((await fetch(`${url}health`)).status).toBe(200);
  });

  test('a URL with nothing listening: a clear start error at once, with a hint', async () => {
    const url = `http://127.0.0.1:${await deadPort()}`;
    const began = Date.now();
    const error = await startError(startLab({ ports: PORTS, env: {}, mlflow: { backend: 'external', url } }));
    expect(Date.now() - began).toBeLessThan(3_000);
    expect(error.code).toBe('AUTHLAB_MLFLOW_START_FAILED');
    expect(error.message).toBe(`MLflow at ${url} did not become healthy: ECONNREFUSED`);
    expect(error.hint).toMatch(/Start the MLflow server first.*--enable-workspaces/);
  });

  test('a server without the workspaces API: a warning, and the lab starts', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/health') res.end('OK');
      else {
        res.statusCode = 404;
        res.setHeader('content-type', 'application/json');
        res.end('{"error_code": "ENDPOINT_NOT_FOUND", "message": "No such endpoint"}');
      }
    });
    const warnings: string[] = [];
    const log: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} };
    const lab = await startLab({ ports: PORTS, env: {}, log, mlflow: { backend: 'external', url } });
    onTestFinished(() => lab.dispose());
    expect(lab.mlflow!.url).toBe(url);
    expect(warnings.join('\n')).toMatch(/has no workspaces API/);
  });

  test('ensureWorkspaces tolerates a workspace created meanwhile (RESOURCE_ALREADY_EXISTS)', async () => {
    const url = await serve((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET') res.end('{"workspaces": [{"name": "default"}]}');
      else {
        res.statusCode = 400;
        res.end(
          '{"error_code": "RESOURCE_ALREADY_EXISTS", "message": "Workspace \'team-a\' already exists."}',
        );
      }
    });
    expect(await ensureWorkspaces(url, [{ name: 'team-a' }])).toEqual({ supported: true, created: [] });
  });

  test('waitForHealth gives up naming the URL and the last lines, and reports progress while it waits', async () => {
    const url = await serve((_req, res) => {
      res.statusCode = 503;
      res.end('starting');
    });
    const progress: string[] = [];
    const error = await startError(
      waitForHealth(url, {
        timeoutMs: 600,
        intervalMs: 50,
        progressEveryMs: 200,
        onProgress: (m) => progress.push(m),
        logs: () => Array.from({ length: 60 }, (_, i) => `line ${i}`),
      }),
    );
    expect(error.message).toMatch(
      new RegExp(`MLflow at ${url} did not become healthy: no healthy answer within`),
    );
    expect(error.message).toMatch(/answered 503 "starting"/);
    expect(error.details[0]).toBe("last 50 line(s) of the server's output:");
    expect(error.details.at(-1)).toBe('  | line 59');
    expect(error.details).toHaveLength(51);
    expect(progress[0]).toMatch(new RegExp(`^waiting for MLflow at ${url} \\(\\d+s\\)$`));
  });
});

describe('MLflow backend options', () => {
  test.each([
    [{ backend: 'process' as const }, /needs the command/, /--mlflow-command/],
    [{ backend: 'external' as const }, /needs the URL/, /--mlflow-url/],
    [
      { backend: 'emulator' as const, url: 'http://x' },
      /URL was given, but the backend is emulator/,
      /--mlflow external/,
    ],
    [{ command: 'mlflow' }, /command was given, but the backend is emulator/, /--mlflow process/],
    [
      { backend: 'emulator' as const, image: 'ghcr.io/mlflow/mlflow:v3.11.2' },
      /image was given, but the backend is emulator/,
      /--mlflow container/,
    ],
    [
      { backend: 'external' as const, url: 'http://x', plugin: 'kubernetes-auth' as const },
      /the kubernetes-auth plugin runs inside a real MLflow, but the backend is external/,
      /--mlflow container/,
    ],
    [
      { backend: 'container' as const, plugin: 'nope' as never },
      /unknown MLflow plugin "nope"/,
      /kubernetes-auth/,
    ],
    [{ backend: 'docker' as never }, /unknown MLflow backend "docker"/, /auto, emulator, container, process/],
  ])('%o is refused with a hint', async (mlflow, message, hint) => {
    const error = await startError(startLab({ ports: PORTS, env: {}, mlflow }));
    expect(error.code).toBe('AUTHLAB_INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(hint);
  });

  test('an external URL that is not http(s) is refused', async () => {
    const error = await startError(
      startLab({ ports: PORTS, env: {}, mlflow: { backend: 'external', url: 'localhost:5000' } }),
    );
    expect(error.code).toBe('AUTHLAB_INVALID_ARGUMENT');
    expect(error.hint).toMatch(/http:\/\/127\.0\.0\.1:5000/);
  });
});
