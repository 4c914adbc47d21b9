// /oauth2/auth, /oauth2/userinfo and /oauth2/sign_out: they run after the session chain (oauthproxy.go AuthOnly,
// UserInfo, SignOut; oauth2-proxy-and-dex.md §A5 "Endpoints", §A2 "Summary table").
import { authOnlyAuthorize, getAuthenticatedSession, setGapAuth } from '../authenticated-session.js';
import type { MiddlewareFactory } from '../chain.js';
import type { ProxyContext } from '../context.js';
import { goResponseHeaderValue } from '../header-value.js';
import { httpError, noCache, redirect, send } from '../respond.js';
import type { RequestScope } from '../scope.js';
import type { SessionState } from '../session/cookie-codec.js';
import { redirectFor } from './pages.js';

/** `--set-xauthrequest` response headers; empty values are skipped, groups comma-joined (§A4). */
function xAuthRequestHeaders(ctx: ProxyContext, scope: RequestScope, session: SessionState): void {
  const h = scope.responseHeaders;
  const put = (name: string, value: string | undefined) => {
    if (value) h[name] = goResponseHeaderValue(value);
  };
  put('X-Auth-Request-User', session.user);
  put('X-Auth-Request-Email', session.email);
  put('X-Auth-Request-Preferred-Username', session.preferredUsername);
  put('X-Auth-Request-Groups', (session.groups ?? []).join(','));
  if (ctx.options.passAccessToken) put('X-Auth-Request-Access-Token', session.accessToken);
}

function authOnly(ctx: ProxyContext, scope: RequestScope): void {
  const decision = getAuthenticatedSession(ctx, scope);
  if (decision.kind !== 'ok') return httpError(scope, 401);
  // 403 here, not 401, so nginx subrequest setups do not loop (oauthproxy.go).
  if (!authOnlyAuthorize(scope, decision.session)) return httpError(scope, 403);
  setGapAuth(scope, decision.session);
  if (ctx.options.setXAuthRequest && decision.session) xAuthRequestHeaders(ctx, scope, decision.session);
  send(scope, 202, {});
}

function userInfo(ctx: ProxyContext, scope: RequestScope): void {
  const decision = getAuthenticatedSession(ctx, scope);
  if (decision.kind !== 'ok') return httpError(scope, 401);
  const s = decision.session;
  if (!s) return send(scope, 200, { 'Content-Type': 'application/json' }, '{}');
  // json.Encoder: omitempty on groups and preferredUsername, then a newline.
  const body = {
    user: s.user ?? '',
    email: s.email ?? '',
    ...((s.groups ?? []).length > 0 && { groups: s.groups }),
    ...(s.preferredUsername && { preferredUsername: s.preferredUsername }),
  };
  send(scope, 200, { 'Content-Type': 'application/json' }, `${JSON.stringify(body)}\n`);
}

function signOut(ctx: ProxyContext, scope: RequestScope): void {
  let target = redirectFor(ctx, scope);
  if (target.includes('{id_token}')) {
    const decision = getAuthenticatedSession(ctx, scope);
    if (decision.kind === 'ok' && decision.session)
      target = target.replaceAll('{id_token}', decision.session.idToken ?? '');
    else
      ctx.log.errorf(
        'oauthproxy.go:768',
        "error getting authenticated session during SignOut, won't replace id_token placeholder in redirect URL: ",
      );
  }
  ctx.store.clear(scope);
  redirect(scope, target);
}

export const sessionEndpoints: MiddlewareFactory = (ctx) => {
  const prefix = ctx.options.proxyPrefix;
  return {
    name: 'sessionEndpoints',
    handle(scope) {
      switch (scope.path) {
        case `${prefix}/auth`:
          // The only /oauth2/ path without no-cache headers, so nginx may cache it briefly.
          authOnly(ctx, scope);
          return true;
        case `${prefix}/userinfo`:
          noCache(scope);
          userInfo(ctx, scope);
          return true;
        case `${prefix}/sign_out`:
          noCache(scope);
          signOut(ctx, scope);
          return true;
        default:
          return false;
      }
    },
  };
};
