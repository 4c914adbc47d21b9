// One bearer-token verifier: go-oidc's IDTokenVerifier.Verify plus oauth2-proxy's own audience check and
// claims mapping, in that order, with their error texts (oauth2-proxy-and-dex.md §A3 "Verification steps and
// exact errors"). Time is the caller's `now` (the lab clock), never the system clock.
import { compactVerify, importJWK, type CryptoKey, type JWK } from 'jose';
import { goList, goQuote, goSet, goTime, goValue, GO_ZERO_TIME } from './go-format.js';
import {
  jsonKind,
  sessionFromExtraIssuerClaims,
  sessionFromMainClaims,
  type BearerSession,
} from './session-from-claims.js';

export interface VerifierOptions {
  /** `--oidc-issuer-url`, or the issuer of an `--extra-jwt-issuers` entry; compared as an exact string. */
  issuer: string;
  jwksUri: string;
  /** Allowed audiences: `--client-id` (or the extra issuer's audience) plus every `--oidc-extra-audience`. */
  audiences: readonly string[];
  /** `--oidc-audience-claim`; the first claim present is the one checked. Default `['aud']`. */
  audienceClaims?: readonly string[];
  /** Supported `alg`s: discovery's list ∩ `--oidc-enabled-signing-alg`. Default `['RS256']`. */
  signingAlgs?: readonly string[];
  /** `--insecure-oidc-skip-issuer-verification`. */
  skipIssuerCheck?: boolean;
  /** `main` maps claims as the OIDC provider does; `extra-issuer` as an `--extra-jwt-issuers` entry (§A3). */
  mapping?: 'main' | 'extra-issuer';
  /** `--oidc-email-claim` (main mapping only). Default `email`. */
  emailClaim?: string;
  /** `--oidc-groups-claim` (main mapping only). Default `groups`. */
  groupsClaim?: string;
  /** `--insecure-oidc-allow-unverified-email` (main mapping only). */
  allowUnverifiedEmail?: boolean;
  fetch?: typeof fetch;
}

export type VerifyResult =
  { session: BearerSession; error?: undefined } | { session?: undefined; error: string };

export interface BearerVerifier {
  readonly issuer: string;
  /**
   * Verifies a raw JWT at `now` (epoch ms or a Date from the lab clock). Synchronous when the token's signature
   * is already known good against the cached key set (a client's every call after its first), else a promise.
   */
  verify(token: string, now: number | Date): VerifyResult | Promise<VerifyResult>;
}

/** go-oidc's nbf leeway in v3.10+ (§A3 row 4). */
const NBF_LEEWAY_MS = 5 * 60_000;

/** oauth2-proxy wraps every go-oidc error like this (pkg/providers/oidc/verifier.go). */
const wrap = (message: string): VerifyResult => ({ error: `failed to verify token: ${message}` });

