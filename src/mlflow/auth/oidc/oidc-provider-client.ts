// How mlflow-oidc-auth 7.3.1 talks to the IdP (mlflow-oidc-auth.md §3.1, §3.2): the discovery document and the JWKS
// it names, fetched together and kept for OIDC_JWKS_CACHE_TTL_SECONDS (re-fetched once on a bad signature); bearer
// tokens checked with authlib's rules; the browser login's authorize URL, code exchange and id_token checks.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { LabClock } from '../../../clock.js';

export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  end_session_endpoint?: string;
}

export interface ProviderClientOptions {
  /** OIDC_DISCOVERY_URL. */
  discoveryUrl: string | undefined;
  /** How the IdP is reached: under TLS, a fetch that trusts (or does not) the lab CA. */
  fetch: typeof globalThis.fetch;
  clock: LabClock;
  /** OIDC_JWKS_CACHE_TTL_SECONDS. */
  cacheTtlSeconds: number;
}

/** Why a bearer token was refused: only logged, never sent (§3, "The reason … never reaches the client"). */
export class TokenRejected extends Error {}

export class ProviderClient {
  #cached: { metadata: ProviderMetadata; jwks: JSONWebKeySet; at: number } | undefined;

  constructor(private readonly o: ProviderClientOptions) {}

  /** The discovery document and its JWKS, from the cache while it is fresh. */
  async load(force = false): Promise<{ metadata: ProviderMetadata; jwks: JSONWebKeySet }> {
    const now = this.o.clock.now();
    if (!force && this.#cached && now - this.#cached.at < this.o.cacheTtlSeconds * 1000) return this.#cached;
    if (!this.o.discoveryUrl)
      throw new TokenRejected('OIDC_DISCOVERY_URL is not set; cannot validate tokens');
    const metadata = (await (await this.o.fetch(this.o.discoveryUrl)).json()) as ProviderMetadata;
    const jwks = (await (await this.o.fetch(metadata.jwks_uri)).json()) as JSONWebKeySet;
    this.#cached = { metadata, jwks, at: now };
    return this.#cached;
  }

  /**
   * `validate_token` (`auth.py:80-101`): the signature against the JWKS (re-fetched once when it fails), `exp`, `nbf`
   * and `iat` with no leeway (`exp` optional), and `aud` only when OIDC_AUDIENCE is set (a string, or a list that
   * holds it). No issuer, `azp` or `typ` check. Returns the claims, or throws TokenRejected.
   */
  async verifyBearer(token: string, audience: string | undefined): Promise<JWTPayload> {
    try {
      return await this.#verify(token, audience, false);
    } catch (error) {
      if (!(error instanceof SignatureFailed)) throw error;
      return this.#verify(token, audience, true);
    }
  }

  /**
   * authlib's `parse_id_token` at the callback: the signature (JWKS re-fetched once), `iss` equal to the discovery
   * document's issuer, the client among `aud`, `exp`, and the nonce sent with the authorize request.
   */
  async verifyIdToken(token: string, clientId: string, nonce: string | undefined): Promise<JWTPayload> {
    let claims: JWTPayload;
    try {
      claims = await this.#verify(token, clientId, false);
    } catch (error) {
      if (!(error instanceof SignatureFailed)) throw error;
      claims = await this.#verify(token, clientId, true);
    }
    const { metadata } = await this.load();
    if (claims.iss !== metadata.issuer) throw new TokenRejected(`invalid_claim: iss ${String(claims.iss)}`);
    if (nonce !== undefined && claims.nonce !== nonce) throw new TokenRejected('invalid_claim: nonce');
    return claims;
  }

  async #verify(token: string, audience: string | undefined, force: boolean): Promise<JWTPayload> {
    const { jwks } = await this.load(force);
    const now = this.o.clock.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
        currentDate: new Date(now),
        clockTolerance: 0,
        ...(audience !== undefined && { audience }),
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || code === 'ERR_JWKS_NO_MATCHING_KEY')
        throw new SignatureFailed((error as Error).message);
      throw new TokenRejected((error as Error).message);
    }
    // authlib also refuses a token issued in the future.
    if (typeof payload.iat === 'number' && payload.iat > now / 1000)
      throw new TokenRejected('The token is not valid yet (iat)');
    return payload;
  }
}

class SignatureFailed extends TokenRejected {}
