import { describe, expect, it } from 'vitest';
import { createKubeApi } from '../../../src/kube/create-kube-api.js';
import { createRbacAuthorizer } from '../../../src/kube/rbac.js';
import { labWithKube } from './helpers.js';

const SSAR = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
const SAR = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
const UNAUTHORIZED = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
};
const NOT_FOUND = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'the server could not find the requested resource',
  reason: 'NotFound',
  details: {},
  code: 404,
};

async function call(base: URL, path: string, init: { token?: string; body?: string; method?: string } = {}) {
  const res = await fetch(new URL(path, base), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      ...(init.token !== undefined && { authorization: `Bearer ${init.token}` }),
    },
    ...(init.body !== undefined && { body: init.body }),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

/** The plugin's SSAR body: no apiVersion/kind (§3.1). */
const ssarBody = (resourceAttributes: Record<string, string>) =>
  JSON.stringify({ spec: { resourceAttributes } });
const attrs = (namespace: string, verb: string, extra: Record<string, string> = {}) => ({
  group: 'mlflow.kubeflow.org',
  namespace,
  resource: 'experiments',
  verb,
  ...extra,
});

describe('fake kube-apiserver: SelfSubjectAccessReview', () => {
  it("answers the plugin's body (no apiVersion/kind) with kube's shape", async () => {
    const { lab, kube } = await labWithKube();
    const token = await lab.token({ user: 'alice' });
    const r = await call(kube.url, SSAR, { token, body: ssarBody(attrs('team-a', 'update')) });
    expect(r.status).toBe(201);
    expect(r.json).toEqual({
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: {
        resourceAttributes: {
          namespace: 'team-a',
          verb: 'update',
          group: 'mlflow.kubeflow.org',
          resource: 'experiments',
        },
      },
      status: {
        allowed: true,
        reason:
          'RBAC: allowed by RoleBinding "team-a-editors/team-a" of ClusterRole "mlflow-edit" to Group "team-a-editors"',
      },
    });
    // Go field order in the echoed spec.
    expect(Object.keys(r.json.spec.resourceAttributes)).toEqual(['namespace', 'verb', 'group', 'resource']);
  });

  it('decides per fixtures/rbac/default-lab.yaml for alice, bob, carol and mallory', async () => {
    const { lab, kube } = await labWithKube();
    const cases: Array<[string, string, string, boolean, Record<string, string>?]> = [
      ['alice', 'team-a', 'create', true],
      ['alice', 'team-a', 'delete', true, { name: 'exp-a' }],
      ['alice', 'team-b', 'get', false],
      ['bob', 'team-b', 'list', true],
      ['bob', 'team-b', 'get', true, { name: 'Default' }],
      ['bob', 'team-b', 'update', false],
      ['bob', 'team-a', 'get', false],
      ['carol', 'team-a', 'delete', true],
      ['carol', 'team-b', 'create', true],
      ['mallory', 'team-a', 'get', false],
      ['mallory', 'team-b', 'list', false],
    ];
    for (const [user, ns, verb, allowed, extra] of cases) {
      const token = await lab.token({ user });
      const r = await call(kube.url, SSAR, { token, body: ssarBody(attrs(ns, verb, extra)) });
      expect({ user, ns, verb, status: r.status, allowed: r.json.status.allowed }).toEqual({
        user,
        ns,
        verb,
        status: 201,
        allowed,
      });
      // kube omits `denied` (RBAC has no opinion, it never denies) and an empty reason.
      if (!allowed) expect(r.json.status).toEqual({ allowed: false });
    }
  });

  it('keeps every decision, newest first, with identity and explanation', async () => {
    const { lab, kube } = await labWithKube();
    await call(kube.url, SSAR, {
      token: await lab.token({ user: 'bob' }),
      body: ssarBody(attrs('team-a', 'get')),
    });
    await call(kube.url, SSAR, {
      token: await lab.token({ user: 'alice' }),
      body: ssarBody(attrs('team-a', 'get')),
    });
    const [latest, before] = kube.decisions();
    expect(latest).toMatchObject({
      source: 'selfsubjectaccessreview',
      identity: { username: 'alice@example.com', groups: ['team-a-editors', 'system:authenticated'] },
      attributes: { resource: attrs('team-a', 'get') },
      allowed: true,
      explanation: {
        allowedBy: { binding: { kind: 'RoleBinding', name: 'team-a-editors', namespace: 'team-a' } },
      },
    });
    expect(before).toMatchObject({ identity: { username: 'bob@example.com' }, allowed: false });
    expect(Date.parse(latest!.time)).toBeGreaterThan(0);
  });

  it('answers kube 401 for missing, garbage, Basic, expired, wrong-issuer and wrong-audience tokens', async () => {
    const { lab, kube } = await labWithKube();
    const body = ssarBody(attrs('team-a', 'get'));
    for (const token of [undefined, 'garbage', 'a.b.c', '']) {
      const r = await call(kube.url, SSAR, { ...(token !== undefined && { token }), body });
      expect(r.status).toBe(401);
      expect(r.text).toBe(JSON.stringify(UNAUTHORIZED));
    }
    const basic = await fetch(new URL(SSAR, kube.url), {
      method: 'POST',
      headers: { authorization: 'Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ=', 'content-type': 'application/json' },
      body,
    });
    expect(basic.status).toBe(401);

    const token = await lab.token({ user: 'alice' });
    // Cached after the first success; the cache must still honour the lab clock.
    expect((await call(kube.url, SSAR, { token, body })).status).toBe(201);
    expect(await kube.authenticate(token)).toEqual({
      username: 'alice@example.com',
      groups: ['team-a-editors', 'system:authenticated'],
    });
    lab.clock.advance('25h');
    const expired = await call(kube.url, SSAR, { token, body });
    expect(expired.status).toBe(401);
    expect(expired.json).toEqual(UNAUTHORIZED);
    expect(await kube.authenticate(token)).toBeUndefined();
    const fresh = await lab.token({ user: 'alice' });
    expect((await call(kube.url, SSAR, { token: fresh, body })).status).toBe(201);

    const common = { config: lab.config, jwksUri: lab.jwksUri, clock: lab.clock, port: 0 };
    const authorizer = createRbacAuthorizer(lab.config.rbac);
    await using otherIssuer = await createKubeApi({ ...common, issuer: `${lab.issuer}/other`, authorizer });
    expect((await call(otherIssuer.url, SSAR, { token: fresh, body })).json).toEqual(UNAUTHORIZED);
    await using otherAudience = await createKubeApi({
      ...common,
      issuer: lab.issuer,
      authorizer,
      oidc: { clientIds: ['kubernetes'] },
    });
    expect((await call(otherAudience.url, SSAR, { token: fresh, body })).json).toEqual(UNAUTHORIZED);
  });

  it('maps OIDC claims like kube: username prefix, groups prefix, email_verified, required claims', async () => {
    const { lab } = await labWithKube();
    const authorizer = createRbacAuthorizer(lab.config.rbac);
    const common = {
      config: lab.config,
      issuer: lab.issuer,
      jwksUri: lab.jwksUri,
      clock: lab.clock,
      port: 0,
    };
    await using prefixed = await createKubeApi({
      ...common,
      authorizer,
      oidc: { usernameClaim: 'sub', usernamePrefix: 'oidc:', groupsPrefix: 'oidc:' },
    });
    const token = await lab.token({ user: 'bob' });
    const user = await prefixed.authenticate(token);
    expect(user?.username).toMatch(/^oidc:/);
    expect(user?.groups).toEqual(['oidc:team-b-viewers', 'system:authenticated']);
    await using strict = await createKubeApi({
      ...common,
      authorizer,
      oidc: { requiredClaims: { hd: 'example.com' } },
    });
    expect(await strict.authenticate(token)).toBeUndefined();
  });

  it('rejects malformed bodies with kube 400/422 Status texts', async () => {
    const { lab, kube } = await labWithKube();
    const token = await lab.token({ user: 'alice' });
    const notJson = await call(kube.url, SSAR, { token, body: 'not json' });
    expect(notJson.status).toBe(400);
    expect(notJson.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        "the object provided is unrecognized (must be of type SelfSubjectAccessReview): couldn't get version/kind; json parse error: invalid character 'o' in literal null (expecting 'u') (6e6f74206a736f6e)",
      reason: 'BadRequest',
      code: 400,
    });
    const cut = await call(kube.url, SSAR, { token, body: '{"spec":' });
    expect(cut.json.message).toBe(
      `the object provided is unrecognized (must be of type SelfSubjectAccessReview): couldn't get version/kind; json parse error: unexpected end of JSON input ({"spec":)`,
    );
    const wrongType = await call(kube.url, SSAR, {
      token,
      body: JSON.stringify({ spec: { resourceAttributes: { namespace: 1 } } }),
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.message).toBe(
      'SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectAccessReview: json: cannot unmarshal number into Go struct field ResourceAttributes.spec.resourceAttributes.namespace of type string',
    );
    for (const body of ['{}', '{"spec":{}}', 'null']) {
      const empty = await call(kube.url, SSAR, { token, body });
      expect(empty.status).toBe(422);
      expect(empty.json).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          '.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
        reason: 'Invalid',
        details: {
          group: 'authorization.k8s.io',
          causes: [
            {
              reason: 'FieldValueInvalid',
              message:
                'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
              field: 'spec.resourceAttributes',
            },
          ],
        },
        code: 422,
      });
    }
    // With apiVersion and kind it works the same.
    const full = await call(kube.url, SSAR, {
      token,
      body: JSON.stringify({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: attrs('team-a', 'get') },
      }),
    });
    expect(full.json.status.allowed).toBe(true);
    expect((await call(kube.url, SSAR, { token, method: 'GET' })).status).toBe(405);
  });
});

