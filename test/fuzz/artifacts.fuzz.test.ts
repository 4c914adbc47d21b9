// Artifact paths, fuzzed: generated paths (dot segments in every encoding, other workspaces' names, absolute and
// Windows forms, NUL, `#`, `;`) on every artifact route, by alice (edits team-a), bob (views team-b) and mallory,
// through the lab's front door. No answer carries another workspace's files or anything outside the store, and
// nothing outside alice's own workspace changes on disk.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLab, type StartedLab } from '../../src/index.js';
import { answerOf, caseCounts, counted, documentedShape, fuzzParameters, labFailure } from './support.js';

let lab: StartedLab;
let stateDir: string;
let artifactRoot: string;
const tokens: Record<string, string> = {};
const runs: Record<string, { experiment: string; run: string }> = {};
/**
 * What must not reach a non-reader: file contents and a directory name no request ever carries (neither can be
 * planted by a request). File names the fuzzer knows and tries are in `known`: alice may well create a file of
 * that name in her own workspace.
 */
const canaries: Record<string, string[]> = { 'team-a': [], 'team-b': [], outside: [] };
const known: string[] = [];
let before: Map<string, string>;

/**
 * Every file under `dir` with a hash of its content, except what alice may change and the emulator's own state (its
 * file, and the temporary one a save writes first).
 */
async function tree(dir: string, base = dir, out = new Map<string, string>()): Promise<Map<string, string>> {
  for (const name of await readdir(dir)) {
    const full = path.join(dir, name);
    const rel = path.relative(base, full);
    if (
      rel === path.relative(base, path.join(artifactRoot, 'workspaces', 'team-a')) ||
      name.startsWith('mlflow-emulator.json')
    )
      continue;
    const info = await stat(full);
    if (info.isDirectory()) await tree(full, base, out);
    else
      out.set(
        rel,
        createHash('sha256')
          .update(await readFile(full))
          .digest('hex'),
      );
  }
  return out;
}

async function call(
  user: string,
  workspace: string | undefined,
  method: string,
  target: string,
  body?: string,
) {
  return fetch(`${lab.trackingUri}${target}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[user]}`,
      ...(workspace !== undefined && { 'x-mlflow-workspace': workspace }),
      ...(body !== undefined && method === 'POST' && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body }),
  });
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'authlab-fuzz-artifacts-'));
  lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 }, stateDir, env: {} });
  artifactRoot = lab.mlflow!.emulator!.artifactRoot;
  for (const user of ['alice', 'bob', 'carol', 'mallory']) tokens[user] = await lab.token({ user });
  for (const ws of ['team-a', 'team-b']) {
    const experiment = (await (
      await call(
        'carol',
        ws,
        'POST',
        '/api/2.0/mlflow/experiments/create',
        JSON.stringify({ name: `files-${ws}` }),
      )
    ).json()) as { experiment_id: string };
    const run = (await (
      await call(
        'carol',
        ws,
        'POST',
        '/api/2.0/mlflow/runs/create',
        JSON.stringify({ experiment_id: experiment.experiment_id }),
      )
    ).json()) as { run: { info: { run_id: string } } };
    runs[ws] = { experiment: experiment.experiment_id, run: run.run.info.run_id };
    const secret = `secret${Math.random().toString(36).slice(2, 10)}${ws.replace('-', '')}`;
    const hidden = `hidden${Math.random().toString(36).slice(2, 10)}`;
    for (const file of [`${secret}.txt`, `${hidden}/${secret}.txt`]) {
      const put = await call(
        'carol',
        ws,
        'PUT',
        `/api/2.0/mlflow-artifacts/artifacts/${experiment.experiment_id}/${run.run.info.run_id}/artifacts/${file}`,
        `${secret}-content`,
      );
      expect(put.status).toBe(200);
    }
    canaries[ws]!.push(hidden, `${secret}-content`);
    known.push(`${secret}.txt`);
  }
  // Beside the store, and at its root (the legacy layout no lab workspace reaches).
  const outside = `outside${Math.random().toString(36).slice(2, 10)}`;
  await writeFile(path.join(stateDir, `${outside}.txt`), `${outside}-content`);
  await writeFile(path.join(artifactRoot, `${outside}-root.txt`), `${outside}-root-content`);
  // Names at the top of the store and of team-b's part of it, which a listing that escapes its root would show.
  const top = `toplevel${Math.random().toString(36).slice(2, 10)}`;
  await writeFile(path.join(artifactRoot, `${top}.txt`), 'top');
  await writeFile(path.join(artifactRoot, 'workspaces', 'team-b', `${top}-b.txt`), 'top of team-b');
  canaries['team-b']!.push(`${top}-b.txt`);
  canaries.outside!.push(`${top}.txt`);
  canaries.outside!.push(
    `${outside}.txt`,
    `${outside}-content`,
    `${outside}-root.txt`,
    `${outside}-root-content`,
  );
  before = await tree(stateDir);
});
afterAll(async () => {
  await lab?.dispose();
  await rm(stateDir, { recursive: true, force: true });
  process.stdout.write(
    `fuzz cases (artifacts): ${[...caseCounts].map(([s, n]) => `${s}: ${n}`).join(', ')}\n`,
  );
});

const READS: Record<string, string[]> = { alice: ['team-a'], bob: ['team-b'], mallory: [] };

