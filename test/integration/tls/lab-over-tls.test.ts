// The whole lab under TLS: HTTPS on the proxy, the IdP and the Kubernetes API, with the lab CA; clients that
// trust the bundle work end to end, clients that do not fail as they do in production.
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLab, type StartedLab } from '../../../src/index.js';

const PORTS = { proxy: 0, idp: 0, kube: 0, mlflow: 0 };

/** GET/POST with Node's https client and an explicit trust bundle (or none). */
function request(
  url: string,
  options: { ca?: string; method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = https.request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        ...(options.ca !== undefined && { ca: options.ca }),
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(options.body);
  });
}

describe('startLab({ tls: true })', () => {
  let lab: StartedLab;
  let ca: string;
  beforeAll(async () => {
    lab = await startLab({ ports: PORTS, env: {}, tls: true });
    ca = await readFile(lab.tls!.caFile, 'utf8');
  });
  afterAll(() => lab?.dispose());

  test('every URL is https; the CA file is in info() and env()', async () => {
    expect(lab.trackingUri).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(lab.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/dex$/);
    expect(lab.kubeApiUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(lab.info().caFile).toBe(lab.tls!.caFile);
    const env = await lab.env({ user: 'alice' });
    expect(env).toMatchObject({
      MLFLOW_TRACKING_URI: lab.trackingUri,
      MLFLOW_TRACKING_SERVER_CERT_PATH: lab.tls!.caFile,
      REQUESTS_CA_BUNDLE: lab.tls!.caFile,
      SSL_CERT_FILE: lab.tls!.caFile,
      NODE_EXTRA_CA_CERTS: lab.tls!.caFile,
    });
    expect(env).not.toHaveProperty('MLFLOW_TRACKING_INSECURE_TLS');
    // Discovery follows the issuer.
    const discovery = await request(lab.discoveryUrl, { ca });
    expect('status' in discovery && JSON.parse(discovery.body)).toMatchObject({
      issuer: lab.issuer,
      token_endpoint: `${lab.issuer}/token`,
      jwks_uri: `${lab.issuer}/keys`,
    });
  });

  test('token over HTTPS, a proxied MLflow call over HTTPS, a kube review over HTTPS', async () => {
    const token = await lab.token({ user: 'alice' });
    const created = await request(`${lab.trackingUri}/api/2.0/mlflow/experiments/create`, {
      ca,
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-mlflow-workspace': 'team-a',
      },
      body: JSON.stringify({ name: 'over-tls' }),
    });
    expect(created).toMatchObject({ status: 200 });
    const review = await request(`${lab.kubeApiUrl}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
      ca,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        spec: {
          resourceAttributes: {
            group: 'mlflow.kubeflow.org',
            namespace: 'team-a',
            resource: 'experiments',
            verb: 'update',
          },
        },
      }),
    });
    expect('status' in review && review.status).toBe(201);
    expect('status' in review && JSON.parse(review.body).status.allowed).toBe(true);
  });

  test('a client without the bundle fails the handshake, as against a private CA in production', async () => {
    expect(await request(`${lab.trackingUri}/ping`)).toEqual({ error: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(await request(`${lab.discoveryUrl}`)).toEqual({ error: 'SELF_SIGNED_CERT_IN_CHAIN' });
    // The lab's own trust is not process-wide: the global fetch in this process does not trust the lab either.
    const error = await fetch(`${lab.trackingUri}/ping`).then(
      () => undefined,
      (e: { cause?: { code?: string } }) => e.cause?.code,
    );
    expect(error).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    // With the bundle, any client works.
    const ok = await undiciFetch(`${lab.trackingUri}/ping`, { dispatcher: new Agent({ connect: { ca } }) });
    expect([ok.status, await ok.text()]).toEqual([200, 'OK']);
  });
});

test('tls faults apply to the proxy only: an expired certificate on the tracking URI, a working IdP', async () => {
  const lab = await startLab({ ports: PORTS, env: {}, tls: { faults: ['expired-leaf'] } });
  try {
    const ca = await readFile(lab.tls!.caFile, 'utf8');
    expect(await request(`${lab.trackingUri}/ping`, { ca })).toEqual({ error: 'CERT_HAS_EXPIRED' });
    expect(await request(lab.discoveryUrl, { ca })).toMatchObject({ status: 200 });
    expect(await lab.token({ user: 'alice' })).toMatch(/^ey/);
  } finally {
    await lab.dispose();
  }
});

test('the config switches it on: tls: { enabled: true, faults: [wrong-names] }', async () => {
  const { DEFAULT_CONFIG_FILE } = await import('../../../src/config/defaults.js');
  const { parse, stringify } = await import('yaml');
  const base = parse(await readFile(DEFAULT_CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dir = await mkdtemp(path.join(tmpdir(), 'authlab-tls-config-'));
  // RBAC paths in the default config are relative to fixtures/: keep the file beside them.
  const file = path.join(
    path.dirname(new URL(DEFAULT_CONFIG_FILE).pathname),
    `.tls-test-${process.pid}.yaml`,
  );
  await writeFile(file, stringify({ ...base, tls: { enabled: true, faults: ['wrong-names'] } }));
  try {
    const lab = await startLab({ config: file, ports: PORTS, env: {} });
    try {
      expect(lab.tls!.faults).toEqual(['wrong-names']);
      const ca = await readFile(lab.tls!.caFile, 'utf8');
      expect(await request(`${lab.trackingUri}/ping`, { ca })).toEqual({
        error: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
    } finally {
      await lab.dispose();
    }
  } finally {
    await rm(file, { force: true });
    await rm(dir, { recursive: true, force: true });
  }
});