export function createVerifier(options: VerifierOptions): BearerVerifier {
  const audienceClaims = options.audienceClaims ?? ['aud'];
  const algs = options.signingAlgs ?? ['RS256'];
  const allowed = new Set(options.audiences);
  const keys = createRemoteKeySet(options.jwksUri, options.fetch ?? fetch);

  function verify(token: string, now: number | Date): VerifyResult | Promise<VerifyResult> {
    const nowMs = +now;
    // 1. Parse the payload before anything costly (go-oidc: "cheap checks before possibly re-syncing keys").
    const decoded = decodeToken(token);
    if (decoded.error !== undefined) return decoded.error;
    const { claims, header } = decoded;

    // 2. Issuer: an exact string compare.
    const iss = typeof claims.iss === 'string' ? claims.iss : '';
    if (!options.skipIssuerCheck && iss !== options.issuer)
      return wrap(
        `oidc: id token issued by a different provider, expected ${goQuote(options.issuer)} got ${goQuote(iss)}`,
      );

    // 3. Expiry, no leeway; a token without exp has Go's zero time, so it is expired.
    const expMs = typeof claims.exp === 'number' ? Math.trunc(claims.exp) * 1000 : undefined;
    if (expMs === undefined || expMs < nowMs)
      return wrap(
        `oidc: token is expired (Token Expiry: ${expMs === undefined ? GO_ZERO_TIME : goTime(expMs)})`,
      );

    // 4. Not-before, with 5 minutes' leeway. Go prints time.Now() with its monotonic reading ("m=+…") [inf].
    if (typeof claims.nbf === 'number') {
      const nbfMs = Math.trunc(claims.nbf) * 1000;
      if (nowMs + NBF_LEEWAY_MS < nbfMs)
        return wrap(
          `oidc: current time ${goTime(nowMs)} m=+${(performance.now() / 1000).toFixed(9)} ` +
            `before the nbf (not before) time: ${goTime(nbfMs)}`,
        );
    }

    // 5. alg, checked by go-jose's ParseSigned (go-oidc v3.10+) [inf on the exact v3.20 text].
    if ('error' in header) return wrap(`oidc: malformed jwt: ${header.error}`);
    const alg = typeof header.value.alg === 'string' ? header.value.alg : '';
    if (!algs.includes(alg))
      return wrap(
        `oidc: malformed jwt: go-jose/go-jose: unexpected signature algorithm ${goQuote(alg)}; ` +
          `expected [${algs.map(goQuote).join(' ')}]`,
      );

    // 6. Signature: cached keys, then the JWKS fetched again once.
    const kid = typeof header.value.kid === 'string' ? header.value.kid : '';
    const signature = keys.verify(token, kid, alg);
    return signature instanceof Promise
      ? signature.then((checked) => afterSignature(token, claims, checked))
      : afterSignature(token, claims, signature);
  }

  // Steps 7 and 8 depend on nothing but the claims (frozen, one object per token text) and these options: their
  // answer is kept per claims object, so a client's every call after its first maps nothing again.
  const mapped = new WeakMap<Record<string, unknown>, VerifyResult>();

  function afterSignature(
    token: string,
    claims: Record<string, unknown>,
    signature: string | undefined,
  ): VerifyResult {
    if (signature) return wrap(`failed to verify signature: ${signature}`);
    let result = mapped.get(claims);
    if (result === undefined) mapped.set(claims, (result = deepFreeze(mapClaims(token, claims))));
    return result;
  }

  function mapClaims(token: string, claims: Record<string, unknown>): VerifyResult {
    // 7. Audience: oauth2-proxy's own check, not wrapped (pkg/providers/oidc/verifier.go verifyAudience).
    const audience = checkAudience(claims, audienceClaims, allowed);
    if (audience) return { error: audience };

    // 8. Claims → session, with the email_verified rule of the mapping in use.
    return options.mapping === 'extra-issuer'
      ? sessionFromExtraIssuerClaims(token, claims)
      : sessionFromMainClaims(token, claims, {
          emailClaim: options.emailClaim ?? 'email',
          groupsClaim: options.groupsClaim ?? 'groups',
          ...(options.allowUnverifiedEmail !== undefined && {
            allowUnverifiedEmail: options.allowUnverifiedEmail,
          }),
        });
  }

  return { issuer: options.issuer, verify };
}

type Decoded =
  | { claims: Record<string, unknown>; header: ReturnType<typeof decodeHeader>; error?: undefined }
  | { error: VerifyResult };

/**
 * Steps 1 and 5's decoding (base64 and JSON of payload and header) depend on the token's text alone, and a client
 * sends one token on every call: the most recent are kept decoded. Claims are frozen, since callers share them.
 */
const decodedTokens = new Map<string, Decoded>();
const MAX_DECODED = 1_000;

