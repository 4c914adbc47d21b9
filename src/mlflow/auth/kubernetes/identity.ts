// The caller's identity as the plugin reads it (mlflow-workspaces-k8s-auth.md §2): the token for a
// SelfSubjectAccessReview (Bearer, else X-Forwarded-Access-Token), or the trusted proxy's user and groups
// headers for a SubjectAccessReview; plus the run owner read from a JWT claim without verification (§2.1, §7).
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { MESSAGES } from './errors.js';
import type { GateOptions } from './options.js';

export type GateIdentity =
  | { mode: 'self'; token: string; username: string | undefined; cacheKey: string }
  | { mode: 'subject'; user: string; groups: string[]; username: string; cacheKey: string };

export type IdentityResult = { identity: GateIdentity } | { error: string };

const header = (h: IncomingHttpHeaders, name: string) => {
  const v = h[name.toLowerCase()];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};

/** `_parse_jwt_subject`: the claim of the payload segment, read without any signature check; undefined if absent. */
export function unverifiedClaim(token: string, claim: string): string | undefined {
  const parts = token.split('.');
  if (parts.length < 2) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const value = payload[claim];
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function resolveIdentity(headers: IncomingHttpHeaders, options: GateOptions): IdentityResult {
  if (options.authorizationMode === 'subject_access_review') {
    const user = header(headers, options.remoteUserHeader).trim();
    if (user === '') return { error: MESSAGES.missingRemoteUser(options.remoteUserHeader) };
    const groups = header(headers, options.remoteGroupsHeader)
      .split(options.remoteGroupsSeparator)
      .map((g) => g.trim())
      .filter((g) => g !== '');
    // §2.2: sha256(user + "\0" + "\0".join(sorted(groups))).
    const cacheKey = createHash('sha256')
      .update(`${user}\0${[...groups].sort().join('\0')}`)
      .digest('hex');
    return { identity: { mode: 'subject', user, groups, username: user, cacheKey } };
  }
  const authorization = header(headers, 'authorization');
  // The same header on every call of a client: its identity is kept (see selfIdentity), keyed by the header itself.
  // The last header is compared first: looking a fresh header string up in a Map hashes all of it.
  const known =
    authorization === ''
      ? undefined
      : authorization === lastAuthorization?.header
        ? lastAuthorization.known
        : byAuthorization.get(authorization);
  if (known !== undefined && known.usernameClaim === options.usernameClaim) {
    if (lastAuthorization?.known !== known) lastAuthorization = { header: authorization, known };
    return known.result;
  }
  let token = authorizationToken(authorization);
  const fromAuthorization = token !== '';
  if (!fromAuthorization) {
    const forwarded = header(headers, 'x-forwarded-access-token').trim();
    if (forwarded !== '') token = forwarded.replace(/^bearer\s+/i, '');
  }
  if (token === '') return { error: authorization !== '' ? MESSAGES.badScheme : MESSAGES.missingCredentials };
  const result: IdentityResult = Object.freeze({ identity: selfIdentity(token, options.usernameClaim) });
  // Only a token from Authorization itself: one from X-Forwarded-Access-Token depends on that header too.
  if (fromAuthorization) {
    if (byAuthorization.size >= MAX_SELF_IDENTITIES)
      byAuthorization.delete(byAuthorization.keys().next().value!);
    byAuthorization.set(authorization, { usernameClaim: options.usernameClaim, result });
  }
  return result;
}

type KnownIdentity = { usernameClaim: string; result: IdentityResult };
const byAuthorization = new Map<string, KnownIdentity>();
let lastAuthorization: { header: string; known: KnownIdentity } | undefined;

/** The bearer token of an Authorization header, or '' (any case of `Bearer`, one space, the rest trimmed). */
function authorizationToken(authorization: string): string {
  const space = authorization.indexOf(' ');
  if (space < 0) return '';
  const rest = authorization.slice(space + 1).trim();
  return authorization.slice(0, space).toLowerCase() === 'bearer' ? rest : '';
}

/**
 * A client sends the same token on every call until it expires, and its identity (a SHA-256 and a JSON parse,
 * ~15 µs) depends on nothing else: kept for the most recent tokens. Frozen, since every caller shares it.
 */
const selfIdentities = new Map<string, GateIdentity>();
const MAX_SELF_IDENTITIES = 1_000;

function selfIdentity(token: string, usernameClaim: string): GateIdentity {
  const key = `${usernameClaim}\0${token}`;
  let identity = selfIdentities.get(key);
  if (identity === undefined) {
    identity = Object.freeze({
      mode: 'self',
      token,
      username: unverifiedClaim(token, usernameClaim),
      cacheKey: createHash('sha256').update(token).digest('hex'),
    });
    if (selfIdentities.size >= MAX_SELF_IDENTITIES)
      selfIdentities.delete(selfIdentities.keys().next().value!);
    selfIdentities.set(key, identity);
  }
  return identity;
}
