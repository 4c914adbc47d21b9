// Request classification (oauth2-proxy-and-dex.md §A2 step 3, §A5 "Skip-auth"): `--skip-auth-route` against the
// path only, `--api-route` against the full request URI, and `isAjax` on the Accept headers (oauthproxy.go
// `isAllowedRoute`, `isAPIPath`, `isAjax`; pkg/requests/util/util.go `GetRequestPath`).
import type { SkipAuthRoute } from './options.js';
import { hasCtlByte, parseGoAuthority, validEscapes } from './redirect.js';

/**
 * util.go `GetRequestPath`: drop the fragment, take `url.Parse(uri).Path` (percent-decoded, so `%23` becomes a `#`
 * that is then dropped too, the v7.15.2 fix), or when Go cannot parse it just drop the query.
 */
export function requestPath(rawUri: string): string {
  const uri = stripFrom(rawUri, '#');
  const path = goParsedPath(uri);
  return path === undefined ? stripFrom(uri, '?') : stripFrom(path, '#');
}

/**
 * `isAllowedRoute`: some route whose method is unset or equal matches the path. `METHOD!=regex` negates the path
 * match only (oauthproxy.go `isAllowedPath`), so `GET!=^/api` lets through GETs outside `/api`.
 */
export function isSkipAuthRoute(routes: readonly SkipAuthRoute[], method: string, path: string): boolean {
  return routes.some(
    (route) =>
      (route.method === undefined || route.method === '' || route.method === method) &&
      matches(route.pattern, path) !== route.negate,
  );
}

/** `isAPIPath`: regexes tried against `RequestURI()`, query included. */
export function isApiRoute(routes: readonly RegExp[], requestUri: string): boolean {
  return routes.some((re) => matches(re, requestUri));
}

/**
 * `isAjax`: some Accept header, split on `,` and trimmed, is exactly `application/json` (so a parameter such as
 * `; charset=utf-8` or a different case does not count). Node may hand over one joined string or a list.
 */
export function isAjax(accept: string | readonly string[] | undefined): boolean {
  const values = accept === undefined ? [] : typeof accept === 'string' ? [accept] : accept;
  return values.some((value) => value.split(',').some((type) => type.trim() === 'application/json'));
}

/** Go's `MatchString` is an unanchored search; `search` also ignores a stateful `g`/`y` flag's lastIndex. */
function matches(re: RegExp, s: string): boolean {
  return s.search(re) !== -1;
}

function stripFrom(s: string, marker: string): string {
  const at = s.indexOf(marker);
  return at === -1 ? s : s.slice(0, at);
}

/**
 * `url.Parse(uri).Path` for a fragment-free URI, or undefined where Go returns an error. Follows net/url `parse`:
 * control bytes fail; a scheme (`http:`) leads to an authority; without one `//host/p` still has an authority
 * (so its path is `/p`) but `///p` does not; a path's `%XX` must be valid and is decoded.
 */
function goParsedPath(uri: string): string | undefined {
  if (hasCtlByte(uri)) return undefined;
  const scheme = goScheme(uri);
  if (scheme === undefined) return undefined;
  let rest = scheme === '' ? uri : uri.slice(scheme.length + 1);
  rest = stripFrom(rest, '?');
  if (!rest.startsWith('/')) {
    if (scheme !== '') return ''; // opaque: `mailto:x` has no path
    if (stripFrom(rest, '/').includes(':')) return undefined; // "first path segment in URL cannot contain colon"
  }
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    if (parseGoAuthority(authority) === undefined) return undefined;
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  if (!validEscapes(rest)) return undefined;
  return percentDecode(rest);
}

/** net/url `getScheme`: '' when there is none, undefined for a leading `:` ("missing protocol scheme"). */
function goScheme(uri: string): string | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(uri);
  if (m) return m[0].slice(0, -1);
  return uri.startsWith(':') ? undefined : '';
}

/** `%XX` → byte, everything else kept (`+` stays `+` in a path); the bytes are read back as UTF-8. */
function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  const input = Buffer.from(s, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    if (input[i] === 0x25) {
      out.push(parseInt(input.subarray(i + 1, i + 3).toString('latin1'), 16));
      i += 2;
    } else out.push(input[i]!);
  }
  return Buffer.from(out).toString('utf8');
}
