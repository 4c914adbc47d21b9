// The cookie session store (oauth2-proxy's pkg/sessions/cookie): load, save and clear `_oauth2_proxy` and its
// chunks with the options' attributes (oauth2-proxy-and-dex.md §A1).
import type { Logger } from '../log.js';
import type { ProxyOptions } from './options.js';
import type { RequestScope } from './scope.js';
import { standardLine } from './proxy-log.js';
import {
  clearSessionCookies,
  readSessionCookie,
  sessionSetCookies,
  SPLIT_WARNING,
  type CookieAttributes,
} from './session/cookie-chunks.js';
import { openSession, sealSession, type OpenResult, type SessionState } from './session/cookie-codec.js';

export interface SessionStore {
  /** Undefined when no session cookie was presented (anonymous, nothing logged or cleared). */
  load(scope: RequestScope, nowMs: number): OpenResult | undefined;
  save(scope: RequestScope, session: SessionState, nowMs: number): void;
  clear(scope: RequestScope): void;
  /** The attributes a cookie gets for this request (domain chosen from the request host). */
  attributes(scope: RequestScope, maxAgeMs: number): CookieAttributes;
}

/**
 * `MakeCookieFromOptions` + `GetCookieDomain` (pkg/cookies/cookies.go): the first `--cookie-domain` (validation sorts
 * them longest first) that the request host ends with; when none does, the last one, with oauth2-proxy's warning.
 */
export function cookieDomainFor(
  host: string,
  domains: readonly string[],
  warn?: (m: string) => void,
): string | undefined {
  if (domains.length === 0) return undefined;
  const sorted = [...domains].sort((a, b) => b.length - a.length);
  const match = sorted.find((d) => host.endsWith(d));
  if (match !== undefined) return match;
  warn?.(
    `Warning: request host ${JSON.stringify(host)} did not match any of the specific cookie domains of ${JSON.stringify(sorted.join(','))}`,
  );
  return sorted[sorted.length - 1]!;
}

export function createSessionStore(options: ProxyOptions, log: Logger): SessionStore {
  const name = options.cookieName;
  const attributes = (scope: RequestScope, maxAgeMs: number): CookieAttributes => {
    const domain = cookieDomainFor(scope.req.headers.host ?? '', options.cookieDomains, (m) =>
      log.error(standardLine('cookies.go:31', m, new Date())),
    );
    return {
      path: options.cookiePath,
      ...(domain !== undefined && { domain }),
      maxAge: Math.floor(maxAgeMs / 1000),
      httpOnly: options.cookieHttpOnly,
      secure: options.cookieSecure,
      sameSite: options.cookieSameSite,
    };
  };
  return {
    attributes,
    load(scope, nowMs) {
      const value = readSessionCookie(scope.cookies, name);
      if (value === undefined) return undefined;
      return openSession(value, {
        secret: options.cookieSecret,
        now: nowMs,
        expireMs: options.cookieExpireMs,
        name,
      });
    },
    save(scope, session, nowMs) {
      const value = sealSession(session, { secret: options.cookieSecret, now: nowMs, name });
      // Like oauth2-proxy, Save writes the new cookie(s) without clearing stale chunks of an older session.
      const { headers, split } = sessionSetCookies(name, value, attributes(scope, options.cookieExpireMs));
      if (split) log.error(standardLine('session_store.go:165', SPLIT_WARNING, new Date()));
      scope.setCookies.push(...headers);
    },
    clear(scope) {
      scope.setCookies.push(...clearSessionCookies(scope.cookies, name, attributes(scope, 0)));
    },
  };
}
