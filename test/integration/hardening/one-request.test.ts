// Issue 18, items 1 and 10: no request may end the lab, and an MLflow out of reach is oauth2-proxy's 502 page.
import http from 'node:http';
import { describe, expect, onTestFinished, test } from 'vitest';
import { startLab } from '../../../src/index.js';
import { createMlflowEmulator } from '../../../src/mlflow/emulator/create-emulator.js';
import { sealSession } from '../../../src/proxy/session/cookie-codec.js';
import { sessionSetCookies } from '../../../src/proxy/session/cookie-chunks.js';
import { UPSTREAM_ERROR_MESSAGE } from '../../../src/proxy/pages.js';
import { testLab } from '../helpers.js';
import { captureLog, proxyLab, proxyLines } from '../proxy/support.js';

const API = '/api/2.0/mlflow';

/** The raw response head and body of one request, as the bytes came (header values are not decoded). */
function rawRequest(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; rawHeaders: Buffer[]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          // rawHeaders are latin1 strings of the wire bytes.
          rawHeaders: res.rawHeaders.map((h) => Buffer.from(h, 'latin1')),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
  });
}

function headerBytes(raw: Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]!.toString('latin1').toLowerCase() === name.toLowerCase()) return raw[i + 1];
  return undefined;
}

describe('one request must not end the lab (issue 18, item 1)', () => {
  test('an e-mail outside Latin-1 goes out in GAP-Auth as UTF-8 bytes, as Go writes it; the lab answers on', async () => {
    const lab = await testLab((cfg) => {
      cfg.users[0].email = 'łukasz@example.com';
    });
    const token = await lab.token({ user: 'alice' });
    const auth = { authorization: `Bearer ${token}`, 'x-mlflow-workspace': 'team-a' };
    for (let i = 0; i < 2; i++) {
      const res = await rawRequest(`${lab.trackingUri}${API}/experiments/search?max_results=5`, auth);
      expect(res.status).toBe(200);
      expect(headerBytes(res.rawHeaders, 'GAP-Auth')).toEqual(Buffer.from('łukasz@example.com', 'utf8'));
    }
    // The run owner MLflow records is the token's e-mail, intact.
    const post = (route: string, body: unknown) =>
      fetch(`${lab.trackingUri}${API}/${route}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const experiment = (await (await post('experiments/create', { name: 'owned' })).json()) as {
      experiment_id: string;
    };
    const created = await post('runs/create', { experiment_id: experiment.experiment_id });
    expect(created.status).toBe(200);
    const run = ((await created.json()) as { run: { info: { user_id: string } } }).run;
    expect(run.info.user_id).toBe('łukasz@example.com');
    expect((await fetch(`${lab.trackingUri}/ping`)).status).toBe(200);
  });

  test('a sealed session whose e-mail holds CR/LF: GAP-Auth gets spaces, and Go refuses to forward it (502)', async () => {
    const secret = 'b'.repeat(32);
    const p = await proxyLab({ 'cookie-secret': secret });
    const value = sealSession(
      { email: 'alice@example.com\r\nSet-Cookie: injected=1', user: 'alice-sub', groups: ['team-a-editors'] },
      { secret, now: p.lab.clock.now() },
    );
    const { headers } = sessionSetCookies('_oauth2_proxy', value, {
      path: '/',
      maxAge: 604800,
      httpOnly: true,
      secure: false,
      sameSite: '',
    });
    const cookie = headers.map((h) => h.split(';')[0]!).join('; ');
    for (let i = 0; i < 2; i++) {
      const res = await p.request('/api/2.0/mlflow/experiments/search', { headers: { cookie } });
      expect(res.status).toBe(502);
      expect(res.headers.get('gap-auth')).toBe('alice@example.com  Set-Cookie: injected=1');
      expect(res.headers.getSetCookie()).toEqual([]);
      const page = await res.text();
      expect(page).toContain(UPSTREAM_ERROR_MESSAGE);
    }
    expect(p.upstream.requests).toEqual([]);
    expect(proxyLines(p.logs)).toContain(
      '[TS] [error_page.go:96] Error proxying to upstream server: net/http: invalid header field value for "X-Forwarded-Email"',
    );
    expect((await p.request('/ping')).status).toBe(200);
  });
});

describe('MLflow out of reach (issue 18, item 10)', () => {
  test("through proxy and gate: oauth2-proxy's 502 page and its log line, naming MLflow's address", async () => {
    const mlflow = await createMlflowEmulator({ port: 0 });
    let stopped = false;
    onTestFinished(() => (stopped ? undefined : mlflow.dispose()));
    const logs = captureLog();
    const lab = await startLab({
      ports: { proxy: 0, idp: 0, kube: 0 },
      env: {},
      log: logs.log,
      mlflow: { backend: 'external', url: mlflow.url.href },
    });
    onTestFinished(() => lab.dispose());
    const alice = { authorization: `Bearer ${await lab.token({ user: 'alice' })}` };
    const search = () =>
      fetch(`${lab.trackingUri}${API}/experiments/search?max_results=5`, {
        headers: { ...alice, 'x-mlflow-workspace': 'team-a' },
      });
    expect((await search()).status).toBe(200);
    const { port } = new URL(mlflow.url);
    await mlflow.dispose();
    stopped = true;
    for (let i = 0; i < 2; i++) {
      // The first call after the stop is decided afresh, the second from the decision cache: both the same.
      const res = await search();
      expect(res.status).toBe(502);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain(UPSTREAM_ERROR_MESSAGE);
    }
    // A request the gate must look an id up for (alice's broad review in team-b says no): the same 502, not a 403.
    const lookup = await fetch(`${lab.trackingUri}${API}/experiments/get?experiment_id=1`, {
      headers: { ...alice, 'x-mlflow-workspace': 'team-b' },
    });
    expect(lookup.status).toBe(502);
    expect(proxyLines(logs)).toContain(
      `[TS] [error_page.go:96] Error proxying to upstream server: dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
  });

  test("the gate's own port closes the connection unanswered, as a dead MLflow does", async () => {
    const mlflow = await createMlflowEmulator({ port: 0 });
    const lab = await startLab({
      ports: { proxy: 0, idp: 0, kube: 0 },
      env: {},
      mlflow: { backend: 'external', url: mlflow.url.href },
    });
    onTestFinished(() => lab.dispose());
    await mlflow.dispose();
    const token = await lab.token({ user: 'alice' });
    const error = await fetch(`${lab.gate!.url.href}api/2.0/mlflow/experiments/search?max_results=5`, {
      headers: { authorization: `Bearer ${token}`, 'x-mlflow-workspace': 'team-a' },
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe('fetch failed');
    expect((error?.cause as Error | undefined)?.message).toBe('other side closed');
  });
});
