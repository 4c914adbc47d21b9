// The front door of a lab run as users run it (`mlflow-authlab up`, a real process): generated requests on every
// route of the kubernetes-auth table, generated Authorization headers, cookies and spoofed headers. Each answer must
// be one the real components give, no identity may see or change more than its RBAC allows, and the process lives.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compileRouteTable } from '../../src/mlflow/auth/kubernetes/route-table.js';
import { sealSession } from '../../src/proxy/session/cookie-codec.js';
import {
  answerOf,
  caseCounts,
  counted,
  documentedShape,
  fuzzParameters,
  labFailure,
  type Answer,
} from './support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'dist/cli/main.js');
const COOKIE_SECRET = 'fuzz-cookie-secret-0123456789abc';
const WORKSPACES = ['team-a', 'team-b'] as const;
type Workspace = (typeof WORKSPACES)[number];
type User = 'alice' | 'bob' | 'carol' | 'mallory';
/** Where each identity may read anything at all (fixtures/rbac/default-lab.yaml). */
const READS: Record<User, readonly Workspace[]> = {
  alice: ['team-a'],
  bob: ['team-b'],
  carol: ['team-a', 'team-b'],
  mallory: [],
};

let dir: string;
let child: ChildProcess;
let info: Record<string, any>;
let exitedWith: string | undefined;
const tokens = {} as Record<User, string>;
/**
 * What the seeded data of each workspace holds. `names` (of experiments, runs, models, files) are in the generators'
 * pools, so requests try them; `secrets` (a tag value, a file's content, a second experiment's name) never are.
 * Anyone who may write somewhere can plant a name (alice may name a file of hers after team-b's model), so a name
 * in an answer is a leak only to identities that write nowhere; a secret is a leak to anyone who may not read it.
 */
const names = {} as Record<Workspace, string[]>;
const secrets = {} as Record<Workspace, string[]>;
/** Identities that may change nothing, anywhere: nothing in their answers can have been planted by themselves. */
const WRITES_NOWHERE: readonly User[] = ['bob', 'mallory'];
let teamBBefore = '';

