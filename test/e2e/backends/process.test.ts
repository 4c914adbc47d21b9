import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, onTestFinished, test } from 'vitest';
import { isAuthlabError, noopLogger, startLab, type AuthlabError } from '../../../src/index.js';
import {
  startProcessBackend,
  splitCommand,
  type ProcessBackend,
} from '../../../src/mlflow/backends/process.js';

// The emulator's `mlflow server` stand-in, built to dist/ by `npm test` before the e2e project runs.
const SERVER = fileURLToPath(new URL('../../../dist/mlflow/emulator/server-main.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const BIN = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));
const MLFLOW = `${process.execPath} ${SERVER}`;
const PORTS = { proxy: 0, idp: 0, kube: 0, mlflow: 0 };
const API = '/api/2.0/mlflow';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'authlab-process-'));
  dirs.push(dir);
  return dir;
}

/** Gone, or a zombie nobody reaps (PID 1 in a container may not): either way, not running. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    if (existsSync('/proc/self/stat')) return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<number> {
  const began = Date.now();
  while (running(pid)) {
    if (Date.now() - began > ms) throw new Error(`pid ${pid} still runs after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - began;
}

async function startError(promise: Promise<unknown>): Promise<AuthlabError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAuthlabError(error)) throw new Error(`expected an AuthlabError, got ${String(error)}`);
  return error;
}

/** A node one-liner as an MLflow command, quoted the way a user would on the command line. */
const nodeScript = (script: string) => `${process.execPath} -e "${script}"`;

