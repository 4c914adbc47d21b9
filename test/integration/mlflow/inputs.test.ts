import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { createMlflowEmulator, type StartedEmulator } from '../../../src/mlflow/emulator/create-emulator.js';

const call = async (emu: StartedEmulator, method: string, p: string, body?: unknown) => {
  const res = await fetch(new URL(p, emu.url), {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
};

const DATASET_INPUT = {
  tags: [{ key: 'mlflow.data.context', value: 'training' }],
  dataset: {
    name: 'iris',
    digest: 'abc123',
    source_type: 'local',
    source: '{"uri": "/data/iris.csv"}',
    schema: '{"mlflow_colspec": []}',
  },
};

async function runWithInput(emu: StartedEmulator) {
  const { json: exp } = await call(emu, 'POST', '/api/2.0/mlflow/experiments/create', { name: 'inputs' });
  const { json: created } = await call(emu, 'POST', '/api/2.0/mlflow/runs/create', {
    experiment_id: exp.experiment_id,
  });
  const runId = created.run.info.run_id as string;
  expect(created.run.inputs).toEqual({});
  for (let i = 0; i < 2; i++) {
    const logged = await call(emu, 'POST', '/api/2.0/mlflow/runs/log-inputs', {
      run_id: runId,
      datasets: [DATASET_INPUT],
    });
    expect(logged).toEqual({ status: 200, json: {} });
  }
  return { runId, experimentId: exp.experiment_id as string };
}

describe('log-inputs: dataset inputs of a run', () => {
  test('are stored once per dataset and returned in runs/get in proto order', async () => {
    const emu = await createMlflowEmulator({ port: 0 });
    onTestFinished(() => emu.dispose());
    const { runId } = await runWithInput(emu);
    const { json } = await call(emu, 'GET', `/api/2.0/mlflow/runs/get?run_id=${runId}`);
    expect(JSON.stringify(json.run.inputs)).toBe(
      JSON.stringify({
        dataset_inputs: [
          {
            tags: [{ key: 'mlflow.data.context', value: 'training' }],
            dataset: {
              name: 'iris',
              digest: 'abc123',
              source_type: 'local',
              source: '{"uri": "/data/iris.csv"}',
              schema: '{"mlflow_colspec": []}',
            },
          },
        ],
      }),
    );
  });

  test('runs/search filters on datasets.name and datasets.context', async () => {
    const emu = await createMlflowEmulator({ port: 0 });
    onTestFinished(() => emu.dispose());
    const { runId, experimentId } = await runWithInput(emu);
    await call(emu, 'POST', '/api/2.0/mlflow/runs/create', { experiment_id: experimentId });
    for (const filter of ["datasets.name = 'iris'", "datasets.context = 'training'"]) {
      const { json } = await call(emu, 'POST', '/api/2.0/mlflow/runs/search', {
        experiment_ids: [experimentId],
        filter,
      });
      expect(json.runs.map((r: any) => r.info.run_id)).toEqual([runId]);
    }
  });

  test('survive a restart with a state directory', async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), 'authlab-inputs-'));
    const first = await createMlflowEmulator({ port: 0, stateDir });
    const { runId } = await runWithInput(first);
    const before = await call(first, 'GET', `/api/2.0/mlflow/runs/get?run_id=${runId}`);
    await first.dispose();
    const second = await createMlflowEmulator({ port: 0, stateDir });
    onTestFinished(() => second.dispose());
    expect(await call(second, 'GET', `/api/2.0/mlflow/runs/get?run_id=${runId}`)).toEqual(before);
  });
});
