// The stored-session loader (oauth2-proxy-and-dex.md §A1 "Failure matrix", "Expiry and refresh semantics";
// pkg/middleware/stored_session.go): load `_oauth2_proxy` (or its chunks), refresh it once it is older than
// `cookie-refresh`, validate it, and on any failure log, clear every session cookie and go on anonymous.
import type { MiddlewareFactory } from '../chain.js';
import type { ProxyContext } from '../context.js';
import { formatGoDuration } from '../go-duration.js';
import { sessionString } from '../proxy-log.js';
import type { RequestScope } from '../scope.js';
import type { OpenResult, SessionState } from '../session/cookie-codec.js';

/** `isFatalRefreshError`: the IdP says the grant or client is gone, so the session is dropped at once. */
const FATAL_REFRESH = /invalid_grant|invalid_client/;

export const cookieSession: MiddlewareFactory = (ctx) => ({
  name: 'cookieSession',
  handle(scope) {
    // Synchronous when there is nothing to load (every bearer call): no promise and no tick for the chain.
    if (scope.session) return false;
    const now = ctx.clock.now();
    const loaded = ctx.store.load(scope, now);
    if (loaded === undefined) return false;
    return loadCookieSession(ctx, scope, loaded, now);
  },
});

/** The opened cookie: refreshed when due and validated, or logged, cleared and dropped. */
async function loadCookieSession(
  ctx: ProxyContext,
  scope: RequestScope,
  loaded: OpenResult,
  now: number,
): Promise<boolean> {
  let error: string | undefined;
  let session: SessionState | undefined;
  if (!loaded.ok) error = loaded.message;
  else {
    session = loaded.session;
    const refreshError = await refreshIfNeeded(ctx, scope, session, now);
    if (refreshError !== undefined) {
      error = `error refreshing access token for session (${sessionString(session)}): ${refreshError}`;
      session = undefined;
    }
  }
  if (error !== undefined) {
    ctx.log.errorf('stored_session.go:121', `Error loading cookied session: ${error}, removing session`);
    ctx.store.clear(scope);
    return false;
  }
  scope.session = session;
  scope.sessionSource = 'cookie';
  return false;
}

/**
 * `refreshSessionIfNeeded`: nothing until the session is older than `cookie-refresh`; then a refresh (which needs
 * a refresh token) and, success or not, `validateSession`. Mutates the session in place, as the Go code does.
 * Returns the error that invalidates the session.
 */
async function refreshIfNeeded(
  ctx: ProxyContext,
  scope: RequestScope,
  session: SessionState,
  now: number,
): Promise<string | undefined> {
  const refreshMs = ctx.options.cookieRefreshMs;
  // Age() truncates now to whole seconds.
  const age = Math.floor(now / 1000) * 1000 - (session.createdAt ?? now);
  if (!(refreshMs > 0 && session.createdAt !== undefined && age > refreshMs)) return undefined;
  const user = session.user ?? '';
  ctx.log.printf(
    'stored_session.go:205',
    `Refreshing session - User: ${user}; SessionAge: ${formatGoDuration(age)}`,
  );
  let refreshed = false;
  const outcome = await ctx.provider.refresh(session, now);
  if (outcome === undefined) {
    ctx.log.printf(
      'stored_session.go:255',
      `Session not refreshed - User: ${user}; no refresh token available or provider returned false`,
    );
  } else if (outcome.error !== undefined) {
    const err = `error refreshing tokens: ${outcome.error}`;
    ctx.log.errorf('stored_session.go:207', `Unable to refresh session: ${err}`);
    if (FATAL_REFRESH.test(err)) {
      ctx.log.printf(
        'stored_session.go:213',
        `Fatal refresh error detected (session revoked or invalid), clearing session for user: ${user}`,
      );
      ctx.store.clear(scope);
      return `session invalidated due to fatal refresh error: ${err}`;
    }
  } else {
    Object.assign(session, outcome.session, { createdAt: now });
    ctx.store.save(scope, session, now);
    refreshed = true;
  }
  // validateSession: the expiry first, then the ID token, except after a refresh (Refreshed skips it).
  if (session.expiresOn !== undefined && session.expiresOn < now) return 'session is expired';
  if (!refreshed) {
    const invalid = await ctx.provider.validate(session, now);
    if (invalid !== undefined) {
      ctx.log.errorf('oidc.go:130', invalid);
      return 'session is invalid';
    }
  }
  return undefined;
}
