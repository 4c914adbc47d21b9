// Claims → session for bearer tokens (oauth2-proxy-and-dex.md §A3 "Claims → session").
import { goValue } from './go-format.js';

/** The session a bearer token yields; field names follow oauth2-proxy's SessionState. */
export interface BearerSession {
  /** Always `sub` (`--user-id-claim` changes the e-mail claim, not the user). */
  user: string;
  /** The e-mail claim, or `sub` when it is empty. */
  email: string;
  groups: string[];
  preferredUsername: string;
  /** The raw bearer token: oauth2-proxy sets AccessToken and IDToken both to it. */
  accessToken: string;
  idToken: string;
  /** The token's `exp` (epoch ms); Go's zero time when the token had none. */
  expiresOn: number | undefined;
}

export type SessionResult =
  { session: BearerSession; error?: undefined } | { session?: undefined; error: string };

export interface MainClaimOptions {
  /** `--oidc-email-claim` (default `email`); dotted paths reach into objects. */
  emailClaim: string;
  /** `--oidc-groups-claim` (default `groups`); a string or a list. */
  groupsClaim: string;
  /** `--insecure-oidc-allow-unverified-email`. */
  allowUnverifiedEmail?: boolean;
}

/** A claim by name, or by dotted path (`a.b`) as oauth2-proxy's claim extractor allows. */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let cur: unknown = claims;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, part))
      return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

// GetClaimInto(*string): strings as they are, anything else as Go prints it [inf].
const asString = (v: unknown) =>
  v === undefined || v === null ? '' : typeof v === 'string' ? v : goValue(v);

/** GetClaimInto(*[]string): a single string becomes a one-element list. */
const asStrings = (v: unknown): string[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v.map(asString) : [asString(v)];

/**
 * The main provider's mapping: providers/provider_data.go buildSessionFromClaims, then oidc.go
 * CreateSessionFromToken. `email_verified` is checked only when the e-mail claim is `email`, and before the
 * empty e-mail falls back to `sub` (so the message can read `email in id_token () isn't verified`).
 */
export function sessionFromMainClaims(
  token: string,
  claims: Record<string, unknown>,
  options: MainClaimOptions,
): SessionResult {
  const user = asString(claimAt(claims, 'sub'));
  let email = asString(claimAt(claims, options.emailClaim));
  if (
    options.emailClaim === 'email' &&
    !options.allowUnverifiedEmail &&
    Object.hasOwn(claims, 'email_verified')
  ) {
    const verified = claims.email_verified;
    if (verified !== true && verified !== 'true')
      return { error: `email in id_token (${email}) isn't verified` };
  }
  if (email === '') email = user;
  return {
    session: {
      user,
      email,
      groups: asStrings(claimAt(claims, options.groupsClaim)),
      preferredUsername: asString(claimAt(claims, 'preferred_username')),
      accessToken: token,
      idToken: token,
      expiresOn: expiryOf(claims),
    },
  };
}

/**
 * The `--extra-jwt-issuers` mapping: pkg/apis/middleware/session.go CreateTokenToSessionFunc, with fixed
 * claims. The e-mail falls back to `sub` first, and `email_verified: false` is always rejected.
 */
export function sessionFromExtraIssuerClaims(token: string, claims: Record<string, unknown>): SessionResult {
  const groups = claims.groups;
  // The struct field is []string; a bare string fails json.Unmarshal [inf on the exact text].
  if (groups !== undefined && groups !== null && !Array.isArray(groups))
    return {
      error: `failed to parse bearer token claims: json: cannot unmarshal ${jsonKind(groups)} into Go struct field .groups of type []string`,
    };
  const user = typeof claims.sub === 'string' ? claims.sub : '';
  const email = typeof claims.email === 'string' && claims.email !== '' ? claims.email : user;
  if (claims.email_verified === false) return { error: `email in id_token (${email}) isn't verified` };
  return {
    session: {
      user,
      email,
      groups: (groups ?? []).map(asString),
      preferredUsername: typeof claims.preferred_username === 'string' ? claims.preferred_username : '',
      accessToken: token,
      idToken: token,
      expiresOn: expiryOf(claims),
    },
  };
}

/** go-oidc's jsonTime: whole seconds (a fraction is truncated). */
function expiryOf(claims: Record<string, unknown>): number | undefined {
  return typeof claims.exp === 'number' ? Math.trunc(claims.exp) * 1000 : undefined;
}

/** The JSON kind Go's UnmarshalTypeError names. */
export function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}
