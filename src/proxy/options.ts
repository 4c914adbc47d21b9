// The proxy's options, named after oauth2-proxy's flags (oauth2-proxy-and-dex.md §A1 "Defaults", §A5, §A6
// "Key defaults"). This file holds the resolved shape and its defaults; `parse-options.ts` turns a lab config's
// `proxy:` section and `OAUTH2_PROXY_*` variables into it, collecting every problem at once.
import type { SameSite } from './session/cookie-chunks.js';

/** `--skip-auth-route`: `METHOD=regex`, `METHOD!=regex` or just `regex` (§A5 "Skip-auth"). */
export interface SkipAuthRoute {
  /** Upper-cased method, or undefined for any method. */
  method?: string;
  /** `METHOD!=regex`: the method must still match; the path must NOT match the pattern. */
  negate: boolean;
  pattern: RegExp;
  /** The option as written, for messages. */
  source: string;
}

/** `--extra-jwt-issuers issuer=audience` (§A3). */
export interface ExtraJwtIssuer {
  issuer: string;
  audience: string;
}

/** Resolved proxy options; each field names the oauth2-proxy flag it stands for. */
export interface ProxyOptions {
  /** `--client-id`: the browser-login client, and the first allowed audience. */
  clientId: string;
  /** `--client-secret`: used to redeem the authorization code. */
  clientSecret: string;
  /** `--oidc-issuer-url`: discovery at `<issuer>/.well-known/openid-configuration`. */
  oidcIssuerUrl: string;
  /** `--oidc-extra-audience`. */
  oidcExtraAudiences: string[];
  /** `--oidc-audience-claim`, default `['aud']`. */
  oidcAudienceClaims: string[];
  /** `--extra-jwt-issuers`. */
  extraJwtIssuers: ExtraJwtIssuer[];
  /** `--skip-jwt-bearer-tokens`, default false. */
  skipJwtBearerTokens: boolean;
  /** `--bearer-token-login-fallback`, default true. */
  bearerTokenLoginFallback: boolean;
  /** `--cookie-name`, default `_oauth2_proxy`. */
  cookieName: string;
  /** `--cookie-secret`; the lab generates one per lab when none is configured. Never logged. */
  cookieSecret: string;
  /** `--cookie-expire` in ms, default 168h; 0 = a browser-session cookie without a window. */
  cookieExpireMs: number;
  /** `--cookie-refresh` in ms, default 0 (disabled). */
  cookieRefreshMs: number;
  /** `--cookie-secure`, default true. */
  cookieSecure: boolean;
  /** `--cookie-httponly`, default true. */
  cookieHttpOnly: boolean;
  /** `--cookie-samesite`, default `''` (no attribute). */
  cookieSameSite: SameSite;
  /** `--cookie-domain` (repeatable), default none. */
  cookieDomains: string[];
  /** `--cookie-path`, default `/`. */
  cookiePath: string;
  /** `--cookie-csrf-expire` in ms, default 15m. */
  cookieCsrfExpireMs: number;
  /** `--email-domain`; `*` allows every e-mail. */
  emailDomains: string[];
  /** `--allowed-group`. */
  allowedGroups: string[];
  /** `--oidc-groups-claim`, default `groups`. */
  oidcGroupsClaim: string;
  /** `--oidc-email-claim`, default `email`. */
  oidcEmailClaim: string;
  /** `--insecure-oidc-allow-unverified-email`, default false. */
  insecureOidcAllowUnverifiedEmail: boolean;
  /** `--insecure-oidc-skip-issuer-verification`, default false. */
  insecureOidcSkipIssuerVerification: boolean;
  /** `--skip-provider-button`, default false. */
  skipProviderButton: boolean;
  /** `--provider-display-name`, default `OpenID Connect` (the oidc provider's name). */
  providerDisplayName: string;
  /** `--scope`, default `openid email profile` (plus ` groups` when `--allowed-group` is set, §A5). */
  scope: string;
  /** `--code-challenge-method`: `S256`, `plain`, or `''` (no PKCE). */
  codeChallengeMethod: '' | 'S256' | 'plain';
  /** `--api-route` (matched against the full request URI, query included). */
  apiRoutes: RegExp[];
  /** `--skip-auth-route` (matched against the path only). */
  skipAuthRoutes: SkipAuthRoute[];
  /** `--skip-auth-preflight`, default false. */
  skipAuthPreflight: boolean;
  /** `--skip-auth-strip-headers`, default true. */
  skipAuthStripHeaders: boolean;
  /** `--force-json-errors`, default false. */
  forceJsonErrors: boolean;
  /** `--pass-access-token`, default false. */
  passAccessToken: boolean;
  /** `--pass-authorization-header`, default false. */
  passAuthorizationHeader: boolean;
  /** `--pass-user-headers`, default true. */
  passUserHeaders: boolean;
  /** `--pass-host-header`, default true. */
  passHostHeader: boolean;
  /** `--prefer-email-to-user`, default false. */
  preferEmailToUser: boolean;
  /** `--set-xauthrequest`, default false. */
  setXAuthRequest: boolean;
  /** `--upstream`: the lab's MLflow side unless configured. One upstream mapping `/`. */
  upstreams: string[];
  /** `--redirect-url`; `''` builds it from the request host (https when cookie-secure, §A5). */
  redirectUrl: string;
  /** `--whitelist-domain`. */
  whitelistDomains: string[];
  /** `--show-debug-on-error`, default false. */
  showDebugOnError: boolean;
  /** `--request-id-header`, default `X-Request-Id`. */
  requestIdHeader: string;
  /** `--proxy-prefix`, default `/oauth2`. */
  proxyPrefix: string;
  /** `--ping-path`, default `/ping`. */
  pingPath: string;
  /** `--ready-path`, default `/ready`. */
  readyPath: string;
}

