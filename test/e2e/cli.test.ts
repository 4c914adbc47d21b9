import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { LAB_HEAP_FLAG, LAB_MALLOC_ARENAS, labThreadpoolSize } from '../../src/cli/lab-heap.js';
import { upJson } from './up-json.js';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const running: ResultPromise[] = [];

/** Each test gets its own state directory, as separate projects would. */
const NO_ENGINE = 'unix:///nonexistent/docker.sock';
const sandboxes: string[] = [];
afterAll(() => Promise.all(sandboxes.map((d) => rm(d, { recursive: true, force: true }))));

async function sandbox() {
  const dir = await mkdtemp(path.join(tmpdir(), 'authlab-e2e-'));
  sandboxes.push(dir);
  // A machine without a container engine, whatever this one has: `up` (auto) takes the emulator, fast and offline.
  // The container backend has its own tests (backends/container.test.ts).
  const env = { AUTHLAB_HOME: path.join(dir, '.mlflow-authlab'), DOCKER_HOST: NO_ENGINE };
  const cli = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: dir, env, reject: false });
  return { dir, env, cli };
}

/** Starts `up --json` and resolves with the JSON object it prints once ready. */
async function up(box: Awaited<ReturnType<typeof sandbox>>, args: string[] = []) {
  const started = await upJson({
    cwd: box.dir,
    env: box.env,
    // The emulator unless a test asks for another backend: `up`'s own default, auto, would start the official
    // MLflow image on a machine with Docker.
    args: [...(args.includes('--mlflow') ? [] : ['--mlflow', 'emulator']), ...args],
  });
  running.push(started.child);
  return started;
}

afterEach(async () => {
  for (const c of running.splice(0)) {
    c.kill('SIGTERM');
    await c;
  }
});

