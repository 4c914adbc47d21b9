// Issue 18, item 4: a body the gate will not read ends the connection with the 413, instead of leaving it hanging.
import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { testLab } from '../helpers.js';

/** Sends a 17 MiB JSON body and a second request on one connection; resolves with what came back once it closed. */
function oversizedThenAnother(base: string, token: string): Promise<string> {
  const { port } = new URL(base);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    // The server may close while this side is still writing: that is the point, not a failure.
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
    const head = (method: string, path: string, extra: string) =>
      `${method} ${path} HTTP/1.1\r\nHost: lab\r\nAuthorization: Bearer ${token}\r\nX-MLflow-Workspace: team-a\r\n${extra}\r\n`;
    const body = Buffer.alloc(17 * 1024 * 1024, 0x20);
    body[0] = 0x7b;
    socket.write(
      head(
        'POST',
        '/api/2.0/mlflow/runs/log-batch',
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`,
      ),
    );
    socket.write(body);
    socket.write(head('GET', '/api/2.0/mlflow/experiments/search?max_results=1', ''));
  });
}

describe('an oversized body (issue 18, item 4)', () => {
  test('proxy and gate answer 413 with Connection: close, and the connection ends', async () => {
    const lab = await testLab();
    const token = await lab.token({ user: 'alice' });
    for (const base of [lab.trackingUri!, lab.gate!.url.href]) {
      const received = await oversizedThenAnother(base, token);
      expect(received).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
      expect(received).toMatch(/\r\nConnection: close\r\n/);
      expect(received).toContain(
        '{"error":{"code":"INVALID_PARAMETER_VALUE","message":"Request body exceeds 16777216 bytes."}}',
      );
      // One answer only: the request behind the body is not read on this connection.
      expect(received.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    }
    // A new connection is served as usual.
    const res = await fetch(`${lab.trackingUri}/api/2.0/mlflow/experiments/search?max_results=1`, {
      headers: { authorization: `Bearer ${token}`, 'x-mlflow-workspace': 'team-a' },
    });
    expect(res.status).toBe(200);
  });
});
