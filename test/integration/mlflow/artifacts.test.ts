import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import {
  createMlflowEmulator,
  type EmulatorOptions,
  type StartedEmulator,
} from '../../../src/mlflow/emulator/create-emulator.js';

const ART = '/api/2.0/mlflow-artifacts/artifacts';

async function emulator(options: EmulatorOptions = {}): Promise<StartedEmulator> {
  const emu = await createMlflowEmulator({ port: 0, ...options });
  onTestFinished(() => emu.dispose());
  return emu;
}

/** The artifact directory of a run as the client sends it; the artifact API itself needs no run. */
const RUN_DIR = 'workspaces/default/1/99bbadeaf5b444249798c1a5e9adb880/artifacts';

/** A real run, made over REST, for the tracking-side listing; returns its id and artifact path. */
async function createRun(emu: StartedEmulator): Promise<{ runId: string; dir: string }> {
  const json = { 'content-type': 'application/json' };
  const experiment = await call(emu, 'POST', '/api/2.0/mlflow/experiments/create', '{"name":"art"}', json);
  const body = JSON.stringify({ experiment_id: experiment.json.experiment_id, start_time: 0 });
  const info = (await call(emu, 'POST', '/api/2.0/mlflow/runs/create', body, json)).json.run.info;
  return { runId: info.run_id, dir: info.artifact_uri.replace('mlflow-artifacts:/', '') };
}

interface Reply {
  status: number;
  type: string | undefined;
  body: Buffer;
  json: any;
}

