import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { processStartTime } from '../../src/lab/process-identity.js';
import { readLabState, removeLabState, stateFilePath, writeLabState } from '../../src/lab/state-file.js';

const state = (file: string, pid: number) => ({
  issuer: 'http://127.0.0.1:1/dex',
  tokenEndpoint: 'http://127.0.0.1:1/dex/token',
  stateFile: file,
  pid,
  configFile: '/x/lab.yaml',
  startedAt: '2026-01-01T00:00:00.000Z',
});

describe('the state file of a running lab', () => {
  test('lives in AUTHLAB_HOME, else .mlflow-authlab under the working directory', () => {
    expect(stateFilePath({}, '/p')).toBe('/p/.mlflow-authlab/lab.json');
    expect(stateFilePath({ AUTHLAB_HOME: 'lab-home' }, '/p')).toBe('/p/lab-home/lab.json');
  });

  test('is written 0600, read back, and removed only by its own process', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'authlab-state-')), 'h', 'lab.json');
    await writeLabState(state(file, process.pid));
    // With the writer's start time beside its pid.
    expect(await readLabState(file)).toEqual({
      ...state(file, process.pid),
      processStart: await processStartTime(process.pid),
    });
    expect(await processStartTime(process.pid)).toMatch(/^linux:\d+$/);
    expect(((await import('node:fs')).statSync(file).mode & 0o777).toString(8)).toBe('600');
    await removeLabState(file, process.pid + 1);
    expect(existsSync(file)).toBe(true);
    await removeLabState(file);
    expect(existsSync(file)).toBe(false);
  });

  test('a stale file (its process is gone) is detected and cleaned', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'authlab-state-')), 'lab.json');
    // pid 2^22 + 1 is above Linux's pid_max: no such process.
    await writeFile(file, JSON.stringify(state(file, 4_194_305)));
    expect(await readLabState(file)).toBeUndefined();
    expect(existsSync(file)).toBe(false);
    // A stale file does not block a new lab.
    await writeLabState(state(file, process.pid));
    expect(JSON.parse(await readFile(file, 'utf8')).pid).toBe(process.pid);
  });

  test('a file that is not JSON reads as no lab', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'authlab-state-')), 'lab.json');
    await writeFile(file, 'not json');
    expect(await readLabState(file)).toBeUndefined();
  });

  test('a pid that now names another process is not the lab: the file is stale, and that process untouched', async () => {
    // A process that is certainly not a lab, alive for the test.
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    onTestFinished(() => void other.kill('SIGKILL'));
    await new Promise((r) => other.once('spawn', r));
    const pid = other.pid!;
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'authlab-state-')), 'lab.json');
    const started = await processStartTime(pid);
    expect(started).toMatch(/^linux:\d+$/);

    // The lab that wrote the file started at another time: a crashed lab whose pid was reused.
    await writeFile(file, JSON.stringify({ ...state(file, pid), processStart: 'linux:1' }));
    expect(await readLabState(file)).toBeUndefined();
    expect(existsSync(file)).toBe(false);
    // A file from before start times were recorded: `sleep 60` does not run `up` or `exec`.
    await writeFile(file, JSON.stringify(state(file, pid)));
    expect(await readLabState(file)).toBeUndefined();
    expect(existsSync(file)).toBe(false);
    // The same start time is the same process.
    await writeFile(file, JSON.stringify({ ...state(file, pid), processStart: started }));
    expect((await readLabState(file))?.pid).toBe(pid);
    expect(() => process.kill(pid, 0)).not.toThrow();
  });
});
