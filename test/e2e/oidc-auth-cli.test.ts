// The oidc-auth stack through the built CLI (issue 19): `up --auth oidc-auth` with its banner and --json, then
// `status`, `token`, `env` (bearer) and `env --basic` (an access token from the plugin's API), and `exec`, each
// proven by a real call to the tracking URI.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { upJson } from './up-json.js';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const running: ResultPromise[] = [];
const sandboxes: string[] = [];
afterAll(() => Promise.all(sandboxes.map((d) => rm(d, { recursive: true, force: true }))));
afterEach(async () => {
  for (const c of running.splice(0)) {
    c.kill('SIGTERM');
    await c;
  }
});

async function sandbox() {
  const dir = await mkdtemp(path.join(tmpdir(), 'authlab-oidc-e2e-'));
  sandboxes.push(dir);
  const env = {
    AUTHLAB_HOME: path.join(dir, '.mlflow-authlab'),
    DOCKER_HOST: 'unix:///nonexistent/docker.sock',
  };
  const cli = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: dir, env, reject: false });
  return { dir, env, cli };
}

async function up(box: Awaited<ReturnType<typeof sandbox>>, args: string[]) {
  const started = await upJson({ cwd: box.dir, env: box.env, args: ['--mlflow', 'emulator', ...args] });
  running.push(started.child);
  return started;
}

/** Parses `export K='v'` lines (the sh format, whose values here hold no quotes). */
const shEnv = (text: string) =>
  Object.fromEntries([...text.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1]!, m[2]!]));

const currentUser = async (trackingUri: string, authorization: string) => {
  const res = await fetch(`${trackingUri}/api/2.0/mlflow/users/current`, { headers: { authorization } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe('up --auth oidc-auth', () => {
  test('the banner, --json and status name the stack; the IdP takes its Keycloak flavour', async () => {
    const box = await sandbox();
    const lab = await up(box, ['--auth', 'oidc-auth']);
    expect(lab.info.auth).toBe('oidc-auth');
    expect(lab.info.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/realms\/mlflow$/);
    await expect.poll(() => lab.stderr()).toContain('Press Ctrl-C to stop.');
    const banner = lab.stderr();
    expect(banner).toContain('mlflow-authlab is up (keycloak flavour');
    expect(banner).toContain(
      "auth stack       oidc-auth: the mlflow-oidc-auth 7.3.1 plugin's rules (browser login, Bearer JWT, Basic access tokens)",
    );
    expect(banner).toContain('eval "$(npx mlflow-authlab env --user alice --basic)"');
    const status = await box.cli(['status']);
    expect(status.stdout).toContain('  auth stack       oidc-auth');
    const json = await box.cli(['status', '--json']);
    expect(JSON.parse(json.stdout).auth).toBe('oidc-auth');
  });

  test('token and env give bearer tokens the plugin accepts; env --basic an access token', async () => {
    const box = await sandbox();
    const lab = await up(box, ['--auth', 'oidc-auth']);
    const token = (await box.cli(['token', '--user', 'bob'])).stdout.trim();
    expect(decodeJwt(token).preferred_username).toBe('bob');
    expect((await currentUser(lab.info.trackingUri, `Bearer ${token}`)).json.username).toBe(
      'bob@example.com',
    );

    const bearerEnv = shEnv((await box.cli(['env', '--user', 'alice'])).stdout);
    expect(bearerEnv.MLFLOW_TRACKING_URI).toBe(lab.info.trackingUri);
    const me = await currentUser(lab.info.trackingUri, `Bearer ${bearerEnv.MLFLOW_TRACKING_TOKEN}`);
    expect(me.json.username).toBe('alice@example.com');

    const first = await box.cli(['env', '--user', 'alice', '--basic']);
    expect(first.exitCode, first.stderr).toBe(0);
    const basicEnv = shEnv(first.stdout);
    expect(basicEnv.MLFLOW_TRACKING_TOKEN).toBeUndefined();
    expect(basicEnv.MLFLOW_TRACKING_USERNAME).toBe('alice@example.com');
    expect(basicEnv.MLFLOW_TRACKING_PASSWORD).toMatch(/^[A-Za-z0-9]{24}$/);
    const basic = (e: Record<string, string>) =>
      `Basic ${Buffer.from(`${e.MLFLOW_TRACKING_USERNAME}:${e.MLFLOW_TRACKING_PASSWORD}`).toString('base64')}`;
    expect((await currentUser(lab.info.trackingUri, basic(basicEnv))).status).toBe(200);
    // One access token per user: asking again replaces the first (§3.3).
    const second = shEnv((await box.cli(['env', '--user', 'alice', '--basic'])).stdout);
    expect((await currentUser(lab.info.trackingUri, basic(second))).status).toBe(200);
    expect((await currentUser(lab.info.trackingUri, basic(basicEnv))).status).toBe(401);
  });

  test('env --basic on the kubernetes-auth stack is a usage error with a hint', async () => {
    const box = await sandbox();
    await up(box, []);
    const r = await box.cli(['env', '--basic']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error: --basic needs the oidc-auth stack (its access tokens)');
    expect(r.stderr).toContain('hint: Start the lab with "npx mlflow-authlab up --auth oidc-auth"');
  });

  test('exec --auth oidc-auth runs a command with the environment of env', async () => {
    const box = await sandbox();
    const script =
      "fetch(process.env.MLFLOW_TRACKING_URI + '/api/2.0/mlflow/users/current', { headers: { authorization: 'Bearer ' + process.env.MLFLOW_TRACKING_TOKEN } }).then(r => r.json()).then(j => console.log(j.username + ' ' + process.env.MLFLOW_WORKSPACE))";
    const r = await box.cli([
      'exec',
      '--auth',
      'oidc-auth',
      '--mlflow',
      'emulator',
      '--port',
      '0',
      '--idp-port',
      '0',
      '--kube-port',
      '0',
      '--mlflow-port',
      '0',
      '--',
      process.execPath,
      '-e',
      script,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('alice@example.com team-a');
  });
});
