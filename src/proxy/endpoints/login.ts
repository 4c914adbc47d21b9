// The browser login: /oauth2/start, /oauth2/callback and /oauth2/sign_in (oauthproxy.go OAuthStart, OAuthCallback,
// SignIn; oauth2-proxy-and-dex.md §A5 "Endpoints", §A1 "CSRF cookie", §A2 "Exact bodies").
import { createHash, randomBytes } from 'node:crypto';
import { emailDomainAllowed, groupsAllowed } from '../authorize.js';
import type { MiddlewareFactory } from '../chain.js';
import type { ProxyContext } from '../context.js';
import { CSRF_ERROR_MESSAGE, idpErrorMessage } from '../pages.js';
import { sessionString } from '../proxy-log.js';
import { isValidRedirect } from '../redirect.js';
import { noCache, redirect } from '../respond.js';
import { queryOf, type RequestScope } from '../scope.js';
import { serializeCookie } from '../session/cookie-chunks.js';
import { csrfCookieName, openCsrf, sealCsrf } from '../session/csrf-cookie.js';
import { redirectFor, renderErrorPage, renderSignInPage } from './pages.js';

const b64raw = (bytes: Buffer) => bytes.toString('base64url');
/** `HashOAuthState`: what the `state` parameter carries instead of the nonce itself. */
const hashNonce = (nonce: string) => b64raw(createHash('sha256').update(nonce).digest());

