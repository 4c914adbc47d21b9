// Turns the lab config's `proxy:` section and `OAUTH2_PROXY_*` variables into {@link ProxyOptions}, collecting
// every problem at once in oauth2-proxy's own words (pkg/validation/*.go) where it has them.
// Sources, strongest first: env > config section > lab-derived base > oauth2-proxy's defaults. oauth2-proxy
// itself reads flag > env > config file (oauth2-proxy-and-dex.md §A6 "Flags ↔ env ↔ config"); the lab has no flags.
import type { ConfigProblem } from '../config/issues.js';
import { goQuote } from './bearer/go-format.js';
import { parseExtraJwtIssuers } from './bearer/load.js';
import { formatGoDuration, parseGoDuration } from './go-duration.js';
import { PROXY_DEFAULTS, type ExtraJwtIssuer, type ProxyOptions, type SkipAuthRoute } from './options.js';
import { validateCookieSecret } from './session/cookie-secret.js';

/** How a flag's value is written: enums are strings checked after merging, with oauth2-proxy's message. */
export type ProxyFlagKind = 'string' | 'bool' | 'duration' | 'list' | 'enum';

export interface ProxyFlag {
  /** The flag without its dashes; also the key in the lab config's `proxy:` section. */
  readonly flag: string;
  /** `OAUTH2_PROXY_` + the upper-cased cfg tag, which is plural for list flags (§A6). */
  readonly env: string;
  readonly key: keyof ProxyOptions;
  readonly kind: ProxyFlagKind;
}

/** `cfg` defaults to the flag in snake case; list flags pass their plural cfg tag (legacy_options.go tags). */
function f(
  flag: string,
  key: keyof ProxyOptions,
  kind: ProxyFlagKind,
  cfg = flag.replaceAll('-', '_'),
): ProxyFlag {
  return { flag, env: `OAUTH2_PROXY_${cfg.toUpperCase()}`, key, kind };
}

/** Every flag the lab's proxy understands, in oauth2-proxy's spelling. */
export const PROXY_FLAGS: readonly ProxyFlag[] = [
  f('client-id', 'clientId', 'string'),
  f('client-secret', 'clientSecret', 'string'),
  f('oidc-issuer-url', 'oidcIssuerUrl', 'string'),
  f('oidc-extra-audience', 'oidcExtraAudiences', 'list', 'oidc_extra_audiences'),
  f('oidc-audience-claim', 'oidcAudienceClaims', 'list', 'oidc_audience_claims'),
  f('extra-jwt-issuers', 'extraJwtIssuers', 'list'),
  f('skip-jwt-bearer-tokens', 'skipJwtBearerTokens', 'bool'),
  f('bearer-token-login-fallback', 'bearerTokenLoginFallback', 'bool'),
  f('cookie-name', 'cookieName', 'string'),
  f('cookie-secret', 'cookieSecret', 'string'),
  f('cookie-expire', 'cookieExpireMs', 'duration'),
  f('cookie-refresh', 'cookieRefreshMs', 'duration'),
  f('cookie-secure', 'cookieSecure', 'bool'),
  f('cookie-httponly', 'cookieHttpOnly', 'bool'),
  f('cookie-samesite', 'cookieSameSite', 'enum'),
  f('cookie-domain', 'cookieDomains', 'list', 'cookie_domains'),
  f('cookie-path', 'cookiePath', 'string'),
  f('cookie-csrf-expire', 'cookieCsrfExpireMs', 'duration'),
  f('email-domain', 'emailDomains', 'list', 'email_domains'),
  f('allowed-group', 'allowedGroups', 'list', 'allowed_groups'),
  f('oidc-groups-claim', 'oidcGroupsClaim', 'string'),
  f('oidc-email-claim', 'oidcEmailClaim', 'string'),
  f('insecure-oidc-allow-unverified-email', 'insecureOidcAllowUnverifiedEmail', 'bool'),
  f('insecure-oidc-skip-issuer-verification', 'insecureOidcSkipIssuerVerification', 'bool'),
  f('skip-provider-button', 'skipProviderButton', 'bool'),
  f('provider-display-name', 'providerDisplayName', 'string'),
  f('scope', 'scope', 'string'),
  f('code-challenge-method', 'codeChallengeMethod', 'enum'),
  f('api-route', 'apiRoutes', 'list', 'api_routes'),
  f('skip-auth-route', 'skipAuthRoutes', 'list', 'skip_auth_routes'),
  f('skip-auth-preflight', 'skipAuthPreflight', 'bool'),
  f('skip-auth-strip-headers', 'skipAuthStripHeaders', 'bool'),
  f('force-json-errors', 'forceJsonErrors', 'bool'),
  f('pass-access-token', 'passAccessToken', 'bool'),
  f('pass-authorization-header', 'passAuthorizationHeader', 'bool'),
  f('pass-user-headers', 'passUserHeaders', 'bool'),
  f('pass-host-header', 'passHostHeader', 'bool'),
  f('prefer-email-to-user', 'preferEmailToUser', 'bool'),
  f('set-xauthrequest', 'setXAuthRequest', 'bool'),
  f('upstream', 'upstreams', 'list', 'upstreams'),
  f('redirect-url', 'redirectUrl', 'string'),
  f('whitelist-domain', 'whitelistDomains', 'list', 'whitelist_domains'),
  f('show-debug-on-error', 'showDebugOnError', 'bool'),
  f('request-id-header', 'requestIdHeader', 'string'),
  f('proxy-prefix', 'proxyPrefix', 'string'),
  f('ping-path', 'pingPath', 'string'),
  f('ready-path', 'readyPath', 'string'),
];

