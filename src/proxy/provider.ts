// The proxy's OIDC provider: discovery at start, the login URL, code redemption, refresh and the verifiers, as
// oauth2-proxy's `providers/oidc.go` does them (oauth2-proxy-and-dex.md §A3, §A5 "/oauth2/start", §A1 "Expiry and
// refresh semantics"). Every time comes from the lab clock.
import { AuthlabError } from '../errors.js';
import { goQuote } from './bearer/go-format.js';
import { causeText, createVerifier, type BearerVerifier } from './bearer/verifier.js';
import type { BearerSession } from './bearer/session-from-claims.js';
import type { SessionState } from './session/cookie-codec.js';
import { effectiveScope, type ProxyOptions } from './options.js';

export interface ProviderEndpoints {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  signingAlgs: string[];
}

export interface OidcProvider {
  readonly endpoints: ProviderEndpoints;
  /** Verifiers in the JWT loader's order: the main provider, then one per `--extra-jwt-issuers` entry (§A3). */
  readonly bearerVerifiers: readonly BearerVerifier[];
  /** The authorize URL with oauth2-proxy's parameters, sorted as `url.Values.Encode()` sorts them (§A5). */
  loginUrl(o: { redirectUri: string; state: string; codeChallenge?: string }): string;
  /** `Redeem` + `createSession`: the session for an authorization code, or the error text oauth2-proxy logs. */
  redeem(
    o: { code: string; redirectUri: string; codeVerifier?: string },
    nowMs: number,
  ): Promise<SessionOutcome>;
  /** `RefreshSession`: undefined when there is no refresh token ("not refreshed"), else the new session. */
  refresh(session: SessionState, nowMs: number): Promise<SessionOutcome | undefined>;
  /** `ValidateSession`: the ID token still verifies (exp included) at `nowMs`. */
  validate(session: SessionState, nowMs: number): Promise<string | undefined>;
}

export type SessionOutcome =
  { session: SessionState; error?: undefined } | { session?: undefined; error: string };

/** Why the proxy could not start, in oauth2-proxy's fatal start-up wording (§A3, last bullets). */
function initError(detail: string): AuthlabError {
  return new AuthlabError(
    'AUTHLAB_PROXY_INIT_FAILED',
    `Failed to initialise OAuth2 Proxy: error initialising provider: could not create provider data: error building OIDC ProviderVerifier: could not get verifier builder: error while discovery OIDC configuration: ${detail}`,
    {
      hint: 'Check proxy.oidc-issuer-url: it must be exactly the issuer the IdP publishes (no trailing slash).',
    },
  );
}

/** Discovery as go-oidc's NewProvider does it: GET, 200, JSON, and the issuer compared as an exact string. */
async function discover(
  issuer: string,
  skipIssuerCheck: boolean,
  fetch: typeof globalThis.fetch,
): Promise<ProviderEndpoints> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let res: Response;
  try {
    res = await fetch(url);
  } catch (error) {
    throw initError(`failed to discover OIDC configuration: Get ${goQuote(url)}: ${causeText(error)}`);
  }
  const body = await res.text();
  if (res.status !== 200)
    throw initError(`failed to discover OIDC configuration: ${res.status} ${res.statusText}: ${body}`);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body) as Record<string, unknown>;
  } catch (error) {
    throw initError(`failed to decode provider discovery object: ${(error as Error).message}`);
  }
  if (!skipIssuerCheck && doc.issuer !== issuer)
    throw initError(
      `oidc: issuer did not match the issuer returned by provider, expected ${goQuote(issuer)} got ${goQuote(String(doc.issuer ?? ''))}`,
    );
  const str = (k: string) => (typeof doc[k] === 'string' ? (doc[k] as string) : '');
  const algs = Array.isArray(doc.id_token_signing_alg_values_supported)
    ? (doc.id_token_signing_alg_values_supported as unknown[]).filter(
        (a): a is string => typeof a === 'string',
      )
    : [];
  return {
    authorizationEndpoint: str('authorization_endpoint'),
    tokenEndpoint: str('token_endpoint'),
    jwksUri: str('jwks_uri'),
    signingAlgs: algs.length > 0 ? algs : ['RS256'],
  };
}

/** JWKS of an extra issuer: discovery's `jwks_uri`, else `<issuer>/.well-known/jwks.json` (§A3 extra issuers). */
async function extraIssuerJwks(issuer: string, fetch: typeof globalThis.fetch): Promise<string> {
  try {
    const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
    if (res.ok) {
      const doc = (await res.json()) as { jwks_uri?: unknown };
      if (typeof doc.jwks_uri === 'string') return doc.jwks_uri;
    }
  } catch {
    // falls back below, as oauth2-proxy does
  }
  return `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`;
}

/** A bearer session in the cookie session's shape (one SessionState type for the whole chain). */
export function toSessionState(b: BearerSession, createdAt: number): SessionState {
  return {
    createdAt,
    ...(b.expiresOn !== undefined && { expiresOn: b.expiresOn }),
    accessToken: b.accessToken,
    idToken: b.idToken,
    email: b.email,
    user: b.user,
    groups: b.groups,
    preferredUsername: b.preferredUsername,
  };
}

interface TokenResponseBody {
  access_token?: string;
  id_token?: string;
  refresh_token?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
  error_uri?: string;
}

