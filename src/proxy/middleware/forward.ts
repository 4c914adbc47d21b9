// The reverse proxy to the upstream, as Go's httputil.ReverseProxy behind oauth2-proxy does it
// (oauth2-proxy-and-dex.md §A4 "Other upstream headers"; pkg/upstream/http.go): the raw request URI, hop-by-hop
// headers dropped both ways, X-Forwarded-For appended, the client's Host kept (`pass-host-header`), and a 502
// error page when the upstream cannot be reached (§A2).
import http from 'node:http';
import type { MiddlewareFactory } from '../chain.js';
import { UpstreamUnreachable, type ProxyContext, type UpstreamHandler } from '../context.js';
import { failRequest, renderErrorPage } from '../endpoints/pages.js';
import { invalidHeaderValueError } from '../header-value.js';
import { UPSTREAM_ERROR_MESSAGE } from '../pages.js';
import type { RequestScope } from '../scope.js';

/** RFC 7230 hop-by-hop headers, the list Go's ReverseProxy removes. */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function dropHopByHop(headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders): void {
  for (const name of hopByHopNames(headers)) delete headers[name];
}

function hopByHopNames(headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders): Set<string> {
  const connection = headers.connection;
  // `Connection: keep-alive` (or close) names nothing beyond the fixed list: no new set per request.
  if (typeof connection !== 'string' || HOP_BY_HOP.has(connection.toLowerCase())) return HOP_BY_HOP;
  if (/^(keep-alive|close)$/i.test(connection)) return HOP_BY_HOP;
  return new Set([...HOP_BY_HOP, ...connection.split(',').map((s) => s.trim().toLowerCase())]);
}

/** A copy without the hop-by-hop headers, built by skipping them: `delete` turns V8 objects into slow maps. */
function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const drop = hopByHopNames(headers);
  const out: http.OutgoingHttpHeaders = {};
  for (const name in headers) if (!drop.has(name)) out[name] = headers[name];
  return out;
}

/** Go's dial error text for the common failures, so the log line reads like production's [inf]. */
function goDialError(error: NodeJS.ErrnoException, target: URL): string {
  const addr = target.host.includes(':')
    ? target.host
    : `${target.hostname}:${target.protocol === 'https:' ? 443 : 80}`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${target.hostname}: no such host`;
    case 'ECONNRESET':
      return 'EOF';
    default:
      return error.message;
  }
}

export const forward: MiddlewareFactory = (ctx) => {
  const target = new URL(ctx.options.upstreams[0] ?? 'http://127.0.0.1:5000/');
  return {
    name: 'forward',
    handle(scope) {
      if (scope.refusedHeader !== undefined) {
        // Go's transport refuses the request before dialling: the 502 page, nothing reaches MLflow.
        scope.upstream = target.pathname || '/';
        upstreamFailed(ctx, scope, invalidHeaderValueError(scope.refusedHeader));
        return true;
      }
      if (!ctx.upstreamHandler)
        return new Promise<boolean>((resolve) =>
          proxyRequest(ctx, scope, target, ctx.agent, () => resolve(true)),
        );
      handOver(ctx, ctx.upstreamHandler, scope, target);
      return true;
    },
  };
};

/** The request headers the upstream sees: hop-by-hop dropped, X-Forwarded-For appended, Host per pass-host-header. */
function upstreamRequestHeaders(
  ctx: ProxyContext,
  scope: RequestScope,
  target: URL,
): http.OutgoingHttpHeaders {
  const { req } = scope;
  const headers = withoutHopByHop(req.headers);
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior
    ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${scope.clientIp}`
    : scope.clientIp;
  if (!ctx.options.passHostHeader) headers.host = target.host;
  return headers;
}

/**
 * An upstream in this process (the lab's gate) gets the very request and response objects: the headers it would
 * see over HTTP, the proxy's response headers and cookies, and no socket in between. The proxy's part ends here:
 * the handler answers the request itself, so the chain does not wait on it.
 */
function handOver(ctx: ProxyContext, upstream: UpstreamHandler, scope: RequestScope, target: URL): void {
  const { req, res } = scope;
  // IncomingMessage.headers is assignable: the gate reads the rewritten set, built without per-key deletes.
  req.headers = upstreamRequestHeaders(ctx, scope, target) as http.IncomingHttpHeaders;
  scope.upstream = target.pathname || '/';
  const added: http.OutgoingHttpHeaders =
    scope.setCookies.length > 0
      ? { ...scope.responseHeaders, 'Set-Cookie': scope.setCookies }
      : scope.responseHeaders;
  // A handler that fails anyway is answered as a failing step is: a 500 page, and the lab lives on. One that
  // could not reach MLflow is answered as a dial failure of the proxy's own.
  const failed = (error: unknown) =>
    error instanceof UpstreamUnreachable && !res.headersSent
      ? upstreamFailed(ctx, scope, goDialError(error.error, error.target))
      : failRequest(ctx, scope, error);
  if (!ctx.logsRequests) return void upstream(req, res, added).catch(failed);
  // A logged request line reads the response's Content-Length back, which only headers set on the response
  // itself keep: the same headers on the wire, at the cost of Node merging them one by one.
  for (const k in added) res.setHeader(k, added[k]!);
  void upstream(req, res).catch(failed);
}

/** `ProxyErrorHandler`: the log line and the 502 page; the user is past authentication, so its buttons lead to "/". */
function upstreamFailed(ctx: ProxyContext, scope: RequestScope, text: string): void {
  try {
    ctx.log.errorf('error_page.go:96', `Error proxying to upstream server: ${text}`);
    renderErrorPage(ctx, scope, 502, text, UPSTREAM_ERROR_MESSAGE, '/');
  } catch (error) {
    // The page could not be written: answered as any failing step, whose path cannot throw.
    failRequest(ctx, scope, error);
  }
}

function proxyRequest(
  ctx: ProxyContext,
  scope: RequestScope,
  target: URL,
  agent: http.Agent,
  done: () => void,
) {
  const { req, res } = scope;
  const headers = upstreamRequestHeaders(ctx, scope, target);
  scope.upstream = target.pathname || '/';

  const upstreamReq = http.request({
    agent,
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port,
    method: req.method,
    path: scope.requestUri,
    headers,
  });
  let finished = false;
  const finish = () => {
    if (!finished) {
      finished = true;
      done();
    }
  };
  upstreamReq.on('response', (upRes) => {
    const out: http.OutgoingHttpHeaders = { ...upRes.headers };
    dropHopByHop(out);
    for (const [k, v] of Object.entries(scope.responseHeaders)) out[k.toLowerCase()] = v;
    if (scope.setCookies.length > 0) {
      const upstreamCookies = upRes.headers['set-cookie'] ?? [];
      out['set-cookie'] = [...scope.setCookies, ...upstreamCookies];
    }
    res.writeHead(upRes.statusCode ?? 502, out);
    upRes.on('data', (chunk: Buffer) => (scope.bytesOut += chunk.length));
    upRes.pipe(res);
    upRes.on('end', finish);
    upRes.on('error', () => {
      res.destroy();
      finish();
    });
  });
  upstreamReq.on('error', (error: NodeJS.ErrnoException) => {
    if (res.headersSent) {
      res.destroy();
      return finish();
    }
    upstreamFailed(ctx, scope, goDialError(error, target));
    finish();
  });
  // A client that goes away takes the upstream request with it.
  res.on('close', () => {
    if (!res.writableFinished) upstreamReq.destroy();
    finish();
  });
  req.pipe(upstreamReq);
}