/** One request with the path exactly as given: fetch would resolve `..` and `%2e%2e` before sending. */
function call(
  emu: StartedEmulator,
  method: string,
  rawPath: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: emu.url.hostname,
        port: emu.url.port,
        method,
        path: rawPath,
        headers: { ...headers, ...length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const data = Buffer.concat(chunks);
          const type = res.headers['content-type'];
          resolve({
            status: res.statusCode!,
            type,
            body: data,
            json: type === 'application/json' ? parse(data) : undefined,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Downloads of `.json` files are typed application/json too; only envelopes parse. */
function parse(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString());
  } catch {
    return undefined;
  }
}

const put = (emu: StartedEmulator, artifactPath: string, body: Buffer | string, headers = {}) =>
  call(emu, 'PUT', `${ART}/${artifactPath}`, body, { 'content-type': 'text/plain', ...headers });
const list = (emu: StartedEmulator, dir?: string, headers = {}) =>
  call(emu, 'GET', dir === undefined ? ART : `${ART}?path=${encodeURIComponent(dir)}`, undefined, headers);

const invalidPath = {
  error_code: 'INVALID_PARAMETER_VALUE',
  message: 'Invalid path',
  sqlstate: 'KAM00',
  error_class: 'INVALID_PARAMETER_VALUE',
};

describe('proxied artifacts (golden README, "Artifacts" 14)', () => {
  test('a text upload answers {} and downloads as the same bytes, text/plain, even for .json', async () => {
    const emu = await emulator();
    const dir = RUN_DIR;

    const upload = await put(emu, `${dir}/notes/hello.txt`, 'hello golden\n');
    expect(upload).toMatchObject({ status: 200, type: 'application/json', json: {} });
    expect(await readFile(path.join(emu.artifactRoot, dir, 'notes/hello.txt'), 'utf8')).toBe(
      'hello golden\n',
    );

    const download = await call(emu, 'GET', `${ART}/${dir}/notes/hello.txt`);
    expect(download).toMatchObject({ status: 200, type: 'text/plain' });
    expect(download.body.toString()).toBe('hello golden\n');

    const dict = '{\n  "x": 1,\n  "y": [\n    1,\n    2\n  ]\n}';
    await put(emu, `${dir}/config/cfg.json`, dict);
    const json = await call(emu, 'GET', `${ART}/${dir}/config/cfg.json`);
    expect([json.status, json.type, json.body.toString()]).toEqual([200, 'text/plain', dict]);

    await put(emu, `${dir}/model/MLmodel`, 'artifact_path: model\n');
    expect(
      (await call(emu, 'GET', `/ajax-api/2.0/mlflow-artifacts/artifacts/${dir}/model/MLmodel`)).type,
    ).toBe('text/plain');
  });

  test('a binary upload of any content type downloads byte for byte, typed by its name', async () => {
    const emu = await emulator();
    const dir = RUN_DIR;
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

    const upload = await put(emu, `${dir}/bin/data.bin`, bytes, {
      'content-type': 'application/octet-stream',
    });
    expect(upload).toMatchObject({ status: 200, type: 'application/json', json: {} });
    const download = await call(emu, 'GET', `${ART}/${dir}/bin/data.bin`);
    expect(download.type).toBe('application/octet-stream');
    expect(download.body.equals(bytes)).toBe(true);

    // Overwriting replaces the file whole and leaves no temporary file behind.
    await put(emu, `${dir}/bin/data.bin`, bytes.subarray(0, 3));
    expect((await call(emu, 'GET', `${ART}/${dir}/bin/data.bin`)).body.equals(bytes.subarray(0, 3))).toBe(
      true,
    );
    expect(await readdir(path.join(emu.artifactRoot, dir, 'bin'))).toEqual(['data.bin']);

    // Python's mimetypes decides everything outside MLflow's text list.
    const types: Record<string, string> = {
      'plot.png': 'image/png',
      'weights.pkl': 'application/octet-stream',
      'model.tar.gz': 'application/x-tar',
      'DATA.JSON': 'application/json',
      'page.html': 'text/html',
    };
    for (const [name, type] of Object.entries(types)) {
      await put(emu, `${dir}/types/${name}`, bytes, { 'content-type': 'application/x-anything' });
      expect([name, (await call(emu, 'GET', `${ART}/${dir}/types/${name}`)).type]).toEqual([name, type]);
    }
  });

  test('lists the root, a directory, a file and a missing path as the real server does', async () => {
    const emu = await emulator();
    const dir = RUN_DIR;
    await put(emu, `${dir}/notes/hello.txt`, 'hello golden\n');
    await put(emu, `${dir}/config/cfg.json`, '{}');
    await put(emu, `${dir}/Zeta.txt`, '');

    expect((await list(emu)).json).toEqual({ files: [{ path: 'workspaces', is_dir: true }] });
    expect((await list(emu, '')).json).toEqual({ files: [{ path: 'workspaces', is_dir: true }] });
    // Sorted by code point: upper case first; directories carry no file_size, an empty file a 0.
    expect(await list(emu, dir)).toMatchObject({
      status: 200,
      type: 'application/json',
      json: {
        files: [
          { path: 'Zeta.txt', is_dir: false, file_size: 0 },
          { path: 'config', is_dir: true },
          { path: 'notes', is_dir: true },
        ],
      },
    });
    expect((await list(emu, `${dir}/notes`)).json).toEqual({
      files: [{ path: 'hello.txt', is_dir: false, file_size: 13 }],
    });
    expect(await list(emu, `${dir}/notes/hello.txt`)).toMatchObject({ status: 200, json: {} });
    expect(await list(emu, `${dir}/nowhere`)).toMatchObject({ status: 200, json: {} });
  });

  test('deletes a file (keeping its directory), a directory with its contents, and a missing path', async () => {
    const emu = await emulator();
    const { runId, dir } = await createRun(emu);
    await put(emu, `${dir}/bin/data.bin`, 'x');
    await put(emu, `${dir}/tree/a/b.txt`, 'y');

    expect(await call(emu, 'DELETE', `${ART}/${dir}/bin/data.bin`)).toMatchObject({ status: 200, json: {} });
    expect((await list(emu, `${dir}/bin`)).json).toEqual({});
    expect((await call(emu, 'GET', `/api/2.0/mlflow/artifacts/list?run_id=${runId}`)).json.files).toEqual([
      { path: 'bin', is_dir: true },
      { path: 'tree', is_dir: true },
    ]);

    expect(await call(emu, 'DELETE', `${ART}/${dir}/tree`)).toMatchObject({ status: 200, json: {} });
    await expect(lstat(path.join(emu.artifactRoot, dir, 'tree'))).rejects.toThrow(/ENOENT/);
    expect(await call(emu, 'DELETE', `${ART}/${dir}/never-there.txt`)).toMatchObject({
      status: 200,
      json: {},
    });
  });

  test('a missing file is a 404 naming the artifact root; a directory is no file', async () => {
    const emu = await emulator();
    const dir = RUN_DIR;
    const missing = await call(emu, 'GET', `${ART}/${dir}/nope.txt`);
    expect(missing).toMatchObject({ status: 404, type: 'application/json' });
    expect(missing.json).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: `The following failures occurred while downloading one or more artifacts from ${emu.artifactRoot}:\n##### File ${dir}/nope.txt #####\nNo such artifact: '${dir}/nope.txt'`,
      sqlstate: 'KAM00',
      error_class: 'RESOURCE_NOT_FOUND',
    });

    await put(emu, `${dir}/sub/f.txt`, 'f');
    expect(await call(emu, 'GET', `${ART}/${dir}/sub`)).toMatchObject({
      status: 500,
      type: 'text/html; charset=utf-8',
    });
  });

  test('refuses traversal, absolute paths and escaping symlinks, and writes nothing outside the root', async () => {
    const sandbox = await mkdtemp(path.join(tmpdir(), 'authlab-artifacts-test-'));
    onTestFinished(() => rm(sandbox, { recursive: true, force: true }));
    const root = path.join(sandbox, 'root');
    const outside = path.join(sandbox, 'outside');
    await mkdir(root);
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.txt'), 'secret');
    await symlink(outside, path.join(root, 'link'));
    const emu = await emulator({ artifactRoot: root });

    // The recorded case (rest/edge-cases seq 223).
    expect(await list(emu, '../..')).toMatchObject({
      status: 400,
      type: 'application/json',
      json: invalidPath,
    });
    for (const dir of ['/etc', 'a/../../b', 'C:\\Windows', 'file:///etc']) {
      expect([dir, (await list(emu, dir)).json]).toEqual([dir, invalidPath]);
    }
    // Encoded so that the URL parser keeps them; MLflow decodes until the path stops changing.
    const attempts = [
      '%2e%2e%2fescape.txt',
      '%252e%252e/escape.txt',
      'a/%2E%2E%2F%2E%2E%2Fescape.txt',
      '%2Ftmp%2Fescape.txt',
      '/tmp/escape.txt',
      'C:%5Cescape.txt',
      '%5C%5Chost%5Cshare%5Cescape.txt',
      'file:%2F%2F%2Ftmp%2Fescape.txt',
      'a%23b.txt',
    ];
    for (const attempt of attempts) {
      for (const method of ['PUT', 'GET', 'DELETE']) {
        const reply = await call(emu, method, `${ART}/${attempt}`, 'pwned', { 'content-type': 'text/plain' });
        expect([method, attempt, reply.status, reply.json]).toEqual([method, attempt, 400, invalidPath]);
      }
    }
    expect((await call(emu, 'GET', `/api/2.0/mlflow/artifacts/list?run_id=x&path=..%2Fx`)).json).toEqual(
      invalidPath,
    );

    const escaped = {
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'Invalid path: resolved path is outside the artifact directory',
      sqlstate: 'KAM00',
      error_class: 'INVALID_PARAMETER_VALUE',
    };
    expect((await put(emu, 'link/planted.txt', 'pwned')).json).toEqual(escaped);
    expect((await put(emu, 'link/deeper/planted.txt', 'pwned')).json).toEqual(escaped);
    expect((await call(emu, 'GET', `${ART}/link/secret.txt`)).json).toEqual(escaped);
    expect((await list(emu, 'link')).json).toEqual(escaped);
    expect((await call(emu, 'DELETE', `${ART}/link/secret.txt`)).json).toEqual(escaped);
    // Deleting the link itself removes the link, not what it points to.
    expect(await call(emu, 'DELETE', `${ART}/link`)).toMatchObject({ status: 200, json: {} });

    // A NUL byte never reaches the filesystem: MLflow escapes control characters to `%00`.
    expect((await put(emu, 'nul%00.txt', 'n')).status).toBe(200);
    expect((await readdir(root)).sort()).toEqual(['nul%00.txt']);
    expect((await readdir(sandbox)).sort()).toEqual(['outside', 'root']);
    expect(await readdir(outside)).toEqual(['secret.txt']);
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  test('scopes every path to the request workspace', async () => {
    const emu = await emulator({ workspaces: [{ name: 'team-a' }] });
    const teamA = { 'x-mlflow-workspace': 'team-a' };

    expect((await put(emu, 'notes.txt', 'a', teamA)).json).toEqual({});
    expect((await put(emu, 'workspaces/team-a/more.txt', 'b', teamA)).json).toEqual({});
    expect(await readdir(path.join(emu.artifactRoot, 'workspaces/team-a'))).toEqual([
      'more.txt',
      'notes.txt',
    ]);
    expect((await call(emu, 'GET', `${ART}/notes.txt`, undefined, teamA)).body.toString()).toBe('a');

    expect((await put(emu, 'workspaces/default/x.txt', 'c', teamA)).json).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message:
        "Artifact path targets workspace 'default' but the workspace specified in the request is 'team-a'.",
      sqlstate: 'KAM00',
      error_class: 'INVALID_PARAMETER_VALUE',
    });
    expect((await put(emu, 'workspaces/team-a/x.txt', 'c')).json.message).toBe(
      "Artifact path targets workspace 'team-a' but the workspace specified in the request is 'default'.",
    );
    expect((await list(emu, 'workspaces', teamA)).json.message).toBe(
      "Artifact paths prefixed with 'workspaces/' must include a workspace name.",
    );

    expect((await list(emu, undefined, teamA)).json).toEqual({
      files: [
        { path: 'more.txt', is_dir: false, file_size: 1 },
        { path: 'notes.txt', is_dir: false, file_size: 1 },
      ],
    });
    expect((await list(emu)).json).toEqual({ files: [{ path: 'workspaces', is_dir: true }] });
  });

  test('the tracking-side listing names files from the run root, root_uri first', async () => {
    const emu = await emulator();
    const { runId, dir } = await createRun(emu);
    const rootUri = `mlflow-artifacts:/${dir}`;
    const listRun = (query: string) => call(emu, 'GET', `/api/2.0/mlflow/artifacts/list?${query}`);

    expect((await listRun(`run_id=${runId}`)).json).toEqual({ root_uri: rootUri });
    await put(emu, `${dir}/bin/data.bin`, 'abc');
    await put(emu, `${dir}/top.txt`, 'top');

    const all = await listRun(`run_id=${runId}`);
    expect(all).toMatchObject({ status: 200, type: 'application/json' });
    expect(Object.keys(all.json)).toEqual(['root_uri', 'files']);
    expect(all.json.files).toEqual([
      { path: 'bin', is_dir: true },
      { path: 'top.txt', is_dir: false, file_size: 3 },
    ]);
    expect((await listRun(`run_uuid=${runId}&path=bin`)).json).toEqual({
      root_uri: rootUri,
      files: [{ path: 'bin/data.bin', is_dir: false, file_size: 3 }],
    });

    expect(await listRun('run_id=0123456789abcdef0123456789abcdef')).toMatchObject({
      status: 404,
      json: {
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: 'Run with id=0123456789abcdef0123456789abcdef not found',
      },
    });
    expect(await listRun('path=x')).toMatchObject({
      status: 400,
      json: {
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          "Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.",
      },
    });
  });

  test('uploads that Python cannot store fail as the real server fails', async () => {
    const emu = await emulator();
    const dir = RUN_DIR;

    expect(await put(emu, `${dir}/a//b/c.txt`, 'x')).toMatchObject({
      status: 500,
      json: {
        error_code: 'INTERNAL_ERROR',
        message: `Invalid artifact path: '${dir}/a//b'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${dir}/a/b'`,
      },
    });
    expect(await put(emu, `${dir}/folder/`, 'x')).toMatchObject({
      status: 500,
      type: 'text/html; charset=utf-8',
    });
    const reserved = await put(emu, `${dir}/.artifact.uploading.x`, 'x');
    expect([reserved.status, reserved.json.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(reserved.json.message).toMatch(
      /^Invalid artifact file name: '.*\.artifact\.uploading\.x'\. Artifact names/,
    );

    // Flask's routing: the listing path has GET only, a file path has GET, PUT and DELETE.
    expect((await call(emu, 'PUT', ART, 'x')).status).toBe(405);
    expect((await call(emu, 'POST', `${ART}/${dir}/f.txt`, 'x')).status).toBe(405);
  });
});
