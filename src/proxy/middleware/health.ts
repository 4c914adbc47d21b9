// `/ping`, `/ready` and `/robots.txt`, answered before any authentication (oauth2-proxy-and-dex.md §A5 "Endpoints";
// pkg/middleware/healthcheck.go, readynesscheck.go).
import type { MiddlewareFactory } from '../chain.js';
import { send } from '../respond.js';

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' };

export const healthChecks: MiddlewareFactory = ({ options }) => ({
  name: 'healthChecks',
  handle(scope) {
    // Matched on the escaped path, query ignored, like req.URL.EscapedPath().
    if (scope.path === options.pingPath || scope.path === options.readyPath) {
      // The cookie session store has no connection to verify, so readiness is always OK (§A5).
      send(scope, 200, TEXT, 'OK');
      return true;
    }
    if (scope.path === '/robots.txt') {
      send(scope, 200, TEXT, 'User-agent: *\nDisallow: /\n');
      return true;
    }
    return false;
  },
});
