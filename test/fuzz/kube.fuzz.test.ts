// The fake Kubernetes API, fuzzed: generated access reviews (structured specs with odd values, arbitrary JSON,
// content types) and generated paths. Every answer is kube-apiserver's status with a Status object or a review, and
// a review says "allowed" exactly where the default lab's RBAC allows, computed here from the manifests' meaning.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLab, type StartedLab } from '../../src/index.js';
import { caseCounts, counted, fuzzParameters } from './support.js';

let lab: StartedLab;
const tokens: Record<string, string> = {};
beforeAll(async () => {
  lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0 }, mlflow: { backend: 'none' }, env: {} });
  for (const user of ['alice', 'bob', 'carol', 'mallory']) tokens[user] = await lab.token({ user });
});
afterAll(async () => {
  await lab?.dispose();
  process.stdout.write(
    `fuzz cases (Kubernetes API): ${[...caseCounts].map(([s, n]) => `${s}: ${n}`).join(', ')}\n`,
  );
});

const GROUP = 'mlflow.kubeflow.org';
const MLFLOW_RESOURCES = ['experiments', 'registeredmodels', 'datasets'];

/**
 * fixtures/rbac/default-lab.yaml, read by hand: alice edits, bob views, the three MLflow resources
 * in their own namespace; carol may do anything in the MLflow group anywhere; mallory nothing. No rule names
 * subresources or resource names, and none matches a `*` in the request but carol's.
 */
function rbacAllows(user: string, a: Attributes | undefined): boolean {
  if (!a || a.group !== GROUP) return false;
  if (user === 'carol') return true;
  const own: Record<string, { namespace: string; verbs: string[] }> = {
    alice: { namespace: 'team-a', verbs: ['get', 'list', 'create', 'update', 'delete'] },
    bob: { namespace: 'team-b', verbs: ['get', 'list'] },
  };
  const grant = own[user];
  return (
    grant !== undefined &&
    a.namespace === grant.namespace &&
    MLFLOW_RESOURCES.includes(a.resource ?? '') &&
    grant.verbs.includes(a.verb ?? '') &&
    !a.subresource
  );
}

interface Attributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  version?: string;
}

const oneOf = <T>(values: T[]) => fc.constantFrom(...values);
const odd = fc.oneof(
  fc.string({ maxLength: 12 }),
  oneOf(['', '*', ' ', 'ł', '..', 'TEAM-A', 'team-a ', 'a/b']),
);
const attributes: fc.Arbitrary<Attributes> = fc.record(
  {
    namespace: fc.oneof(oneOf(['team-a', 'team-b', 'default', '']), odd),
    verb: fc.oneof(oneOf(['get', 'list', 'create', 'update', 'delete', 'watch', 'patch', '*', 'GET']), odd),
    group: fc.oneof(oneOf([GROUP, '', '*', 'apps', 'MLFLOW.KUBEFLOW.ORG', `${GROUP} `]), odd),
    resource: fc.oneof(
      oneOf([...MLFLOW_RESOURCES, 'gatewaysecrets', '*', 'pods', 'Experiments', 'experiments/x']),
      odd,
    ),
    subresource: fc.oneof(oneOf(['', 'status', '*']), odd),
    name: odd,
    version: oneOf(['', 'v1', '*']),
  },
  { requiredKeys: [] },
);

/** A review body: a well-formed spec (most of the time), or JSON of any shape, or bytes that are not JSON. */
const body = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record(
        {
          apiVersion: fc.oneof(
            oneOf(['authorization.k8s.io/v1', 'authorization.k8s.io/v1beta1', 'v1', '']),
            odd,
          ),
          kind: oneOf(['SelfSubjectAccessReview', 'SubjectAccessReview', '', 'Pod']),
          spec: fc.record(
            {
              resourceAttributes: attributes,
              nonResourceAttributes: fc.record({ path: odd, verb: odd }, { requiredKeys: [] }),
              user: oneOf(['alice@example.com', 'carol@example.com', '']),
              groups: fc.array(oneOf(['mlflow-admins', 'team-a-editors', 'system:masters']), {
                maxLength: 2,
              }),
              extra: fc.dictionary(
                fc.string({ maxLength: 5 }),
                fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
              ),
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      )
      .map((o) => ({ review: o as Record<string, any>, text: JSON.stringify(o) })),
  },
  {
    weight: 2,
    arbitrary: fc
      .jsonValue({ maxDepth: 5 })
      .map((v) => ({ review: undefined, text: JSON.stringify(v) ?? 'null' })),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((text) => ({ review: undefined, text })) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 9_990, max: 10_010 })
      .map((depth) => ({ review: undefined, text: `{"spec":${'['.repeat(depth)}${']'.repeat(depth)}}` })),
  },
);

