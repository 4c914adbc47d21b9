import { mkdtemp, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { startLab } from '../../src/index.js';
import { readLabState } from '../../src/lab/state-file.js';
import { createMlflowEmulator } from '../../src/mlflow/emulator/create-emulator.js';
import { testLab } from './helpers.js';

// Findings of a review of the first emulator and IdP release, each pinned by a test.

async function emulator(options: Parameters<typeof createMlflowEmulator>[0] = {}) {
  const emu = await createMlflowEmulator({ port: 0, ...options });
  onTestFinished(() => emu.dispose());
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(new URL(p, emu.url), {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  return { emu, call };
}

describe('emulator: user-chosen names are never Object.prototype members', () => {
  test('a body key named "constructor" is an ignored unknown field', async () => {
    const { call } = await emulator();
    const res = await call('POST', '/api/2.0/mlflow/runs/create', '{"experiment_id":"0","constructor":"x"}');
    expect(res.status).toBe(200);
  });

  test('filters and orderings on tags.constructor / tags.toString are ordinary missing keys', async () => {
    const { call } = await emulator();
    await call('POST', '/api/2.0/mlflow/runs/create', { experiment_id: '0' });
    const filtered = await call('POST', '/api/2.0/mlflow/runs/search', {
      experiment_ids: ['0'],
      filter: "tags.constructor = 'x'",
    });
    expect([filtered.status, filtered.text]).toEqual([200, '{}']);
    const ordered = await call('POST', '/api/2.0/mlflow/runs/search', {
      experiment_ids: ['0'],
      order_by: ['tags.toString DESC'],
    });
    expect(ordered.status).toBe(200);
    const experiments = await call('POST', '/api/2.0/mlflow/experiments/search', {
      max_results: 10,
      filter: "tags.`__proto__` = 'x'",
    });
    expect([experiments.status, experiments.text]).toEqual([200, '{}']);
  });
});

describe('emulator lifecycle and edges', () => {
  test('reset() after dispose() refuses instead of deleting saved data', async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), 'authlab-reg-'));
    const emu = await createMlflowEmulator({ port: 0, stateDir });
    await emu.dispose();
    expect(() => emu.reset()).toThrow('this MLflow emulator has been disposed');
    expect(existsSync(path.join(stateDir, 'mlflow-emulator.json'))).toBe(true);
  });

  test('reset() leaves an artifact root the caller owns alone', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'authlab-reg-root-'));
    await writeFile(path.join(root, 'keep.txt'), 'mine');
    const { emu } = await emulator({ artifactRoot: root });
    emu.reset();
    expect(existsSync(path.join(root, 'keep.txt'))).toBe(true);
  });

  test('a non-ASCII artifact name downloads with RFC 5987 filename*', async () => {
    const { call } = await emulator();
    const name = encodeURIComponent('日本.txt');
    expect((await call('PUT', `/api/2.0/mlflow-artifacts/artifacts/${name}`, 'x')).status).toBe(200);
    const got = await call('GET', `/api/2.0/mlflow-artifacts/artifacts/${name}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).toBe(
      `attachment; filename=".txt"; filename*=UTF-8''${name}`,
    );
  });

  test('a negative page offset reads as the first page, as SQLite does', async () => {
    const { call } = await emulator();
    const token = Buffer.from('{"offset": -2}').toString('base64');
    const res = await call('POST', '/api/2.0/mlflow/experiments/search', {
      max_results: 5,
      page_token: token,
    });
    expect(JSON.parse(res.text).experiments.map((e: { name: string }) => e.name)).toEqual(['Default']);
  });
});

describe('lab and IdP', () => {
  test('concurrent requests after the rotation period rotate the key once', async () => {
    const lab = await testLab();
    lab.clock.advance('7h');
    await Promise.all([1, 2, 3, 4].map(() => lab.token({ user: 'alice' })));
    expect(lab.idp.keyIds()).toHaveLength(2);
  });

  test('a configured key that is not a usable RSA key is a config error, and no port stays taken', async () => {
    const error = await testLab((cfg) => {
      cfg.idp.signingKeys = [{ kty: 'RSA', n: 'AQAB', e: 'AQAB', d: 'AQAB' }];
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AUTHLAB_CONFIG_INVALID' });
    expect((error as Error).message).toMatch(
      /^invalid configuration: idp\.signingKeys\[0\] is not a usable RSA private key/,
    );
  });

  test('a port outside 0..65535 is an argument error, not a crash', async () => {
    await expect(startLab({ ports: { idp: 70_000 } })).rejects.toMatchObject({
      code: 'AUTHLAB_INVALID_ARGUMENT',
      message: 'ports.idp 70000 is not a port',
    });
  });

  test('a state file holding null reads as no lab', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'authlab-reg-')), 'lab.json');
    await writeFile(file, 'null');
    expect(await readLabState(file)).toBeUndefined();
  });
});
