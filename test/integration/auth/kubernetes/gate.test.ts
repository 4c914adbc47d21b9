// The kubernetes-auth gate through the whole lab with real tokens (mlflow-workspaces-k8s-auth.md §4-§8,
// kubernetes-auth-observed.md §2): client → proxy → gate → emulator, the gate asking the fake kube-apiserver.
import http from 'node:http';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { startLab, type StartedLab } from '../../../../src/index.js';
import { createGate } from '../../../../src/mlflow/auth/kubernetes/create-gate.js';
import { gateOptionsFrom } from '../../../../src/mlflow/auth/kubernetes/options.js';
import { httpReviewer } from '../../../../src/mlflow/auth/kubernetes/reviewer.js';
import { claimsOf } from '../../helpers.js';
import { captureLog } from '../../proxy/support.js';
import { defaultLabObject, FIXTURES } from '../../helpers.js';
import { onTestFinished } from 'vitest';

const DENIED = {
  error: { code: 'PERMISSION_DENIED', message: 'Permission denied for requested operation.' },
};

async function gateLab(edit?: (cfg: Record<string, any>) => void): Promise<StartedLab> {
  const cfg = await defaultLabObject();
  cfg.rbac = [path.join(FIXTURES, 'rbac/default-lab.yaml')];
  edit?.(cfg);
  const lab = await startLab({
    config: cfg as never,
    ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
    env: {},
  });
  onTestFinished(() => lab.dispose());
  return lab;
}

