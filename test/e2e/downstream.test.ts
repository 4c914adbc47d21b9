// The package as a downstream repo gets it: `npm pack`, the tarball installed into fresh copies of
// examples/vitest-downstream, examples/vitest-oidc-auth and examples/jest-downstream, their own suites run (global
// setup, alice logs a run in team-a, bob's denial, the expired-token fixture).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The Node running these tests first on PATH: npm, vitest and jest in the examples run on it.
const env = { PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`, npm_config_loglevel: 'error' };

let dir: string;
let tarball: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'authlab-downstream-'));
  const packed = await execa('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, env });
  tarball = path.join(dir, packed.stdout.trim().split('\n').pop()!);
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A fresh copy of an example with the packed tarball as its mlflow-authlab, installed. */
async function install(example: string): Promise<string> {
  const target = path.join(dir, example);
  await cp(path.join(ROOT, 'examples', example), target, { recursive: true });
  const file = path.join(target, 'package.json');
  const pkg = JSON.parse(await readFile(file, 'utf8')) as { devDependencies: Record<string, string> };
  pkg.devDependencies['mlflow-authlab'] = `file:${tarball}`;
  await writeFile(file, JSON.stringify(pkg, null, 2));
  await execa('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: target, env });
  return target;
}

describe('downstream projects on the packed package', () => {
  test('the tarball carries dist, fixtures and docker, and nothing of the tests', async () => {
    const list = await execa('tar', ['-tzf', tarball]);
    const files = list.stdout.split('\n');
    for (const f of [
      'package/dist/index.js',
      'package/dist/vitest.js',
      'package/dist/jest/global-setup.js',
      'package/dist/testing/index.js',
      'package/fixtures/lab.yaml',
      'package/docker/mlflow/Dockerfile',
    ])
      expect(files).toContain(f);
    expect(files.some((f) => f.startsWith('package/test/'))).toBe(false);
  });

  test('examples/vitest-downstream: globalSetup mlflow-authlab/vitest, its three tests pass', async () => {
    const target = await install('vitest-downstream');
    const run = await execa('npm', ['test'], { cwd: target, env, reject: false });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(run.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests {2}3 passed \(3\)/);
  }, 300_000);

  test('examples/vitest-oidc-auth: the same setup with {"auth": "oidc-auth"}, its three tests pass', async () => {
    const target = await install('vitest-oidc-auth');
    const run = await execa('npm', ['test'], { cwd: target, env, reject: false });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(run.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests {2}3 passed \(3\)/);
  }, 300_000);

  test('examples/jest-downstream: globalSetup/globalTeardown from mlflow-authlab/jest, its three tests pass', async () => {
    const target = await install('jest-downstream');
    const run = await execa('npm', ['test'], { cwd: target, env, reject: false });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Tests: {7}3 passed, 3 total/);
  }, 300_000);
});