function decodeToken(token: string): Decoded {
  let decoded = decodedTokens.get(token);
  if (decoded !== undefined) return decoded;
  const parts = token.split('.');
  const payload = parts.length < 2 ? undefined : decodeRawUrlBase64(parts[1]!);
  if (payload === undefined)
    decoded = {
      error: wrap(`oidc: malformed jwt: oidc: malformed jwt, expected 3 parts got ${parts.length}`),
    };
  else if (typeof payload === 'number')
    decoded = {
      error: wrap(
        `oidc: malformed jwt: oidc: malformed jwt payload: illegal base64 data at input byte ${payload}`,
      ),
    };
  else {
    const parsed = parseIdToken(payload);
    decoded =
      'error' in parsed
        ? { error: wrap(`oidc: failed to unmarshal claims: ${parsed.error}`) }
        : { claims: deepFreeze(parsed.claims), header: decodeHeader(parts[0]!) };
  }
  if (decodedTokens.size >= MAX_DECODED) decodedTokens.delete(decodedTokens.keys().next().value!);
  decodedTokens.set(token, decoded);
  return decoded;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** verifyAudience + isValidAudience; returns the error text, or undefined when the audience is allowed. */
function checkAudience(
  claims: Record<string, unknown>,
  audienceClaims: readonly string[],
  allowed: ReadonlySet<string>,
): string | undefined {
  for (const claim of audienceClaims) {
    if (!Object.hasOwn(claims, claim)) continue;
    const value = claims[claim];
    // A JSON null reaches the type switch's default branch [inf on the text].
    if (value === null) return `audience claim ${claim} holds unsupported type <nil>`;
    const audience = Array.isArray(value) ? value.map((v) => goValue(v)) : [goValue(value)];
    if (audience.some((a) => allowed.has(a))) return undefined;
    return `audience from claim ${claim} with value ${goList(audience)} does not match with any of allowed audiences ${goSet(allowed)}`;
  }
  return `audience claims ${goList(audienceClaims)} do not exist in claims: ${goValue(claims)}`;
}

/**
 * The claims as go-oidc's idToken struct decodes them; type mismatches in the fields it declares fail with
 * encoding/json's text [inf: Go's json errors are approximated for non-JSON input].
 */
function parseIdToken(payload: Buffer): { claims: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    const first = payload.toString('utf8').trimStart()[0];
    return first === undefined
      ? { error: 'unexpected end of JSON input' }
      : { error: `invalid character ${goRune(first)} looking for beginning of value` };
  }
  if (value === null) return { claims: {} };
  if (typeof value !== 'object' || Array.isArray(value))
    return { error: `json: cannot unmarshal ${jsonKind(value)} into Go value of type oidc.idToken` };
  const claims = value as Record<string, unknown>;
  for (const field of ['iss', 'sub', 'nonce', 'at_hash']) {
    const v = claims[field];
    if (v !== undefined && v !== null && typeof v !== 'string')
      return {
        error: `json: cannot unmarshal ${jsonKind(v)} into Go struct field idToken.${field} of type string`,
      };
  }
  const aud = claims.aud;
  if (aud !== undefined && aud !== null && typeof aud !== 'string') {
    const bad = Array.isArray(aud) ? aud.find((a) => typeof a !== 'string') : aud;
    if (bad !== undefined)
      return {
        error: Array.isArray(aud)
          ? `json: cannot unmarshal ${jsonKind(bad)} into Go struct field idToken.aud of type string`
          : `json: cannot unmarshal ${jsonKind(aud)} into Go struct field idToken.aud of type []string`,
      };
  }
  for (const field of ['exp', 'iat', 'nbf']) {
    const v = claims[field];
    if (v !== undefined && v !== null && typeof v !== 'number')
      return {
        error: `json: cannot unmarshal ${jsonKind(v)} into Go struct field idToken.${field} of type json.Number`,
      };
  }
  return { claims };
}

const goRune = (ch: string) => (ch === "'" ? "'\\''" : `'${ch}'`);

function decodeHeader(segment: string): { value: Record<string, unknown> } | { error: string } {
  const bytes = decodeRawUrlBase64(segment);
  if (typeof bytes === 'number') return { error: `illegal base64 data at input byte ${bytes}` };
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return { value: value as Record<string, unknown> };
  } catch {
    // falls through to go-jose's generic message below
  }
  return { error: 'go-jose/go-jose: invalid header' };
}

