// Spoofing protection: every header the proxy would inject is deleted from the incoming request first, matched
// after normalisation (lower case, `_` → `-`) so `X_Forwarded_User` goes too (oauth2-proxy-and-dex.md §A4
// "Stripping"; v7.13.0, GHSA-vjrc-mh2v-45x6). Runs for every request, anonymous and skip-auth ones included.
// oauth2-proxy strips in its headers chain, after the session loaders; this step runs before them, which is the
// same for every header but `Authorization`: the JWT loader reads it, so upstreamHeaders strips that one.
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

export const normaliseHeaderName = (name: string) => {
  const lower = name.toLowerCase();
  // Most names have no underscore: no regex run for them (this runs for every header of every request).
  return lower.includes('_') ? lower.replace(/_/g, '-') : lower;
};

export const stripHeaders: MiddlewareFactory = ({ options }) => {
  const strip = options.skipAuthStripHeaders ? injectedRequestHeaders(options) : new Set<string>();
  // Still needed by the bearer loader and /oauth2/auth; stripped in upstreamHeaders, just before injection.
  strip.delete('authorization');
  return {
    name: 'stripHeaders',
    handle({ req }) {
      if (strip.size === 0) return false;
      for (const name of Object.keys(req.headers)) {
        if (strip.has(normaliseHeaderName(name))) delete req.headers[name];
      }
      return false;
    },
  };
};