/** oauth2-proxy's own defaults for every option that has one (legacy_options.go, cookie.go; §A1, §A6). */
export const PROXY_DEFAULTS = {
  oidcExtraAudiences: [],
  oidcAudienceClaims: ['aud'],
  extraJwtIssuers: [],
  skipJwtBearerTokens: false,
  bearerTokenLoginFallback: true,
  cookieName: '_oauth2_proxy',
  cookieExpireMs: 168 * 3600_000,
  cookieRefreshMs: 0,
  cookieSecure: true,
  cookieHttpOnly: true,
  cookieSameSite: '',
  cookieDomains: [],
  cookiePath: '/',
  cookieCsrfExpireMs: 15 * 60_000,
  emailDomains: [],
  allowedGroups: [],
  oidcGroupsClaim: 'groups',
  oidcEmailClaim: 'email',
  insecureOidcAllowUnverifiedEmail: false,
  insecureOidcSkipIssuerVerification: false,
  skipProviderButton: false,
  providerDisplayName: 'OpenID Connect',
  scope: '',
  codeChallengeMethod: '',
  apiRoutes: [],
  skipAuthRoutes: [],
  skipAuthPreflight: false,
  skipAuthStripHeaders: true,
  forceJsonErrors: false,
  passAccessToken: false,
  passAuthorizationHeader: false,
  passUserHeaders: true,
  passHostHeader: true,
  preferEmailToUser: false,
  setXAuthRequest: false,
  upstreams: [],
  redirectUrl: '',
  whitelistDomains: [],
  showDebugOnError: false,
  requestIdHeader: 'X-Request-Id',
  proxyPrefix: '/oauth2',
  pingPath: '/ping',
  readyPath: '/ready',
} as const satisfies Partial<ProxyOptions>;

/** The default scope (`providers/oidc.go:27`), with ` groups` when `--allowed-group` is set (§A5). */
export function effectiveScope(options: Pick<ProxyOptions, 'scope' | 'allowedGroups'>): string {
  if (options.scope !== '') return options.scope;
  return options.allowedGroups.length > 0 ? 'openid email profile groups' : 'openid email profile';
}