/** Go's base64.RawURLEncoding: no padding; returns the bytes or the offset CorruptInputError reports. */
export function decodeRawUrlBase64(src: string): Buffer | number {
  const bad = src.search(/[^A-Za-z0-9_-]/);
  if (bad >= 0) return bad;
  if (src.length % 4 === 1) return src.length - 1;
  return Buffer.from(src, 'base64url');
}

/**
 * go-oidc's RemoteKeySet: starts empty, verifies with keys whose kid matches (all keys when the token has no
 * kid), and on any miss fetches the JWKS once more before giving up. Concurrent fetches share one request.
 * Returns undefined on success, or the error text after `failed to verify signature: `.
 */
function createRemoteKeySet(jwksUri: string, fetchImpl: typeof fetch) {
  let cached: JWK[] = [];
  let inflight: Promise<JWK[] | string> | undefined;

  const fetchKeys = async (): Promise<JWK[] | string> => {
    let res: Response;
    try {
      res = await fetchImpl(jwksUri);
    } catch (error) {
      return `oidc: get keys failed Get ${goQuote(jwksUri)}: ${causeText(error)}`;
    }
    const body = await res.text();
    if (res.status !== 200) return `oidc: get keys failed: ${res.status} ${res.statusText} ${body}`;
    try {
      const set = JSON.parse(body) as { keys?: unknown };
      return Array.isArray(set.keys) ? (set.keys as JWK[]) : [];
    } catch (error) {
      return `oidc: failed to decode keys: ${(error as Error).message} ${body}`;
    }
  };

  // Imported keys are kept per JWK object and alg, so a cached JWKS costs no RSA import per request.
  const imported = new WeakMap<JWK, Map<string, Promise<CryptoKey>>>();
  const importKey = (jwk: JWK, alg: string): Promise<CryptoKey> => {
    let byAlg = imported.get(jwk);
    if (!byAlg) imported.set(jwk, (byAlg = new Map()));
    let key = byAlg.get(alg);
    if (!key) byAlg.set(alg, (key = importJWK({ ...jwk, alg }, alg) as Promise<CryptoKey>));
    return key;
  };

  const tryKeys = async (keys: JWK[], token: string, kid: string, alg: string) => {
    for (const jwk of keys) {
      if (kid !== '' && jwk.kid !== kid) continue;
      try {
        const key = await importKey(jwk, alg);
        await compactVerify(token, key, { algorithms: [alg] });
        return true;
      } catch {
        // the next key, as go-oidc does
      }
    }
    return false;
  };

  // Tokens whose signature already verified against the cached key set. A proxy sees the same bearer token on
  // every call of a client, and an RS256 verification costs ~0.2 ms here; the answer cannot change until the key
  // set does, so the memo is dropped whenever the JWKS is fetched again. Time-dependent checks still run per call.
  const verified = new Set<string>();
  const MAX_VERIFIED = 10_000;

  /** Synchronous on a remembered token: no promise per call for the proxy's commonest request. */
  const verify = (
    token: string,
    kid: string,
    alg: string,
  ): string | undefined | Promise<string | undefined> =>
    verified.has(token) ? undefined : verifyAndRemember(token, kid, alg);

  const verifyAndRemember = async (token: string, kid: string, alg: string): Promise<string | undefined> => {
    if (await tryKeys(cached, token, kid, alg)) {
      if (verified.size >= MAX_VERIFIED) verified.delete(verified.values().next().value!);
      verified.add(token);
      return undefined;
    }
    inflight ??= fetchKeys().finally(() => (inflight = undefined));
    const fresh = await inflight;
    if (typeof fresh === 'string') return `fetching keys ${fresh}`;
    cached = fresh;
    verified.clear();
    if (!(await tryKeys(fresh, token, kid, alg))) return 'failed to verify id token signature';
    verified.add(token);
    return undefined;
  };
  return { verify };
}

/** The network error's own reason (undici puts it on `cause`) [inf: Go's net/http text differs]. */
export function causeText(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : (error as Error).message;
}
