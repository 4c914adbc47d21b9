// The one object the proxy's middlewares share for a request (oauth2-proxy's `middlewareapi.RequestScope`,
// aesthetics.md §4): identity of the request, the session once a loader found one, and what the response needs.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCookieHeader, type RequestCookie } from './session/cookie-chunks.js';
import type { SessionState } from './session/cookie-codec.js';

export interface RequestScope {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** `--request-id-header` (X-Request-Id) from the client, else a random UUID (§A6 "Log formats"). */
  readonly requestId: string;
  /** The peer address; oauth2-proxy only trusts X-Real-IP/X-Forwarded-For with --reverse-proxy (§A4). */
  readonly clientIp: string;
  /** The raw request URI as received (path and query). */
  readonly requestUri: string;
  /** The path without query or fragment (what skip-auth routes match, §A5). */
  readonly path: string;
  readonly startedAt: number;
  /** The request's cookies, in order. */
  readonly cookies: RequestCookie[];
  /** The session a loader produced (bearer first, then cookie, §A3 "Pipeline"). */
  session: SessionState | undefined;
  sessionSource: 'bearer' | 'cookie' | undefined;
  /** Set-Cookie values the response must carry (cleared, refreshed or new cookies). */
  readonly setCookies: string[];
  /** Response headers set before the response is written (GAP-Auth, X-Auth-Request-*). */
  readonly responseHeaders: Record<string, string>;
  /** The upstream the request went to, for the request log (`-` when none). */
  upstream: string;
  /** Body bytes sent, for the request log. */
  bytesOut: number;
  /**
   * An injected request header whose value Go's transport refuses (a CR or LF in an e-mail): the request is not
   * forwarded but answered with the 502 page, as oauth2-proxy's reverse proxy fails it.
   */
  refusedHeader: string | undefined;
}

export function createScope(
  req: IncomingMessage,
  res: ServerResponse,
  requestIdHeader: string,
): RequestScope {
  return new Scope(req, res, requestIdHeader);
}

/**
 * A class, not an object literal: the request id and cookies are worked out when first read (a proxied API call
 * with a bearer token reads neither), and the getters live on the prototype, not in a closure per request.
 */
class Scope implements RequestScope {
  readonly requestUri: string;
  readonly path: string;
  readonly clientIp: string;
  readonly startedAt = performance.now();
  session: SessionState | undefined = undefined;
  sessionSource: 'bearer' | 'cookie' | undefined = undefined;
  readonly setCookies: string[] = [];
  readonly responseHeaders: Record<string, string> = {};
  upstream = '';
  bytesOut = 0;
  refusedHeader: string | undefined = undefined;
  #requestId: string | undefined = undefined;
  #cookies: RequestCookie[] | undefined = undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly requestIdHeader: string,
  ) {
    const requestUri = req.url ?? '/';
    this.requestUri = requestUri;
    const q = requestUri.indexOf('?');
    const h = requestUri.indexOf('#');
    const cut = q < 0 ? h : h < 0 ? q : Math.min(q, h);
    this.path = cut < 0 ? requestUri : requestUri.slice(0, cut);
    // Read now: a socket that has closed by the time the request line is logged no longer knows its peer.
    const address = req.socket.remoteAddress ?? '';
    this.clientIp = address.startsWith('::ffff:') ? address.slice(7) : address;
  }

  get requestId(): string {
    if (this.#requestId === undefined) {
      const rawId = this.req.headers[this.requestIdHeader.toLowerCase()];
      this.#requestId = (Array.isArray(rawId) ? rawId[0] : rawId) || randomUUID();
    }
    return this.#requestId;
  }

  get cookies(): RequestCookie[] {
    return (this.#cookies ??= parseCookieHeader(this.req.headers.cookie));
  }
}

/** The name the request log and auth log show: the session's e-mail, else its user (§A6). */
export function logUsername(session: SessionState | undefined): string {
  return session?.email || session?.user || '';
}

/** The request's query parameters, parsed when an endpoint asks (most proxied requests never do). */
export function queryOf(scope: RequestScope): URLSearchParams {
  const i = scope.requestUri.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : scope.requestUri.slice(i + 1));
}
