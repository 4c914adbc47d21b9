// The JWT session loader, first in the session chain (oauth2-proxy-and-dex.md §A3 "Pipeline"): a valid bearer
// token wins over any cookie; an invalid one is logged and, unless `bearer-token-login-fallback` is false,
// ignored so the cookie can still authenticate.
import { BEARER_LOG_PREFIX, loadBearerSession, type LoadResult } from '../bearer/load.js';
import type { MiddlewareFactory } from '../chain.js';
import { toSessionState } from '../provider.js';
import { cutCredentials } from '../proxy-log.js';
import { httpError } from '../respond.js';
import type { RequestScope } from '../scope.js';
import type { BearerSession } from '../bearer/session-from-claims.js';
import type { SessionState } from '../session/cookie-codec.js';

export const bearerSession: MiddlewareFactory = ({ options, provider, clock, log }) => {
  // The session of the last token, for the second it was made in (`createdAt` is whole seconds): a client's calls
  // share one frozen session instead of a copy each. Only cookie sessions are ever changed in place.
  let last: { bearer: BearerSession; createdAt: number; state: SessionState } | undefined;
  const sessionOf = (bearer: BearerSession, createdAt: number): SessionState => {
    if (last?.bearer !== bearer || last.createdAt !== createdAt)
      last = { bearer, createdAt, state: Object.freeze(toSessionState(bearer, createdAt)) };
    return last.state;
  };
  /** The loader's answer applied to the request; true when it ends the chain with a 403. */
  const apply = (scope: RequestScope, now: number, result: LoadResult | undefined): boolean => {
    if (result === undefined) return false;
    if (result.session) {
      scope.session = sessionOf(result.session, Math.floor(now / 1000) * 1000);
      scope.sessionSource = 'bearer';
      return false;
    }
    log.errorf('jwt_session.go:54', `${BEARER_LOG_PREFIX}${cutCredentials(result.error)}`);
    if (options.bearerTokenLoginFallback) return false;
    httpError(scope, 403);
    return true;
  };
  return {
    name: 'bearerSession',
    handle(scope) {
      if (!options.skipJwtBearerTokens || scope.session) return false;
      const now = clock.now();
      const result = loadBearerSession(scope.req.headers.authorization, provider.bearerVerifiers, now);
      // A token seen before is checked synchronously: no promise and no tick on every API call.
      return result instanceof Promise ? result.then((r) => apply(scope, now, r)) : apply(scope, now, result);
    },
  };
};
