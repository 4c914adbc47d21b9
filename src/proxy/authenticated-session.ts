// `getAuthenticatedSession` and `authOnlyAuthorize` (oauthproxy.go; oauth2-proxy-and-dex.md §A2 steps 2-5): the
// one decision that the proxied path, /oauth2/auth, /oauth2/userinfo and /oauth2/sign_out share.
import { emailDomainAllowed, groupsAllowed } from './authorize.js';
import type { ProxyContext } from './context.js';
import { goResponseHeaderValue } from './header-value.js';
import { sessionString } from './proxy-log.js';
import { isSkipAuthRoute } from './routes.js';
import { queryOf, type RequestScope } from './scope.js';
import type { SessionState } from './session/cookie-codec.js';

export type Authenticated =
  { kind: 'ok'; session: SessionState | undefined } | { kind: 'needs-login' } | { kind: 'denied' };

/** `IsAllowedRequest`: a preflight with `skip-auth-preflight`, or a `skip-auth-route` match. */
export function isAllowedRequest(ctx: ProxyContext, scope: RequestScope): boolean {
  const method = scope.req.method ?? 'GET';
  if (ctx.options.skipAuthPreflight && method === 'OPTIONS') return true;
  return isSkipAuthRoute(ctx.options.skipAuthRoutes, method, scope.path);
}

export function getAuthenticatedSession(ctx: ProxyContext, scope: RequestScope): Authenticated {
  const session = scope.session;
  // Checked after loading, so an allowed request still carries its session's headers.
  if (isAllowedRequest(ctx, scope)) return { kind: 'ok', session };
  if (!session) return { kind: 'needs-login' };
  const email = session.email ?? '';
  const invalidEmail = email !== '' && !emailDomainAllowed(email, ctx.options.emailDomains);
  const authorized = groupsAllowed(session.groups ?? [], ctx.options.allowedGroups);
  if (invalidEmail || !authorized) {
    const cause = invalidEmail ? 'invalid email' : 'unauthorized';
    ctx.log.auth(
      scope,
      'AuthFailure',
      `Invalid authorization via session (${cause}): removing session ${sessionString(session)}`,
      email,
    );
    ctx.store.clear(scope);
    return { kind: 'denied' };
  }
  return { kind: 'ok', session };
}

/** The comma-separated values of a query parameter, every occurrence, empty entries dropped. */
function allowedEntities(query: URLSearchParams, key: string): Set<string> {
  return new Set(
    query
      .getAll(key)
      .flatMap((v) => v.split(','))
      .filter((v) => v !== ''),
  );
}

/** `authOnlyAuthorize`: the `allowed_groups`, `allowed_email_domains` and `allowed_emails` query constraints. */
export function authOnlyAuthorize(scope: RequestScope, session: SessionState | undefined): boolean {
  if (!session) return true;
  // Most requests carry no constraint: a query without `allowed` (its keys are case-sensitive) or a `%` escape
  // that could spell one has none, and costs no parsing (this runs on every proxied call).
  const at = scope.requestUri.indexOf('?');
  if (at < 0) return true;
  const rawQuery = scope.requestUri.slice(at + 1);
  if (!rawQuery.includes('allowed') && !rawQuery.includes('%')) return true;
  const q = queryOf(scope);
  const groups = allowedEntities(q, 'allowed_groups');
  if (groups.size > 0 && !(session.groups ?? []).some((g) => groups.has(g))) return false;
  const domains = allowedEntities(q, 'allowed_email_domains');
  if (domains.size > 0) {
    const parts = (session.email ?? '').split('@');
    if (parts.length !== 2 || !emailDomainAllowed(session.email ?? '', [...domains])) return false;
  }
  const emails = allowedEntities(q, 'allowed_emails');
  if (emails.size > 0 && !emails.has(session.email ?? '')) return false;
  return true;
}

/** `addHeadersForProxying`: `GAP-Auth` with the e-mail, else the user (§A4), written as Go writes it. */
export function setGapAuth(scope: RequestScope, session: SessionState | undefined): void {
  if (!session) return;
  scope.responseHeaders['GAP-Auth'] = goResponseHeaderValue(session.email || session.user || '');
}