/** kube-apiserver's error answer: a Status object whose code is the HTTP status. */
function expectStatus(status: number, json: any, text: string) {
  expect(json?.kind, text.slice(0, 300)).toBe('Status');
  expect(json.apiVersion).toBe('v1');
  expect(json.status).toBe('Failure');
  expect(json.code).toBe(status);
  expect(typeof json.message).toBe('string');
  expect(typeof json.reason).toBe('string');
}

describe('the fake Kubernetes API, fuzzed (issue 18)', () => {
  test('access reviews: kube statuses and Status objects, and "allowed" exactly where the RBAC allows', async () => {
    await fc.assert(
      fc.asyncProperty(
        oneOf(['alice', 'bob', 'carol', 'mallory']),
        oneOf(['selfsubjectaccessreviews', 'subjectaccessreviews']),
        oneOf([
          'application/json',
          'application/json; charset=utf-8',
          'application/yaml',
          'text/plain',
          '',
          '*/*',
        ]),
        body,
        counted('access reviews', async (user, kind, contentType, b) => {
          const res = await fetch(`${lab.kubeApiUrl}/apis/authorization.k8s.io/v1/${kind}`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${tokens[user]}`,
              ...(contentType && { 'content-type': contentType }),
            },
            body: b.text,
          });
          const text = await res.text();
          expect([201, 400, 403, 415, 422], text.slice(0, 300)).toContain(res.status);
          const json = JSON.parse(text);
          if (res.status !== 201) return expectStatus(res.status, json, text);
          expect(json.kind).toBe(
            kind === 'selfsubjectaccessreviews' ? 'SelfSubjectAccessReview' : 'SubjectAccessReview',
          );
          if (kind !== 'selfsubjectaccessreviews' || !b.review) return;
          // A self review is about the token's own user, whatever else the body says.
          const allowed = json.status?.allowed === true;
          const attrs = b.review.spec?.resourceAttributes as Attributes | undefined;
          const expected = b.review.spec?.nonResourceAttributes && !attrs ? false : rbacAllows(user, attrs);
          expect(allowed, `${user} ${JSON.stringify(attrs)}: ${text}`).toBe(expected);
        }),
      ),
      fuzzParameters(3_000),
    );
  }, 300_000);

  test('generated paths and methods: a Status for every error, nothing for the unauthenticated', async () => {
    const segment = fc.oneof(
      oneOf([
        'api',
        'apis',
        'v1',
        'namespaces',
        'team-a',
        'team-b',
        'authorization.k8s.io',
        'mlflow.kubeflow.org',
        'watch',
        'version',
        'healthz',
        'openapi',
        'v2',
      ]),
      oneOf(['%zz', '%2F', '..', '.', '', '%C5%82', '%00', '*']),
      fc.string({ maxLength: 8 }).map((s) => encodeURIComponent(s)),
    );
    await fc.assert(
      fc.asyncProperty(
        oneOf(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']),
        fc.array(segment, { minLength: 1, maxLength: 6 }),
        fc.option(
          fc.dictionary(oneOf(['watch', 'labelSelector', 'limit', 'resourceVersion', 'x']), odd, {
            maxKeys: 3,
          }),
          { nil: undefined },
        ),
        fc.option(oneOf(['alice', 'mallory', 'carol']), { nil: undefined }),
        counted('paths', async (method, segments, query, user) => {
          const target = `/${segments.join('/')}${query ? `?${new URLSearchParams(query)}` : ''}`;
          // A raw target: fetch would resolve dot segments and escapes itself.
          const { status, text, type } = await raw(method, target, user ? tokens[user] : undefined);
          if (status === 400 && text === '400 Bad Request') return; // Go refused the target before any handler
          expect(status, `${method} ${target}: ${text.slice(0, 200)}`).toBeLessThan(500);
          if (status >= 400 && type.startsWith('application/json'))
            expectStatus(status, JSON.parse(text), text);
          // Dot segments resolved, as the lab's (and Go's path-cleaning) router resolves them.
          const resolved = new URL(`http://kube.invalid${target}`).pathname.replace(/\/+$/, '');
          if (!user && !['/healthz', '/livez', '/readyz', '/version'].includes(resolved))
            expect(
              status === 401 || status === 400 || status === 404,
              `${method} ${target} unauthenticated: ${status}`,
            ).toBe(true);
        }),
      ),
      fuzzParameters(1_500),
    );
    expect((await fetch(`${lab.kubeApiUrl}/healthz`)).status).toBe(200);
  }, 300_000);
});

async function raw(method: string, target: string, token: string | undefined) {
  const http = await import('node:http');
  const url = new URL(lab.kubeApiUrl);
  return new Promise<{ status: number; text: string; type: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: target,
        headers: { ...(token && { authorization: `Bearer ${token}` }), connection: 'close' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode!, text, type: String(res.headers['content-type'] ?? '') }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}
