/* global fetch, Buffer */
import { expect, inject, test } from 'vitest';
import { labClient } from 'mlflow-authlab/testing';

const lab = labClient(inject('authlab'));
const api = (path) => `${lab.context.trackingUri}/api/2.0/mlflow/${path}`;
const post = async (path, body, headers) =>
  fetch(api(path), {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const basic = (env) => ({
  authorization: `Basic ${Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD}`).toString('base64')}`,
  'x-mlflow-workspace': env.MLFLOW_WORKSPACE,
});

test('alice logs a run in team-a with an access token (Basic), as MLFLOW_TRACKING_USERNAME/PASSWORD do', async () => {
  expect(lab.context.auth).toBe('oidc-auth');
  const headers = basic(await lab.env({ user: 'alice', basic: true }));
  const experiment = await post('experiments/create', { name: `downstream-${Date.now()}` }, headers);
  expect(experiment.status).toBe(200);
  const { experiment_id } = await experiment.json();
  const run = await post('runs/create', { experiment_id }, headers);
  expect(run.status).toBe(200);
  const { run: created } = await run.json();
  const metric = await post(
    'runs/log-metric',
    { run_id: created.info.run_id, key: 'loss', value: 0.5, timestamp: Date.now(), step: 0 },
    headers,
  );
  expect(metric.status).toBe(200);
});

test("bob may not write to team-a: the plugin's own 403", async () => {
  const res = await post(
    'experiments/create',
    { name: 'bob-was-here' },
    await lab.headers({ user: 'bob', workspace: 'team-a' }),
  );
  expect(res.status).toBe(403);
  expect(await res.text()).toBe('{"message":"Permission denied"}\n');
});

test('an expired token is refused by the plugin', async () => {
  const token = await lab.fixtures.expiredToken('alice');
  const res = await fetch(api('experiments/search?max_results=1'), {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  expect(res.status).toBe(401);
  expect(await res.text()).toBe('{"detail":"Authentication required"}');
});
