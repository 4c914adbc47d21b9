// The JWT session loader, first in the session chain (oauth2-proxy-and-dex.md §A3 "Pipeline"): a valid bearer
// token wins over any cookie; an invalid one is logged and, unless `bearer-token-login-fallback` is false,
// ignored so the cookie can still authenticate.
import { BEARER_LOG_PREFIX, loadBearerSession } from '../bearer/load.js';
import type { MiddlewareFactory } from '../chain.js';
import { toSessionState } from '../provider.js';
import { httpError } from '../respond.js';

export const bearerSession: MiddlewareFactory = ({ options, provider, clock, log }) => ({
  name: 'bearerSession',
  async handle(scope) {
    if (!options.skipJwtBearerTokens || scope.session) return false;
    const header = scope.req.headers.authorization;
    const now = clock.now();
    const result = await loadBearerSession(header, provider.bearerVerifiers, now);
    if (result === undefined) return false;
    if (result.session) {
      scope.session = toSessionState(result.session, Math.floor(now / 1000) * 1000);
      scope.sessionSource = 'bearer';
      return false;
    }
    log.errorf('jwt_session.go:54', `${BEARER_LOG_PREFIX}${result.error}`);
    if (options.bearerTokenLoginFallback) return false;
    httpError(scope, 403);
    return true;
  },
});