async function mlflow(user: User, workspace: string, method: string, route: string, body?: unknown) {
  const res = await fetch(`${info.trackingUri}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[user]}`,
      'x-mlflow-workspace': workspace,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return (await res.json()) as Record<string, any>;
}

/** What team-b holds, as carol lists it: no fuzzed identity may write there. */
async function teamBState(): Promise<string> {
  const experiments = await mlflow('carol', 'team-b', 'POST', '/api/2.0/mlflow/experiments/search', {
    max_results: 1000,
    view_type: 'ALL',
  });
  const ids = (experiments.experiments ?? []).map((e: { experiment_id: string }) => e.experiment_id);
  const runs = await mlflow('carol', 'team-b', 'POST', '/api/2.0/mlflow/runs/search', {
    experiment_ids: ids,
    max_results: 1000,
    run_view_type: 'ALL',
  });
  const models = await mlflow(
    'carol',
    'team-b',
    'GET',
    '/api/2.0/mlflow/registered-models/search?max_results=1000',
  );
  const artifacts = await fetch(`${info.trackingUri}/api/2.0/mlflow-artifacts/artifacts?path=`, {
    headers: { authorization: `Bearer ${tokens.carol}`, 'x-mlflow-workspace': 'team-b' },
  }).then((r) => r.text());
  return JSON.stringify({ experiments, runs, models, artifacts });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'authlab-fuzz-'));
  const lab = (await readFile(path.join(ROOT, 'fixtures/lab.yaml'), 'utf8'))
    .replace('  - rbac/default-lab.yaml', `  - ${path.join(ROOT, 'fixtures/rbac/default-lab.yaml')}`)
    .replace('proxy:\n', `proxy:\n  cookie-secret: ${COOKIE_SECRET}\n`);
  await writeFile(path.join(dir, 'lab.yaml'), lab);
  const ports = ['--port', '0', '--idp-port', '0', '--kube-port', '0', '--mlflow-port', '0'];
  child = spawn(
    process.execPath,
    [BIN, 'up', '--mlflow', 'emulator', '--config', 'lab.yaml', '--json', ...ports],
    {
      cwd: dir,
      env: { ...process.env, AUTHLAB_HOME: path.join(dir, 'home'), DOCKER_HOST: 'unix:///nonexistent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  child.once('exit', (code, signal) => (exitedWith = `exit ${code} ${signal ?? ''}\n${stderr}`));
  info = await new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0]!));
    });
    child.once('exit', () => reject(new Error(`up ended before it was ready: ${exitedWith}`)));
  });
  for (const user of ['alice', 'bob', 'carol', 'mallory'] as const) {
    const res = await fetch(info.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('mlflow-cli:mlflow-cli-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'password',
        username: `${user}@example.com`,
        password: `${user}-password`,
        scope: 'openid email groups',
      }),
    });
    tokens[user] = ((await res.json()) as { id_token: string }).id_token;
  }
  // carol seeds each workspace with data only its readers may see.
  for (const ws of WORKSPACES) {
    const tag = `canary${Math.random().toString(36).slice(2, 12)}${ws.replace('-', '')}`;
    const experiment = await mlflow('carol', ws, 'POST', '/api/2.0/mlflow/experiments/create', {
      name: `${tag}-experiment`,
    });
    const run = await mlflow('carol', ws, 'POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: experiment.experiment_id,
      tags: [{ key: 'secret', value: `${tag}-value` }],
    });
    await mlflow('carol', ws, 'POST', '/api/2.0/mlflow/registered-models/create', { name: `${tag}-model` });
    await mlflow('carol', ws, 'POST', '/api/2.0/mlflow/experiments/create', { name: `${tag}-unnamed` });
    const runId = run.run.info.run_id as string;
    await fetch(
      `${info.trackingUri}/api/2.0/mlflow-artifacts/artifacts/${experiment.experiment_id}/${runId}/artifacts/${tag}-file.txt`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${tokens.carol}`, 'x-mlflow-workspace': ws },
        body: `${tag}-content`,
      },
    );
    names[ws] = [`${tag}-experiment`, `${tag}-model`, `${tag}-file.txt`, runId];
    secrets[ws] = [`${tag}-value`, `${tag}-content`, `${tag}-unnamed`];
  }
  teamBBefore = await teamBState();
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    // Closing its stdin is how the lab learns its starter is done (issue 18, item 6).
    child.stdin!.end();
    await new Promise((r) => child.once('exit', r));
  }
  const counts = [...caseCounts].map(([surface, n]) => `${surface}: ${n}`).join(', ');
  process.stdout.write(`fuzz cases (front door): ${counts}\n`);
  await rm(dir, { recursive: true, force: true });
});

/** The answer broke no rule: documented, no lab failure, no canary its identity may not read, lab alive. */
function check(
  answer: Answer,
  user: User,
  request: string,
  { refusedHeader = false }: { refusedHeader?: boolean } = {},
): void {
  const reader = READS[user];
  expect(exitedWith, 'the lab process ended').toBeUndefined();
  // A session whose e-mail, user or groups hold a control character is one Go's transport refuses to forward:
  // oauth2-proxy's 502, by design (issue 18, item 1).
  if (!(refusedHeader && answer.status === 502))
    expect(labFailure(answer), `${answer.status} ${answer.text.slice(0, 300)}`).toBeUndefined();
  expect(
    documentedShape(answer),
    `undocumented answer ${answer.status} ${answer.contentType}: ${answer.text.slice(0, 300)}`,
  ).toBe(true);
  for (const ws of WORKSPACES) {
    if (reader.includes(ws)) continue;
    // A name the request itself carries may come back in an error message about the request.
    const watched = WRITES_NOWHERE.includes(user) ? [...secrets[ws], ...names[ws]] : secrets[ws];
    for (const canary of watched)
      if (!request.includes(canary))
        expect(
          answer.text.includes(canary),
          `${ws}'s ${canary} leaked to a reader of ${reader.join(',') || 'nothing'}`,
        ).toBe(false);
  }
}

// --- generators ----------------------------------------------------------------------------------------------------

const table = compileRouteTable('3.11');
const routes = table.entries.map((e) => ({ method: e.method, path: e.path }));

const tricky = [
  '..',
  '.',
  '%2e%2e',
  '%2F',
  'a%00b',
  'ł',
  '😀',
  ' ',
  '',
  '#',
  '?x=1',
  'a;b',
  '\\',
  'workspaces',
  '0',
  '-1',
];
/** Values a field or path parameter may take: ordinary ones, the seeded ones, and tricky ones. */
const scalar = () =>
  fc.oneof(
    fc.constantFrom(
      '0',
      '1',
      '2',
      '3',
      '999999',
      'team-a',
      'team-b',
      'default',
      'm-123',
      'tr-abc',
      'Default',
    ),
    fc.constantFrom(...WORKSPACES).chain((ws) => fc.constantFrom(...names[ws])),
    fc.constantFrom(...tricky),
    fc.string({ maxLength: 12 }),
    fc.integer({ min: -2, max: 1_000_000 }).map(String),
  );
