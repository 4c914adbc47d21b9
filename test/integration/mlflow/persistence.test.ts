import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test, vi } from 'vitest';
import { isAuthlabError, type AuthlabError } from '../../../src/errors.js';
import { startLab } from '../../../src/index.js';
import {
  createMlflowEmulator,
  type EmulatorOptions,
  type StartedEmulator,
} from '../../../src/mlflow/emulator/create-emulator.js';

/**
 * The emulator with a state directory (`createMlflowEmulator({ stateDir })`, `startLab({ stateDir })`, `up
 * --state-dir`): data made over HTTP survives a restart, and the restarted server answers byte for byte as
 * before.
 */

const API = '/api/2.0/mlflow';
const ART = '/api/2.0/mlflow-artifacts/artifacts';
const HINT =
  'Move the file away to start with empty MLflow data (it is left untouched), or use another --state-dir.';

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'authlab-state-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function start(stateDir: string, options: EmulatorOptions = {}): Promise<StartedEmulator> {
  const emu = await createMlflowEmulator({ port: 0, stateDir, workspaces: [{ name: 'team-a' }], ...options });
  onTestFinished(() => emu.dispose());
  return emu;
}

/** One request; the answer as `status body` text. */
async function call(
  emu: StartedEmulator,
  method: string,
  path: string,
  { body, workspace }: { body?: unknown; workspace?: string } = {},
): Promise<string> {
  const res = await fetch(new URL(path, emu.url), {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(workspace && { 'x-mlflow-workspace': workspace }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return `${res.status} ${await res.text()}`;
}

/** The body of a 200 (or 201) answer, parsed. */
async function ok(answer: Promise<string>): Promise<any> {
  const text = await answer;
  expect(text.slice(0, 4)).toMatch(/^20[01] $/);
  return JSON.parse(text.slice(4));
}

/** Workspaces, experiments (one deleted, with tags), runs with params, metric history and tags, a model. */
async function makeData(emu: StartedEmulator) {
  const a = { workspace: 'team-a' };
  await ok(call(emu, 'POST', '/api/3.0/mlflow/workspaces', { body: { name: 'extra', description: 'x' } }));
  const { experiment_id: exp } = await ok(
    call(emu, 'POST', `${API}/experiments/create`, {
      ...a,
      body: { name: 'persisted', tags: [{ key: 'team', value: 'a' }] },
    }),
  );
  const { experiment_id: gone } = await ok(
    call(emu, 'POST', `${API}/experiments/create`, { body: { name: 'to-delete' } }),
  );
  await ok(
    call(emu, 'POST', `${API}/experiments/set-experiment-tag`, {
      body: { experiment_id: gone, key: 'k', value: 'v' },
    }),
  );
  await ok(call(emu, 'POST', `${API}/experiments/delete`, { body: { experiment_id: gone } }));

  const { run } = await ok(
    call(emu, 'POST', `${API}/runs/create`, {
      ...a,
      body: {
        experiment_id: exp,
        start_time: 1000,
        run_name: 'first',
        tags: [{ key: 'owner', value: 'alice' }],
      },
    }),
  );
  const runId: string = run.info.run_id;
  const metrics = [
    ...[0, 1, 2].map((step) => ({ key: 'loss', value: 1 / (step + 1), timestamp: 2000 + step, step })),
    { key: 'nan', value: 'NaN', timestamp: 2000, step: 0 },
    { key: 'big', value: 'Infinity', timestamp: 2000, step: 0 },
    { key: 'loss', value: 0.25, timestamp: 1999, step: 1 },
  ];
  await ok(
    call(emu, 'POST', `${API}/runs/log-batch`, {
      ...a,
      body: {
        run_id: runId,
        metrics,
        params: [{ key: 'lr', value: '0.1' }],
        tags: [{ key: 'stage', value: 'train' }],
      },
    }),
  );
  await ok(
    call(emu, 'POST', `${API}/runs/update`, {
      ...a,
      body: { run_id: runId, status: 'FINISHED', end_time: 3000 },
    }),
  );
  const second = await ok(
    call(emu, 'POST', `${API}/runs/create`, {
      ...a,
      body: { experiment_id: exp, start_time: 1500, run_name: 'second' },
    }),
  );
  await ok(call(emu, 'POST', `${API}/runs/delete`, { ...a, body: { run_id: second.run.info.run_id } }));

  const artifactDir = (run.info.artifact_uri as string).replace('mlflow-artifacts:/', '');
  expect(await call(emu, 'PUT', `${ART}/${artifactDir}/notes/hello.txt`, { ...a, body: 'hello\n' })).toBe(
    '200 {}',
  );

  await ok(
    call(emu, 'POST', `${API}/registered-models/create`, {
      ...a,
      body: { name: 'model', description: 'd', tags: [{ key: 't', value: '1' }] },
    }),
  );
  for (let i = 0; i < 2; i++) {
    await ok(
      call(emu, 'POST', `${API}/model-versions/create`, {
        ...a,
        body: { name: 'model', source: `runs:/${runId}/model`, run_id: runId },
      }),
    );
  }
  await ok(
    call(emu, 'POST', `${API}/model-versions/transition-stage`, {
      ...a,
      body: { name: 'model', version: '2', stage: 'Staging', archive_existing_versions: false },
    }),
  );
  await ok(
    call(emu, 'POST', `${API}/registered-models/alias`, {
      ...a,
      body: { name: 'model', alias: 'champion', version: '1' },
    }),
  );
  await ok(
    call(emu, 'POST', `${API}/model-versions/set-tag`, {
      ...a,
      body: { name: 'model', version: '1', key: 'q', value: 'ok' },
    }),
  );
  return { exp, gone, runId, artifactDir };
}

/** Every read that shows the data, as text. */
async function answers(emu: StartedEmulator, d: Awaited<ReturnType<typeof makeData>>): Promise<string[]> {
  const a = { workspace: 'team-a' };
  const model = 'name=model';
  return Promise.all([
    call(emu, 'GET', '/api/3.0/mlflow/workspaces'),
    call(emu, 'GET', `${API}/experiments/get?experiment_id=${d.exp}`, a),
    call(emu, 'GET', `${API}/experiments/get?experiment_id=${d.gone}`),
    call(emu, 'POST', `${API}/experiments/search`, { body: { max_results: 100, view_type: 'ALL' } }),
    call(emu, 'POST', `${API}/experiments/search`, { ...a, body: { max_results: 100 } }),
    call(emu, 'GET', `${API}/runs/get?run_id=${d.runId}`, a),
    call(emu, 'POST', `${API}/runs/search`, {
      ...a,
      body: { experiment_ids: [d.exp], run_view_type: 'ALL' },
    }),
    call(emu, 'POST', `${API}/runs/search`, {
      ...a,
      body: { experiment_ids: [d.exp], filter: 'metrics.loss < 1', order_by: ['metrics.loss'] },
    }),
    call(emu, 'GET', `${API}/metrics/get-history?run_id=${d.runId}&metric_key=loss&max_results=100`, a),
    call(emu, 'GET', `${API}/metrics/get-history?run_id=${d.runId}&metric_key=nan&max_results=100`, a),
    call(emu, 'GET', `${API}/registered-models/get?${model}`, a),
    call(emu, 'GET', `${API}/registered-models/search`, a),
    call(emu, 'GET', `${API}/model-versions/get?${model}&version=1`, a),
    call(emu, 'GET', `${API}/model-versions/search?filter=name%3D'model'`, a),
    call(emu, 'GET', `${API}/registered-models/alias?${model}&alias=champion`, a),
    call(emu, 'GET', `${API}/artifacts/list?run_id=${d.runId}&path=notes`, a),
    call(emu, 'GET', `${ART}/${d.artifactDir}/notes/hello.txt`, a),
  ]);
}

async function startError(stateDir: string): Promise<AuthlabError> {
  const error: unknown = await createMlflowEmulator({ port: 0, stateDir }).then(
    (emu) => emu.dispose().then(() => undefined),
    (e: unknown) => e,
  );
  if (!isAuthlabError(error)) throw new Error(`expected an AuthlabError, got ${String(error)}`);
  return error;
}

describe('the emulator with a state directory', () => {
  test('everything made over HTTP comes back after a restart, answered byte for byte as before', async () => {
    const stateDir = await tempDir();
    const first = await start(stateDir);
    const data = await makeData(first);
    const before = await answers(first, data);
    // The fixtures are what they say: a run with data, a deleted experiment, a model with an alias, an artifact.
    expect(before.every((a) => a.startsWith('200 '))).toBe(true);
    expect(before[16]).toBe('200 hello\n');
    await first.dispose();

    const second = await start(stateDir);
    expect(second.artifactRoot).toBe(path.join(stateDir, 'artifacts'));
    expect(await answers(second, data)).toEqual(before);
    // Ids go on where they stopped: 1 and 2 were taken (2 is deleted).
    expect(await call(second, 'POST', `${API}/experiments/create`, { body: { name: 'next' } })).toBe(
      '200 {"experiment_id":"3"}',
    );
    // Version numbers too, and the deleted experiment's name stays taken.
    expect(
      await ok(
        call(second, 'POST', `${API}/model-versions/create`, {
          workspace: 'team-a',
          body: { name: 'model', source: 's3://b/m' },
        }),
      ),
    ).toMatchObject({ model_version: { version: '3' } });
    expect(await call(second, 'POST', `${API}/experiments/create`, { body: { name: 'to-delete' } })).toMatch(
      /^400 .*RESOURCE_ALREADY_EXISTS/,
    );
  });

  test('the snapshot: one versioned JSON file, 0600 in a 0700 directory, saved soon after a change', async () => {
    const stateDir = path.join(await tempDir(), 'new', 'state');
    const emu = await start(stateDir);
    const file = path.join(stateDir, 'mlflow-emulator.json');
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(stateDir, 'artifacts'))).mode & 0o777).toBe(0o700);
    const fresh = JSON.parse(await readFile(file, 'utf8'));
    expect(Object.keys(fresh)).toEqual([
      'version',
      'nextExperimentId',
      'workspaces',
      'experiments',
      'runs',
      'registeredModels',
    ]);
    expect(fresh).toMatchObject({
      version: 1,
      nextExperimentId: 1,
      workspaces: [{ name: 'default' }, { name: 'team-a' }],
    });

    await ok(call(emu, 'POST', `${API}/experiments/create`, { body: { name: 'soon' } }));
    // Saved without a dispose, shortly after the change.
    await vi.waitFor(
      async () => {
        const saved = JSON.parse(await readFile(file, 'utf8'));
        expect(saved.experiments.map((e: { name: string }) => e.name)).toEqual(['Default', 'soon']);
      },
      { timeout: 2000, interval: 20 },
    );
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readdir(stateDir)).sort()).toEqual(['artifacts', 'mlflow-emulator.json']);
  });

  test('metric values as MLflow stores them: NaN stays NaN, ±Infinity the largest doubles', async () => {
    const stateDir = await tempDir();
    const first = await start(stateDir);
    const data = await makeData(first);
    await first.dispose();
    const saved = JSON.parse(await readFile(path.join(stateDir, 'mlflow-emulator.json'), 'utf8'));
    const run = saved.runs.find((r: { id: string }) => r.id === data.runId);
    expect(run.latestMetrics).toEqual([
      ['loss', 1 / 3, 2002, 2],
      ['nan', 'NaN', 2000, 0],
      ['big', Number.MAX_VALUE, 2000, 0],
    ]);
    expect(run.metricHistory).toEqual([
      ['loss', [1, 0.5, 1 / 3, 0.25], [2000, 2001, 2002, 1999], [0, 1, 2, 1]],
      ['nan', ['NaN'], [2000], [0]],
      ['big', [Number.MAX_VALUE], [2000], [0]],
    ]);
  });

  test('a metric logged across several saves keeps its whole history', async () => {
    const stateDir = await tempDir();
    const file = path.join(stateDir, 'mlflow-emulator.json');
    const first = await start(stateDir);
    const { run } = await ok(call(first, 'POST', `${API}/runs/create`, { body: { experiment_id: '0' } }));
    const runId: string = run.info.run_id;
    const log = (steps: number[]) =>
      ok(
        call(first, 'POST', `${API}/runs/log-batch`, {
          body: {
            run_id: runId,
            metrics: steps.map((step) => ({ key: 'm', value: step / 2, timestamp: step, step })),
          },
        }),
      );
    const savedHistory = async () => JSON.parse(await readFile(file, 'utf8')).runs[0]?.metricHistory;
    await log([1, 2]);
    await vi.waitFor(async () => expect(await savedHistory()).toEqual([['m', [0.5, 1], [1, 2], [1, 2]]]), {
      timeout: 2000,
      interval: 20,
    });
    await log([3]);
    await first.dispose();
    expect(await savedHistory()).toEqual([['m', [0.5, 1, 1.5], [1, 2, 3], [1, 2, 3]]]);

    const second = await start(stateDir);
    const history = await ok(
      call(second, 'GET', `${API}/metrics/get-history?run_id=${runId}&metric_key=m&max_results=10`),
    );
    expect(history.metrics.map((m: { step: number }) => m.step)).toEqual([1, 2, 3]);
  });

  test('reset() after unsaved changes: nothing is saved afterwards, not even on dispose', async () => {
    const stateDir = await tempDir();
    const emu = await start(stateDir);
    await ok(call(emu, 'POST', `${API}/experiments/create`, { body: { name: 'gone' } }));
    emu.reset();
    await emu.dispose();
    expect(await readdir(stateDir)).toEqual(['artifacts']);
  });

  test('reset() empties memory, the snapshot and the artifacts', async () => {
    const stateDir = await tempDir();
    const emu = await start(stateDir);
    const data = await makeData(emu);
    emu.reset();
    expect(await readdir(stateDir)).toEqual(['artifacts']);
    expect(await readdir(path.join(stateDir, 'artifacts'))).toEqual([]);
    const search = await ok(
      call(emu, 'POST', `${API}/experiments/search`, {
        body: { max_results: 100, view_type: 'ALL' },
      }),
    );
    expect(search.experiments.map((e: { name: string }) => e.name)).toEqual(['Default']);
    expect(await call(emu, 'GET', `${API}/runs/get?run_id=${data.runId}`, { workspace: 'team-a' })).toMatch(
      /^404 /,
    );
    await emu.dispose();

    const again = await start(stateDir);
    expect(await call(again, 'POST', `${API}/experiments/create`, { body: { name: 'after-reset' } })).toBe(
      '200 {"experiment_id":"1"}',
    );
    expect(await call(again, 'GET', `${API}/registered-models/search`, { workspace: 'team-a' })).toBe(
      '200 {}',
    );
  });

  test('a snapshot that is not JSON: refused with the file named, and left as it is', async () => {
    const stateDir = await tempDir();
    const file = path.join(stateDir, 'mlflow-emulator.json');
    const broken = '{"version": 1, "workspaces": [';
    await writeFile(file, broken);
    const error = await startError(stateDir);
    let parserMessage = '';
    try {
      JSON.parse(broken);
    } catch (e) {
      parserMessage = (e as Error).message;
    }
    expect({ code: error.code, message: error.message, details: error.details, hint: error.hint }).toEqual({
      code: 'AUTHLAB_STATE_INVALID',
      message: `the MLflow emulator state file ${file} is not valid JSON`,
      details: [parserMessage],
      hint: HINT,
    });
    expect(error.isUserError()).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(broken);
    expect(await readdir(stateDir)).toEqual(['mlflow-emulator.json']);
  });

  test('a snapshot of another version, or none: refused', async () => {
    const stateDir = await tempDir();
    const file = path.join(stateDir, 'mlflow-emulator.json');
    await writeFile(file, '{"version":2,"everything":"else"}\n');
    const error = await startError(stateDir);
    expect([error.code, error.message, error.hint]).toEqual([
      'AUTHLAB_STATE_INVALID',
      `the MLflow emulator state file ${file} has version 2; this mlflow-authlab reads version 1`,
      HINT,
    ]);
    expect(await readFile(file, 'utf8')).toBe('{"version":2,"everything":"else"}\n');

    await writeFile(file, '[]');
    expect((await startError(stateDir)).message).toBe(
      `the MLflow emulator state file ${file} has no version; this mlflow-authlab reads version 1`,
    );
  });

  test('a snapshot with a wrong shape or dangling references: every problem listed, file untouched', async () => {
    const stateDir = await tempDir();
    const emu = await start(stateDir);
    await makeData(emu);
    await emu.dispose();
    const file = path.join(stateDir, 'mlflow-emulator.json');
    const saved = JSON.parse(await readFile(file, 'utf8'));
    saved.runs[0].experimentId = '42';
    saved.runs[1].params = [['lr', 0.1]];
    saved.experiments.push({ ...saved.experiments[1] });
    saved.registeredModels[0].aliases = [['champion', 9]];
    saved.surprise = true;
    const edited = JSON.stringify(saved);
    await writeFile(file, edited);
    const schemaError = await startError(stateDir);
    expect([schemaError.code, schemaError.message, schemaError.details, schemaError.hint]).toEqual([
      'AUTHLAB_STATE_INVALID',
      `the MLflow emulator state file ${file} is not valid:`,
      [
        'runs[1].params[0][1] (received 0.1 (number)): Invalid input: expected string, received number',
        'surprise (received true (boolean)): unknown field',
      ],
      HINT,
    ]);

    delete saved.surprise;
    saved.runs[1].params = [];
    await writeFile(file, JSON.stringify(saved));
    const referenceError = await startError(stateDir);
    expect(referenceError.details).toEqual([
      'experiments[3].id (received "1"): appears twice',
      'experiments[3].name (received "team-a/persisted"): appears twice',
      'runs[0].experimentId (received "42"): no such experiment',
      'registeredModels[0].aliases[0] (received "champion"): points at version 9, which the model does not hold',
    ]);
    expect(await readFile(file, 'utf8')).toBe(JSON.stringify(saved));
  });

  test('without a state directory nothing is written: a temporary artifact root, removed on dispose', async () => {
    const emu = await createMlflowEmulator({ port: 0 });
    expect(emu.stateDir).toBeUndefined();
    expect(path.dirname(emu.artifactRoot)).toBe(tmpdir());
    await emu.dispose();
    await expect(stat(emu.artifactRoot)).rejects.toThrow(/ENOENT/);
  });

  test('startLab({ stateDir }) keeps MLflow in <stateDir>/mlflow', async () => {
    const stateDir = await tempDir();
    const lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 }, stateDir });
    expect(lab.stateDir).toBe(stateDir);
    expect(lab.mlflow!.emulator.stateDir).toBe(path.join(stateDir, 'mlflow'));
    const emu = lab.mlflow!.emulator;
    await ok(call(emu, 'POST', `${API}/experiments/create`, { workspace: 'team-b', body: { name: 'kept' } }));
    await lab.dispose();
    expect((await readdir(stateDir)).sort()).toEqual(['mlflow']);

    const again = await startLab({ ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 }, stateDir });
    onTestFinished(() => again.dispose());
    const kept = await ok(
      call(again.mlflow!.emulator, 'GET', `${API}/experiments/get-by-name?experiment_name=kept`, {
        workspace: 'team-b',
      }),
    );
    expect(kept.experiment.experiment_id).toBe('1');
  });

  test('a state directory that cannot be created: a clear error before anything is served', async () => {
    const parent = await tempDir();
    await writeFile(path.join(parent, 'blocker'), 'x');
    const error = await startError(path.join(parent, 'blocker', 'state'));
    expect(error.code).toBe('AUTHLAB_STATE_WRITE_FAILED');
    expect(error.message).toMatch(
      new RegExp(
        `^could not save the MLflow emulator state to ${path.join(parent, 'blocker', 'state')}/mlflow-emulator\\.json: ENOTDIR`,
      ),
    );
  });
});