describe('mlflow-authlab CLI (built), through execa', () => {
  test('up fronts MLflow with the proxy: bearer from `token` passes, none gets the sign-in page or 401 {}, admin-cli is logged', async () => {
    // The issue's "done when", as a user runs it: an echo upstream stands in for MLflow to show the headers.
    const echo = http.createServer((req, res) => res.end(JSON.stringify(req.headers)));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const box = await sandbox();
    const lab = (await readFile(fileURLToPath(new URL('../../fixtures/lab.yaml', import.meta.url)), 'utf8'))
      .replace(
        '  - rbac/default-lab.yaml',
        `  - ${fileURLToPath(new URL('../../fixtures/rbac/default-lab.yaml', import.meta.url))}`,
      )
      .replace(
        'proxy:\n',
        `proxy:\n  upstream: http://127.0.0.1:${(echo.address() as net.AddressInfo).port}/\n`,
      );
    await writeFile(path.join(box.dir, 'lab.yaml'), lab);
    try {
      const { info, stderr } = await up(box, ['--config', 'lab.yaml', '--mlflow', 'none']);
      const token = (await box.cli(['token', '--user', 'alice'])).stdout.trim();
      const through = await fetch(`${info.trackingUri}/api/2.0/mlflow/experiments/search`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(through.status).toBe(200);
      expect(await through.json()).toMatchObject({
        'x-forwarded-email': 'alice@example.com',
        'x-forwarded-groups': 'team-a-editors',
      });
      const anonymous = await fetch(`${info.trackingUri}/api/2.0/mlflow/experiments/search`);
      expect(anonymous.status).toBe(403);
      expect(await anonymous.text()).toContain('<title>Sign In</title>');
      const json = await fetch(`${info.trackingUri}/x`, { headers: { accept: 'application/json' } });
      expect([json.status, await json.text()]).toEqual([401, '{}']);
      const admin = (await box.cli(['token', '--user', 'alice', '--client', 'admin-cli'])).stdout.trim();
      await fetch(`${info.trackingUri}/x`, { headers: { authorization: `Bearer ${admin}` } });
      expect(stderr()).toContain(
        'Error retrieving session from token in Authorization header: [unable to verify bearer token, audience from claim aud with value [admin-cli] does not match with any of allowed audiences map[mlflow:{} mlflow-cli:{} oauth2-proxy:{}]]',
      );
    } finally {
      echo.close();
    }
  });

  test('issue 5 as a user tries it: access reviews at kubeApiUrl, can-i explains, the gate owns and denies runs', async () => {
    const box = await sandbox();
    const { info } = await up(box);
    const token = async (user: string) => (await box.cli(['token', '--user', user])).stdout.trim();
    const ssar = async (bearer: string) => {
      const res = await fetch(`${info.kubeApiUrl}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          spec: {
            resourceAttributes: {
              group: 'mlflow.kubeflow.org',
              resource: 'experiments',
              verb: 'update',
              namespace: 'team-a',
            },
          },
        }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const alice = await token('alice');
    const bob = await token('bob');
    expect((await ssar(alice)).body.status.allowed).toBe(true);
    expect((await ssar(bob)).body.status.allowed).toBe(false);
    expect(await ssar('garbage')).toEqual({
      status: 401,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      },
    });

    const yes = await box.cli(['can-i', '--user', 'alice', 'update', 'experiments', '-n', 'team-a']);
    expect(yes.exitCode).toBe(0);
    expect(yes.stdout).toContain('yes\nuser alice@example.com, groups [team-a-editors system:authenticated]');
    expect(yes.stdout).toContain('allowed by RoleBinding team-a/team-a-editors → ClusterRole mlflow-edit');
    expect(yes.stdout).toContain(`(SelfSubjectAccessReview at ${info.kubeApiUrl} with alice's token)`);
    const no = await box.cli(['can-i', '--user', 'bob', 'update', 'experiments', '-n', 'team-a']);
    expect(no.exitCode).toBe(1);
    expect(no.stdout.split('\n')[0]).toBe('no');

    const call = (bearer: string, route: string, body: unknown) =>
      fetch(`${info.trackingUri}/api/2.0/mlflow/${route}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bearer}`,
          'x-mlflow-workspace': 'team-a',
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    const exp = (await (await call(alice, 'experiments/create', { name: 'issue-5' })).json()) as {
      experiment_id: string;
    };
    const run = (await (
      await call(alice, 'runs/create', { experiment_id: exp.experiment_id })
    ).json()) as any;
    expect(run.run.info.user_id).toBe('alice@example.com');
    const denied = await call(bob, 'runs/create', { experiment_id: exp.experiment_id });
    expect([denied.status, await denied.json()]).toEqual([
      403,
      { error: { code: 'PERMISSION_DENIED', message: 'Permission denied for requested operation.' } },
    ]);
    // Which identity, workspace, resource, verb and name the denial was judged on.
    const logs = await box.cli(['logs', '--decisions', '--limit', '1']);
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout).toMatch(
      /^\S+ POST \/api\/2\.0\/mlflow\/runs\/create workspace=team-a user=bob@example\.com → 403 Permission denied for requested operation\.\n {4}update experiments in team-a: denied; update experiments "issue-5" in team-a: denied$/,
    );
  });

  test('env prints what the stock SDK needs; eval-ed in sh, its token works through the proxy', async () => {
    const box = await sandbox();
    const { info } = await up(box);
    const json = await box.cli(['env', '--user', 'bob', '--workspace', 'team-b', '--format', 'json']);
    expect(json.exitCode).toBe(0);
    const vars = JSON.parse(json.stdout) as Record<string, string>;
    expect(Object.keys(vars)).toEqual([
      'MLFLOW_TRACKING_URI',
      'MLFLOW_TRACKING_TOKEN',
      'MLFLOW_WORKSPACE',
      'AUTHLAB_ISSUER',
      'AUTHLAB_KUBE_API_URL',
      'AUTHLAB_HOME',
    ]);
    expect(vars).toMatchObject({
      MLFLOW_TRACKING_URI: info.trackingUri,
      MLFLOW_WORKSPACE: 'team-b',
      AUTHLAB_ISSUER: info.issuer,
      AUTHLAB_KUBE_API_URL: info.kubeApiUrl,
      AUTHLAB_HOME: box.env.AUTHLAB_HOME,
    });
    expect(decodeJwt(vars.MLFLOW_TRACKING_TOKEN!).email).toBe('bob@example.com');
    const res = await fetch(`${vars.MLFLOW_TRACKING_URI}/api/2.0/mlflow/experiments/search`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${vars.MLFLOW_TRACKING_TOKEN}`,
        'x-mlflow-workspace': vars.MLFLOW_WORKSPACE!,
        'content-type': 'application/json',
      },
      body: '{"max_results":5}',
    });
    expect(res.status).toBe(200);
    const sh = await box.cli(['env']);
    const evaluated = await execa('sh', [
      '-c',
      `${sh.stdout}\nprintf '%s %s' "$MLFLOW_TRACKING_URI" "$MLFLOW_WORKSPACE"`,
    ]);
    expect(evaluated.stdout).toBe(`${info.trackingUri} team-a`);
  });

  test('exec runs a command against a throwaway lab with its env, and exits with the command’s status', async () => {
    const box = await sandbox();
    // A stock-SDK-like job: reads the env, creates an experiment through the proxy as alice in team-a.
    const job = [
      'test "$MLFLOW_WORKSPACE" = team-a || exit 11',
      'test -n "$AUTHLAB_ISSUER" && test -n "$AUTHLAB_KUBE_API_URL" || exit 12',
      'code=$(curl -s -o /dev/null -w "%{http_code}" -X POST "$MLFLOW_TRACKING_URI/api/2.0/mlflow/experiments/create" ' +
        '-H "Authorization: Bearer $MLFLOW_TRACKING_TOKEN" -H "X-MLFLOW-WORKSPACE: $MLFLOW_WORKSPACE" ' +
        '-H "Content-Type: application/json" -d \'{"name":"from-exec"}\')',
      'test "$code" = 200 || exit 13',
      'node "$CLI" token --user bob >/dev/null || exit 14', // the lab is findable from inside, as `token` needs
      // mlflow-authlab/testing's labFromEnv() finds it through AUTHLAB_CONTEXT.
      "node -e \"import(process.env.TESTING).then((m) => m.labFromEnv().token({ user: 'bob' })).then((t) => process.exit(t.startsWith('ey') ? 0 : 1))\" || exit 15",
    ].join('\n');
    const ok = await execa(process.execPath, [BIN, 'exec', '--', 'sh', '-c', job], {
      cwd: box.dir,
      env: {
        ...box.env,
        CLI: BIN,
        TESTING: new URL('../../dist/testing/index.js', import.meta.url).href,
        PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
      },
      reject: false,
    });
    expect([ok.exitCode, ok.stderr]).toEqual([0, '']);
    const failed = await box.cli(['exec', '--', 'sh', '-c', 'exit 7']);
    expect(failed.exitCode).toBe(7);
    expect(failed.stderr).toBe('exec: the command exited with status 7');
    const killed = await box.cli(['exec', '--', 'sh', '-c', 'kill -TERM $$']);
    expect(killed.exitCode).toBe(143);
    const none = await box.cli(['exec']);
    expect([none.exitCode, none.stderr]).toEqual([
      1,
      'error: exec needs a command after "--"\nhint: For example: npx mlflow-authlab exec -- python train.py',
    ]);
    // Nothing is left recorded.
    await expect(stat(path.join(box.env.AUTHLAB_HOME, 'lab.json'))).rejects.toThrow();
  });

  test('up --detach returns once ready; status, a second up, down; nothing left running; stale state cleaned', async () => {
    const box = await sandbox();
    const ports = ['--port', '0', '--idp-port', '0', '--kube-port', '0', '--mlflow-port', '0'];
    const started = await box.cli(['up', '--detach', '--json', ...ports]);
    expect(started.exitCode).toBe(0);
    const info = JSON.parse(started.stdout) as Record<string, any>;
    expect(info.trackingUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${info.trackingUri}/ping`)).status).toBe(200);
    const status = await box.cli(['status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ trackingUri: info.trackingUri, pid: info.pid });
    const again = await box.cli(['up', '--detach', ...ports]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain(`error: a lab is already running here (pid ${info.pid}`);
    const log = await box.cli(['logs']);
    expect(log.stdout).toContain('mlflow-authlab is up (dex flavour');
    const down = await box.cli(['down']);
    expect([down.exitCode, down.stderr]).toEqual([0, `stopped the lab (pid ${info.pid})`]);
    expect(() => process.kill(info.pid, 0)).toThrow();
    await expect(fetch(`${info.trackingUri}/ping`)).rejects.toThrow();
    expect((await box.cli(['status'])).exitCode).toBe(1);
    // A state file whose process is gone is stale: reported as no lab, and removed.
    await mkdir(box.env.AUTHLAB_HOME, { recursive: true });
    const file = path.join(box.env.AUTHLAB_HOME, 'lab.json');
    await writeFile(file, JSON.stringify({ ...info, pid: 2 ** 22 + 12345 }));
    expect((await box.cli(['status'])).exitCode).toBe(1);
    await expect(stat(file)).rejects.toThrow();
    // A detached start that fails shows why.
    const broken = await box.cli(['up', '--detach', '--port', '70000']);
    expect(broken.exitCode).toBe(1);
    await writeFile(path.join(box.dir, 'bad.yaml'), 'idp:\n  flavour: okta\n');
    const child = await box.cli(['up', '--detach', '--config', 'bad.yaml', ...ports]);
    expect(child.exitCode).toBe(1);
    expect(child.stderr).toContain(
      'error: the detached lab did not start:\nerror: invalid configuration (bad.yaml):',
    );
    expect(child.stderr).toContain(
      `hint: The whole log is in ${path.join(box.env.AUTHLAB_HOME, 'lab.log')}.`,
    );
  });

  test('up --json prints the lab object once ready; token prints a JWT that verifies against the JWKS', async () => {
    const box = await sandbox();
    const { info } = await up(box);
    expect(Object.keys(info)).toEqual([
      'trackingUri',
      'issuer',
      'tokenEndpoint',
      'kubeApiUrl',
      'mlflow',
      'auth',
      'stateFile',
      'pid',
    ]);
    expect(info.auth).toBe('kubernetes-auth');
    expect(info.trackingUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.mlflow).toEqual({
      backend: 'emulator',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      reason: 'asked for (--mlflow emulator)',
    });
    // The emulator answers as a real MLflow server on its own port.
    const health = await fetch(`${info.mlflow.url}/health`);
    expect([health.status, await health.text()]).toEqual([200, 'OK']);
    const created = await fetch(`${info.mlflow.url}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mlflow-workspace': 'team-a' },
      body: JSON.stringify({ name: 'from-the-cli-test' }),
    });
    expect([created.status, await created.json()]).toEqual([200, { experiment_id: '1' }]);
    expect(info.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dex$/);
    expect(info.tokenEndpoint).toBe(`${info.issuer}/token`);
    expect(info.stateFile).toBe(path.join(box.env.AUTHLAB_HOME, 'lab.json'));

    const token = await box.cli(['token', '--user', 'alice']);
    expect(token.exitCode).toBe(0);
    const jwt = token.stdout.trim();
    const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(`${info.issuer}/keys`)), {
      issuer: info.issuer,
      audience: 'mlflow-cli',
    });
    expect(payload.groups).toEqual(['team-a-editors']);
    expect(payload.exp! - payload.iat!).toBe(86_400);
  });

  // process.execve needs Node >= 23.11 off Windows, /proc needs Linux; elsewhere up runs with V8's own sizing.
  const canRelaunch =
    process.platform === 'linux' && typeof (process as { execve?: unknown }).execve === 'function';
  test.skipIf(!canRelaunch)(
    'up runs the lab with a 4 MB young generation, two malloc arenas and a thread pool sized to the cores, in the very process whose pid it prints; a user’s own sizing wins',
    async () => {
      const cmdline = async (pid: number) => (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      const box = await sandbox();
      const { info, child } = await up(box);
      expect(info.pid).toBe(child.pid);
      const args = await cmdline(info.pid);
      expect(args.slice(0, 3)).toEqual([process.execPath, LAB_HEAP_FLAG, BIN]);
      expect(args).toContain('up');
      const environ = (await readFile(`/proc/${info.pid}/environ`, 'utf8')).split('\0');
      expect(environ).toContain(`MALLOC_ARENA_MAX=${LAB_MALLOC_ARENAS}`);
      expect(environ).toContain(`UV_THREADPOOL_SIZE=${labThreadpoolSize()}`);

      const own = await sandbox();
      const started = await upJson({
        cwd: own.dir,
        env: { ...own.env, NODE_OPTIONS: '--max-semi-space-size=8' },
        args: ['--mlflow', 'emulator'],
      });
      running.push(started.child);
      expect((await cmdline(started.info.pid)).slice(0, 2)).toEqual([process.execPath, BIN]);
    },
  );

  test('token: client_credentials --json, --expires-in, --scope, --audience', async () => {
    const box = await sandbox();
    await up(box);
    const cc = await box.cli(['token', '--grant', 'client_credentials', '--client', 'mlflow', '--json']);
    expect(cc.exitCode).toBe(0);
    const body = JSON.parse(cc.stdout);
    expect(Object.keys(body)).toEqual(['access_token', 'token_type', 'expires_in', 'id_token']);
    expect(decodeJwt(body.access_token)).toMatchObject({ aud: 'mlflow', sub: 'CgZtbGZsb3c' });

    const short = await box.cli(['token', '--user', 'bob', '--expires-in', '90s', '--scope', 'openid email']);
    const claims = decodeJwt(short.stdout.trim());
    expect(claims.exp! - claims.iat!).toBe(90);
    expect(claims.groups).toBeUndefined();
    expect(claims.email).toBe('bob@example.com');

    const aud = await box.cli(['token', '--user', 'alice', '--audience', 'oauth2-proxy']);
    expect(decodeJwt(aud.stdout.trim()).aud).toEqual(['oauth2-proxy', 'mlflow-cli']);
  });

  test("a wrong password: exit 1, the IdP's answer and a hint", async () => {
    const box = await sandbox();
    await up(box);
    const r = await box.cli(['token', '--user', 'alice', '--password', 'nope']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: token request failed (401): access_denied: Invalid username or password\n' +
        'hint: Check the user, password and client; the lab config lists them (passwords are <name>-password in the default lab).',
    );
  });

  test('token with no running lab: exit 1 with a hint', async () => {
    const box = await sandbox();
    const r = await box.cli(['token']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      `error: no running lab recorded in ${path.join(box.env.AUTHLAB_HOME, 'lab.json')}\n` +
        'hint: Start one with "npx mlflow-authlab up" in this directory (or set AUTHLAB_HOME to where it runs).',
    );
  });

  test('SIGTERM stops the lab cleanly: exit 0, state file removed', async () => {
    const box = await sandbox();
    const { child, info } = await up(box);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
    const after = await box.cli(['token']);
    expect(after.stderr).toContain('error: no running lab recorded in');
    await expect(fetch(info.tokenEndpoint)).rejects.toThrow();
  });

  test('a busy port is a clear error with a hint', async () => {
    const box = await sandbox();
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await execa(
        process.execPath,
        [BIN, 'up', '--port', '0', '--kube-port', '0', '--idp-port', String(port)],
        {
          cwd: box.dir,
          env: box.env,
          reject: false,
        },
      );
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toBe(
        `error: IdP port ${port} on 127.0.0.1 is already in use\n` +
          `hint: Stop whatever listens on 127.0.0.1:${port} (is another lab running? try "mlflow-authlab status"), or pass --idp-port 0 to pick a free port.`,
      );
    } finally {
      blocker.close();
    }
  });

  test('a second up in the same place names the running lab', async () => {
    const box = await sandbox();
    const { info } = await up(box);
    const r = await box.cli([
      'up',
      '--port',
      '0',
      '--idp-port',
      '0',
      '--kube-port',
      '0',
      '--mlflow-port',
      '0',
    ]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      `error: a lab is already running here (pid ${info.pid}, issuer ${info.issuer}, state ${info.stateFile})\n` +
        'hint: Stop it first (Ctrl-C in its terminal, or kill that pid), or set AUTHLAB_HOME to run a second lab.',
    );
  });

  test('a broken config lists every problem and exits 1', async () => {
    const box = await sandbox();
    const file = path.join(box.dir, 'bad.yaml');
    await writeFile(file, 'idp:\n  flavour: okta\n  expiry:\n    idTokens: 1 day\nports:\n  idp: 70000\n');
    const r = await box.cli(['up', '--config', file]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      'error: invalid configuration (bad.yaml):\n' +
        '  idp.flavour (received "okta"): must be one of dex, keycloak\n' +
        '  idp.expiry.idTokens (received "1 day"): must be a duration such as "90s", "15m", "24h" or "1h30m" (units ms, s, m, h, d)\n' +
        '  ports.idp (received 70000 (number)): must be an integer in 0..65535\n' +
        'hint: Fix the options listed above; fixtures/lab.yaml is a complete example.',
    );
  });

  test('hostile config files end in the usual error and hint lines: an alias bomb, /dev/zero as RBAC and Dex config', async () => {
    const box = await sandbox();
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [i, n] of [...'bcdefghi'].entries())
      levels.push(`${n}: &${n} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`);
    await writeFile(path.join(box.dir, 'bomb.yaml'), `${levels.join('\n')}\n`);
    const bomb = await box.cli(['up', '--config', 'bomb.yaml', '--mlflow', 'none']);
    expect([bomb.exitCode, bomb.stderr]).toEqual([
      1,
      'error: invalid configuration (bomb.yaml):\n' +
        '  (file): not valid YAML: Excessive alias count indicates a resource exhaustion attack\n' +
        'hint: Fix the options listed above; fixtures/lab.yaml is a complete example.',
    ]);
    for (const line of ['rbac: [/dev/zero]', 'dexConfig: /dev/zero']) {
      await writeFile(path.join(box.dir, 'device.yaml'), `${line}\n`);
      const device = await box.cli(['up', '--config', 'device.yaml', '--mlflow', 'none']);
      expect(device.exitCode).toBe(1);
      expect(device.stderr).toContain(
        'cannot be read: /dev/zero is not a regular file (a device, a FIFO or a socket)',
      );
      expect(device.stderr).toMatch(/^error: invalid configuration \(device\.yaml\):\n[^]*\nhint: /);
    }
  });

  test('up --mlflow none runs no MLflow', async () => {
    const box = await sandbox();
    const { info } = await up(box, ['--mlflow', 'none']);
    expect(Object.keys(info)).toEqual(['issuer', 'tokenEndpoint', 'kubeApiUrl', 'auth', 'stateFile', 'pid']);
    expect(info.kubeApiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('up --state-dir keeps MLflow data across a SIGTERM and a second up; relative to the working dir', async () => {
    const box = await sandbox();
    const help = await box.cli(['up', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      "--state-dir keep MLflow's data (experiments, runs, models, artifacts)",
    );

    const mlflow = async (url: string, method: string, route: string, body?: unknown) => {
      const res = await fetch(`${url}/api/2.0/mlflow/${route}`, {
        method,
        headers: { 'content-type': 'application/json', 'x-mlflow-workspace': 'team-a' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return `${res.status} ${await res.text()}`;
    };
    const first = await up(box, ['--state-dir', 'state']);
    let url: string = first.info.mlflow.url;
    const created = await mlflow(url, 'POST', 'experiments/create', { name: 'kept' });
    expect(created).toBe('200 {"experiment_id":"1"}');
    const run = JSON.parse(
      (await mlflow(url, 'POST', 'runs/create', { experiment_id: '1', start_time: 5, run_name: 'r' })).slice(
        4,
      ),
    ).run.info.run_id as string;
    await mlflow(url, 'POST', 'runs/log-batch', {
      run_id: run,
      metrics: [1, 2, 3].map((step) => ({ key: 'loss', value: 1 / step, timestamp: 10 + step, step })),
      params: [{ key: 'lr', value: '0.01' }],
    });
    const reads = () =>
      Promise.all([
        mlflow(url, 'GET', `runs/get?run_id=${run}`),
        mlflow(url, 'POST', 'runs/search', { experiment_ids: ['1'] }),
        mlflow(url, 'GET', `metrics/get-history?run_id=${run}&metric_key=loss&max_results=10`),
      ]);
    const before = await reads();
    first.child.kill('SIGTERM');
    expect((await first.child).exitCode).toBe(0);
    const file = path.join(box.dir, 'state', 'mlflow', 'mlflow-emulator.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const second = await up(box, ['--state-dir', 'state']);
    url = second.info.mlflow.url;
    expect(await reads()).toEqual(before);
    expect(await mlflow(url, 'POST', 'experiments/create', { name: 'next' })).toBe(
      '200 {"experiment_id":"2"}',
    );
  });

  test('up --state-dir with a broken snapshot: exit 1 naming the file, which is left as it was', async () => {
    const box = await sandbox();
    const file = path.join(box.dir, 'state', 'mlflow', 'mlflow-emulator.json');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '{"version":7}');
    const r = await box.cli([
      'up',
      '--port',
      '0',
      '--idp-port',
      '0',
      '--kube-port',
      '0',
      '--mlflow-port',
      '0',
      '--state-dir',
      'state',
    ]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      `error: the MLflow emulator state file ${file} has version 7; this mlflow-authlab reads version 1\n` +
        'hint: Move the file away to start with empty MLflow data (it is left untouched), or use another --state-dir.',
    );
    expect(await readFile(file, 'utf8')).toBe('{"version":7}');
  });

  test('a port outside 0..65535 is a user error, and the process ends', async () => {
    const box = await sandbox();
    const r = await box.cli(['up', '--idp-port', '70000']);
    expect([r.exitCode, r.stderr]).toEqual([
      1,
      'error: --idp-port 70000 is not a port\nhint: Give an integer in 0..65535 (0 picks a free port).',
    ]);
  });

  test('usage errors exit 2', async () => {
    const box = await sandbox();
    const r = await box.cli(['token', '--grant', 'implicit']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: Invalid values:');
    const none = await box.cli([]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain(
      'error: Name a command: up, exec, status, down, token, env, can-i, logs, ca, scenario, doctor.',
    );
  });
});
