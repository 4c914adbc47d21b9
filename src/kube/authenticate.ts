// Who a bearer token is, the way kube-apiserver's authenticators decide it: the static service-account token of
// the MLflow server, or an OIDC ID token of the lab's IdP (kubernetes-auth-observed.md §1: the plugin's SSAR is
// authenticated by the API server, with the platform's OIDC settings). OIDC semantics mirror
// staging/src/k8s.io/apiserver/plugin/pkg/authenticator/token/oidc/oidc.go (AuthenticateToken, getUsername,
// getGroups, required claims) and the go-oidc verifier it wraps (RS256 only, exact issuer, exp required).
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import type { LabClock } from '../clock.js';
import type { UserInfo } from './types.js';

export interface OidcOptions {
  /** Default `email` (kube's `--oidc-username-claim` default is `sub`; the lab follows the common setup). */
  usernameClaim?: string;
  usernamePrefix?: string;
  groupsClaim?: string;
  groupsPrefix?: string;
  /** Accepted audiences: at least one must be in `aud` (kube's audienceMatchPolicy MatchAny). */
  clientIds?: string[];
  /** Claims that must be present with exactly this string value (`--oidc-required-claim`). */
  requiredClaims?: Record<string, string>;
}

export interface AuthenticatorOptions {
  issuer: string;
  jwksUri: string;
  clock: LabClock;
  serviceAccountToken: string;
  usernameClaim: string;
  usernamePrefix: string;
  groupsClaim: string;
  groupsPrefix: string;
  clientIds: string[];
  requiredClaims: Record<string, string>;
  /** How JWKS is fetched: a fetch that trusts the lab CA when the IdP serves HTTPS. */
  fetch?: typeof fetch;
}

/** The MLflow server's own identity (the kubeconfig token of the observed deployment, §1). */
export const SERVICE_ACCOUNT_USER: UserInfo = {
  username: 'system:serviceaccount:mlflow:mlflow',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:mlflow', 'system:authenticated'],
};

/** Added to every authenticated user by kube's authenticatedGroupAdder. */
const AUTHENTICATED = 'system:authenticated';
const CACHE_LIMIT = 10_000;

export interface TokenAuthenticator {
  /** The user, or why kube would answer 401 (for the log; kube's own error text where it has one). */
  authenticate(token: string): Promise<{ user: UserInfo } | { error: string }>;
}

export function createTokenAuthenticator(options: AuthenticatorOptions): TokenAuthenticator {
  // The IdP rotates keys (also when the lab clock jumps); like go-oidc's remote key set, a token with an unknown
  // kid fetches JWKS again at once (jose would otherwise wait 30 s of real time between fetches).
  const jwks = createRemoteJWKSet(new URL(options.jwksUri), {
    cooldownDuration: 0,
    ...(options.fetch && { [customFetch]: options.fetch }),
  });
  // Verified tokens until their `exp` on the lab clock: the gate authenticates on every MLflow request.
  const cache = new Map<string, { user: UserInfo; expMs: number }>();

  async function verify(token: string): Promise<{ user: UserInfo; expMs: number } | string> {
    // hasCorrectIssuer: a token for another issuer is simply not ours (no signature check, no key fetch).
    let untrusted: JWTPayload;
    try {
      untrusted = decodeJwt(token);
    } catch {
      return 'malformed token';
    }
    if (untrusted.iss !== options.issuer) return `token issuer ${JSON.stringify(untrusted.iss)} is not ours`;
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: options.clientIds,
        algorithms: ['RS256'],
        requiredClaims: ['exp'],
        currentDate: new Date(options.clock.now()),
      }));
    } catch (error) {
      return `oidc: verify token: ${(error as Error).message}`;
    }
    const username = claims[options.usernameClaim];
    if (typeof username !== 'string')
      return `oidc: parse username claims ${JSON.stringify(options.usernameClaim)}: not a string`;
    if (options.usernameClaim === 'email' && 'email_verified' in claims) {
      // Only when present, and then it must be a JSON true (getUsername).
      if (typeof claims.email_verified !== 'boolean') return `oidc: parse 'email_verified' claim`;
      if (!claims.email_verified) return 'oidc: email not verified';
    }
    let groups: string[] = [];
    if (options.groupsClaim && options.groupsClaim in claims) {
      // A single string is allowed as well as a list (kubernetes/kubernetes#33290).
      const raw = claims[options.groupsClaim];
      if (typeof raw === 'string') groups = [raw];
      else if (Array.isArray(raw) && raw.every((g) => typeof g === 'string')) groups = [...raw];
      else return `oidc: parse groups claim ${JSON.stringify(options.groupsClaim)}`;
      groups = groups.map((g) => options.groupsPrefix + g);
    }
    for (const [claim, want] of Object.entries(options.requiredClaims)) {
      if (!(claim in claims)) return `oidc: required claim ${claim} not present in ID token`;
      if (claims[claim] !== want)
        return `oidc: required claim ${claim} value does not match. Got = ${String(claims[claim])}, want = ${want}`;
    }
    if (!groups.includes(AUTHENTICATED)) groups.push(AUTHENTICATED);
    return { user: { username: options.usernamePrefix + username, groups }, expMs: claims.exp! * 1000 };
  }

  return {
    async authenticate(token) {
      if (!token) return { error: 'empty bearer token' };
      if (token === options.serviceAccountToken) return { user: SERVICE_ACCOUNT_USER };
      const hit = cache.get(token);
      if (hit) {
        if (options.clock.now() < hit.expMs) return { user: hit.user };
        cache.delete(token);
      }
      const result = await verify(token);
      if (typeof result === 'string') return { error: result };
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
      cache.set(token, result);
      return { user: result.user };
    },
  };
}

/**
 * The bearer token of a request, as k8s.io/apiserver/pkg/authentication/request/bearertoken reads it: scheme
 * `Bearer` in any case, token the second space-separated part. Anything else means "no token".
 */
export function bearerToken(header: string | undefined): string | undefined {
  const auth = (header ?? '').trim();
  if (!auth) return undefined;
  const parts = auth.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  return parts[1] ?? '';
}
