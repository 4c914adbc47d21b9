// Issue 18, item 8: the lab's stand-ins of Go servers answer what Go answers, never a 500, for a target Go cannot
// parse and for JSON nested past encoding/json's limit.
import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { testLab } from '../helpers.js';

/** One raw request on its own connection; resolves with everything the server sent before it closed. */
function raw(base: string, request: string): Promise<{ text: string; closed: boolean }> {
  const { port, hostname } = new URL(base);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, 5_000);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.write(request);
  });
}

const GO_400 =
  'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request';

describe("Go's answers from the lab's Go stand-ins (issue 18, item 8)", () => {
  test("an invalid %-escape in the path: Go's bare 400 from kube API, proxy and IdP; the connection closes", async () => {
    const lab = await testLab();
    const token = await lab.token({ user: 'alice' });
    const targets: Array<[string, string]> = [
      [lab.kubeApiUrl, '/api/v1/namespaces/%zz'],
      [lab.kubeApiUrl, '/api/v1/namespaces/team-a%2'],
      [lab.trackingUri!, '/api/2.0/mlflow/experiments/get%G0?%zz'],
      [lab.issuer, '/dex/%zz'],
    ];
    for (const [base, target] of targets) {
      const res = await raw(
        base,
        `GET ${target} HTTP/1.1\r\nHost: lab\r\nAuthorization: Bearer ${token}\r\nConnection: keep-alive\r\n\r\n`,
      );
      expect(res).toEqual({ text: GO_400, closed: true });
    }
    // Pipelined behind another request (no socket of its own yet): the same answer, and the connection closes.
    const pipelined = await raw(
      lab.kubeApiUrl,
      `GET /healthz HTTP/1.1\r\nHost: lab\r\n\r\nGET /api/v1/namespaces/%zz HTTP/1.1\r\nHost: lab\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    expect(pipelined.closed).toBe(true);
    expect(pipelined.text.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 400']);
    expect(pipelined.text.endsWith('400 Bad Request')).toBe(true);
    // `//` is a path (found by the fuzz suite: a protocol-relative URL to the parser, a 500 before).
    const slashes = await raw(
      lab.kubeApiUrl,
      `GET // HTTP/1.1\r\nHost: lab\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
    );
    expect(slashes.text).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(slashes.text).toContain('"kind":"Status"');
    // A stray % in the query is Go's business only when a handler parses it, and a valid escape is a name: both
    // requests are judged as usual (alice may not read namespaces: kube's 403 Status).
    const ok = await fetch(`${lab.kubeApiUrl}/api/v1/namespaces/team-a?x=%zz`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect([ok.status, ((await ok.json()) as { kind: string }).kind]).toEqual([403, 'Status']);
    const ns = await fetch(`${lab.kubeApiUrl}/api/v1/namespaces/team%2Da`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await ns.json()) as { message: string }).message).toContain('namespaces "team-a" is forbidden');
  });

  test("an access review nested past encoding/json's 10,000 levels is kube's 400 Status, not a 500", async () => {
    const lab = await testLab();
    const token = await lab.token({ user: 'alice' });
    const review = (body: string) =>
      fetch(`${lab.kubeApiUrl}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }));
    const deep = `{"spec":${'['.repeat(200_000)}`;
    expect(await review(deep)).toEqual({
      status: 400,
      json: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `the object provided is unrecognized (must be of type SelfSubjectAccessReview): couldn't get version/kind; json parse error: invalid character '[' exceeded max depth (${deep.slice(0, 30)} ...)`,
        reason: 'BadRequest',
        code: 400,
      },
    });
    // 9,999 arrays inside the object: within the limit, so the syntax is fine and the type is what is wrong.
    const within = `{"spec":${'['.repeat(9_999)}${']'.repeat(9_999)}}`;
    const typed = await review(within);
    expect(typed.status).toBe(400);
    expect(typed.json.message).toBe(
      'SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectAccessReview: json: cannot unmarshal array into Go struct field SelfSubjectAccessReview.spec of type v1.SelfSubjectAccessReviewSpec',
    );
    expect((await fetch(`${lab.kubeApiUrl}/healthz`)).status).toBe(200);
  });
});