const BY_FLAG = new Map(PROXY_FLAGS.map((p) => [p.flag, p]));

/** Values that must never reach a message or a log line (options.ts: "Never logged"). */
const SECRET_FLAGS = new Set(['cookie-secret', 'client-secret']);

export const RULES = {
  unknown: 'unknown option',
  section: 'must be a mapping of oauth2-proxy options',
  bool: 'must be true or false',
  string: 'must be a string',
  list: 'must be a list of strings',
  duration: 'must be a Go duration such as 168h, 15m or 90s',
  // pkg/validation/providers.go validateProvider / validateClientSecret.
  clientId: 'provider missing setting: client-id',
  clientSecret: 'missing setting: client-secret or client-secret-file',
  // Not a validation message in oauth2-proxy: NewProviderVerifier fails at start-up (oauthproxy.go:142,
  // providers/providers.go, pkg/providers/oidc/provider_verifier.go:67); the lab reports it with the rest.
  issuer:
    'error initialising provider: error building OIDC ProviderVerifier: invalid provider verifier options: ' +
    'missing required setting: issuer-url',
  // pkg/validation/options.go:50-53, second line included as oauth2-proxy prints it.
  email:
    'missing setting for email validation: email-domain or authenticated-emails-file required.' +
    '\n      use email-domain=* to authorize all email addresses',
  // Lab rule: oauth2-proxy accepts any value and only fails at /oauth2/start (pkg/encryption/utils.go
  // GenerateCodeChallenge), which would make every browser login fail.
  codeChallenge: (m: string) =>
    `must be S256, plain or '' (oauth2-proxy only fails later, at /oauth2/start: "unknown challenge method: ${m}")`,
  // Lab rules: the lab proxies plain HTTP to one MLflow server (options.ts `upstreams`).
  upstreamScheme: 'not supported by the lab: only http:// and https:// upstreams',
  upstreamUrl: 'must be an absolute http(s) URL',
  upstreamSingle: 'not supported by the lab: one upstream, mapping "/" (a URL without a path)',
} as const;

type RawValue = string | boolean | number | string[];

/** One option as given: its value (durations in ms), where it was written and what was written there. */
interface Setting {
  value: RawValue;
  path: string;
  received: unknown;
  /** A config list: item problems are reported at `path[i]`. */
  indexed: boolean;
}

