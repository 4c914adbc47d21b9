import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startLab } from '../../src/index.js';

const PYTHON = process.env.AUTHLAB_PYTHON ?? 'python3';
const SCRIPT = fileURLToPath(new URL('python/stock_client_flow.py', import.meta.url));

/** The stock client is on PyPI only; machines without it (or without PyPI) skip, saying so. */
async function pythonWithMlflow(): Promise<string | undefined> {
  const probe = await execa(PYTHON, ['-c', 'import mlflow; print(mlflow.__version__)'], { reject: false });
  return probe.exitCode === 0 ? probe.stdout.trim() : undefined;
}
const mlflowVersion = await pythonWithMlflow();
if (!mlflowVersion) {
  console.warn(
    `skipping the stock MLflow client test: no "${PYTHON}" with the mlflow package (pip install mlflow, or set AUTHLAB_PYTHON)`,
  );
}

describe.skipIf(!mlflowVersion)(
  `stock MLflow Python client (${mlflowVersion ?? 'absent'}) against the emulator`,
  () => {
    test('logs a run with params, metrics and artifacts, registers a version, sets an alias, reads it all back', async () => {
      await using lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 } });
      const result = await execa(PYTHON, [SCRIPT], {
        env: {
          MLFLOW_TRACKING_URI: lab.mlflow!.url,
          MLFLOW_WORKSPACE: 'team-a',
          MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
        },
        timeout: 120_000,
      });
      const out = JSON.parse(result.stdout.trim().split('\n').pop()!);
      expect(out).toMatchObject({
        workspace: 'team-a',
        status: 'FINISHED',
        params: { lr: '0.01', epochs: '3' },
        found: [true],
        history: [
          [0, 0.9],
          [1, 0.5],
          [2, 0.2],
        ],
        text: 'hello from python\n',
        version: '1',
        alias_version: '1',
      });
      expect(out.artifact_uri).toMatch(/^mlflow-artifacts:\/workspaces\/team-a\/1\/[0-9a-f]{32}\/artifacts$/);
    }, 180_000);

    test('over HTTPS through the proxy with nothing but the env of lab.env() (the trust variables included)', async () => {
      await using lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 }, tls: true });
      const env = await lab.env({ user: 'alice', workspace: 'team-a' });
      expect(env.MLFLOW_TRACKING_URI).toMatch(/^https:/);
      const result = await execa(PYTHON, [SCRIPT], {
        env: { ...env, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' },
        timeout: 120_000,
      });
      const out = JSON.parse(result.stdout.trim().split('\n').pop()!);
      expect(out).toMatchObject({ workspace: 'team-a', status: 'FINISHED', text: 'hello from python\n' });
    }, 180_000);

    // The mlflow-oidc-auth stack's two ways in for the SDK (§3.2, §3.3): MLFLOW_TRACKING_TOKEN as Bearer, and
    // MLFLOW_TRACKING_USERNAME/PASSWORD as Basic with an access token from the plugin's API.
    test.each([
      ['a bearer token (MLFLOW_TRACKING_TOKEN)', false],
      ['an access token as Basic (MLFLOW_TRACKING_USERNAME/PASSWORD)', true],
    ])(
      'through the oidc-auth stack with %s',
      async (_, basic) => {
        await using lab = await startLab({
          auth: 'oidc-auth',
          ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
        });
        const env = await lab.env({ user: 'alice', workspace: 'team-a', basic });
        expect(env.MLFLOW_TRACKING_TOKEN === undefined).toBe(basic);
        const result = await execa(PYTHON, [SCRIPT], {
          env: { ...env, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' },
          timeout: 120_000,
        });
        const out = JSON.parse(result.stdout.trim().split('\n').pop()!);
        expect(out).toMatchObject({
          workspace: 'team-a',
          status: 'FINISHED',
          version: '1',
          alias_version: '1',
        });
      },
      180_000,
    );
  },
);
