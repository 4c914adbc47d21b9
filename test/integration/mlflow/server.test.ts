import http from 'node:http';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { createMlflowEmulator } from '../../../src/mlflow/emulator/create-emulator.js';

async function emulator(options: Parameters<typeof createMlflowEmulator>[0] = {}) {
  const emu = await createMlflowEmulator({ port: 0, ...options });
  onTestFinished(() => emu.dispose());
  return emu;
}

/** A raw request: fetch would resolve `..` in the path before sending it. */
function raw(url: URL, method: string, rawPath: string, body?: Buffer) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>(
    (resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, method, path: rawPath }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString() }),
        );
      });
      req.on('error', reject);
      req.end(body);
    },
  );
}

const ART = '/api/2.0/mlflow-artifacts/artifacts';

describe('the emulator as an HTTP server', () => {
  test('starts on its own port with /health, /version and server-info', async () => {
    const emu = await emulator();
    expect(await (await fetch(new URL('/health', emu.url))).text()).toBe('OK');
    expect(await (await fetch(new URL('/version', emu.url))).text()).toBe('3.11.2.dev0');
    expect(await (await fetch(new URL('/api/3.0/mlflow/server-info', emu.url))).json()).toEqual({
      store_type: 'SqlStore',
      workspaces_enabled: true,
    });
  });

  test("a body over the limit gets Werkzeug's 413 page and nothing is stored", async () => {
    const emu = await emulator({ maxBodyBytes: 1024 });
    const res = await raw(emu.url, 'PUT', `${ART}/big.bin`, Buffer.alloc(64 * 1024, 1)).catch(
      () => undefined,
    );
    // The server answers and closes; the client may see the answer or the reset, never a 200.
    if (res) {
      expect(res.status).toBe(413);
      expect(res.text).toContain('<title>413 Request Entity Too Large</title>');
    }
    expect(existsSync(path.join(emu.artifactRoot, 'big.bin'))).toBe(false);
    expect((await fetch(new URL('/health', emu.url))).status).toBe(200);
  });

  test("downloads carry Flask's attachment headers; `..` in the raw path reaches MLflow's path check", async () => {
    const emu = await emulator();
    expect((await raw(emu.url, 'PUT', `${ART}/dir/a.txt`, Buffer.from('hi'))).status).toBe(200);
    const got = await raw(emu.url, 'GET', `${ART}/dir/a.txt`);
    expect([got.status, got.text, got.headers['content-type']]).toEqual([200, 'hi', 'text/plain']);
    expect(got.headers['content-disposition']).toBe('attachment; filename=a.txt');
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    const traversal = await raw(emu.url, 'GET', `${ART}/dir/../../etc/passwd`);
    expect(traversal.status).toBe(400);
    expect(JSON.parse(traversal.text)).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'Invalid path',
    });
  });

  test('a malformed percent escape does not break routing', async () => {
    const emu = await emulator();
    const res = await raw(emu.url, 'GET', `${ART}/bad%zz.txt`);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text).error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  test('reset() empties the artifact store with the runs', async () => {
    const emu = await emulator();
    await raw(emu.url, 'PUT', `${ART}/x/y.txt`, Buffer.from('y'));
    expect(existsSync(path.join(emu.artifactRoot, 'x', 'y.txt'))).toBe(true);
    emu.reset();
    expect(existsSync(path.join(emu.artifactRoot, 'x'))).toBe(false);
    expect(existsSync(emu.artifactRoot)).toBe(true);
  });
});

test('RESTRICT refuses to delete a workspace that still holds registered models', async () => {
  const emu = await createMlflowEmulator({ port: 0, workspaces: [{ name: 'models-only' }] });
  onTestFinished(() => emu.dispose());
  const call = (method: string, p: string, body?: unknown) =>
    fetch(new URL(p, emu.url), {
      method,
      headers: { 'content-type': 'application/json', 'x-mlflow-workspace': 'models-only' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  expect((await call('POST', '/api/2.0/mlflow/registered-models/create', { name: 'm' })).status).toBe(200);
  const refused = await fetch(new URL('/api/3.0/mlflow/workspaces/models-only', emu.url), {
    method: 'DELETE',
  });
  expect([refused.status, await refused.json()]).toEqual([
    500,
    {
      error_code: 'INVALID_STATE',
      message:
        "Cannot delete workspace 'models-only': table 'registered_models' still contains 1 resource(s). Remove or reassign them before deleting the workspace.",
      sqlstate: 'XXM00',
      error_class: 'CLIENT_INTERNAL_ERROR',
    },
  ]);
  const cascade = await fetch(new URL('/api/3.0/mlflow/workspaces/models-only?mode=CASCADE', emu.url), {
    method: 'DELETE',
  });
  expect(cascade.status).toBe(204);
});