/** `fetch`: how the IdP is reached; under the lab's TLS, a fetch that trusts the lab CA. */
export async function createOidcProvider(
  options: ProxyOptions,
  fetch: typeof globalThis.fetch = globalThis.fetch,
): Promise<OidcProvider> {
  const endpoints = await discover(options.oidcIssuerUrl, options.insecureOidcSkipIssuerVerification, fetch);
  const claims = {
    emailClaim: options.oidcEmailClaim,
    groupsClaim: options.oidcGroupsClaim,
    allowUnverifiedEmail: options.insecureOidcAllowUnverifiedEmail,
  };
  const main = createVerifier({
    issuer: options.oidcIssuerUrl,
    jwksUri: endpoints.jwksUri,
    audiences: [options.clientId, ...options.oidcExtraAudiences],
    audienceClaims: options.oidcAudienceClaims,
    signingAlgs: endpoints.signingAlgs,
    skipIssuerCheck: options.insecureOidcSkipIssuerVerification,
    fetch,
    ...claims,
  });
  const extra = await Promise.all(
    options.extraJwtIssuers.map(async (e) =>
      createVerifier({
        issuer: e.issuer,
        jwksUri: await extraIssuerJwks(e.issuer, fetch),
        audiences: [e.audience, ...options.oidcExtraAudiences],
        audienceClaims: options.oidcAudienceClaims,
        mapping: 'extra-issuer',
        fetch,
      }),
    ),
  );
  const scope = effectiveScope(options);

  /** golang.org/x/oauth2's token request: client_secret_basic first (AuthStyleAutoDetect), form body. */
  async function tokenRequest(params: Record<string, string>): Promise<TokenResponseBody | string> {
    const basic = Buffer.from(
      `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`,
    ).toString('base64');
    let res: Response;
    try {
      res = await fetch(endpoints.tokenEndpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params),
      });
    } catch (error) {
      return `Post ${goQuote(endpoints.tokenEndpoint)}: ${causeText(error)}`;
    }
    const text = await res.text();
    let body: TokenResponseBody = {};
    try {
      body = JSON.parse(text) as TokenResponseBody;
    } catch {
      // x/oauth2 reports the raw body below
    }
    if (res.status < 200 || res.status > 299 || body.error) {
      // x/oauth2 RetrieveError.Error(): `oauth2: "code" "description"`, else the status and the body.
      if (body.error) {
        let s = `oauth2: ${goQuote(body.error)}`;
        if (body.error_description) s += ` ${goQuote(body.error_description)}`;
        if (body.error_uri) s += ` ${goQuote(body.error_uri)}`;
        return s;
      }
      return `oauth2: cannot fetch token: ${res.status} ${res.statusText}\nResponse: ${text}`;
    }
    if (!body.access_token) return 'oauth2: server response missing access_token';
    return body;
  }

  /** `createSession`: verify the ID token, claims → session, CreatedAt now, ExpiresOn = the token's expiry. */
  async function createSession(
    body: TokenResponseBody,
    nowMs: number,
    refresh: boolean,
  ): Promise<SessionOutcome> {
    if (!body.id_token) {
      if (!refresh) return { error: 'token response did not contain an id_token' };
      return { error: 'could not verify id_token: token response did not contain an id_token' };
    }
    const verified = await main.verify(body.id_token, nowMs);
    if (verified.error !== undefined) return { error: `could not verify id_token: ${verified.error}` };
    const s = verified.session;
    return {
      session: {
        createdAt: nowMs,
        // oauth2.Token.Expiry comes from expires_in; without it the session has no expiry.
        ...(typeof body.expires_in === 'number' && { expiresOn: nowMs + body.expires_in * 1000 }),
        accessToken: body.access_token!,
        idToken: body.id_token,
        ...(body.refresh_token && { refreshToken: body.refresh_token }),
        // The ID token path does not fall back to sub for the e-mail: EnrichSession insists on one.
        email: s.email === s.user && !hasEmail(body.id_token, options.oidcEmailClaim) ? '' : s.email,
        user: s.user,
        groups: s.groups,
        preferredUsername: s.preferredUsername,
      },
    };
  }

  return {
    endpoints,
    bearerVerifiers: [main, ...extra],
    loginUrl({ redirectUri, state, codeChallenge }) {
      const params: Record<string, string> = {
        // `approval_prompt=force` is the legacy default when no --prompt is set (§A5).
        approval_prompt: 'force',
        client_id: options.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope,
        state,
      };
      if (codeChallenge !== undefined) {
        params.code_challenge = codeChallenge;
        params.code_challenge_method = options.codeChallengeMethod;
      }
      const url = new URL(endpoints.authorizationEndpoint);
      for (const key of Object.keys(params).sort()) url.searchParams.append(key, params[key]!);
      return url.href;
    },
    async redeem({ code, redirectUri, codeVerifier }, nowMs) {
      const params: Record<string, string> = {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
      };
      if (codeVerifier) params.code_verifier = codeVerifier;
      const body = await tokenRequest(params);
      if (typeof body === 'string') return { error: `token exchange failed: ${body}` };
      return createSession(body, nowMs, false);
    },
    async refresh(session, nowMs) {
      if (!session.refreshToken) return undefined;
      const body = await tokenRequest({ grant_type: 'refresh_token', refresh_token: session.refreshToken });
      if (typeof body === 'string')
        return { error: `unable to redeem refresh token: failed to get token: ${body}` };
      const next = await createSession(body, nowMs, true);
      if (next.error !== undefined)
        return {
          error: `unable to redeem refresh token: unable create new session state from response: ${next.error}`,
        };
      // A refresh without a new ID token keeps the old identity (redeemRefreshToken).
      return { session: { ...session, ...next.session } };
    },
    async validate(session, nowMs) {
      if (!session.idToken) return 'id_token verification failed: no id_token';
      const verified = await main.verify(session.idToken, nowMs);
      return verified.error === undefined ? undefined : `id_token verification failed: ${verified.error}`;
    },
  };
}

function hasEmail(idToken: string, claim: string): boolean {
  try {
    const payload = JSON.parse(
      Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    return typeof payload[claim] === 'string' && payload[claim] !== '';
  } catch {
    return false;
  }
}
