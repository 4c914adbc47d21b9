// Where oauth2-proxy sends the browser after login, sign-out or an error page (oauth2-proxy-and-dex.md §A5
// "Redirect target"): pkg/app/redirect/validator.go (IsValidRedirect), director.go and getters.go
// (GetRedirect), and pkg/util/util.go (IsEndpointAllowed) for `--whitelist-domain`.
import { goQuote } from './bearer/go-format.js';

/**
 * validator.go `invalidRedirectRegex`: `//`, `/\`, either with whitespace between, and `/./`, `/../`, anywhere.
 * Go's `\s` is ASCII only (`[\t\n\f\r ]`) and `\v` is vertical tab, so JavaScript's wider `\s` is spelled out.
 */
const INVALID_REDIRECT = /[/\\](?:[\t\n\f\r \v]*|\.{1,2})[/\\]/;

/** A standard-log line the validator or director would print: Go file:line, level, message. */
export interface RedirectLog {
  (line: { file: string; level: 'info' | 'error'; message: string }): void;
}

/** validator.go `IsValidRedirect`: a safe relative path, or an http(s) URL whose host is whitelisted. */
export function isValidRedirect(rd: string, whitelistDomains: readonly string[], log?: RedirectLog): boolean {
  if (rd === '') return false;
  if (rd.startsWith('/') && !rd.startsWith('//') && !INVALID_REDIRECT.test(rd)) return true;
  const reject = (file: string, why: string) => {
    log?.({ file, level: 'info', message: `Rejecting invalid redirect ${goQuote(rd)}: ${why}` });
    return false;
  };
  // The prefix test is case-sensitive in Go: `HTTPS://…` is "not an absolute or relative URL".
  if (!rd.startsWith('http://') && !rd.startsWith('https://')) {
    return reject('validator.go:63', 'not an absolute or relative URL');
  }
  const endpoint = parseGoHttpUrl(rd);
  if (endpoint === undefined) return reject('validator.go:52', 'scheme unsupported or missing');
  if (isEndpointAllowed(endpoint, whitelistDomains)) return true;
  return reject('validator.go:60', 'domain / port not in whitelist');
}

export interface AppRedirectOptions {
  /** The `rd` form value (query for GET), if present. */
  rd?: string;
  /** The `X-Auth-Request-Redirect` header, if present. */
  header?: string;
  /** `req.URL.RequestURI()`: path and query of this request. */
  requestUri: string;
  whitelistDomains: readonly string[];
  /** `--proxy-prefix`, default `/oauth2`: redirects back into the proxy's own endpoints become `/`. */
  proxyPrefix?: string;
  /** Receives the lines oauth2-proxy logs while rejecting candidates. */
  log?: RedirectLog;
}

/**
 * director.go `GetRedirect`: the first valid of the `rd` parameter, the `X-Auth-Request-Redirect` header, and the
 * request URI (unless it is under the proxy prefix); else `/`. The X-Forwarded-* strategies only run with
 * `--reverse-proxy`, which the lab does not emulate, so `GetRequestURI` is the request's own URI.
 */
export function appRedirect(o: AppRedirectOptions): string {
  // NewAppDirector: the prefix is compared with a trailing slash, so `/oauth2x` is not under `/oauth2`.
  const base = o.proxyPrefix ?? '/oauth2';
  const prefix = base.endsWith('/') ? base : `${base}/`;
  const valid = (candidate: string) => isValidRedirect(candidate, o.whitelistDomains, o.log);
  // `validateRedirect`: a rejected, non-empty candidate is also reported at error level.
  const validated = (candidate: string, errorFormat: string) => {
    if (valid(candidate)) return candidate;
    if (candidate !== '')
      o.log?.({ file: 'director.go:85', level: 'error', message: `${errorFormat}${candidate}` });
    return '';
  };
  const getters: Array<() => string> = [
    () => validated(o.rd ?? '', 'Invalid redirect provided in rd querystring parameter: '),
    () => validated(o.header ?? '', 'Invalid redirect provided in X-Auth-Request-Redirect header: '),
    // getURIRedirect: Go keeps the raw URI even when it failed validation (the message names X-Forwarded-Uri
    // even without that header); the final check below then rejects it again.
    () => {
      const uri =
        validated(o.requestUri, 'Invalid redirect generated from X-Forwarded-Uri header: ') || o.requestUri;
      return uri.startsWith(prefix) ? '/' : uri;
    },
  ];
  for (const get of getters) {
    const candidate = get();
    // "Call `p.IsValidRedirect` again here a final time to be safe" (director.go).
    if (candidate !== '' && valid(candidate)) return candidate;
  }
  return '/';
}

// ---------------------------------------------------------------------------------------------------------------
// --whitelist-domain matching (pkg/util/util.go).

