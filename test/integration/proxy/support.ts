// Test support for the auth proxy: an upstream that echoes what it received, and a lab whose proxy fronts it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { startLab, type StartedLab } from '../../../src/index.js';
import type { Logger } from '../../../src/log.js';
import { defaultLabObject, FIXTURES } from '../helpers.js';

export interface Echoed {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** An upstream that answers every request with what it received, as JSON. */
export async function echoUpstream(): Promise<{ url: string; requests: Echoed[]; close(): Promise<void> }> {
  const requests: Echoed[] = [];
  // Large chunked session cookies pass through to the upstream, so it takes headers as big as Go's 1 MB default.
  const server = http.createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const echoed = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(echoed);
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'x-upstream': 'echo' };
      if (req.url === '/sets-cookie') headers['set-cookie'] = ['upstream=1; Path=/'];
      res.writeHead(200, headers);
      res.end(JSON.stringify(echoed));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Every line the lab logged, with its level. */
export function captureLog(): { log: Logger; lines: Array<{ level: string; line: string }>; text(): string } {
  const lines: Array<{ level: string; line: string }> = [];
  const push = (level: string) => (line: string) => lines.push({ level, line });
  return {
    log: { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') },
    lines,
    text: () => lines.map((l) => l.line).join('\n'),
  };
}

export interface ProxyLab {
  lab: StartedLab;
  /** The proxy's base URL, no trailing slash. */
  url: string;
  upstream: Awaited<ReturnType<typeof echoUpstream>>;
  logs: ReturnType<typeof captureLog>;
  /** GET/POST through the proxy without following redirects. */
  request(pathname: string, init?: RequestInit): Promise<Response>;
}

/**
 * The default lab with its proxy in front of an echo upstream (no MLflow), the `proxy:` section edited by the
 * test; disposed when the test ends.
 */
export async function proxyLab(
  proxy: Record<string, unknown> = {},
  o: { env?: Record<string, string>; edit?: (cfg: Record<string, any>) => void } = {},
): Promise<ProxyLab> {
  const upstream = await echoUpstream();
  onTestFinished(() => upstream.close());
  const cfg = await defaultLabObject();
  cfg.rbac = [path.join(FIXTURES, 'rbac/default-lab.yaml')];
  cfg.proxy = { ...cfg.proxy, upstream: `${upstream.url}/`, ...proxy };
  o.edit?.(cfg);
  const logs = captureLog();
  const lab = await startLab({
    config: cfg as never,
    ports: { proxy: 0, idp: 0, kube: 0 },
    mlflow: { backend: 'none' },
    env: o.env ?? {},
    log: logs.log,
  });
  onTestFinished(() => lab.dispose());
  const url = lab.trackingUri!;
  return {
    lab,
    url,
    upstream,
    logs,
    request: (pathname, init = {}) => fetch(`${url}${pathname}`, { redirect: 'manual', ...init }),
  };
}

/** Strips the `[authlab:proxy] ` prefix and the oauth2-proxy timestamp, to compare log lines exactly. */
export function proxyLines(logs: ReturnType<typeof captureLog>): string[] {
  return logs.lines
    .filter((l) => l.line.startsWith('[authlab:proxy] '))
    .map((l) =>
      l.line.slice('[authlab:proxy] '.length).replace(/\[\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\] /, '[TS] '),
    );
}
