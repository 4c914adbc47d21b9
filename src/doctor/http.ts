// The doctor's one HTTP client: Node's http/https (never fetch: it would hide header problems), every failure a
// string to report rather than an exception, and the body kept short.
import http from 'node:http';
import https from 'node:https';

export interface Answer {
  status: number;
  contentType: string;
  location?: string;
  body: string;
}

export interface RequestOptions {
  method?: string;
  body?: string;
}

/** One request; a network or TLS error becomes its `CODE message` string. */
export function request(
  url: string,
  headers: Record<string, string>,
  ca: string | undefined,
  o: RequestOptions = {},
): Promise<Answer | string> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve) => {
    try {
      const req = client.request(
        url,
        { method: o.method ?? 'GET', headers, ...(ca !== undefined && { ca }), timeout: 15_000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => body.length < 100_000 && (body += d));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              body,
              ...(res.headers.location !== undefined && { location: res.headers.location }),
            }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`${e.code ?? ''} ${e.message}`.trim()));
      req.end(o.body);
    } catch (e) {
      resolve(`${(e as NodeJS.ErrnoException).code ?? ''} ${(e as Error).message}`.trim());
    }
  });
}

/** The body as a JSON object, or undefined. */
export function jsonObject(answer: Answer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(answer.body);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
