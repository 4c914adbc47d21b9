// Issue 18, items 5-7: stopping is always clean. `down` signals nothing but the lab, a foreground lab ends with
// whoever started it (npx killed, stdin closed), and a console that went away does not keep the state file behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'dist/cli/main.js');
const FREE_PORTS = ['--port', '0', '--idp-port', '0', '--kube-port', '0', '--mlflow-port', '0'];
const NO_ENGINE = 'unix:///nonexistent/docker.sock';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function sandbox() {
  const dir = await mkdtemp(path.join(tmpdir(), 'authlab-life-'));
  dirs.push(dir);
  const home = path.join(dir, '.mlflow-authlab');
  return { dir, home, env: { ...process.env, AUTHLAB_HOME: home, DOCKER_HOST: NO_ENGINE } };
}

/** Resolves with the first line a stream prints (the `--json` object of `up`). */
function firstLine(stream: NodeJS.ReadableStream, child: ChildProcess): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0]!) as Record<string, any>);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before it was ready`)));
  });
}

/** True once nothing accepts connections on the port (polled: the lab stops on its own, in its own time). */
async function portFreed(url: string, within = 20_000): Promise<boolean> {
  const { port, hostname } = new URL(url);
  const deadline = Date.now() + within;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(Number(port), hostname);
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (!open) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function gone(pid: number, within = 20_000): Promise<boolean> {
  const deadline = Date.now() + within;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('stopping is always clean (issue 18, items 5-7)', () => {
  test('down with a stale state file whose pid names another process leaves that process alone', async () => {
    const box = await sandbox();
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(other);
    await new Promise((r) => other.once('spawn', r));
    await mkdir(box.home, { recursive: true });
    const file = path.join(box.home, 'lab.json');
    // What a lab killed with -9 leaves behind, once its pid has gone to another process.
    await writeFile(
      file,
      JSON.stringify({
        issuer: 'http://127.0.0.1:1/dex',
        tokenEndpoint: 'http://127.0.0.1:1/dex/token',
        stateFile: file,
        pid: other.pid,
        processStart: 'linux:1',
        configFile: '/x/lab.yaml',
        startedAt: '2026-01-01T00:00:00.000Z',
      }),
    );
    const down = await execa(process.execPath, [BIN, 'down'], { cwd: box.dir, env: box.env, reject: false });
    expect([down.exitCode, down.stderr]).toEqual([0, `no running lab recorded in ${file}`]);
    expect(existsSync(file)).toBe(false);
    expect(() => process.kill(other.pid!, 0)).not.toThrow();
    expect(other.exitCode).toBeNull();
  });

  test('npx mlflow-authlab up, then kill the npx process: the lab stops, its ports are freed, its state removed', async () => {
    const box = await sandbox();
    // A project that has the kit installed, as a user's has: npx finds its bin and runs it under `sh -c`.
    await mkdir(path.join(box.dir, 'node_modules/.bin'), { recursive: true });
    await symlink(ROOT, path.join(box.dir, 'node_modules/mlflow-authlab'));
    await symlink(
      '../mlflow-authlab/dist/cli/main.js',
      path.join(box.dir, 'node_modules/.bin/mlflow-authlab'),
    );
    await writeFile(path.join(box.dir, 'package.json'), '{"name":"user-project","private":true}\n');
    // As `npx mlflow-authlab up &` in a script: stdin is /dev/null, so only the parent can tell.
    const npx = spawn(
      'npx',
      ['--no-install', 'mlflow-authlab', 'up', '--mlflow', 'emulator', ...FREE_PORTS, '--json'],
      {
        cwd: box.dir,
        env: box.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(npx);
    let stderr = '';
    npx.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const info = await firstLine(npx.stdout!, npx);
    expect(info.pid).not.toBe(npx.pid);
    expect((await fetch(`${info.trackingUri}/ping`)).status).toBe(200);

    npx.kill('SIGTERM');
    for (const url of [info.trackingUri, info.issuer, info.kubeApiUrl, info.mlflow.url])
      expect(await portFreed(url)).toBe(true);
    expect(await gone(info.pid)).toBe(true);
    expect(existsSync(info.stateFile)).toBe(false);
    void stderr;
  });

  test('a foreground lab whose stdin is a pipe stops when the pipe closes', async () => {
    const box = await sandbox();
    const up = spawn(process.execPath, [BIN, 'up', '--mlflow', 'emulator', ...FREE_PORTS, '--json'], {
      cwd: box.dir,
      env: box.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(up);
    let stderr = '';
    up.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const info = await firstLine(up.stdout!, up);
    up.stdin!.end();
    const code = await new Promise((r) => up.once('exit', r));
    expect(code).toBe(0);
    expect(stderr).toContain(
      "the lab's stdin was closed (the process that started it is gone): stopping the lab…",
    );
    expect(existsSync(info.stateFile)).toBe(false);
    expect(await portFreed(info.trackingUri, 1_000)).toBe(true);
  });

  test('with its stdout and stderr pipes broken, SIGTERM still stops the lab and removes its state file', async () => {
    const box = await sandbox();
    const up = spawn(
      process.execPath,
      [BIN, 'up', '--mlflow', 'emulator', ...FREE_PORTS, '--json', '--verbose'],
      {
        cwd: box.dir,
        env: box.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(up);
    const info = await firstLine(up.stdout!, up);
    // The reader goes away (its parent died): every later write of the lab's fails with EPIPE.
    up.stdout!.destroy();
    up.stderr!.destroy();
    // A request makes the verbose lab log, to the broken stderr.
    await fetch(`${info.trackingUri}/ping`);
    expect(existsSync(info.stateFile)).toBe(true);
    up.kill('SIGTERM');
    const code = await new Promise((r) => up.once('exit', r));
    expect(code).toBe(0);
    expect(existsSync(info.stateFile)).toBe(false);
  });
});