describe('process backend (the emulator as a spawned `mlflow server`)', () => {
  test('the lab fronts it: alice creates an experiment in team-a through the proxy; dispose leaves no process', async () => {
    const began = Date.now();
    const lab = await startLab({ ports: PORTS, env: {}, mlflow: { backend: 'process', command: MLFLOW } });
    const startedIn = Date.now() - began;
    onTestFinished(() => lab.dispose());
    const server = lab.mlflow!.server as ProcessBackend;
    expect(lab.mlflow!.backend).toBe('process');
    expect(lab.mlflow!.emulator).toBeUndefined();
    expect(lab.mlflow!.reason).toMatch(/--mlflow process/);
    expect(lab.info().mlflow).toEqual({ backend: 'process', url: server.url, reason: lab.mlflow!.reason });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    console.info(`process backend: lab ready in ${startedIn} ms, MLflow healthy after ${server.startMs} ms`);

    // The lab's workspaces were created through the workspaces API.
    const ws = (await (await fetch(`${server.url}/api/3.0/mlflow/workspaces`)).json()) as {
      workspaces: Array<{ name: string }>;
    };
    expect(ws.workspaces.map((w) => w.name).sort()).toEqual(['default', 'team-a', 'team-b']);

    const headers = {
      authorization: `Bearer ${await lab.token({ user: 'alice' })}`,
      'content-type': 'application/json',
      'x-mlflow-workspace': 'team-a',
    };
    const created = await fetch(`${lab.trackingUri}${API}/experiments/create`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'through-the-process' }),
    });
    expect(created.status).toBe(200);
    const { experiment_id } = (await created.json()) as { experiment_id: string };
    const read = await fetch(`${lab.trackingUri}${API}/experiments/get?experiment_id=${experiment_id}`, {
      headers,
    });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { experiment: { name: string } }).experiment.name).toBe(
      'through-the-process',
    );

    expect(server.logs().join('\n')).toMatch(/Uvicorn running on/);
    expect(() => lab.reset()).toThrow(/emulator only/);
    await lab.dispose();
    expect(running(server.pid)).toBe(false);
    expect(running(server.watchdogPid)).toBe(false);
    expect(existsSync(server.dataDir)).toBe(false);
  });

  test("--mlflow-plugin kubernetes-auth: the local MLflow gets the plugin's flags and a kubeconfig for the lab's Kubernetes API; the gate is off", async () => {
    const lab = await startLab({
      ports: PORTS,
      env: {},
      mlflow: {
        backend: 'process',
        command: `${process.execPath} ${path.join(FIXTURES, 'plugin-probe-server.mjs')}`,
        plugin: 'kubernetes-auth',
      },
    });
    onTestFinished(() => lab.dispose());
    expect(lab.gate).toBeUndefined();
    const logs = (lab.mlflow!.server as ProcessBackend).logs().join('\n');
    expect(logs).toMatch(
      /plugin-probe: argv server .* --app-name kubernetes-auth --workspace-store-uri kubernetes:\/\/$/m,
    );
    expect(logs).toContain('plugin-probe: MLFLOW_K8S_DEFAULT_WORKSPACE=team-a');
    expect(logs).toMatch(
      new RegExp(
        `plugin-probe: GET ${lab.kubeApiUrl}/api/v1/namespaces 200 .*team-a.*team-b`.replace(/\//g, '\\/'),
      ),
    );
  });

  test('with a state directory the data stays in <stateDir>/mlflow-process across restarts', async () => {
    const stateDir = await tempDir();
    const options = {
      ports: PORTS,
      env: {},
      stateDir,
      mlflow: { backend: 'process' as const, command: MLFLOW },
    };
    const token = async (lab: Awaited<ReturnType<typeof startLab>>) => ({
      authorization: `Bearer ${await lab.token({ user: 'alice' })}`,
      'x-mlflow-workspace': 'team-a',
    });
    const first = await startLab(options);
    expect((first.mlflow!.server as ProcessBackend).dataDir).toBe(path.join(stateDir, 'mlflow-process'));
    const res = await fetch(`${first.trackingUri}${API}/experiments/create`, {
      method: 'POST',
      headers: { ...(await token(first)), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kept' }),
    });
    expect(res.status).toBe(200);
    await first.dispose();
    expect(existsSync(path.join(stateDir, 'mlflow-process'))).toBe(true);

    const again = await startLab(options);
    onTestFinished(() => again.dispose());
    const kept = await fetch(`${again.trackingUri}${API}/experiments/get-by-name?experiment_name=kept`, {
      headers: await token(again),
    });
    expect(kept.status).toBe(200);
  });

  test('a child that exits at once: the start error has its exit code and output', async () => {
    const error = await startError(
      startLab({
        ports: PORTS,
        env: {},
        mlflow: {
          backend: 'process',
          command: nodeScript("console.error('Error: No such option: --enable-workspaces'); process.exit(3)"),
        },
      }),
    );
    expect(error.code).toBe('AUTHLAB_MLFLOW_START_FAILED');
    expect(error.message).toMatch(/exited with code 3/);
    expect(error.details.join('\n')).toMatch(/No such option: --enable-workspaces/);
    expect(error.hint).toMatch(/server --help/);
  });

  test('a command that does not exist: a start error that says so', async () => {
    const error = await startError(
      startProcessBackend({
        command: '/nonexistent/bin/mlflow',
        port: 0,
        workspaces: [],
        log: noopLogger,
      }),
    );
    expect(error.code).toBe('AUTHLAB_MLFLOW_START_FAILED');
    expect(error.message).toMatch(/could not be started: it exited with code 127/);
    expect(error.details.join('\n')).toMatch(/ENOENT/);
    expect(error.hint).toMatch(/PATH/);
  });

  test('a child that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    const backend = await startProcessBackend({
      command: `${process.execPath} ${path.join(FIXTURES, 'stubborn-server.mjs')}`,
      port: 0,
      workspaces: [{ name: 'team-a' }],
      log: noopLogger,
      stopGraceMs: 1_000,
    });
    const began = Date.now();
    await backend.dispose();
    const took = Date.now() - began;
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(4_000);
    expect(running(backend.pid)).toBe(false);
    expect(backend.logs().join('\n')).toMatch(/stubborn: ignoring SIGTERM/);
  });

  test('the lab SIGKILLed: the watchdog stops the MLflow child within a few seconds', async () => {
    const parent = execa(process.execPath, [path.join(FIXTURES, 'parent.mjs'), SERVER], {
      reject: false,
      buffer: false,
    });
    onTestFinished(() => {
      parent.kill('SIGKILL');
    });
    const pids = await new Promise<{ pid: number; watchdogPid: number; url: string; dataDir: string }>(
      (resolve, reject) => {
        let text = '';
        parent.stdout.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0]!));
        });
        void parent.then((r) => reject(new Error(`the parent exited (${r.exitCode}): ${String(r.stderr)}`)));
      },
    );
    expect((await fetch(`${pids.url}/health`)).status).toBe(200);
    parent.kill('SIGKILL');
    await parent;
    const took = await waitGone(pids.pid, 5_000);
    await waitGone(pids.watchdogPid, 2_000);
    console.info(`orphaned MLflow child stopped ${took} ms after its lab was SIGKILLed`);
    await expect(fetch(`${pids.url}/health`)).rejects.toThrow();
    expect(existsSync(pids.dataDir)).toBe(false);
  });

  test('up --mlflow process: progress on stderr, the banner names the backend, Ctrl-C stops MLflow', async () => {
    const dir = await tempDir();
    const child = execa(
      process.execPath,
      [
        BIN,
        'up',
        ...['--port', '0', '--idp-port', '0', '--kube-port', '0', '--mlflow-port', '0', '--json'],
        ...['--mlflow', 'process', '--mlflow-command', MLFLOW],
      ],
      { cwd: dir, env: { AUTHLAB_HOME: path.join(dir, '.mlflow-authlab') }, reject: false, buffer: false },
    );
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const info = await new Promise<Record<string, any>>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0]!));
      });
      void child.then((r) => reject(new Error(`up exited ${r.exitCode}: ${stderr}`)));
    });
    expect(info.mlflow.backend).toBe('process');
    await expect.poll(() => stderr).toMatch(/Press Ctrl-C to stop/);
    expect(stderr).toMatch(
      /starting MLflow: .*server-main\.js server --host 127\.0\.0\.1 --port \d+ --enable-workspaces/,
    );
    expect(stderr).toMatch(/MLflow {11}http:\/\/127\.0\.0\.1:\d+ {2}\(process: asked for \(--mlflow process/);
    expect((await fetch(`${info.mlflow.url}/health`)).status).toBe(200);
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(0);
    await expect(fetch(`${info.mlflow.url}/health`)).rejects.toThrow();
  });
});

