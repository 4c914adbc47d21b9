// `up --tls` tried as a new user would: HTTPS URLs and a CA file in --json, curl failing without --cacert and
// working with it, `ca`, and `env` carrying every trust variable a Python or Node client needs.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, expect, onTestFinished, test } from 'vitest';
import { upJson } from './up-json.js';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const NO_ENGINE = 'unix:///nonexistent/docker.sock';
const has = (cmd: string, args: string[]) => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const CURL = has('curl', ['--version']);
const PYTHON = has('python3', ['-c', 'import requests']);

/** The banner follows the JSON line on stderr; waits for its last part. */
async function banner(stderr: () => string): Promise<string> {
  for (let i = 0; i < 100 && !stderr().includes('next:'); i++) await new Promise((r) => setTimeout(r, 50));
  return stderr();
}

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function box() {
  const dir = await mkdtemp(path.join(tmpdir(), 'authlab-tls-e2e-'));
  dirs.push(dir);
  const env = { AUTHLAB_HOME: path.join(dir, '.mlflow-authlab'), DOCKER_HOST: NO_ENGINE };
  const cli = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: dir, env, reject: false });
  return { dir, env, cli };
}

test.skipIf(!CURL)(
  `up --tls: https URLs and caFile in --json; curl fails without --cacert, works with it; ca --path/--print${CURL ? '' : ' (skipped: no curl)'}`,
  async () => {
    const b = await box();
    const { child, info, stderr } = await upJson({
      cwd: b.dir,
      env: b.env,
      args: ['--tls', '--mlflow', 'emulator'],
    });
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    expect(info.trackingUri).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(info.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/dex$/);
    expect(info.kubeApiUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(info.caFile).toMatch(/ca\.pem$/);
    expect(await banner(stderr)).toContain(`CA bundle        ${info.caFile}`);

    const without = await execa('curl', ['-sS', `${info.trackingUri}/ping`], { reject: false });
    expect(without.exitCode).toBe(60);
    expect(without.stderr).toContain('SSL certificate problem: self-signed certificate in certificate chain');
    const withCa = await execa('curl', ['-sS', '--cacert', info.caFile, `${info.trackingUri}/ping`]);
    expect(withCa.stdout).toBe('OK');

    expect((await b.cli(['ca', '--path'])).stdout).toBe(info.caFile);
    expect((await b.cli(['ca'])).stdout).toBe((await readFile(info.caFile, 'utf8')).trimEnd());
    const both = await b.cli(['ca', '--print', '--path']);
    expect(both.exitCode).toBe(2);

    // `token` and `can-i` talk HTTPS to the lab, trusting its CA.
    expect((await b.cli(['token', '--user', 'alice'])).stdout).toMatch(/^ey/);
    const canI = await b.cli(['can-i', '--user', 'alice', 'update', 'experiments', '-n', 'team-a']);
    expect(canI.stdout).toContain(`(SelfSubjectAccessReview at ${info.kubeApiUrl} with alice's token)`);

    // `env` is all a client needs: the token and the bundle in every variable Python and Node read.
    const vars = JSON.parse((await b.cli(['env', '--format', 'json'])).stdout) as Record<string, string>;
    expect(vars).toMatchObject({
      MLFLOW_TRACKING_URI: info.trackingUri,
      MLFLOW_TRACKING_SERVER_CERT_PATH: info.caFile,
      REQUESTS_CA_BUNDLE: info.caFile,
      SSL_CERT_FILE: info.caFile,
      NODE_EXTRA_CA_CERTS: info.caFile,
    });
    const created = await execa(
      'curl',
      [
        '-sS',
        ...['-H', `Authorization: Bearer ${vars.MLFLOW_TRACKING_TOKEN}`, '-H', 'x-mlflow-workspace: team-a'],
        ...['-H', 'content-type: application/json', '-d', '{"name":"over-https"}'],
        `${info.trackingUri}/api/2.0/mlflow/experiments/create`,
      ],
      { env: { CURL_CA_BUNDLE: vars.REQUESTS_CA_BUNDLE! } },
    );
    expect(JSON.parse(created.stdout)).toEqual({ experiment_id: expect.stringMatching(/^\d+$/) });

    if (PYTHON) {
      // Python with exactly what `env` printed, as the MLflow SDK passes MLFLOW_TRACKING_SERVER_CERT_PATH to requests.
      const py = await execa(
        'python3',
        [
          '-c',
          [
            'import os, requests',
            "r = requests.post(os.environ['MLFLOW_TRACKING_URI'] + '/api/2.0/mlflow/runs/create',",
            "    json={'experiment_id': os.environ['EXPERIMENT_ID']},",
            "    verify=os.environ['MLFLOW_TRACKING_SERVER_CERT_PATH'],",
            "    headers={'Authorization': 'Bearer ' + os.environ['MLFLOW_TRACKING_TOKEN'],",
            "             'X-MLFLOW-WORKSPACE': os.environ['MLFLOW_WORKSPACE']})",
            'print(r.status_code)',
          ].join('\n'),
        ],
        {
          env: {
            ...vars,
            EXPERIMENT_ID: (JSON.parse(created.stdout) as { experiment_id: string }).experiment_id,
          },
        },
      );
      expect(py.stdout).toBe('200');
    }
  },
);

test('up --tls-fault expired-leaf: the tracking URI presents an expired certificate, the banner says so', async () => {
  const b = await box();
  const { child, info, stderr } = await upJson({
    cwd: b.dir,
    env: b.env,
    args: ['--tls-fault', 'expired-leaf', '--mlflow', 'emulator'],
  });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  expect(await banner(stderr)).toContain(
    'TLS faults       expired-leaf on the tracking URI (the IdP and the Kubernetes API stay valid)',
  );
  const error = await new Promise<string>((resolve) => {
    void import('node:https').then(async ({ default: https }) => {
      const ca = await readFile(info.caFile as string, 'utf8');
      https
        .get(`${info.trackingUri}/ping`, { ca }, () => resolve('200'))
        .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
    });
  });
  expect(error).toBe('CERT_HAS_EXPIRED');
  // The IdP stays valid, so `env` still mints a token.
  expect((await b.cli(['token'])).stdout).toMatch(/^ey/);
});