type Settings = Map<string, Setting>;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `received` for a problem, left out for secrets so the message never shows them. */
function shown(flag: string, received: unknown): { received?: unknown } {
  return SECRET_FLAGS.has(flag) ? {} : { received };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the two sources

/** A YAML value of the config section, by kind; a problem's rule when it has the wrong type. */
function fromConfig(kind: ProxyFlagKind, v: unknown): { value: RawValue } | { rule: string } {
  switch (kind) {
    case 'bool':
      return typeof v === 'boolean' ? { value: v } : { rule: RULES.bool };
    case 'string':
    case 'enum':
      return typeof v === 'string' ? { value: v } : { rule: RULES.string };
    case 'list':
      if (typeof v === 'string') return { value: [v] };
      return Array.isArray(v) && v.every((x) => typeof x === 'string')
        ? { value: v as string[] }
        : { rule: RULES.list };
    case 'duration': {
      // A bare YAML 0 is accepted as Go accepts the string "0"; any other number lacks Go's required unit.
      const ms = v === 0 ? 0 : typeof v === 'string' ? parseGoDuration(v) : undefined;
      return ms === undefined ? { rule: RULES.duration } : { value: ms };
    }
  }
}

/** Go's strconv.ParseBool, which viper uses for env values. */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/** An env value, by kind. Lists are comma-separated (§A6); items are trimmed and empty ones dropped. */
function fromEnv(kind: ProxyFlagKind, text: string): { value: RawValue } | { rule: string } {
  switch (kind) {
    case 'bool': {
      const b = parseGoBool(text);
      return b === undefined ? { rule: RULES.bool } : { value: b };
    }
    case 'string':
    case 'enum':
      return { value: text };
    case 'list':
      return {
        value: text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      };
    case 'duration': {
      const ms = parseGoDuration(text);
      return ms === undefined ? { rule: RULES.duration } : { value: ms };
    }
  }
}

function readConfig(section: Record<string, unknown>, settings: Settings, problems: ConfigProblem[]): void {
  for (const [key, v] of Object.entries(section)) {
    const path = `proxy.${key}`;
    const flag = BY_FLAG.get(key);
    if (!flag) {
      // A misspelt secret option (`cookie_secret`, `cookie-secrte`) must not be echoed either.
      problems.push({ path, ...(/sec/i.test(key) ? {} : { received: v }), rule: RULES.unknown });
      continue;
    }
    const r = fromConfig(flag.kind, v);
    if ('rule' in r) problems.push({ path, ...shown(key, v), rule: r.rule });
    else settings.set(key, { value: r.value, path, received: v, indexed: Array.isArray(v) });
  }
}

function readEnv(
  env: Record<string, string | undefined>,
  settings: Settings,
  problems: ConfigProblem[],
): void {
  for (const flag of PROXY_FLAGS) {
    const text = env[flag.env];
    // viper ignores empty variables unless AllowEmptyEnv (off in oauth2-proxy's load.go) [inf].
    if (text === undefined || text === '') continue;
    const r = fromEnv(flag.kind, text);
    if ('rule' in r) problems.push({ path: flag.env, ...shown(flag.flag, text), rule: r.rule });
    else settings.set(flag.flag, { value: r.value, path: flag.env, received: text, indexed: false });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Regexes, routes, issuers, upstreams

/**
 * Compiles an oauth2-proxy regex (Go RE2 syntax) as a JS RegExp. Deviation: JS accepts more (lookaround,
 * backreferences) and words its errors differently; a leading `(?ims)` becomes JS flags and `(?P<name>` a JS
 * named group, the two Go-only spellings a route is likely to use.
 */
export function compileGoRegExp(source: string): RegExp {
  const lead = /^\(\?([ims]+)\)/.exec(source);
  const flags = lead ? [...new Set(lead[1]!)].join('') : '';
  const body = (lead ? source.slice(lead[0].length) : source).replaceAll('(?P<', '(?<');
  return new RegExp(body, flags);
}

/**
 * `error compiling regex /re/: …` (pkg/validation/allowlist.go validateRegexes). The text after the colon is
 * JavaScript's reason (`Unterminated group`), where Go would say `error parsing regexp: missing closing ): …`.
 */
function regexError(source: string): string | undefined {
  try {
    compileGoRegExp(source);
    return undefined;
  } catch (e) {
    const message = (e as Error).message;
    return `error compiling regex /${source}/: ${message.slice(message.lastIndexOf(': ') + 2)}`;
  }
}

/**
 * `--skip-auth-route` as oauthproxy.go buildRoutesAllowlist splits it: at the first `=` or `!=`, method
 * upper-cased, `negate` when the spec contains `!=` anywhere. Note that oauth2-proxy's `negate` inverts the
 * *path* match (isAllowedPath), the method must still be equal (isAllowedMethod). Throws on a bad regex.
 */
export function parseSkipAuthRoute(spec: string): SkipAuthRoute {
  const sep = /!?=/.exec(spec);
  const method = sep ? spec.slice(0, sep.index).toUpperCase() : '';
  const regex = sep ? spec.slice(sep.index + sep[0].length) : spec;
  return {
    ...(method !== '' && { method }),
    negate: spec.includes('!='),
    pattern: compileGoRegExp(regex),
    source: spec,
  };
}

/** The regex part as validateAuthRoutes reads it (strings.SplitN(route, "=", 2)); same text as above. */
function skipAuthRegex(spec: string): string {
  const i = spec.indexOf('=');
  return i < 0 ? spec : spec.slice(i + 1);
}

/** Go's url.Parse, as far as legacy upstream conversion needs it: the scheme, the path, or Go's error text. */
function goParseUrl(raw: string): { scheme: string; path: string } | { error: string } {
  let rest = raw.split('#')[0]!;
  rest = rest.split('?')[0]!;
  let scheme = '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (rest.startsWith(':')) return { error: 'missing protocol scheme' };
  if (m) {
    scheme = m[1]!.toLowerCase();
    rest = rest.slice(m[0].length);
  } else if (!rest.startsWith('/') && rest.split('/')[0]!.includes(':')) {
    return { error: 'first path segment in URL cannot contain colon' };
  }
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    return { scheme, path: slash < 0 ? '' : rest.slice(slash) };
  }
  // `mlflow:5000` is scheme `mlflow` with opaque `5000` and no path.
  return { scheme, path: scheme !== '' && !rest.startsWith('/') ? '' : rest };
}

/** One `--upstream`: oauth2-proxy's texts (legacy_options.go convert, pkg/validation/upstreams.go), then lab limits. */
function upstreamRule(raw: string, index: number): string | undefined {
  const parsed = goParseUrl(raw);
  if ('error' in parsed)
    return `could not parse upstream ${goQuote(raw)}: parse ${goQuote(raw)}: ${parsed.error}`;
  const id = parsed.path === '' ? '/' : parsed.path;
  if (!['http', 'https', 'file', 'unix', 'static'].includes(parsed.scheme))
    return `upstream ${goQuote(id)} has invalid scheme: ${goQuote(parsed.scheme)}`;
  if (parsed.scheme !== 'http' && parsed.scheme !== 'https') return RULES.upstreamScheme;
  if (!URL.canParse(raw) || new URL(raw).hostname === '') return RULES.upstreamUrl;
  if (index > 0 || id !== '/') return RULES.upstreamSingle;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Building and validating

/** Where a list item is written: `proxy.upstream[1]` for a config list, else the option's own path. */
function itemPath(setting: Setting | undefined, flag: string, i: number): string {
  if (!setting) return `proxy.${flag}`;
  return setting.indexed ? `${setting.path}[${i}]` : setting.path;
}

/** A problem about one option, at the place it was written, or `proxy.<flag> (missing)` when it was not. */
function at(settings: Settings, flag: string, rule: string): ConfigProblem {
  const s = settings.get(flag);
  if (!s) return { path: `proxy.${flag}`, missing: true, rule };
  return { path: s.path, ...shown(flag, s.received), rule };
}

/** Item problems of a list option: `check` returns a rule for a bad item. */
function listProblems(
  settings: Settings,
  flag: string,
  items: readonly string[],
  check: (item: string, i: number) => string | undefined,
): ConfigProblem[] {
  return items.flatMap((item, i) => {
    const rule = check(item, i);
    return rule === undefined ? [] : [{ path: itemPath(settings.get(flag), flag, i), received: item, rule }];
  });
}

function defaults(): ProxyOptions {
  const d = PROXY_DEFAULTS;
  return {
    ...d,
    clientId: '',
    clientSecret: '',
    oidcIssuerUrl: '',
    cookieSecret: '',
    oidcExtraAudiences: [...d.oidcExtraAudiences],
    oidcAudienceClaims: [...d.oidcAudienceClaims],
    extraJwtIssuers: [...d.extraJwtIssuers],
    cookieDomains: [...d.cookieDomains],
    emailDomains: [...d.emailDomains],
    allowedGroups: [...d.allowedGroups],
    apiRoutes: [...d.apiRoutes],
    skipAuthRoutes: [...d.skipAuthRoutes],
    upstreams: [...d.upstreams],
    whitelistDomains: [...d.whitelistDomains],
  };
}

const SAME_SITE = ['', 'lax', 'strict', 'none'];
const CHALLENGE = ['', 'S256', 'plain'];

/** A setting's value converted to its field; regexes and issuers that fail are left out (reported later). */
function fieldValue(flag: ProxyFlag, value: RawValue): unknown {
  const list = value as string[];
  switch (flag.key) {
    case 'apiRoutes':
      return list.filter((s) => regexError(s) === undefined).map(compileGoRegExp);
    case 'skipAuthRoutes':
      return list.filter((s) => regexError(skipAuthRegex(s)) === undefined).map(parseSkipAuthRoute);
    case 'extraJwtIssuers':
      return parseExtraJwtIssuers(list).issuers satisfies ExtraJwtIssuer[];
    default:
      return value;
  }
}

function build(settings: Settings, base: Partial<ProxyOptions>): ProxyOptions {
  const options = { ...defaults(), ...base };
  for (const [name, setting] of settings) {
    const flag = BY_FLAG.get(name)!;
    if (name === 'cookie-samesite' && !SAME_SITE.includes(setting.value as string)) continue;
    if (name === 'code-challenge-method' && !CHALLENGE.includes(setting.value as string)) continue;
    // One generic assignment: the table pairs each flag with a field of the kind fromConfig/fromEnv produced.
    (options as unknown as Record<string, unknown>)[flag.key] = fieldValue(flag, setting.value);
  }
  return options;
}

/** validateCookie (pkg/validation/cookie.go): secret, refresh < expire, samesite, name. */
function cookieProblems(o: ProxyOptions, settings: Settings, complete: boolean): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (complete || settings.has('cookie-secret'))
    problems.push(...validateCookieSecret(o.cookieSecret).map((rule) => at(settings, 'cookie-secret', rule)));
  if (o.cookieExpireMs !== 0 && o.cookieRefreshMs >= o.cookieExpireMs) {
    const rule =
      `cookie_refresh (${goQuote(formatGoDuration(o.cookieRefreshMs))}) must be less than ` +
      `cookie_expire (${goQuote(formatGoDuration(o.cookieExpireMs))})`;
    problems.push(at(settings, settings.has('cookie-refresh') ? 'cookie-refresh' : 'cookie-expire', rule));
  }
  const sameSite = settings.get('cookie-samesite')?.value as string | undefined;
  if (sameSite !== undefined && !SAME_SITE.includes(sameSite))
    problems.push(
      at(
        settings,
        'cookie-samesite',
        `cookie_samesite (${goQuote(sameSite)}) must be one of ['', 'lax', 'strict', 'none']`,
      ),
    );
  // validateCookieName: Go's http.Cookie.String() is empty for a name that is not an RFC 7230 token.
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(o.cookieName))
    problems.push(at(settings, 'cookie-name', `invalid cookie name: ${goQuote(o.cookieName)}`));
  if (o.cookieName.length > 256)
    problems.push(
      at(
        settings,
        'cookie-name',
        `cookie name should be under 256 characters: cookie name is ${o.cookieName.length} characters`,
      ),
    );
  return problems;
}

/** Settings oauth2-proxy requires; only checked once the lab-derived base is known. */
function requiredProblems(o: ProxyOptions, settings: Settings): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (o.clientId === '') problems.push(at(settings, 'client-id', RULES.clientId));
  if (o.clientSecret === '') problems.push(at(settings, 'client-secret', RULES.clientSecret));
  if (o.oidcIssuerUrl === '') problems.push(at(settings, 'oidc-issuer-url', RULES.issuer));
  return problems;
}