// A real MLflow when the machine has one (the e2e Python client test's AUTHLAB_PYTHON, else python3); skipped, saying
// so, where it has not (no PyPI in CI).
const PYTHON = process.env.AUTHLAB_PYTHON ?? 'python3';
const realMlflow = (
  await execa(PYTHON, ['-c', 'import mlflow; print(mlflow.__version__)'], { reject: false })
).stdout.trim();
if (!realMlflow) {
  console.info(
    `skipping the real MLflow process test: no "${PYTHON}" with the mlflow package (set AUTHLAB_PYTHON)`,
  );
}

describe.skipIf(!realMlflow)(`process backend with a real MLflow (${PYTHON} -m mlflow ${realMlflow})`, () => {
  test(
    'starts, gets the lab workspaces, serves alice through the proxy, and stops',
    { timeout: 180_000 },
    async () => {
      const began = Date.now();
      const lab = await startLab({
        ports: PORTS,
        env: {},
        mlflow: { backend: 'process', command: `${PYTHON} -m mlflow` },
      });
      onTestFinished(() => lab.dispose());
      const server = lab.mlflow!.server as ProcessBackend;
      console.info(
        `real MLflow ${realMlflow}: lab ready in ${Date.now() - began} ms (MLflow healthy after ${server.startMs} ms)`,
      );
      const res = await fetch(`${lab.trackingUri}${API}/experiments/create`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await lab.token({ user: 'alice' })}`,
          'content-type': 'application/json',
          'x-mlflow-workspace': 'team-a',
        },
        body: JSON.stringify({ name: 'real' }),
      });
      expect(res.status).toBe(200);
      await lab.dispose();
      expect(running(server.pid)).toBe(false);
    },
  );
});

describe('splitCommand', () => {
  test('whitespace separates words; quotes group them; a backslash escapes', () => {
    expect(splitCommand('mlflow')).toEqual(['mlflow']);
    expect(splitCommand('  /venv/bin/python   -m mlflow ')).toEqual(['/venv/bin/python', '-m', 'mlflow']);
    expect(splitCommand(`"/my venv/bin/python" -m mlflow`)).toEqual(['/my venv/bin/python', '-m', 'mlflow']);
    expect(splitCommand(`'/my venv/python' -c "print('x')"`)).toEqual([
      '/my venv/python',
      '-c',
      "print('x')",
    ]);
    expect(splitCommand('a\\ b ""')).toEqual(['a b', '']);
    expect(() => splitCommand('"unclosed')).toThrow(/unbalanced/);
  });
});
