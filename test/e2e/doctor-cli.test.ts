// `doctor` as the user runs it: a token file written with a trailing newline, then fixed; and behind the
// mlflow-oidc-auth plugin, Basic credentials from the MLflow client's variables.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { labFixtures, startLab } from '../../src/index.js';
import { oidcLabConfig } from '../../src/scenarios/oidc-lab.js';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

test('doctor --token-file names the trailing newline and prints the fix (exit 1); the fixed file passes (exit 0)', async () => {
  await using lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 }, env: {} });
  const dir = await mkdtemp(path.join(tmpdir(), 'authlab-doctor-'));
  try {
    const token = await lab.token();
    const file = path.join(dir, 't');
    await writeFile(file, `${token}\n`); // printf '%s\n' "$TOKEN" > t
    // An empty AUTHLAB_HOME: nothing recorded there, so only the flags count.
    const env = { AUTHLAB_HOME: path.join(dir, 'home'), MLFLOW_TRACKING_TOKEN: '', MLFLOW_TRACKING_URI: '' };
    const doctor = (args: string[]) =>
      execa(process.execPath, [BIN, 'doctor', ...args, '--tracking-uri', lab.trackingUri!], {
        env,
        reject: false,
      });
    const broken = await doctor(['--token-file', file]);
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).toContain(
      'FAIL  token has no whitespace or newline — the token ends with \\n (a trailing newline, as echo or a file editor adds)',
    );
    expect(broken.stdout).toContain("      fix: Strip it: MLFLOW_TRACKING_TOKEN=$(tr -d '\\n' < token.txt)");
    expect(broken.stdout).toContain('1 problem(s): token-whitespace');
    expect(broken.stdout).not.toContain(token);

    await writeFile(file, token);
    const fixed = await doctor(['--token-file', file, '--json']);
    expect(fixed.exitCode).toBe(0);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ ok: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('doctor behind mlflow-oidc-auth: MLFLOW_TRACKING_USERNAME/PASSWORD checked, a replaced access token named (exit 1); --otlp-experiment', async () => {
  await using lab = await startLab({
    config: await oidcLabConfig(),
    ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
    env: {},
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'authlab-doctor-'));
  try {
    const replaced = await labFixtures(lab).replacedAccessToken('alice');
    const base = {
      AUTHLAB_HOME: path.join(dir, 'home'),
      MLFLOW_TRACKING_URI: lab.trackingUri!,
      MLFLOW_TRACKING_USERNAME: replaced.username,
    };
    const doctor = (env: Record<string, string>, args: string[] = []) =>
      execa(process.execPath, [BIN, 'doctor', ...args], { env: { ...base, ...env }, reject: false });

    const stale = await doctor({
      MLFLOW_TRACKING_TOKEN: await lab.token({ user: 'alice' }),
      MLFLOW_TRACKING_PASSWORD: replaced.token,
    });
    expect(stale.exitCode).toBe(1);
    expect(stale.stdout).toContain(
      'FAIL  Basic credentials of alice@example.com work — 401 {"detail":"Authentication required"} for alice@example.com, whose bearer token works: the access token was replaced by a newer one',
    );
    expect(stale.stdout).toContain('1 problem(s): basic-auth');
    expect(stale.stdout).not.toContain(replaced.token);

    // Basic alone, with a token that works, and the OTLP route (the lab's MLflow has none: a warning).
    const fresh = await lab.accessToken({ user: 'alice' });
    const good = await doctor({ MLFLOW_TRACKING_TOKEN: '', SECRET: fresh.token }, [
      '--password-env',
      'SECRET',
      '--otlp-experiment',
      '0',
      '--json',
    ]);
    expect(good.exitCode).toBe(0);
    const report = JSON.parse(good.stdout) as { ok: boolean; checks: Array<{ id: string; status: string }> };
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['reachability', 'pass'],
      ['plugin-login', 'pass'],
      ['basic-auth', 'pass'],
      ['otlp', 'warn'],
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
