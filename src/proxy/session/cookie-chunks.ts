// Set-Cookie serialisation, chunking and loading of the session cookie as oauth2-proxy does them
// (oauth2-proxy-and-dex.md §A1 "Set-Cookie serialisation", "Chunking").

/** `maxCookieLength` (`session_store.go:18-23`): name, value and attributes together. */
export const MAX_COOKIE_LENGTH = 4000;

/** Logged at error level when a session needs more than one cookie (§A1 "Chunking"). */
export const SPLIT_WARNING =
  'WARNING: Multiple cookies are required for this session as it exceeds the 4kb cookie limit. Please use server side session storage (eg. Redis) instead.';

export type SameSite = '' | 'lax' | 'strict' | 'none';

/** The attributes oauth2-proxy's `MakeCookieFromOptions` puts on every cookie it writes. */
export interface CookieAttributes {
  /** `--cookie-path`, default `/`. */
  path: string;
  /** The one `--cookie-domain` chosen for this request, or undefined for a host-only cookie. */
  domain?: string;
  /** Seconds; 0 writes no Max-Age (a browser-session cookie), negative writes `Max-Age=0` (clear). */
  maxAge: number;
  httpOnly: boolean;
  secure: boolean;
  /** `''` writes no attribute (§A1 "Defaults"). */
  sameSite: SameSite;
}

const SAME_SITE: Record<Exclude<SameSite, ''>, string> = { lax: 'Lax', strict: 'Strict', none: 'None' };

/**
 * Go's `http.Cookie.String()` for the fields oauth2-proxy sets, in Go's order:
 * `name=value; Path; Domain; Max-Age; HttpOnly; Secure; SameSite`. No `Expires` since v7.8.2 (§A1).
 */
export function serializeCookie(name: string, value: string, a: CookieAttributes): string {
  let s = `${name}=${value}`;
  if (a.path !== '') s += `; Path=${a.path}`;
  // Go strips one leading dot from the domain [inf].
  if (a.domain !== undefined && a.domain !== '') s += `; Domain=${a.domain.replace(/^\./, '')}`;
  if (a.maxAge > 0) s += `; Max-Age=${a.maxAge}`;
  else if (a.maxAge < 0) s += '; Max-Age=0';
  if (a.httpOnly) s += '; HttpOnly';
  if (a.secure) s += '; Secure';
  if (a.sameSite !== '') s += `; SameSite=${SAME_SITE[a.sameSite]}`;
  return s;
}

/** `splitCookieName`: `_oauth2_proxy_0`, `_oauth2_proxy_1`, … */
export function chunkName(name: string, index: number): string {
  return `${name}_${index}`;
}

export interface SessionSetCookies {
  /** Set-Cookie header values, in order. */
  headers: string[];
  /** True when the value was split; the caller logs {@link SPLIT_WARNING}. */
  split: boolean;
}

/**
 * `splitCookie` (`session_store.go:149-200`): one cookie when its full `String()` is under 4000 bytes; otherwise
 * `_0`, `_1`, … each filled up to exactly 4000 bytes of `String()`. The source tests `< 4000`, so a cookie of
 * exactly 4000 bytes is split (§A1's prose says "> 4000"; the code wins).
 */
export function sessionSetCookies(name: string, value: string, a: CookieAttributes): SessionSetCookies {
  const whole = serializeCookie(name, value, a);
  if (whole.length < MAX_COOKIE_LENGTH) return { headers: [whole], split: false };
  const headers: string[] = [];
  let rest = value;
  for (let i = 0; rest.length > 0; i++) {
    const n = chunkName(name, i);
    const overflow = serializeCookie(n, rest, a).length - MAX_COOKIE_LENGTH;
    if (overflow <= 0) {
      headers.push(serializeCookie(n, rest, a));
      rest = '';
    } else {
      const size = rest.length - overflow;
      // Attributes alone over the limit would never terminate in Go either; refuse instead of looping.
      if (size <= 0) throw new RangeError(`cookie attributes alone exceed ${MAX_COOKIE_LENGTH} bytes`);
      headers.push(serializeCookie(n, rest.slice(0, size), a));
      rest = rest.slice(size);
    }
  }
  return { headers, split: true };
}

export interface RequestCookie {
  name: string;
  value: string;
}

/**
 * The cookies of a request's `Cookie` header(s), in order, like Go's `readCookies`: pairs split on `;`, trimmed,
 * a value wrapped in double quotes unwrapped, pairs without `=` or with an empty name skipped.
 */
export function parseCookieHeader(header: string | string[] | undefined): RequestCookie[] {
  if (header === undefined) return [];
  const lines = Array.isArray(header) ? header : [header];
  const out: RequestCookie[] = [];
  for (const line of lines) {
    for (const part of line.split(';')) {
      const pair = part.trim();
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      let value = pair.slice(eq + 1);
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      out.push({ name: pair.slice(0, eq), value });
    }
  }
  return out;
}

/** Go's `req.Cookie(name)`: the first cookie of that name. */
function firstCookie(cookies: RequestCookie[], name: string): string | undefined {
  return cookies.find((c) => c.name === name)?.value;
}

/**
 * `loadCookie` (`session_store.go:228-251`): the whole cookie wins if present; otherwise `_0`, `_1`, … until the
 * first missing index, concatenated. Undefined is `http.ErrNoCookie` (anonymous, nothing logged or cleared); that
 * includes `_1` without `_0`.
 */
export function readSessionCookie(cookies: RequestCookie[], name: string): string | undefined {
  const whole = firstCookie(cookies, name);
  if (whole !== undefined) return whole;
  const chunks: string[] = [];
  for (let i = 0; ; i++) {
    const chunk = firstCookie(cookies, chunkName(name, i));
    if (chunk === undefined) break;
    chunks.push(chunk);
  }
  return chunks.length === 0 ? undefined : chunks.join('');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `SessionStore.Clear` (`session_store.go:72-95`): a `Max-Age=0`, empty-value Set-Cookie for every request cookie
 * named `^<name>(_\d+)?$`, one per presented cookie, in request order. The `_csrf` cookie does not match.
 * (Go builds the regexp from the unescaped name; the lab escapes it, which only differs for names with
 * metacharacters.)
 */
export function clearSessionCookies(cookies: RequestCookie[], name: string, a: CookieAttributes): string[] {
  const re = new RegExp(`^${escapeRegExp(name)}(_\\d+)?$`);
  return cookies.filter((c) => re.test(c.name)).map((c) => serializeCookie(c.name, '', { ...a, maxAge: -1 }));
}
