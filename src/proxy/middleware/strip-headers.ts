// Spoofing protection: every header the proxy would inject is deleted from the incoming request first, matched
// after normalisation (lower case, `_` → `-`) so `X_Forwarded_User` goes too (oauth2-proxy-and-dex.md §A4
// "Stripping"; v7.13.0, GHSA-vjrc-mh2v-45x6). Runs for every request, anonymous and skip-auth ones included.
import type { MiddlewareFactory } from '../chain.js';
import type { ProxyOptions } from '../options.js';

/** The request headers oauth2-proxy injects with these options (legacy_options.go, §A4 table). */
export function injectedRequestHeaders(o: ProxyOptions): Set<string> {
  const names = new Set<string>();
  if (o.passUserHeaders) {
    for (const h of [
      'x-forwarded-groups',
      'x-forwarded-user',
      'x-forwarded-email',
      'x-forwarded-preferred-username',
    ])
      names.add(h);
  }
  if (o.passAccessToken) names.add('x-forwarded-access-token');
  // Only with --pass-authorization-header: by default the client's own Authorization reaches the upstream.
  if (o.passAuthorizationHeader) names.add('authorization');
  return names;
}

const normalise = (name: string) => name.toLowerCase().replace(/_/g, '-');

export const stripHeaders: MiddlewareFactory = ({ options }) => {
  const strip = options.skipAuthStripHeaders ? injectedRequestHeaders(options) : new Set<string>();
  return {
    name: 'stripHeaders',
    handle({ req }) {
      if (strip.size === 0) return false;
      for (const name of Object.keys(req.headers)) {
        if (strip.has(normalise(name))) delete req.headers[name];
      }
      return false;
    },
  };
};