interface Endpoint {
  /** `url.URL.Hostname()`: host without port or IPv6 brackets, case kept. */
  hostname: string;
  /** `url.URL.Port()`: digits after the last colon, or ''. */
  port: string;
}

/** util.go `IsEndpointAllowed`: a host match, then the port: `*` any, a number that port, none only default. */
function isEndpointAllowed(endpoint: Endpoint, allowedDomains: readonly string[]): boolean {
  return allowedDomains.some((allowed) => {
    const { host, port } = splitHostPort(allowed, true);
    if (host === '' || !isHostnameAllowed(endpoint.hostname, host)) return false;
    return port === '*' || port === endpoint.port;
  });
}

/** util.go `isHostnameAllowed`: exact (after dropping `.`/`*.`), or a plain suffix for `.d` and `*.d`. */
function isHostnameAllowed(hostname: string, allowedHost: string): boolean {
  const bare = (p: string) => (allowedHost.startsWith(p) ? allowedHost.slice(p.length) : allowedHost);
  if (hostname === bare('.') || hostname === bare('*.')) return true;
  return (
    (allowedHost.startsWith('.') && hostname.endsWith(allowedHost)) ||
    (allowedHost.startsWith('*.') && hostname.endsWith(allowedHost.slice(1)))
  );
}

/**
 * util.go `SplitHostPort` (withStar) and net/url's `splitHostPort`: split at the last colon when what follows is a
 * valid optional port (`:`, `:digits`, and for whitelist entries `:*`), then drop IPv6 brackets.
 */
function splitHostPort(hostport: string, withStar: boolean): { host: string; port: string } {
  let host = hostport;
  let port = '';
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && validOptionalPort(host.slice(colon), withStar)) {
    port = host.slice(colon + 1);
    host = host.slice(0, colon);
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}

function validOptionalPort(port: string, withStar: boolean): boolean {
  if (port === '' || (withStar && port === ':*')) return true;
  return /^:[0-9]*$/.test(port);
}

// ---------------------------------------------------------------------------------------------------------------
// The part of Go's url.Parse that decides whether an http(s) redirect parses and what its host is. WHATWG URL
// differs in ways that matter here (`\` as `/`, lower-casing, IDNA, default-port elision), so it is not used.

/** Host bytes Go accepts unescaped (`shouldEscape(c, encodeHost)` is false); non-ASCII passes too. */
const HOST_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"]$/;
/** `validUserinfo`. */
const USERINFO = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;

function parseGoHttpUrl(raw: string): Endpoint | undefined {
  if (hasCtlByte(raw)) return undefined;
  const hash = raw.indexOf('#');
  const fragment = hash < 0 ? '' : raw.slice(hash + 1);
  const noFragment = hash < 0 ? raw : raw.slice(0, hash);
  if (!validEscapes(fragment)) return undefined;
  // The caller checked the `http://`/`https://` prefix, so the scheme is known and the authority follows.
  let rest = noFragment.slice(noFragment.indexOf('://') + 3);
  const question = rest.indexOf('?');
  if (question >= 0) rest = rest.slice(0, question);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  if (!validEscapes(path)) return undefined;
  const host = parseGoAuthority(authority);
  if (host === undefined) return undefined;
  const { host: hostname, port } = splitHostPort(host, false);
  return { hostname, port };
}

/** net/url `parseAuthority`: valid userinfo before the last `@`, then the host; returns the unescaped host. */
export function parseGoAuthority(authority: string): string | undefined {
  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? '' : authority.slice(0, at);
  if (!USERINFO.test(userinfo) || !validEscapes(userinfo)) return undefined;
  return parseHost(at < 0 ? authority : authority.slice(at + 1));
}

/** net/url `parseHost`: port syntax after `]` or the last colon, then host unescaping rules. */
function parseHost(host: string): string | undefined {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0 || !validOptionalPort(host.slice(close + 1), false)) return undefined;
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1 && !validOptionalPort(host.slice(colon), false)) return undefined;
  }
  return unescapeHost(host);
}

/**
 * net/url `unescape(s, encodeHost)`: `%XX` must be valid and may not encode an ASCII byte other than `%25`;
 * ASCII bytes outside HOST_CHAR are an invalid host.
 */
function unescapeHost(host: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < host.length; i++) {
    const c = host[i]!;
    if (c === '%') {
      const hex = host.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      const b = parseInt(hex, 16);
      if (b < 0x80 && hex !== '25') return undefined;
      bytes.push(b);
      i += 2;
    } else if (c.charCodeAt(0) < 0x80 && !HOST_CHAR.test(c)) {
      return undefined;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** net/url `stringContainsCTLByte`: a byte below 0x20, or DEL, makes url.Parse fail. */
export function hasCtlByte(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Every `%` starts a two-hex-digit escape (net/url `unescape` fails otherwise). */
export function validEscapes(s: string): boolean {
  return !/%(?![0-9a-fA-F]{2})/.test(s);
}