describe('fake kube-apiserver: SubjectAccessReview', () => {
  it("reviews a subject with the service account's token (trusted-proxy mode, §2.2)", async () => {
    const { kube } = await labWithKube();
    const body = (user: string, groups: string[] | undefined, verb: string) =>
      JSON.stringify({
        spec: { ...(groups && { groups }), resourceAttributes: attrs('team-a', verb), user },
      });
    const carol = await call(kube.url, SAR, {
      token: kube.serviceAccountToken,
      body: body('carol', ['mlflow-admins'], 'create'),
    });
    expect(carol.status).toBe(201);
    expect(carol.json).toMatchObject({
      kind: 'SubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      spec: { user: 'carol', groups: ['mlflow-admins'] },
      status: { allowed: true },
    });
    // Only the groups given count: no group, no access.
    const bare = await call(kube.url, SAR, {
      token: kube.serviceAccountToken,
      body: body('carol', undefined, 'create'),
    });
    expect(bare.json.status).toEqual({ allowed: false });
    expect(kube.decisions()[0]).toMatchObject({
      source: 'subjectaccessreview',
      caller: 'system:serviceaccount:mlflow:mlflow',
      identity: { username: 'carol', groups: [] },
    });
    const noSubject = await call(kube.url, SAR, {
      token: kube.serviceAccountToken,
      body: JSON.stringify({ spec: { resourceAttributes: attrs('team-a', 'get') } }),
    });
    expect(noSubject.status).toBe(422);
    expect(noSubject.json.message).toBe(
      '.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
    );
  });

  it("gives users kube's 403 for creating a SubjectAccessReview", async () => {
    const { lab, kube } = await labWithKube();
    const r = await call(kube.url, SAR, {
      token: await lab.token({ user: 'alice' }),
      body: JSON.stringify({ spec: { user: 'carol', resourceAttributes: attrs('team-a', 'get') } }),
    });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'subjectaccessreviews.authorization.k8s.io is forbidden: User "alice@example.com" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope',
      reason: 'Forbidden',
      details: { group: 'authorization.k8s.io', kind: 'subjectaccessreviews' },
      code: 403,
    });
  });

  it('serves the gate in process with the same answers', async () => {
    const { lab, kube } = await labWithKube();
    const token = await lab.token({ user: 'bob' });
    const self = await kube.review('self', { token, attributes: attrs('team-b', 'get') });
    expect(self).toMatchObject({ status: 200, allowed: true, decision: { allowed: true } });
    expect(await kube.review('self', { token: 'nope', attributes: attrs('team-b', 'get') })).toEqual({
      status: 401,
      body: UNAUTHORIZED,
    });
    const sar = await kube.review('subject', {
      token: kube.serviceAccountToken,
      user: 'alice@example.com',
      groups: ['team-a-editors'],
      attributes: attrs('team-a', 'update'),
    });
    expect(sar).toMatchObject({ status: 200, allowed: true });
    const userSar = await kube.review('subject', {
      token,
      user: 'carol',
      attributes: attrs('team-a', 'get'),
    });
    expect(userSar.status).toBe(403);
  });
});

