// Writing the proxy's own responses the way Go's net/http and oauth2-proxy write them (oauth2-proxy-and-dex.md
// §A2 "Exact bodies and headers"). Every writer flushes the scope's pending Set-Cookie and response headers first.
import { STATUS_CODES } from 'node:http';
import { goResponseHeaderValue } from './header-value.js';
import { goRedirectBody } from './pages.js';
import type { RequestScope } from './scope.js';

/** `prepareNoCache` (oauthproxy.go): on sign-in, start, error pages and everything under /oauth2/ but auth. */
export const NO_CACHE_HEADERS = {
  Expires: 'Thu, 01 Jan 1970 00:00:00 UTC',
  'Cache-Control': 'no-cache, no-store, must-revalidate, max-age=0',
  'X-Accel-Expires': '0',
} as const;

export function noCache(scope: RequestScope): void {
  Object.assign(scope.responseHeaders, NO_CACHE_HEADERS);
}

/** Writes status, the scope's headers and cookies, extra headers and a body. */
export function send(
  scope: RequestScope,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer = '',
): void {
  const { res } = scope;
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(scope.responseHeaders)) res.setHeader(k, v);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (scope.setCookies.length > 0) res.setHeader('Set-Cookie', scope.setCookies);
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.setHeader('Content-Length', bytes.length);
  res.writeHead(status);
  scope.bytesOut = bytes.length;
  res.end(scope.req.method === 'HEAD' ? undefined : bytes);
}

/** Go's `http.Error`: text/plain, nosniff, the text and a newline (`Forbidden\n`, `Unauthorized\n`). */
export function httpError(scope: RequestScope, status: number, text = STATUS_CODES[status] ?? ''): void {
  send(
    scope,
    status,
    { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    `${text}\n`,
  );
}

/** `errorJSON`: `{}` with application/json (§A2 step 3). */
export function errorJson(scope: RequestScope, status: number): void {
  send(scope, status, { 'Content-Type': 'application/json' }, '{}');
}

/** An HTML page; oauth2-proxy sets no Content-Type, so Go sniffs `text/html; charset=utf-8` [inf]. */
export function html(scope: RequestScope, status: number, page: string): void {
  send(scope, status, { 'Content-Type': 'text/html; charset=utf-8' }, page);
}

/**
 * Go's `http.Redirect` rewrites a path-only target: `path.Clean` (keeping a trailing slash) and non-ASCII bytes
 * hex-escaped, so `/a/..` is sent as `/`.
 */
export function goRedirectLocation(location: string): string {
  let url = location.replace(/[\u0080-\u{10ffff}]/gu, (ch) =>
    [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase()}`).join(''),
  );
  if (!url.startsWith('/') || url.startsWith('//')) return url;
  const cut = url.search(/[?#]/);
  const path = cut < 0 ? url : url.slice(0, cut);
  const rest = cut < 0 ? '' : url.slice(cut);
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  let cleaned = `/${out.join('/')}`;
  if (path.endsWith('/') && cleaned !== '/') cleaned += '/';
  url = cleaned + rest;
  return url;
}

/** Go's `http.Redirect` with 302: a small HTML body on GET/HEAD only (§A2 "302 bodies"). */
export function redirect(scope: RequestScope, target: string): void {
  const location = goRedirectLocation(target);
  // A CR or LF that came with the target is a space on the wire, as Go's header writer makes it.
  const header = goResponseHeaderValue(location);
  const method = scope.req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD')
    send(
      scope,
      302,
      { Location: header, 'Content-Type': 'text/html; charset=utf-8' },
      goRedirectBody(location),
    );
  else send(scope, 302, { Location: header });
}
