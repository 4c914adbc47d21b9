// The JWT session loader: extraction, then each verifier in turn, first success wins (oauth2-proxy-and-dex.md
// §A3 "Pipeline"; pkg/middleware/jwt_session.go).
import { extractBearer } from './extract.js';
import type { BearerSession } from './session-from-claims.js';
import type { BearerVerifier, VerifyResult } from './verifier.js';

export type LoadResult =
  { session: BearerSession; error?: undefined } | { session?: undefined; error: string };

/** The prefix of the error-level log line oauth2-proxy writes when a bearer header fails (jwt_session.go:54). */
export const BEARER_LOG_PREFIX = 'Error retrieving session from token in Authorization header: ';

/**
 * Loads a session from an Authorization header. Undefined when there is no header (the cookie loader runs);
 * an extraction error is returned as it is, a verification failure as the k8s aggregate of every verifier's error.
 * Synchronous while every verifier answers synchronously (a token already verified), else a promise.
 */
export function loadBearerSession(
  authorizationHeader: string | undefined,
  verifiers: readonly BearerVerifier[],
  now: number | Date,
): LoadResult | undefined | Promise<LoadResult | undefined> {
  if (authorizationHeader === undefined || authorizationHeader === '') return undefined;
  const extracted = extractBearer(authorizationHeader);
  if (extracted.error !== undefined) return { error: extracted.error };
  const token = extracted.token;
  // A token the first verifier already knows answers synchronously with its kept session: no walk is set up.
  const first = verifiers.length === 0 ? undefined : verifiers[0]!.verify(token, now);
  if (first !== undefined && !(first instanceof Promise) && first.session) return first;
  // "This leading error message only occurs if all session loaders fail."
  const errors = ['unable to verify bearer token'];
  // Each verifier in turn; the walk stays synchronous until one answers with a promise.
  const from = (i: number): LoadResult | Promise<LoadResult> => {
    if (i === verifiers.length) return { error: aggregateError(errors) };
    const result = i === 0 ? first! : verifiers[i]!.verify(token, now);
    return result instanceof Promise ? result.then((r) => settle(r, i)) : settle(result, i);
  };
  const settle = (result: VerifyResult, i: number): LoadResult | Promise<LoadResult> => {
    if (result.session) return { session: result.session };
    errors.push(result.error);
    return from(i + 1);
  };
  return from(0);
}

/** k8s.io/apimachinery/pkg/util/errors aggregate: duplicates dropped, brackets only around two or more. */
export function aggregateError(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

export interface ExtraJwtIssuer {
  issuer: string;
  audience: string;
}

/**
 * `--extra-jwt-issuers issuer=audience`, split at the first `=` (pkg/validation/options.go parseJwtIssuers);
 * malformed entries give oauth2-proxy's validation message.
 */
export function parseExtraJwtIssuers(specs: readonly string[]): {
  issuers: ExtraJwtIssuer[];
  errors: string[];
} {
  const issuers: ExtraJwtIssuer[] = [];
  const errors: string[] = [];
  for (const spec of specs) {
    const i = spec.indexOf('=');
    if (i < 0) errors.push(`invalid jwt verifier uri=audience spec: ${spec}`);
    else issuers.push({ issuer: spec.slice(0, i), audience: spec.slice(i + 1) });
  }
  return { issuers, errors };
}
