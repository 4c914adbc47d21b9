/* global fetch */
import { expect, test } from '@jest/globals';
import { labFromEnv } from 'mlflow-authlab/testing';

// globalSetup put the lab into process.env: AUTHLAB_CONTEXT, and MLFLOW_TRACKING_URI/TOKEN/WORKSPACE for alice.
const lab = labFromEnv();
const api = (path) => `${process.env.MLFLOW_TRACKING_URI}/api/2.0/mlflow/${path}`;
const post = (path, body, headers) =>
  fetch(api(path), {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

test('alice logs a run in team-a with the env the global setup exported', async () => {
  const headers = {
    authorization: `Bearer ${process.env.MLFLOW_TRACKING_TOKEN}`,
    'x-mlflow-workspace': process.env.MLFLOW_WORKSPACE,
  };
  const experiment = await post('experiments/create', { name: `jest-${Date.now()}` }, headers);
  expect(experiment.status).toBe(200);
  const { experiment_id } = await experiment.json();
  const run = await post('runs/create', { experiment_id }, headers);
  expect(run.status).toBe(200);
});

test('bob may not write to team-a', async () => {
  const res = await post(
    'experiments/create',
    { name: 'bob-was-here' },
    await lab.headers({ user: 'bob', workspace: 'team-a' }),
  );
  expect(res.status).toBe(403);
  expect(await res.json()).toEqual({
    error: { code: 'PERMISSION_DENIED', message: 'Permission denied for requested operation.' },
  });
});

test('an expired token is refused by the proxy', async () => {
  const res = await fetch(api('experiments/search?max_results=1'), {
    headers: {
      authorization: `Bearer ${await lab.fixtures.expiredToken('alice')}`,
      accept: 'application/json',
    },
  });
  expect(res.status).toBe(401);
});
