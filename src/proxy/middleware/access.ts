// The access decision for a proxied path (`OAuthProxy.Proxy`; oauth2-proxy-and-dex.md §A2 "Decision flow"):
// allowed routes pass, no session gets 401 `{}` / 302 / the 403 sign-in page, a session outside
// `email-domain`/`allowed-group` gets the 403 error page, query constraints get `Forbidden\n`.
import { authOnlyAuthorize, getAuthenticatedSession, setGapAuth } from '../authenticated-session.js';
import type { MiddlewareFactory } from '../chain.js';
import { startLogin } from '../endpoints/login.js';
import { renderErrorPage, renderSignInPage } from '../endpoints/pages.js';
import { isAjax, isApiRoute } from '../routes.js';
import { errorJson, httpError } from '../respond.js';

export const accessCheck: MiddlewareFactory = (ctx) => ({
  name: 'accessCheck',
  handle(scope) {
    const decision = getAuthenticatedSession(ctx, scope);
    switch (decision.kind) {
      case 'ok':
        if (!authOnlyAuthorize(scope, decision.session)) {
          httpError(scope, 403);
          return true;
        }
        setGapAuth(scope, decision.session);
        scope.session = decision.session;
        return false;
      case 'needs-login':
        if (
          ctx.options.forceJsonErrors ||
          isAjax(scope.req.headers.accept) ||
          isApiRoute(ctx.options.apiRoutes, scope.requestUri)
        ) {
          ctx.log.printf('oauthproxy.go:1062', 'No valid authentication in request. Access Denied.');
          errorJson(scope, 401);
          return true;
        }
        ctx.log.printf('oauthproxy.go:1068', 'No valid authentication in request. Initiating login.');
        // The login URL gets only the default parameters: this request did not ask to log in.
        if (ctx.options.skipProviderButton) startLogin(ctx, scope);
        else renderSignInPage(ctx, scope, 403);
        return true;
      case 'denied':
        if (ctx.options.forceJsonErrors) errorJson(scope, 403);
        else renderErrorPage(ctx, scope, 403, 'The session failed authorization checks');
        return true;
    }
  },
});