/** Every check after merging, in the order pkg/validation/options.go Validate runs them. */
function validate(o: ProxyOptions, settings: Settings, complete: boolean): ConfigProblem[] {
  const raw = (flag: string): string[] => (settings.get(flag)?.value as string[] | undefined) ?? [];
  const method = settings.get('code-challenge-method')?.value as string | undefined;
  return [
    ...cookieProblems(o, settings, complete),
    ...(complete ? requiredProblems(o, settings) : []),
    ...(method !== undefined && !CHALLENGE.includes(method)
      ? [at(settings, 'code-challenge-method', RULES.codeChallenge(method))]
      : []),
    ...listProblems(settings, 'api-route', raw('api-route'), regexError),
    ...(complete && o.emailDomains.length === 0 ? [at(settings, 'email-domain', RULES.email)] : []),
    // parseJwtIssuers only runs with --skip-jwt-bearer-tokens (options.go Validate).
    ...(o.skipJwtBearerTokens
      ? listProblems(settings, 'extra-jwt-issuers', raw('extra-jwt-issuers'), (s) =>
          parseExtraJwtIssuers([s]).errors.at(0),
        )
      : []),
    ...listProblems(settings, 'upstream', o.upstreams, upstreamRule),
    ...listProblems(settings, 'skip-auth-route', raw('skip-auth-route'), (s) => regexError(skipAuthRegex(s))),
  ];
}

