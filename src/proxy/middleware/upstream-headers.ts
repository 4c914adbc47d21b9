// The headers injected into the upstream request from the session (oauth2-proxy-and-dex.md §A4 "Legacy flag →
// injected headers", "Value rules"): empty values skipped, groups joined with "," and no space.
import type { MiddlewareFactory } from '../chain.js';
import { normaliseHeaderName } from './strip-headers.js';

export const upstreamHeaders: MiddlewareFactory = ({ options }) => ({
  name: 'upstreamHeaders',
  handle({ req, session }) {
    // With --pass-authorization-header the client's Authorization is an injected header, so it is stripped (any
    // spelling) for every proxied request, after the session loaders have read it (see stripHeaders).
    if (options.passAuthorizationHeader && options.skipAuthStripHeaders) {
      for (const name of Object.keys(req.headers))
        if (normaliseHeaderName(name) === 'authorization') delete req.headers[name];
    }
    if (!session) return false;
    const set = (name: string, value: string | undefined) => {
      if (value) req.headers[name] = value;
    };
    if (options.passUserHeaders) {
      set('x-forwarded-groups', (session.groups ?? []).filter((g) => g !== '').join(','));
      if (options.preferEmailToUser) set('x-forwarded-user', session.email || session.user);
      else {
        set('x-forwarded-user', session.user);
        set('x-forwarded-email', session.email);
      }
      set('x-forwarded-preferred-username', session.preferredUsername);
    }
    if (options.passAccessToken) set('x-forwarded-access-token', session.accessToken);
    if (options.passAuthorizationHeader && session.idToken)
      req.headers.authorization = `Bearer ${session.idToken}`;
    return false;
  },
});