/** `encryption.GenerateCodeVerifierString(96)`: 96 characters from the PKCE alphabet. */
function codeVerifier(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';
  return [...randomBytes(96)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** `getOAuthRedirectURI`: `--redirect-url` when absolute, else the request host with https forced by cookie-secure. */
export function oauthRedirectUri(ctx: ProxyContext, scope: RequestScope): string {
  const configured = ctx.options.redirectUrl;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(configured)) return configured;
  const path = configured || `${ctx.options.proxyPrefix}/callback`;
  // Not all reverse proxies set X-Forwarded-Proto, so oauth2-proxy trusts cookie-secure instead (§A5).
  const scheme = ctx.options.cookieSecure ? 'https' : 'http';
  return `${scheme}://${scope.req.headers.host ?? ''}${path}`;
}

function csrfAttributes(ctx: ProxyContext, scope: RequestScope, maxAgeMs: number) {
  return ctx.store.attributes(scope, maxAgeMs);
}

/** `doOAuthStart`: a CSRF cookie, then 302 to the IdP's authorize URL. */
export function startLogin(
  ctx: ProxyContext,
  scope: RequestScope,
  appRedirect = redirectFor(ctx, scope),
): void {
  noCache(scope);
  const verifier = ctx.options.codeChallengeMethod === '' ? undefined : codeVerifier();
  const challenge =
    verifier === undefined
      ? undefined
      : ctx.options.codeChallengeMethod === 'S256'
        ? b64raw(createHash('sha256').update(verifier).digest())
        : verifier;
  const stateNonce = b64raw(randomBytes(32));
  const oidcNonce = b64raw(randomBytes(32));
  const name = csrfCookieName(ctx.options.cookieName);
  const now = ctx.clock.now();
  const sealed = sealCsrf(
    { stateNonce, oidcNonce, ...(verifier !== undefined && { codeVerifier: verifier }) },
    { secret: ctx.options.cookieSecret, now, name },
  );
  scope.setCookies.push(
    serializeCookie(name, sealed, csrfAttributes(ctx, scope, ctx.options.cookieCsrfExpireMs)),
  );
  const loginUrl = ctx.provider.loginUrl({
    redirectUri: oauthRedirectUri(ctx, scope),
    state: `${hashNonce(stateNonce)}:${appRedirect}`,
    ...(challenge !== undefined && { codeChallenge: challenge }),
  });
  redirect(scope, loginUrl);
}

/** `OAuthCallback`. */
async function callback(ctx: ProxyContext, scope: RequestScope): Promise<void> {
  noCache(scope);
  const q = queryOf(scope);
  const idpError = q.get('error') ?? '';
  if (idpError !== '') {
    ctx.log.errorf('oauthproxy.go:902', `Error while parsing OAuth2 callback: ${idpError}`);
    const message = idpErrorMessage(idpError);
    return renderErrorPage(ctx, scope, 403, message, message);
  }
  const state = q.get('state') ?? '';
  const colon = state.indexOf(':');
  if (colon < 0) {
    ctx.log.errorf('oauthproxy.go:910', 'Error while parsing OAuth2 state: invalid length');
    return renderErrorPage(ctx, scope, 500, 'invalid length');
  }
  const nonce = state.slice(0, colon);
  let appRedirect = state.slice(colon + 1);

  const name = csrfCookieName(ctx.options.cookieName);
  const now = ctx.clock.now();
  const presented = scope.cookies.find((c) => c.name === name)?.value;
  const csrf =
    presented === undefined
      ? undefined
      : openCsrf(presented, {
          secret: ctx.options.cookieSecret,
          now,
          name,
          csrfExpireMs: ctx.options.cookieCsrfExpireMs,
        });
  if (csrf === undefined) {
    const err = presented === undefined ? 'http: named cookie not present' : 'unable to decode CSRF cookie';
    ctx.log.auth(
      scope,
      'AuthFailure',
      `Invalid authentication via OAuth2: unable to obtain CSRF cookie: ${err} (state=${nonce})`,
      '',
    );
    return renderErrorPage(ctx, scope, 403, err, CSRF_ERROR_MESSAGE);
  }

  const code = q.get('code') ?? '';
  const redeemed =
    code === ''
      ? { error: 'missing code' as const }
      : await ctx.provider.redeem(
          {
            code,
            redirectUri: oauthRedirectUri(ctx, scope),
            ...(csrf.codeVerifier !== undefined && { codeVerifier: csrf.codeVerifier }),
          },
          now,
        );
  if (redeemed.error !== undefined) {
    ctx.log.errorf('oauthproxy.go:937', `Error redeeming code during OAuth2 callback: ${redeemed.error}`);
    return renderErrorPage(ctx, scope, 500, redeemed.error);
  }
  const session = redeemed.session!;
  if (!session.email) {
    const err = 'neither the id_token nor the profileURL set an email';
    ctx.log.errorf('oauthproxy.go:944', `Error creating session during OAuth2 callback: ${err}`);
    return renderErrorPage(ctx, scope, 500, err);
  }

  // csrf.ClearCookie: Max-Age=0 with an empty value.
  scope.setCookies.push(serializeCookie(name, '', csrfAttributes(ctx, scope, -1000)));
  if (hashNonce(csrf.stateNonce) !== nonce) {
    ctx.log.auth(
      scope,
      'AuthFailure',
      'Invalid authentication via OAuth2: CSRF token mismatch, potential attack',
      session.email,
    );
    return renderErrorPage(ctx, scope, 403, 'CSRF token mismatch, potential attack', CSRF_ERROR_MESSAGE);
  }
  const invalid = await ctx.provider.validate(session, now);
  if (invalid !== undefined) {
    ctx.log.errorf('oidc.go:130', invalid);
    ctx.log.auth(scope, 'AuthFailure', `Session validation failed: ${sessionString(session)}`, session.email);
    return renderErrorPage(ctx, scope, 403, 'Session validation failed');
  }
  if (!isValidRedirect(appRedirect, ctx.options.whitelistDomains)) appRedirect = '/';
  if (
    emailDomainAllowed(session.email, ctx.options.emailDomains) &&
    groupsAllowed(session.groups ?? [], ctx.options.allowedGroups)
  ) {
    ctx.log.auth(scope, 'AuthSuccess', `Authenticated via OAuth2: ${sessionString(session)}`, session.email);
    ctx.store.save(scope, session, now);
    return redirect(scope, appRedirect);
  }
  ctx.log.auth(scope, 'AuthFailure', 'Invalid authentication via OAuth2: unauthorized', session.email);
  renderErrorPage(ctx, scope, 403, 'Invalid session: unauthorized');
}

/** Start, callback and sign-in run before the session chain, as in oauth2-proxy's router. */
export const loginEndpoints: MiddlewareFactory = (ctx) => {
  const prefix = ctx.options.proxyPrefix;
  return {
    name: 'loginEndpoints',
    async handle(scope) {
      switch (scope.path) {
        case `${prefix}/start`:
          startLogin(ctx, scope);
          return true;
        case `${prefix}/callback`:
          await callback(ctx, scope);
          return true;
        case `${prefix}/sign_in`:
          // Without htpasswd there is no manual sign-in: the page (200), or the IdP with skip-provider-button.
          if (ctx.options.skipProviderButton) startLogin(ctx, scope);
          else renderSignInPage(ctx, scope, 200);
          return true;
        default:
          return false;
      }
    },
  };
};