export interface ParseProxyOptionsInput {
  /** The lab config's `proxy:` section (kebab-case flag names, YAML-typed values). */
  config?: unknown;
  /** Usually process.env; only the `OAUTH2_PROXY_*` names of {@link PROXY_FLAGS} are read, others ignored. */
  env?: Record<string, string | undefined>;
  /** What the lab derives: issuer, client secret, upstream, a generated cookie secret. */
  base?: Partial<ProxyOptions>;
}

/** Resolves the proxy's options and every problem with them (an empty list when the proxy can start). */
export function parseProxyOptions(input: ParseProxyOptionsInput): {
  options: ProxyOptions;
  problems: ConfigProblem[];
} {
  const settings: Settings = new Map();
  const problems: ConfigProblem[] = [];
  if (isRecord(input.config)) readConfig(input.config, settings, problems);
  else if (input.config !== undefined && input.config !== null)
    problems.push({ path: 'proxy', received: input.config, rule: RULES.section });
  readEnv(input.env ?? {}, settings, problems);
  const options = build(settings, input.base ?? {});
  problems.push(...validate(options, settings, true));
  return { options, problems };
}

/**
 * What config resolution can check in a `proxy:` section on its own: types, unknown keys, enums, durations,
 * regexes, extra-jwt-issuers specs, a given cookie secret, refresh < expire, upstreams. Settings the lab derives
 * or env may supply (secrets, issuer, client id, email-domain) are left to {@link parseProxyOptions}. A section
 * that is not a mapping gives nothing here: the config schema reports it.
 */
export function validateProxySection(raw: unknown): ConfigProblem[] {
  if (!isRecord(raw)) return [];
  const settings: Settings = new Map();
  const problems: ConfigProblem[] = [];
  readConfig(raw, settings, problems);
  problems.push(...validate(build(settings, {}), settings, false));
  return problems;
}