const FIELDS = [
  'experiment_id',
  'experiment_ids',
  'name',
  'new_name',
  'run_id',
  'run_ids',
  'key',
  'value',
  'tags',
  'metrics',
  'params',
  'version',
  'model_id',
  'filter',
  'max_results',
  'order_by',
  'page_token',
  'artifact_location',
  'user_id',
  'source',
  'trace_id',
  'dataset_id',
  'path',
  'stage',
  'experiment_name',
  'workspace',
];
const jsonBody = () =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.dictionary(
        fc.constantFrom(...FIELDS),
        fc.oneof(scalar(), fc.array(scalar(), { maxLength: 3 }), fc.jsonValue({ maxDepth: 3 })),
        { maxKeys: 5 },
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    { weight: 1, arbitrary: fc.constant('['.repeat(20_000)) },
  );

function fillPath(template: string, values: string[]): string {
  let i = 0;
  return template.replace(/<([^>]+)>/g, () =>
    encodeURIComponent(values[i++ % values.length] ?? 'x').replace(/%25/g, '%'),
  );
}

const workspaceHeader = fc.option(
  fc.constantFrom('team-a', 'team-b', 'ghost', 'TEAM-B', 'team-b ', 'default', ''),
  {
    nil: undefined,
  },
);

describe('the front door of a running lab, fuzzed (issue 18)', () => {
  test('every route of the kubernetes-auth table, with generated bodies, by alice, bob and mallory', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<User>('alice', 'bob', 'mallory'),
        workspaceHeader,
        fc.constantFrom(...routes),
        fc.array(scalar(), { minLength: 1, maxLength: 3 }),
        fc.option(jsonBody(), { nil: undefined }),
        fc.option(fc.dictionary(fc.constantFrom(...FIELDS), scalar(), { maxKeys: 3 }), { nil: undefined }),
        counted('routes', async (user, workspace, route, values, body, query) => {
          const target = `${fillPath(route.path, values)}${query ? `?${new URLSearchParams(query)}` : ''}`;
          const text =
            body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
          const res = await fetch(`${info.trackingUri}${target}`, {
            method: route.method,
            headers: {
              authorization: `Bearer ${tokens[user]}`,
              ...(workspace !== undefined && { 'x-mlflow-workspace': workspace }),
              ...(text !== undefined && { 'content-type': 'application/json' }),
            },
            ...(text !== undefined && route.method !== 'GET' && { body: text }),
          });
          check(await answerOf(res), user, `${target} ${text ?? ''} ${workspace ?? ''}`);
        }),
      ),
      fuzzParameters(2_500),
    );
  }, 300_000);

  test('generated Authorization headers, cookies and spoofed X-Forwarded-* headers claim no one else', async () => {
    const mutateToken = (token: string) =>
      fc.oneof(
        fc.constant(token),
        fc.nat({ max: token.length - 1 }).map((i) => token.slice(0, i)),
        fc
          .tuple(fc.nat({ max: token.length - 1 }), fc.constantFrom('A', 'B', '-', '_', '.', '=', ' ', '\t'))
          .map(([i, c]) => token.slice(0, i) + c + token.slice(i + 1)),
        fc.string({ maxLength: 40 }).map((s) => token + s),
        fc.constant(token.split('.').reverse().join('.')),
        fc.constant(
          `${token.split('.')[0]}.${Buffer.from('{"email":"carol@example.com","groups":["mlflow-admins"]}').toString('base64url')}.${token.split('.')[2]}`,
        ),
      );
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const authorization = fc.oneof(
      fc
        .constantFrom<User>('alice', 'mallory')
        .chain((u) =>
          mutateToken(tokens[u]).chain((t) =>
            fc.constantFrom(
              `Bearer ${t}`,
              `bearer ${t}`,
              `Bearer  ${t}`,
              `Basic ${b64(`${t}:`)}`,
              `Basic ${b64(`x:${t}`)}`,
              `Basic ${b64(t)}`,
              t,
            ),
          ),
        ),
      fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, '')),
      fc.constant(undefined),
    );
    const sessionCookie = fc
      .record({
        email: fc.oneof(
          fc.constantFrom(
            'carol@example.com',
            'alice@example.com',
            'łukasz@example.com',
            'a\r\nb@example.com',
          ),
          fc.string({ maxLength: 30 }),
        ),
        user: fc.string({ maxLength: 20 }),
        groups: fc.array(fc.constantFrom('mlflow-admins', 'team-b-viewers', 'team-a-editors', ''), {
          maxLength: 3,
        }),
        idToken: fc.option(fc.constantFrom(tokens.alice, tokens.mallory, 'x.y.z'), { nil: undefined }),
        accessToken: fc.option(fc.constantFrom(tokens.alice, tokens.mallory, 'x'), { nil: undefined }),
        age: fc.integer({ min: -10 * 86_400, max: 30 * 86_400 }),
      })
      .map((s) => {
        // eslint-disable-next-line no-control-regex
        const refused = /[\x00-\x08\x0a-\x1f\x7f]/.test([s.email, s.user, ...s.groups].join(''));
        const sealed = sealSession(
          {
            email: s.email,
            user: s.user,
            groups: s.groups,
            ...(s.idToken !== undefined && { idToken: s.idToken }),
            ...(s.accessToken !== undefined && { accessToken: s.accessToken }),
          },
          { secret: COOKIE_SECRET, now: Date.now() - s.age * 1000 },
        );
        return { header: `_oauth2_proxy=${sealed}`, refused };
      });
    const cookie = fc.option(
      fc.oneof(
        sessionCookie,
        sessionCookie.chain((c) =>
          fc
            .nat({ max: c.header.length - 1 })
            .map((i) => ({ header: c.header.slice(0, i), refused: c.refused })),
        ),
        fc
          .array(
            fc.tuple(
              fc.constantFrom(
                '_oauth2_proxy',
                '_oauth2_proxy_0',
                '_oauth2_proxy_1',
                '_oauth2_proxy_2',
                '_oauth2_proxy_csrf',
                'other',
              ),
              fc.string({ maxLength: 40 }),
            ),
            { maxLength: 4 },
          )
          .map((pairs) => ({
            header: pairs.map(([k, v]) => `${k}=${v.replace(/[;\s]/g, '')}`).join('; '),
            refused: false,
          })),
      ),
      { nil: undefined },
    );
    const spoofNames = [
      'X-Forwarded-User',
      'X-Forwarded-Email',
      'X-Forwarded-Groups',
      'X-Forwarded-Preferred-Username',
      'X-Forwarded-Access-Token',
      'X-Remote-User',
      'Gap-Auth',
    ];
    const spoofed = fc.array(
      fc.tuple(
        fc
          .constantFrom(...spoofNames)
          .chain((n) => fc.constantFrom(n, n.toLowerCase(), n.toUpperCase(), n.replace(/-/g, '_'))),
        fc.constantFrom('carol@example.com', 'mlflow-admins', tokens.carol, 'system:masters'),
      ),
      { maxLength: 3 },
    );
    await fc.assert(
      fc.asyncProperty(
        authorization,
        cookie,
        spoofed,
        fc.constantFrom('team-a', 'team-b'),
        fc.constantFrom(
          '/api/2.0/mlflow/experiments/search?max_results=50',
          '/api/2.0/mlflow/registered-models/search',
          '/oauth2/userinfo',
          '/oauth2/auth',
          '/api/2.0/mlflow/runs/search',
        ),
        counted('credentials', async (auth, cookieHeader, spoof, workspace, target) => {
          const headers = new Headers({ accept: 'application/json', 'x-mlflow-workspace': workspace });
          if (auth !== undefined) {
            try {
              headers.set('authorization', auth);
            } catch {
              return; // a value fetch itself refuses (a stray control character) is no request
            }
          }
          if (cookieHeader !== undefined) {
            try {
              headers.set('cookie', cookieHeader.header);
            } catch {
              return;
            }
          }
          for (const [name, value] of spoof) headers.append(name, value);
          const method = target.endsWith('runs/search') ? 'POST' : 'GET';
          const res = await fetch(`${info.trackingUri}${target}`, {
            method,
            headers,
            ...(method === 'POST' && { body: '{"experiment_ids":["0","1","2","3","4"]}' }),
            redirect: 'manual',
          });
          // Only alice's and mallory's credentials are generated: neither may read team-b, whatever is claimed.
          // The strongest identity the generated credentials can honestly carry: alice's (team-a).
          check(await answerOf(res), 'alice', `${target}`, {
            refusedHeader: cookieHeader?.refused ?? false,
          });
        }),
      ),
      fuzzParameters(2_000),
    );
  }, 300_000);

  test('afterwards: team-b is as carol left it, and the lab still answers', async () => {
    expect(exitedWith).toBeUndefined();
    expect(await teamBState()).toBe(teamBBefore);
    expect((await fetch(`${info.trackingUri}/ping`)).status).toBe(200);
  });
});