/** Calls MLflow through the proxy as the SDK does: Bearer token, workspace header, JSON. */
function client(lab: StartedLab, token: string, workspace?: string) {
  const call = async (method: string, route: string, body?: unknown, base = lab.trackingUri!) => {
    const res = await fetch(`${base}/api/2.0/mlflow/${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(workspace !== undefined && { 'x-mlflow-workspace': workspace }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  return {
    post: (route: string, body: unknown) => call('POST', route, body),
    get: (route: string) => call('GET', route),
    direct: (method: string, route: string, body?: unknown) =>
      call(method, route, body, lab.gate!.url.href.replace(/\/$/, '')),
  };
}

describe('kubernetes-auth gate (§4, §6, §7)', () => {
  test('decisions record each review as made or taken from the cache, allows and denials alike', async () => {
    const lab = await gateLab();
    const alice = client(lab, await lab.token({ user: 'alice' }), 'team-a');
    const bob = client(lab, await lab.token({ user: 'bob' }), 'team-a');
    const { json } = await alice.post('experiments/create', { name: 'cached' });
    const get = `experiments/get?experiment_id=${json.experiment_id}`;
    const reviews = () =>
      lab.gate!.decisions()[0]!.reviews.map((r) => [r.attributes.verb, r.allowed, r.cached]);
    expect((await alice.get(get)).status).toBe(200);
    expect(reviews()).toEqual([['get', true, false]]);
    expect((await alice.get(get)).status).toBe(200);
    expect(reviews()).toEqual([['get', true, true]]);
    expect((await bob.post('experiments/create', { name: 'not-bobs' })).json).toEqual(DENIED);
    const denied = reviews();
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.every(([, allowed, cached]) => allowed === false && cached === false)).toBe(true);
    expect((await bob.post('experiments/create', { name: 'not-bobs' })).json).toEqual(DENIED);
    expect(reviews()).toEqual(denied.map(([verb]) => [verb, false, true]));
    lab.clock.advance('301s'); // past the plugin's 300 s cache, the same call is reviewed again
    expect((await alice.get(get)).status).toBe(200);
    expect(reviews()).toEqual([['get', true, false]]);
  });

  test('the proxy logs each call the in-process gate answered with the size of the body the client got', async () => {
    const logs = captureLog();
    const cfg = await defaultLabObject();
    cfg.rbac = [path.join(FIXTURES, 'rbac/default-lab.yaml')];
    const lab = await startLab({
      config: cfg as never,
      ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
      env: {},
      log: logs.log,
    });
    onTestFinished(() => lab.dispose());
    const token = await lab.token({ user: 'alice' });
    const sizes: Array<[number, number]> = [];
    for (const workspace of ['team-a', 'no-such-workspace']) {
      const res = await fetch(`${lab.trackingUri}/api/2.0/mlflow/experiments/search?max_results=5`, {
        headers: { authorization: `Bearer ${token}`, 'x-mlflow-workspace': workspace },
      });
      sizes.push([res.status, Buffer.byteLength(await res.text())]);
    }
    expect(sizes.map(([status]) => status)).toEqual([200, 404]);
    const lines = logs.lines.filter((l) =>
      l.line.includes('"/api/2.0/mlflow/experiments/search?max_results=5"'),
    );
    // oauth2-proxy's request line ends `<status> <size> <seconds>` (§A6 "Log formats").
    expect(lines.map((l) => / (\d{3}) (\d+) \d+\.\d{3}$/.exec(l.line)!.slice(1).map(Number))).toEqual(sizes);
  });

  test('responses the in-process gate writes carry the proxy’s GAP-Auth first, logged lab or not, errors too', async () => {
    /** Status, header names in wire order and GAP-Auth of one proxied call, read off the raw response. */
    const raw = (lab: StartedLab, token: string, workspace: string) =>
      new Promise<{ status: number; names: string[]; gapAuth: string | undefined }>((resolve, reject) => {
        const url = new URL(`${lab.trackingUri}/api/2.0/mlflow/experiments/search?max_results=5`);
        http
          .get(
            url,
            { headers: { authorization: `Bearer ${token}`, 'x-mlflow-workspace': workspace } },
            (res) => {
              res.resume();
              const names = res.rawHeaders.filter((_, i) => i % 2 === 0);
              resolve({
                status: res.statusCode!,
                names,
                gapAuth: res.headers['gap-auth'] as string | undefined,
              });
            },
          )
          .on('error', reject);
      });
    const cfg = await defaultLabObject();
    cfg.rbac = [path.join(FIXTURES, 'rbac/default-lab.yaml')];
    const seen = [];
    for (const log of [undefined, captureLog().log]) {
      const lab = await startLab({
        config: cfg as never,
        ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
        env: {},
        ...(log && { log }),
      });
      onTestFinished(() => lab.dispose());
      const token = await lab.token({ user: 'alice' });
      seen.push([await raw(lab, token, 'team-a'), await raw(lab, token, 'no-such-workspace')]);
    }
    const [quiet, logged] = seen;
    expect(quiet!.map((r) => [r.status, r.gapAuth, r.names[0]])).toEqual([
      [200, 'alice@example.com', 'GAP-Auth'],
      [404, 'alice@example.com', 'GAP-Auth'],
    ]);
    // Handed over with the request (quiet) or set on the response (logged): the same headers on the wire.
    expect(logged!.map((r) => r.names.filter((n) => n !== 'Date'))).toEqual(
      quiet!.map((r) => r.names.filter((n) => n !== 'Date')),
    );
  });

  test('a target with dot segments is decided and forwarded as resolved; decisions are listed newest first', async () => {
    const lab = await gateLab();
    const token = await lab.token({ user: 'alice' });
    const alice = client(lab, token, 'team-a');
    const { json } = await alice.post('experiments/create', { name: 'dots' });
    // fetch() resolves dot segments itself; node:http sends the target as written, as curl --path-as-is does.
    const raw = `/api/2.0/mlflow/runs/../experiments/get?experiment_id=${json.experiment_id}`;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get(
        new URL(lab.trackingUri!),
        { path: raw, headers: { authorization: `Bearer ${token}`, 'x-mlflow-workspace': 'team-a' } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).experiment.name).toBe('dots');
    const [latest, before] = lab.gate!.decisions();
    expect([latest!.method, latest!.path, latest!.outcome]).toEqual([
      'GET',
      '/api/2.0/mlflow/experiments/get',
      'allowed',
    ]);
    expect(before!.path).toBe('/api/2.0/mlflow/experiments/create');
  });

  test('alice writes in team-a; her run is owned by her e-mail whatever user_id the body says', async () => {
    const lab = await gateLab();
    const alice = client(lab, await lab.token({ user: 'alice' }), 'team-a');
    const created = await alice.post('experiments/create', { name: 'alice-exp' });
    expect(created.status).toBe(200);
    const run = await alice.post('runs/create', {
      experiment_id: created.json.experiment_id,
      user_id: 'mallory',
    });
    expect(run.status).toBe(200);
    expect(run.json.run.info.user_id).toBe('alice@example.com');
  });

  test('bob reads team-b but is denied writing in team-a with the nested PERMISSION_DENIED body', async () => {
    const lab = await gateLab();
    const bobToken = await lab.token({ user: 'bob' });
    const inB = client(lab, bobToken, 'team-b');
    expect((await inB.post('experiments/search', { max_results: 5 })).status).toBe(200);
    const write = await client(lab, bobToken, 'team-a').post('experiments/create', { name: 'nope' });
    expect(write).toEqual({ status: 403, json: DENIED });
    expect((await inB.post('experiments/create', { name: 'nope' })).status).toBe(403);
  });

  test('mallory is denied everywhere; carol is allowed everywhere', async () => {
    const lab = await gateLab();
    const mallory = await lab.token({ user: 'mallory' });
    const carol = await lab.token({ user: 'carol' });
    for (const ws of ['team-a', 'team-b']) {
      expect(await client(lab, mallory, ws).post('experiments/create', { name: `m-${ws}` })).toEqual({
        status: 403,
        json: DENIED,
      });
      expect((await client(lab, carol, ws).post('experiments/create', { name: `c-${ws}` })).status).toBe(200);
    }
  });

  test('search results are filtered to what the caller may get (response_filter_experiments)', async () => {
    const lab = await gateLab((cfg) => {
      // A per-name grant: mallory may read the experiment named "shared" in team-a, nothing else.
      cfg.rbac.push(
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'shared-reader', namespace: 'team-a' },
          rules: [
            {
              apiGroups: ['mlflow.kubeflow.org'],
              resources: ['experiments'],
              resourceNames: ['shared'],
              verbs: ['get'],
            },
          ],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'mallory-shared', namespace: 'team-a' },
          subjects: [{ kind: 'User', name: 'mallory@example.com', apiGroup: 'rbac.authorization.k8s.io' }],
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'shared-reader' },
        },
      );
    });
    const alice = client(lab, await lab.token({ user: 'alice' }), 'team-a');
    const shared = await alice.post('experiments/create', { name: 'shared' });
    const secret = await alice.post('experiments/create', { name: 'secret' });
    const mallory = client(lab, await lab.token({ user: 'mallory' }), 'team-a');
    // By name: allowed for "shared" only.
    expect((await mallory.get(`experiments/get?experiment_id=${shared.json.experiment_id}`)).status).toBe(
      200,
    );
    expect(await mallory.get(`experiments/get?experiment_id=${secret.json.experiment_id}`)).toEqual({
      status: 403,
      json: DENIED,
    });
    const search = await mallory.post('experiments/search', { max_results: 100 });
    expect(search.status).toBe(200);
    expect(search.json.experiments.map((e: { name: string }) => e.name)).toEqual(['shared']);
  });

  test('workspace resolution runs before authentication: unknown → flat 404, none without a default → 400', async () => {
    const lab = await gateLab((cfg) => delete cfg.workspaces.default);
    const res = await fetch(`${lab.trackingUri}/api/2.0/mlflow/experiments/search`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await lab.token({ user: 'alice' })}`,
        'x-mlflow-workspace': 'nope',
        'content-type': 'application/json',
      },
      body: '{}',
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message:
        "Workspace 'nope' not found in the Kubernetes cluster. Each MLflow workspace maps 1:1 to a namespace.",
      sqlstate: 'KAM00',
      error_class: 'RESOURCE_NOT_FOUND',
    });
    const none = await client(lab, await lab.token({ user: 'alice' })).post('experiments/create', {
      name: 'x',
    });
    expect(none).toEqual({
      status: 400,
      json: {
        error: {
          code: 'INVALID_PARAMETER_VALUE',
          message: 'Workspace context is required for this request.',
        },
      },
    });
  });

  test('without credentials the gate answers the plugin’s 401; a garbage token is refused by the kube API', async () => {
    const lab = await gateLab();
    const gate = lab.gate!.url.href.replace(/\/$/, '');
    const none = await fetch(`${gate}/api/2.0/mlflow/experiments/search`, { method: 'POST', body: '{}' });
    expect([none.status, await none.json()]).toEqual([
      401,
      {
        error: {
          code: 'UNAUTHENTICATED',
          message: 'Missing Authorization header or X-Forwarded-Access-Token header.',
        },
      },
    ]);
    const basic = await fetch(`${gate}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { authorization: 'Basic YTpi' },
      body: '{"name":"x"}',
    });
    expect(await basic.json()).toEqual({
      error: {
        code: 'UNAUTHENTICATED',
        message: "Authorization header must be in the format 'Bearer <token>'.",
      },
    });
    const garbage = await fetch(`${gate}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { authorization: 'Bearer garbage', 'x-mlflow-workspace': 'team-a' },
      body: '{"name":"x"}',
    });
    expect([garbage.status, await garbage.json()]).toEqual([
      401,
      {
        error: {
          code: 'UNAUTHENTICATED',
          message:
            'Authentication with the Kubernetes API failed. The provided token may be invalid or expired.',
        },
      },
    ]);
    // Unprotected paths pass without credentials.
    expect((await fetch(`${gate}/health`)).status).toBe(200);
  });

  test('a stale allow survives until the decision cache TTL (300 s) passes on the lab clock', async () => {
    const lab = await gateLab();
    const token = await lab.token({ user: 'alice', expiresIn: '60s' });
    const alice = client(lab, token, 'team-a');
    expect((await alice.direct('POST', 'experiments/create', { name: 'first' })).status).toBe(200);
    lab.clock.advance('120s'); // the token has expired; the cached decision has not
    expect((await alice.direct('POST', 'experiments/create', { name: 'second' })).status).toBe(200);
    lab.clock.advance('200s'); // 320 s after the first review
    const late = await alice.direct('POST', 'experiments/create', { name: 'third' });
    expect(late.status).toBe(401);
  });

  test('workspaces: list filtered per caller, create forbidden', async () => {
    const lab = await gateLab();
    const list = async (user: string) => {
      const res = await fetch(`${lab.trackingUri}/api/3.0/mlflow/workspaces`, {
        headers: { authorization: `Bearer ${await lab.token({ user })}` },
      });
      return ((await res.json()) as { workspaces: Array<{ name: string }> }).workspaces.map((w) => w.name);
    };
    expect(await list('bob')).toEqual(['team-b']);
    // The response filter's reviews, made after the decision was logged, belong to it (§4.4): bob may list in
    // team-b only, so team-a is reviewed resource by resource and team-b at its first.
    const [decision] = lab.gate!.decisions();
    expect(decision!.reviews.map((r) => [r.attributes.namespace, r.attributes.resource, r.allowed])).toEqual([
      ...['experiments', 'datasets', 'registeredmodels', 'gatewaysecrets', 'gatewayendpoints'].map((r) => [
        'team-a',
        r,
        false,
      ]),
      ...['gatewaymodeldefinitions', 'gatewaybudgets', 'gatewayguardrails'].map((r) => ['team-a', r, false]),
      ['team-b', 'experiments', true],
    ]);
    // Listed over HTTP with the fields in the order the decisions API has always had.
    const listed = (await (
      await fetch(`${lab.gate!.url.href}_authlab/decisions`, {
        headers: { authorization: `Bearer ${lab.gate!.controlToken}` },
      })
    ).json()) as {
      decisions: Array<Record<string, unknown>>;
    };
    expect(Object.keys(listed.decisions[0]!)).toEqual([
      'at',
      'method',
      'path',
      'workspace',
      'username',
      'reviews',
      'status',
      'outcome',
    ]);
    expect(await list('carol')).toEqual(['team-a', 'team-b']);
    expect(await list('mallory')).toEqual([]);
    const create = await fetch(`${lab.trackingUri}/api/3.0/mlflow/workspaces`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await lab.token({ user: 'carol' })}`,
        'content-type': 'application/json',
      },
      body: '{"name":"team-c"}',
    });
    expect([create.status, await create.json()]).toEqual([
      403,
      {
        error: {
          code: 'PERMISSION_DENIED',
          message:
            'Workspace create, update, and delete operations are not supported when MLflow workspaces map to Kubernetes namespaces.',
        },
      },
    ]);
  });

  test('trusted-proxy mode (subject_access_review) with oauth2-proxy’s X-Forwarded-Email and -Groups, as the Kubeflow chart sets it', async () => {
    const lab = await gateLab((cfg) => {
      cfg.gate = {
        MLFLOW_K8S_AUTH_AUTHORIZATION_MODE: 'subject_access_review',
        MLFLOW_K8S_AUTH_REMOTE_USER_HEADER: 'x-forwarded-email',
        MLFLOW_K8S_AUTH_REMOTE_GROUPS_HEADER: 'x-forwarded-groups',
        MLFLOW_K8S_AUTH_REMOTE_GROUPS_SEPARATOR: ',',
      };
    });
    const alice = client(lab, await lab.token({ user: 'alice' }), 'team-a');
    const exp = await alice.post('experiments/create', { name: 'sar' });
    expect(exp.status).toBe(200);
    const run = await alice.post('runs/create', { experiment_id: exp.json.experiment_id });
    expect(run.json.run.info.user_id).toBe('alice@example.com');
    const bob = client(lab, await lab.token({ user: 'bob' }), 'team-a');
    expect(await bob.post('experiments/create', { name: 'no' })).toEqual({ status: 403, json: DENIED });
    // Straight to the gate, without the proxy's headers.
    const direct = await fetch(`${lab.gate!.url.href}api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { 'x-mlflow-workspace': 'team-a' },
      body: '{"name":"x"}',
    });
    expect([direct.status, await direct.json()]).toEqual([
      401,
      {
        error: {
          code: 'UNAUTHENTICATED',
          message: "Missing required 'x-forwarded-email' header for SubjectAccessReview mode.",
        },
      },
    ]);
    // The SubjectAccessReviews went to the kube API with the server's service-account token.
    expect(lab.kube.decisions().some((d) => d.source === 'subjectaccessreview')).toBe(true);
  });

  test('the plugin’s own default claim: MLFLOW_K8S_AUTH_USERNAME_CLAIM=sub makes the owner Dex’s opaque sub', async () => {
    const lab = await gateLab((cfg) => (cfg.gate = { MLFLOW_K8S_AUTH_USERNAME_CLAIM: 'sub' }));
    const token = await lab.token({ user: 'alice' });
    const alice = client(lab, token, 'team-a');
    const exp = await alice.post('experiments/create', { name: 'sub-owner' });
    const run = await alice.post('runs/create', { experiment_id: exp.json.experiment_id });
    expect(run.json.run.info.user_id).toBe(claimsOf(token).sub);
  });

  test('X-Forwarded-Access-Token alone identifies the caller; /ajax-api has the same rules; unmapped routes are 404', async () => {
    const lab = await gateLab();
    const gate = lab.gate!.url.href.replace(/\/$/, '');
    const alice = await lab.token({ user: 'alice' });
    const post = (route: string, headers: Record<string, string>, body: unknown) =>
      fetch(`${gate}${route}`, {
        method: 'POST',
        headers: { 'x-mlflow-workspace': 'team-a', 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const exp = await post(
      '/api/2.0/mlflow/experiments/create',
      { 'x-forwarded-access-token': alice },
      { name: 'fwd' },
    );
    expect(exp.status).toBe(200);
    const { experiment_id } = (await exp.json()) as { experiment_id: string };
    const run = await post(
      '/api/2.0/mlflow/runs/create',
      { 'x-forwarded-access-token': `Bearer ${alice}` },
      { experiment_id },
    );
    expect(((await run.json()) as any).run.info.user_id).toBe('alice@example.com');
    const bob = await lab.token({ user: 'bob' });
    const ajax = await post(
      '/ajax-api/2.0/mlflow/experiments/create',
      { authorization: `Bearer ${bob}` },
      { name: 'x' },
    );
    expect([ajax.status, await ajax.json()]).toEqual([403, DENIED]);
    const unmapped = await post('/api/2.0/mlflow/not-a-route', { authorization: `Bearer ${alice}` }, {});
    expect([unmapped.status, await unmapped.json()]).toEqual([
      404,
      { error: { code: 'ENDPOINT_NOT_FOUND', message: 'Endpoint not found.' } },
    ]);
    const anonymous = await post('/api/2.0/mlflow/not-a-route', {}, {});
    expect(anonymous.status).toBe(401);
  });

  test('over HTTP: a gate asking the kube API with real SelfSubjectAccessReview requests decides the same', async () => {
    const lab = await gateLab();
    const gate = await createGate({
      upstream: lab.mlflow!.url,
      options: gateOptionsFrom({}, { defaultWorkspace: 'team-a' }),
      reviewer: httpReviewer(lab.kubeApiUrl, lab.kube.serviceAccountToken),
      namespaces: () => ['team-a', 'team-b'],
      clock: lab.clock,
    });
    onTestFinished(() => gate.dispose());
    const call = async (token: string) => {
      const res = await fetch(`${gate.url.href}api/2.0/mlflow/experiments/create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `http-${token.slice(-6)}` }),
      });
      return [res.status, await res.json()];
    };
    expect((await call(await lab.token({ user: 'alice' })))[0]).toBe(200);
    expect(await call(await lab.token({ user: 'bob' }))).toEqual([403, DENIED]);
    expect((await call('garbage'))[0]).toBe(401);
    expect(lab.kube.decisions()[0]!.source).toBe('selfsubjectaccessreview');
  });

  test('review regressions: the reviewed workspace is the one MLflow runs in; the owner rewrite has no bypass', async () => {
    const lab = await gateLab();
    const alice = await lab.token({ user: 'alice' });
    // No workspace header: reviewed against the default workspace team-a, so it must be created in team-a.
    const created = await client(lab, alice).post('experiments/create', { name: 'headerless' });
    expect(created.status).toBe(200);
    const inA = await fetch(
      `${lab.mlflow!.url}/api/2.0/mlflow/experiments/get?experiment_id=${created.json.experiment_id}`,
      {
        headers: { 'x-mlflow-workspace': 'team-a' },
      },
    );
    expect(((await inA.json()) as any).experiment.name).toBe('headerless');
    const inDefault = await fetch(
      `${lab.mlflow!.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=headerless`,
    );
    expect(inDefault.status).toBe(404);
    // A query string mentioning /mlflow-artifacts/ does not turn the body into a stream the gate cannot read.
    const run = await fetch(`${lab.trackingUri}/api/2.0/mlflow/runs/create?x=/mlflow-artifacts/`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${alice}`,
        'x-mlflow-workspace': 'team-a',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ experiment_id: created.json.experiment_id, user_id: 'mallory' }),
    });
    expect(((await run.json()) as any).run.info.user_id).toBe('alice@example.com');
  });

  test('review regressions: a review failing inside a response filter answers 401 instead of hanging; huge bodies 413', async () => {
    const lab = await gateLab((cfg) => {
      cfg.rbac.push(
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'one-reader', namespace: 'team-a' },
          rules: [
            {
              apiGroups: ['mlflow.kubeflow.org'],
              resources: ['experiments'],
              resourceNames: ['one'],
              verbs: ['get'],
            },
          ],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'mallory-one', namespace: 'team-a' },
          subjects: [{ kind: 'User', name: 'mallory@example.com', apiGroup: 'rbac.authorization.k8s.io' }],
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'one-reader' },
        },
      );
    });
    const alice = client(lab, await lab.token({ user: 'alice' }), 'team-a');
    await alice.post('experiments/create', { name: 'one' });
    const mallory = client(lab, await lab.token({ user: 'mallory', expiresIn: '60s' }), 'team-a');
    expect((await mallory.direct('POST', 'experiments/search', { max_results: 10 })).status).toBe(200);
    await alice.post('experiments/create', { name: 'two' });
    lab.clock.advance('120s'); // mallory's token has expired; her cached broad denial has not
    const late = await mallory.direct('POST', 'experiments/search', { max_results: 10 });
    expect(late).toEqual({
      status: 401,
      json: {
        error: {
          code: 'UNAUTHENTICATED',
          message:
            'Authentication with the Kubernetes API failed. The provided token may be invalid or expired.',
        },
      },
    });
    const huge = await fetch(`${lab.gate!.url.href}api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await lab.token({ user: 'alice' })}`,
        'content-type': 'application/json',
      },
      body: `{"name":"${'x'.repeat(17 * 1024 * 1024)}"}`,
    });
    expect(huge.status).toBe(413);
    expect((await fetch(`${lab.gate!.url.href}health`)).status).toBe(200);
  });
});
