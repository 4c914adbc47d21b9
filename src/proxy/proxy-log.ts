// oauth2-proxy's three log formats and the startup lines worth imitating (oauth2-proxy-and-dex.md §A6 "Log
// formats"; pkg/logger/logger.go `Default*LoggingFormat`, `PrintAuthf`, `PrintReq`; session_state.go `String`;
// oauthproxy.go:180-186; pkg/upstream/proxy.go:92).
import { goList, goQuote, goTime } from './bearer/go-format.js';
import type { ProxyOptions } from './options.js';
import { formatGoDuration } from './go-duration.js';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `ts.Format("2006/01/02 15:04:05")` in local time: `--logging-local-time` defaults to true (logger.go). */
export function goLogTimestamp(date: Date): string {
  return (
    `${pad(date.getFullYear(), 4)}/${pad(date.getMonth() + 1)}/${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** Standard format `[{{.Timestamp}}] [{{.File}}] {{.Message}}`; `file` is the Go `file.go:line` imitated. */
export function standardLine(file: string, message: string, at: Date): string {
  return `[${goLogTimestamp(at)}] [${file}] ${message}`;
}

export type AuthStatus = 'AuthSuccess' | 'AuthFailure' | 'AuthError';

export interface AuthLineOptions {
  /** `getClientFunc`: RemoteAddr, or the real client IP with `--real-client-ip-header` and trusted proxies. */
  client: string;
  requestId: string;
  /** The session e-mail the caller passes; '' prints as `-`. */
  username: string;
  status: AuthStatus;
  message: string;
  at: Date;
}

/** Auth format `{{.Client}} - {{.RequestID}} - {{.Username}} [{{.Timestamp}}] [{{.Status}}] {{.Message}}`. */
export function authLine(o: AuthLineOptions): string {
  return `${o.client} - ${o.requestId} - ${o.username || '-'} [${goLogTimestamp(o.at)}] [${o.status}] ${o.message}`;
}

export interface RequestLineOptions {
  client: string;
  requestId: string;
  /** Session e-mail, else user; '' prints as `-`. */
  username: string;
  /** When the request started: PrintReq stamps the line with it, not with the time of writing. */
  at: Date;
  /** `GetRequestHost`: the Host header. */
  host: string;
  method: string;
  /** The upstream ID that served the request (`/` for the lab's single upstream); '' prints as `-`. */
  upstream: string;
  /** `url.RequestURI()`: path and query. */
  requestUri: string;
  /** `req.Proto`, e.g. `HTTP/1.1`. */
  protocol: string;
  userAgent: string;
  status: number;
  size: number;
  durationMs: number;
}

/**
 * Request format `{{.Client}} - {{.RequestID}} - {{.Username}} [{{.Timestamp}}] {{.Host}} {{.RequestMethod}}
 * {{.Upstream}} {{.RequestURI}} {{.Protocol}} {{.UserAgent}} {{.StatusCode}} {{.ResponseSize}}
 * {{.RequestDuration}}`, with URI and agent `%q`-quoted and the duration `%0.3f` seconds.
 */
export function requestLine(o: RequestLineOptions): string {
  return [
    `${o.client} - ${o.requestId} - ${o.username || '-'} [${goLogTimestamp(o.at)}]`,
    o.host,
    o.method,
    o.upstream || '-',
    goQuote(o.requestUri),
    o.protocol,
    goQuote(o.userAgent),
    String(o.status),
    String(o.size),
    goFixed3(Math.round(o.durationMs * 1e6) / 1e9),
  ].join(' ');
}

/**
 * `fmt.Sprintf("%0.3f", x)`. Go rounds an exact tie to even (0.0625 → `0.062`) where `toFixed` rounds it up, so
 * ties are found in the exact expansion (a duration's double ends well within 100 decimals).
 */
function goFixed3(x: number): string {
  const [whole = '', decimals = ''] = x.toFixed(100).split('.');
  const kept = decimals.slice(0, 3);
  const isTie = /^50*$/.test(decimals.slice(3));
  if (isTie && Number(kept.at(-1)) % 2 === 0) return `${whole}.${kept}`;
  return x.toFixed(3);
}

/** The fields of oauth2-proxy's SessionState that its `String()` prints. */
export interface SessionSummary {
  email?: string;
  user?: string;
  preferredUsername?: string;
  accessToken?: string;
  idToken?: string;
  /** Milliseconds since the epoch; a fraction prints as Go's nanoseconds (a double keeps about 0.25 µs of it). */
  createdAt?: number;
  expiresOn?: number;
  refreshToken?: string;
  groups?: string[];
  /**
   * Go's monotonic clock reading in seconds, printed as ` m=+S.NNNNNNNNN` after a `time.Now()` value. Only a
   * session created in this process has one (CreatedAtNow at the OAuth callback); a decoded cookie does not.
   */
  createdMonotonicSeconds?: number;
}

/** Go's zero `time.Time` in Unix milliseconds: `IsZero()` times are left out of the summary. */
const GO_ZERO_TIME_MS = -62135596800000;

/**
 * session_state.go `String()`: `Session{email:… user:… PreferredUsername:…` then ` token:true`, ` id_token:true`,
 * ` created:<time>`, ` expires:<time>` only when set, always ` refresh_token:true|false`, and ` groups:[a b]`
 * when there are groups. Times print as `time.Time.String()` in the process zone, UTC in the containers.
 */
export function sessionString(s: SessionSummary): string {
  const set = (t: number | undefined): t is number => t !== undefined && t !== GO_ZERO_TIME_MS;
  let o = `Session{email:${s.email ?? ''} user:${s.user ?? ''} PreferredUsername:${s.preferredUsername ?? ''}`;
  if (s.accessToken) o += ' token:true';
  if (s.idToken) o += ' id_token:true';
  if (set(s.createdAt)) o += ` created:${goTime(s.createdAt)}${monotonic(s.createdMonotonicSeconds)}`;
  if (set(s.expiresOn)) o += ` expires:${goTime(s.expiresOn)}`;
  o += s.refreshToken ? ' refresh_token:true' : ' refresh_token:false';
  if (s.groups && s.groups.length > 0) o += ` groups:${goList(s.groups)}`;
  return `${o}}`;
}

/** `Time.String()`'s monotonic suffix: sign, whole seconds, nine decimals. */
function monotonic(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  const ns = BigInt(Math.round(Math.abs(seconds) * 1e9));
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return ` m=${seconds < 0 ? '-' : '+'}${ns / 1_000_000_000n}.${frac}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Startup lines (standard format). Each comes with the Go file:line oauth2-proxy logs it from.

/** Where `OAuthProxy configured for …` is logged. */
export const CONFIGURED_AT = 'oauthproxy.go:180';
/** Where `Cookie settings: …` is logged. */
export const COOKIE_SETTINGS_AT = 'oauthproxy.go:186';
/** Where `mapping path … => upstream …` is logged. */
export const MAPPING_AT = 'proxy.go:92';

/** `OAuthProxy configured for %s Client ID: %s`, with the provider (display) name. */
export function configuredLine(providerName: string, clientId: string): string {
  return `OAuthProxy configured for ${providerName} Client ID: ${clientId}`;
}

type CookieSettings = Pick<
  ProxyOptions,
  | 'cookieName'
  | 'cookieSecure'
  | 'cookieHttpOnly'
  | 'cookieExpireMs'
  | 'cookieDomains'
  | 'cookiePath'
  | 'cookieSameSite'
  | 'cookieRefreshMs'
>;

/**
 * `Cookie settings: name:%s secure(https):%v httponly:%v expiry:%s domains:%s path:%s samesite:%s refresh:%s`
 * with comma-joined domains and `refresh:disabled` or `refresh:after <duration>`.
 */
export function cookieSettingsLine(o: CookieSettings): string {
  const refresh = o.cookieRefreshMs === 0 ? 'disabled' : `after ${formatGoDuration(o.cookieRefreshMs)}`;
  return (
    `Cookie settings: name:${o.cookieName} secure(https):${o.cookieSecure} httponly:${o.cookieHttpOnly} ` +
    `expiry:${formatGoDuration(o.cookieExpireMs)} domains:${o.cookieDomains.join(',')} path:${o.cookiePath} ` +
    `samesite:${o.cookieSameSite} refresh:${refresh}`
  );
}

/** `mapping path %q => upstream %q` (pkg/upstream/proxy.go); the URI is the `--upstream` value as written. */
export function mappingLine(path: string, upstream: string): string {
  return `mapping path ${goQuote(path)} => upstream ${goQuote(upstream)}`;
}

/**
 * [lab] The credential oauth2-proxy quotes in two extraction errors (`invalid authorization header: "…"`,
 * `invalid format: "…"`) with each word longer than 8 characters cut to its first 8 and `…`: oauth2-proxy logs the
 * whole header, which put complete, valid tokens in the lab's log. The rest of the line is oauth2-proxy's, word for
 * word; no other line holds a credential.
 */
export function cutCredentials(error: string): string {
  const quoted = /^(invalid authorization header: |invalid format: )(".*")$/s.exec(error);
  if (!quoted) return error;
  return quoted[1]! + quoted[2]!.replace(/[^\s"]{9,}/g, (word) => `${word.slice(0, 8)}…`);
}
