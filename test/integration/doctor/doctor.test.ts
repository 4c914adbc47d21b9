// `diagnose()` against the lab in each broken configuration (the failing check names the right reason, and passes
// once fixed), and against a plain HTTPS server that is not the lab.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { diagnose, type DoctorReport } from '../../../src/doctor/diagnose.js';
import { formatReport } from '../../../src/doctor/format.js';
import { startLab, type StartedLab } from '../../../src/index.js';
import { createTlsFixture } from '../../../src/tls/lab-tls.js';

const PORTS = { proxy: 0, idp: 0, kube: 0, mlflow: 0 };
const check = (r: DoctorReport, id: string) => r.checks.find((c) => c.id === id)!;
const failed = (r: DoctorReport) => r.checks.filter((c) => c.status === 'fail').map((c) => c.id);

describe('against the lab (plain HTTP)', () => {
  let lab: StartedLab;
  beforeAll(async () => {
    lab = await startLab({ ports: PORTS, env: {} });
  });
  afterAll(() => lab?.dispose());

  test('a good token passes every check', async () => {
    const r = await diagnose({
      token: await lab.token(),
      trackingUri: lab.trackingUri!,
      workspace: 'team-a',
      audience: 'mlflow-cli',
    });
    expect(failed(r)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => c.id)).toEqual([
      'token-whitespace',
      'jwt-shape',
      'expiry',
      'issuer',
      'audience',
      'groups',
      'reachability',
      'mlflow-call',
      'workspace',
    ]);
    expect(check(r, 'expiry').evidence).toMatch(/^expires in 2[34]h \d+m/);
  });

  test('a trailing newline is named, with the fix; the rest is checked on the trimmed token; never the whole token', async () => {
    const token = await lab.token();
    const r = await diagnose({ token: `${token}\n`, trackingUri: lab.trackingUri! });
    expect(failed(r)).toEqual(['token-whitespace']);
    expect(check(r, 'token-whitespace')).toMatchObject({
      status: 'fail',
      evidence:
        'the token ends with \\n (a trailing newline, as echo or a file editor adds) (the checks below use it trimmed)',
      fix: "Strip it: MLFLOW_TRACKING_TOKEN=$(tr -d '\\n' < token.txt), or write the file with printf '%s'.",
    });
    expect(formatReport(r)).not.toContain(token);
  });

  test('wrong audience, expired, wrong issuer, no workspace access, an unknown workspace', async () => {
    const wrongAud = await diagnose({
      token: await lab.token({ client: 'admin-cli' }),
      trackingUri: lab.trackingUri!,
      audience: 'mlflow-cli',
    });
    expect(failed(wrongAud)).toEqual(['audience', 'mlflow-call']);
    expect(check(wrongAud, 'audience').evidence).toBe('aud ["admin-cli"] does not include mlflow-cli');
    expect(check(wrongAud, 'mlflow-call').evidence).toBe('401 {}: the proxy refused the token');

    const token = await lab.token();
    const later = await diagnose({ token, trackingUri: lab.trackingUri!, now: Date.now() + 25 * 3600_000 });
    expect(check(later, 'expiry')).toMatchObject({
      status: 'fail',
      evidence: expect.stringMatching(/^expired (5[89]|60|1h 0)m/),
    });

    const slash = await diagnose({ token, trackingUri: lab.trackingUri!, issuer: `${lab.issuer}/` });
    expect(check(slash, 'issuer').status).toBe('fail');
    expect(check(slash, 'issuer').evidence).toContain('trailing slash');

    const mallory = await diagnose({
      token: await lab.token({ user: 'mallory' }),
      trackingUri: lab.trackingUri!,
      workspace: 'team-a',
    });
    expect(check(mallory, 'groups').status).toBe('warn');

    const nope = await diagnose({ token, trackingUri: lab.trackingUri!, workspace: 'nope' });
    expect(check(nope, 'workspace')).toMatchObject({
      status: 'fail',
      evidence:
        "404 Workspace 'nope' not found in the Kubernetes cluster. Each MLflow workspace maps 1:1 to a namespace.",
    });
  });

  test('no token at all at the proxy: the sign-in page is recognised', async () => {
    const r = await diagnose({ token: 'not-a-jwt', trackingUri: lab.trackingUri! });
    expect(check(r, 'jwt-shape').status).toBe('warn');
    expect(check(r, 'mlflow-call').status).toBe('fail');
  });
});

describe('against the lab under TLS', () => {
  test('without the CA: the TLS check fails with the code and the fix; with it, everything passes', async () => {
    const lab = await startLab({ ports: PORTS, env: {}, tls: true });
    try {
      const token = await lab.token();
      const without = await diagnose({ token, trackingUri: lab.trackingUri! });
      const tlsChecks = without.checks.filter((c) => c.id === 'tls');
      expect(tlsChecks[0]).toMatchObject({
        status: 'fail',
        evidence: 'SELF_SIGNED_CERT_IN_CHAIN with the system trust store; the server sent 3 certificate(s)',
      });
      expect(tlsChecks[0]!.fix).toContain('MLFLOW_TRACKING_SERVER_CERT_PATH');
      expect(check(without, 'mlflow-call').status).toBe('skip');
      const caPem = await readFile(lab.tls!.caFile, 'utf8');
      const withCa = await diagnose({ token, trackingUri: lab.trackingUri!, caPem });
      expect(failed(withCa)).toEqual([]);
    } finally {
      await lab.dispose();
    }
  });

  test('an incomplete chain is recognised as such', async () => {
    const lab = await startLab({ ports: PORTS, env: {}, tls: { faults: ['leaf-only', 'root-only-bundle'] } });
    try {
      const r = await diagnose({
        token: await lab.token(),
        trackingUri: lab.trackingUri!,
        caPem: await readFile(lab.tls!.caFile, 'utf8'),
      });
      const t = r.checks.find((c) => c.id === 'tls')!;
      expect(t.evidence).toBe(
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE with the given CA bundle; the server sent 1 certificate(s)',
      );
      expect(t.fix).toMatch(/^Incomplete chain: the server sent only its leaf/);
    } finally {
      await lab.dispose();
    }
  });
});

test('against a plain HTTPS server that is not the lab', async () => {
  const tls = await createTlsFixture('valid');
  const server = https.createServer(tls.server, (req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/health') return res.end('OK');
    if (
      req.url?.startsWith('/api/2.0/mlflow/experiments/search') &&
      req.headers.authorization === 'Bearer good'
    )
      return json(200, { experiments: [] });
    json(401, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const good = await diagnose({ token: 'good', trackingUri: url, caPem: tls.caPem });
    expect(failed(good)).toEqual([]);
    expect(check(good, 'jwt-shape').status).toBe('warn'); // an opaque token
    const bad = await diagnose({ token: 'bad', trackingUri: url, caPem: tls.caPem });
    expect(failed(bad)).toEqual(['mlflow-call']);
  } finally {
    server.close();
    await tls.dispose();
  }
});
