// The sign-in and error pages as oauth2-proxy's handlers send them (oauthproxy.go SignInPage, ErrorPage;
// oauth2-proxy-and-dex.md §A2 "Exact bodies and headers").
import type { ProxyContext } from '../context.js';
import { errorPage, signInPage } from '../pages.js';
import { appRedirect } from '../redirect.js';
import { html, noCache } from '../respond.js';
import { queryOf, type RequestScope } from '../scope.js';

/** `appDirector.GetRedirect` for this request. */
export function redirectFor(ctx: ProxyContext, scope: RequestScope): string {
  const query = queryOf(scope);
  const header = scope.req.headers['x-auth-request-redirect'];
  return appRedirect({
    ...(query.has('rd') && { rd: query.get('rd')! }),
    ...(typeof header === 'string' && { header }),
    requestUri: scope.requestUri,
    proxyPrefix: ctx.options.proxyPrefix,
    whitelistDomains: ctx.options.whitelistDomains,
    // What the validator and director log while rejecting a candidate (validator.go, director.go:85).
    log: ({ file, level, message }) =>
      level === 'error' ? ctx.log.errorf(file, message) : ctx.log.printf(file, message),
  });
}

/** `SignInPage`: no-cache headers, every session cookie cleared, then the page with the status given. */
export function renderSignInPage(ctx: ProxyContext, scope: RequestScope, status: number): void {
  noCache(scope);
  ctx.store.clear(scope);
  let rd = redirectFor(ctx, scope);
  if (rd === `${ctx.options.proxyPrefix}/sign_in`) rd = '/';
  html(
    scope,
    status,
    signInPage({
      proxyPrefix: ctx.options.proxyPrefix,
      redirect: rd,
      providerName: ctx.options.providerDisplayName,
      emailDomains: ctx.options.emailDomains,
    }),
  );
}

/**
 * `ErrorPage`: `appError` is what `--show-debug-on-error` shows; `message` is the text shown otherwise (the
 * status's default message when absent). `redirect` undefined means the request's app redirect.
 */
export function renderErrorPage(
  ctx: ProxyContext,
  scope: RequestScope,
  status: number,
  appError: string,
  message?: string,
  redirect?: string,
): void {
  let rd = redirect ?? redirectFor(ctx, scope);
  if (rd === `${ctx.options.proxyPrefix}/sign_in` || rd === '') rd = '/';
  html(
    scope,
    status,
    errorPage({
      status,
      ...(message !== undefined && { message }),
      requestId: scope.requestId,
      proxyPrefix: ctx.options.proxyPrefix,
      redirect: rd,
      debugMessage: appError,
      showDebug: ctx.options.showDebugOnError,
    }),
  );
}

/** Nothing a request does may take the lab down: an unexpected error is a 500 page and a log line. */
export function failRequest(ctx: ProxyContext, scope: RequestScope, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const { res } = scope;
  try {
    ctx.log.errorf('oauthproxy.go:1085', `Unexpected internal error: ${message}`);
    if (res.headersSent) return void res.destroy();
    renderErrorPage(ctx, scope, 500, message, undefined, '/');
  } catch {
    // The page itself failed (a header Node refuses, a socket gone): a bare 500 without the scope's headers, and
    // if even that fails, the connection is dropped. This path must not throw.
    try {
      if (res.headersSent) return void res.destroy();
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      // Go's `http.Error(rw, "Internal Server Error", 500)`.
      const body = 'Internal Server Error\n';
      res.writeHead(500, {
        'Content-Type': 'text/plain; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
        'Content-Length': body.length,
      });
      res.end(body);
    } catch {
      res.destroy();
    }
  }
}