describe('artifact paths, fuzzed (issue 18)', () => {
  test("no answer carries another workspace's files or the store's surroundings; only alice's workspace changes", async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        '..',
        '.',
        '%2e%2e',
        '%2E%2e',
        '.%2e',
        '%252e%252e',
        '..%2f..',
        '%2f',
        '%5c..',
        '..\\..',
        '',
      ),
      fc.constantFrom(
        'workspaces',
        'team-a',
        'team-b',
        'default',
        'artifacts',
        'C:',
        '~',
        'file:',
        'a;b',
        '%00',
        '#x',
        '?x',
      ),
      fc.constantFrom(...['team-a', 'team-b'].flatMap((ws) => [runs[ws]!.experiment, runs[ws]!.run])),
      fc.constantFrom(...known),
      fc.string({ maxLength: 6 }).map((s) => encodeURIComponent(s)),
    );
    const artifactPath = fc
      .tuple(
        fc.array(segment, { minLength: 1, maxLength: 7 }),
        fc.constantFrom('/', '%2F', '\\'),
        fc.boolean(),
      )
      .map(([segments, join, absolute]) => `${absolute ? '/' : ''}${segments.join(join)}`);
    const route = fc.constantFrom(
      'GET file',
      'PUT file',
      'DELETE file',
      'GET list',
      'GET run list',
      'GET ajax file',
      'GET get-artifact',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('alice', 'bob', 'mallory'),
        fc.option(fc.constantFrom('team-a', 'team-b', 'default'), { nil: undefined }),
        route,
        artifactPath,
        fc.constantFrom('team-a', 'team-b', 'other'),
        counted('artifact routes', async (user, workspace, which, p, runOf) => {
          const runId = runOf === 'other' ? 'f'.repeat(32) : runs[runOf]!.run;
          const q = (v: string) => encodeURIComponent(v);
          const base = '/api/2.0/mlflow-artifacts/artifacts';
          const rawPath = p.startsWith('/') ? p : `/${p}`;
          const target = {
            'GET file': `${base}${rawPath}`,
            'PUT file': `${base}${rawPath}`,
            'DELETE file': `${base}${rawPath}`,
            'GET list': `${base}?path=${q(p)}`,
            'GET run list': `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=${q(p)}`,
            'GET ajax file': `/ajax-api/2.0/mlflow-artifacts/artifacts${rawPath}`,
            'GET get-artifact': `/get-artifact?path=${q(p)}&run_id=${runId}`,
          }[which];
          const method = which.split(' ')[0]!;
          let res: Response;
          try {
            res = await call(user, workspace, method, target, method === 'PUT' ? 'fuzzed' : undefined);
          } catch (error) {
            // fetch refuses some targets itself (it resolves `..` and escapes on its own): no request was made.
            if (String(error).includes('Invalid URL')) return;
            throw error;
          }
          const answer = await answerOf(res);
          expect(labFailure(answer), `${which} ${target}: ${answer.text.slice(0, 200)}`).toBeUndefined();
          expect(
            documentedShape(answer),
            `${which} ${target}: ${answer.status} ${answer.text.slice(0, 200)}`,
          ).toBe(true);
          for (const [owner, strings] of Object.entries(canaries)) {
            if (READS[user]!.includes(owner)) continue;
            for (const canary of strings)
              expect(
                answer.text.includes(canary),
                `${owner}'s ${canary} reached ${user} via ${which} ${target}`,
              ).toBe(false);
          }
        }),
      ),
      fuzzParameters(3_000),
    );
    // alice's own experiments with a location of her choosing, then the listing of a run in them.
    const location = fc
      .tuple(
        fc.constantFrom(
          'mlflow-artifacts:/workspaces/team-a/',
          'mlflow-artifacts:/',
          'file:///',
          '',
          'http://h/api/2.0/mlflow-artifacts/artifacts/',
        ),
        // Climbs and turns as a traversal would make them, or any generated path.
        fc.oneof(
          fc
            .array(fc.constantFrom('..', '.', 'team-b', 'workspaces', 'x', '%2e%2e'), { maxLength: 4 })
            .map((s) => s.join('/')),
          artifactPath,
        ),
        // A fragment or query cuts off what the server appends (`/<run id>/artifacts`).
        fc.constantFrom('', '#', '#', '#x', '?', '?a=..', ';p'),
      )
      .map(([scheme, p, tail]) => `${scheme}${p}${tail}`);
    await fc.assert(
      fc.asyncProperty(
        location,
        artifactPath,
        counted('artifact locations', async (where, p) => {
          const name = `loc-${Math.random().toString(36).slice(2)}`;
          const created = await call(
            'alice',
            'team-a',
            'POST',
            '/api/2.0/mlflow/experiments/create',
            JSON.stringify({ name, artifact_location: where }),
          );
          if (created.status !== 200) return void (await created.text());
          const { experiment_id } = (await created.json()) as { experiment_id: string };
          const run = (await (
            await call(
              'alice',
              'team-a',
              'POST',
              '/api/2.0/mlflow/runs/create',
              JSON.stringify({ experiment_id }),
            )
          ).json()) as {
            run: { info: { run_id: string } };
          };
          for (const target of [
            `/api/2.0/mlflow/artifacts/list?run_id=${run.run.info.run_id}`,
            `/api/2.0/mlflow/artifacts/list?run_id=${run.run.info.run_id}&path=${encodeURIComponent(p)}`,
          ]) {
            const answer = await answerOf(await call('alice', 'team-a', 'GET', target));
            expect(labFailure(answer)).toBeUndefined();
            for (const canary of [...canaries['team-b']!, ...canaries.outside!])
              expect(answer.text.includes(canary), `${canary} listed for ${where}`).toBe(false);
          }
        }),
      ),
      fuzzParameters(500),
    );
    // Nothing but team-a's part of the store (alice's to change) is different on disk.
    expect(await tree(stateDir)).toEqual(before);
    expect((await fetch(`${lab.trackingUri}/ping`)).status).toBe(200);
  }, 300_000);
});
