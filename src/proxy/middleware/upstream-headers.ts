// The headers injected into the upstream request from the session (oauth2-proxy-and-dex.md §A4 "Legacy flag →
// injected headers", "Value rules"): empty values skipped, groups joined with "," and no space.
import type { MiddlewareFactory } from '../chain.js';
import { goRequestHeaderValue } from '../header-value.js';
import type { RequestScope } from '../scope.js';
import { normaliseHeaderName } from './strip-headers.js';

export const upstreamHeaders: MiddlewareFactory = ({ options }) => ({
  name: 'upstreamHeaders',
  handle(scope) {
    const { req, session } = scope;
    // With --pass-authorization-header the client's Authorization is an injected header, so it is stripped (any
    // spelling) for every proxied request, after the session loaders have read it (see stripHeaders).
    if (options.passAuthorizationHeader && options.skipAuthStripHeaders) {
      for (const name of Object.keys(req.headers))
        if (normaliseHeaderName(name) === 'authorization') delete req.headers[name];
    }
    if (!session) return false;
    if (options.passUserHeaders) {
      set(scope, 'x-forwarded-groups', groupsHeader(session.groups));
      if (options.preferEmailToUser) set(scope, 'x-forwarded-user', session.email || session.user);
      else {
        set(scope, 'x-forwarded-user', session.user);
        set(scope, 'x-forwarded-email', session.email);
      }
      set(scope, 'x-forwarded-preferred-username', session.preferredUsername);
    }
    if (options.passAccessToken) set(scope, 'x-forwarded-access-token', session.accessToken);
    if (options.passAuthorizationHeader && session.idToken)
      set(scope, 'authorization', `Bearer ${session.idToken}`);
    return false;
  },
});

/** Sets an injected header as Go's transport would send it; a value it refuses is remembered on the scope. */
function set(scope: RequestScope, name: string, value: string | undefined) {
  if (!value) return;
  const wire = goRequestHeaderValue(value);
  if (wire !== undefined) scope.req.headers[name] = wire;
  else scope.refusedHeader ??= name;
}

/** A frozen groups list (a bearer session's, shared by a client's calls) is joined once. */
const joinedGroups = new WeakMap<readonly string[], string>();

function groupsHeader(groups: readonly string[] | undefined): string {
  if (groups === undefined) return '';
  let joined = joinedGroups.get(groups);
  if (joined === undefined) {
    joined = groups.filter((g) => g !== '').join(',');
    if (Object.isFrozen(groups)) joinedGroups.set(groups, joined);
  }
  return joined;
}