describe('fake kube-apiserver: namespaces', () => {
  it('lists and gets the workspaces as namespaces for the service account', async () => {
    const { kube } = await labWithKube();
    const token = kube.serviceAccountToken;
    const list = await call(kube.url, '/api/v1/namespaces?watch=False', { token });
    expect(list.status).toBe(200);
    expect(list.json.kind).toBe('NamespaceList');
    expect(list.json.items.map((n: any) => n.metadata.name)).toEqual(['team-a', 'team-b']);
    const teamA = list.json.items[0];
    expect(teamA.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
    expect(teamA.metadata.annotations).toEqual({ 'mlflow.kubeflow.org/workspace-description': 'Team A' });
    expect(teamA.status).toEqual({ phase: 'Active' });
    // Stable across calls.
    const again = await call(kube.url, '/api/v1/namespaces', { token });
    expect(again.json).toEqual(list.json);

    const one = await call(kube.url, '/api/v1/namespaces/team-b', { token });
    expect(one.json).toMatchObject({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'team-b' } });
    const missing = await call(kube.url, '/api/v1/namespaces/nope', { token });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'namespaces "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'namespaces' },
      code: 404,
    });
  });

  it('filters by label selector', async () => {
    const { kube } = await labWithKube();
    const names = async (selector: string) =>
      (
        await call(kube.url, `/api/v1/namespaces?labelSelector=${encodeURIComponent(selector)}`, {
          token: kube.serviceAccountToken,
        })
      ).json.items.map((n: any) => n.metadata.name);
    expect(await names('kubernetes.io/metadata.name=team-a')).toEqual(['team-a']);
    expect(await names('kubernetes.io/metadata.name==team-b')).toEqual(['team-b']);
    expect(await names('kubernetes.io/metadata.name!=team-a')).toEqual(['team-b']);
    expect(await names('kubernetes.io/metadata.name')).toEqual(['team-a', 'team-b']);
    expect(await names('!kubernetes.io/metadata.name')).toEqual([]);
    expect(await names('!mlflow-tracking')).toEqual(['team-a', 'team-b']);
    expect(await names('mlflow-tracking in (enabled)')).toEqual([]);
    expect(await names('kubernetes.io/metadata.name in (team-b, x),!other')).toEqual(['team-b']);
    expect(await names('kubernetes.io/metadata.name notin (team-b)')).toEqual(['team-a']);
    const bad = await call(kube.url, '/api/v1/namespaces?labelSelector=a%3D%3D%3Db', {
      token: kube.serviceAccountToken,
    });
    expect(bad.status).toBe(400);
    expect(bad.json.reason).toBe('BadRequest');
  });

  it('streams a watch: ADDED for each namespace, nothing older than resourceVersion, until timeoutSeconds', async () => {
    const { kube } = await labWithKube();
    const token = kube.serviceAccountToken;
    const started = Date.now();
    const all = await call(kube.url, '/api/v1/namespaces?watch=true&timeoutSeconds=1', { token });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const events = all.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => [e.type, e.object.kind, e.object.metadata.name])).toEqual([
      ['ADDED', 'Namespace', 'team-a'],
      ['ADDED', 'Namespace', 'team-b'],
    ]);
    const rv = (await call(kube.url, '/api/v1/namespaces', { token })).json.metadata.resourceVersion;
    // What the plugin sends after its list (kubernetes-auth-observed.md §1).
    const none = await call(
      kube.url,
      `/api/v1/namespaces?resourceVersion=${rv}&timeoutSeconds=1&watch=True`,
      { token },
    );
    expect(none.status).toBe(200);
    expect(none.text).toBe('');
    const selected = await call(
      kube.url,
      '/api/v1/namespaces?watch=1&timeoutSeconds=1&labelSelector=kubernetes.io%2Fmetadata.name%3Dteam-b',
      { token },
    );
    expect(selected.text.trim().split('\n')).toHaveLength(1);
  });

  it('ends a watch when the client goes away', async () => {
    const { kube } = await labWithKube();
    const controller = new AbortController();
    const res = await fetch(new URL('/api/v1/namespaces?watch=true', kube.url), {
      headers: { authorization: `Bearer ${kube.serviceAccountToken}` },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"type":"ADDED"');
    controller.abort();
    await kube.dispose(); // would hang on an open watch
  });

  it("needs RBAC on namespaces: users get kube's 403", async () => {
    const { lab, kube } = await labWithKube();
    const token = await lab.token({ user: 'carol' });
    const list = await call(kube.url, '/api/v1/namespaces', { token });
    expect(list.status).toBe(403);
    expect(list.json.message).toBe(
      'namespaces is forbidden: User "carol@example.com" cannot list resource "namespaces" in API group "" at the cluster scope',
    );
    expect(list.json.details).toEqual({ kind: 'namespaces' });
    const get = await call(kube.url, '/api/v1/namespaces/team-a', { token });
    expect(get.json.message).toBe(
      'namespaces "team-a" is forbidden: User "carol@example.com" cannot get resource "namespaces" in API group "" at the cluster scope',
    );
    expect((await call(kube.url, '/api/v1/namespaces')).json).toEqual(UNAUTHORIZED);
  });
});

describe('fake kube-apiserver: everything else', () => {
  it('answers 404 for the absent MLflowConfig CRD and unknown paths, and logs unknown calls', async () => {
    const { lab } = await labWithKube();
    const lines: string[] = [];
    const log = {
      debug() {},
      info: (m: string) => lines.push(m),
      warn() {},
      error: (m: string) => lines.push(m),
    };
    await using kube = await createKubeApi({
      config: lab.config,
      issuer: lab.issuer,
      jwksUri: lab.jwksUri,
      clock: lab.clock,
      port: 0,
      log,
      authorizer: createRbacAuthorizer(lab.config.rbac),
    });
    const token = kube.serviceAccountToken;
    const crd = await call(kube.url, '/apis/mlflow.kubeflow.org/v1/mlflowconfigs', { token });
    expect(crd.status).toBe(404);
    expect(crd.text).toBe(JSON.stringify(NOT_FOUND));
    const unknown = await call(kube.url, '/api/v1/secrets?x=1', { token });
    expect(unknown.json).toEqual(NOT_FOUND);
    expect(lines.filter((l) => l.includes('404 for '))).toEqual([
      expect.stringContaining('GET /api/v1/secrets?x=1 from system:serviceaccount:mlflow:mlflow'),
    ]);
  });

  it('serves version, health and discovery', async () => {
    const { lab, kube } = await labWithKube();
    const version = await call(kube.url, '/version');
    expect(version.json).toMatchObject({
      major: '1',
      minor: '31',
      gitVersion: expect.stringMatching(/^v1\.31\./),
    });
    for (const p of ['/healthz', '/readyz', '/livez']) expect((await call(kube.url, p)).text).toBe('ok');
    const token = await lab.token({ user: 'mallory' });
    expect((await call(kube.url, '/api', { token })).json).toMatchObject({
      kind: 'APIVersions',
      versions: ['v1'],
    });
    expect((await call(kube.url, '/apis', { token })).json.groups[0].name).toBe('authorization.k8s.io');
    expect((await call(kube.url, '/api/v1', { token })).json.resources[0]).toMatchObject({
      name: 'namespaces',
      kind: 'Namespace',
    });
    const authz = (await call(kube.url, '/apis/authorization.k8s.io/v1', { token })).json;
    expect(authz.resources.map((r: any) => r.kind)).toEqual([
      'SelfSubjectAccessReview',
      'SubjectAccessReview',
    ]);
    expect((await call(kube.url, '/api')).status).toBe(401);
  });
});
