import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { LabClock } from '../clock.js';
import type { ResolvedClient, ResolvedLabConfig, ResolvedUser } from '../config/resolve.js';
import { derivedUserId } from '../config/resolve.js';
import { signRs256 } from './jws.js';
import type { KeyRing } from './keys.js';
import { dexSubject } from './subject.js';

/** Who a token is about: a lab user, or a client acting as itself (client_credentials). */
export type Principal = { kind: 'user'; user: ResolvedUser } | { kind: 'service'; client: ResolvedClient };

export interface MintRequest {
  principal: Principal;
  /** The client the tokens are issued to. */
  client: ResolvedClient;
  scopes: string[];
  /** Extra audiences (Dex `audience:server:client_id:<peer>` scopes). */
  peers?: string[];
  nonce?: string;
  withIdToken: boolean;
  /** Overrides the configured lifetimes for this request (tests: `lab.token({ expiresIn: '90s' })`). */
  lifetimeMs?: number;
  /** Keycloak session id; one per login. */
  sessionId?: string;
}

export interface MintedTokens {
  accessToken: string;
  idToken?: string;
  /** Seconds until the access token expires, as the token response reports it. */
  expiresIn: number;
  /** Access-token expiry, epoch ms. */
  expiresAt: number;
}

/** Dex's connector id for static passwords (`enablePasswordDB` adds connector "local"). */
export const DEX_LOCAL_CONNECTOR = 'local';

export function subjectOf(config: ResolvedLabConfig, principal: Principal): string {
  if (config.idp.flavour === 'keycloak') {
    // Keycloak: the user's UUID; a service account is a user of its own (§C, "Service-account token claims").
    return principal.kind === 'user'
      ? principal.user.userId
      : derivedUserId(`service-account-${principal.client.id}`);
  }
  // Dex: proto{user_id, conn_id}; client_credentials has conn_id "" (§B2, [master]).
  return principal.kind === 'user'
    ? dexSubject(principal.user.userId, DEX_LOCAL_CONNECTOR)
    : dexSubject(principal.client.id, '');
}

/** Left half of SHA-256 of the token, base64url: `at_hash` for RS256 (§B3). */
function halfHash(value: string): string {
  return createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');
}

/**
 * Mints the ID token and JWT access token of one token response, with claims shaped and ordered as the
 * flavour's real server writes them, `iat`/`exp` from the lab clock, signed with the key ring's current key.
 */
export class TokenMinter {
  readonly #config: ResolvedLabConfig;
  readonly #keys: KeyRing;
  readonly #clock: LabClock;
  readonly #issuer: string;

  constructor(config: ResolvedLabConfig, keys: KeyRing, clock: LabClock, issuer: string) {
    this.#config = config;
    this.#keys = keys;
    this.#clock = clock;
    this.#issuer = issuer;
  }

  async mint(req: MintRequest): Promise<MintedTokens> {
    const nowMs = this.#clock.now();
    const iat = Math.floor(nowMs / 1000);
    const { expiry } = this.#config.idp;
    const accessExpMs = nowMs + (req.lifetimeMs ?? expiry.accessTokens);
    const idExpMs = nowMs + (req.lifetimeMs ?? expiry.idTokens);
    const key = await this.#keys.current();
    const dex = this.#config.idp.flavour === 'dex';
    const header = dex ? { alg: 'RS256', kid: key.kid } : { alg: 'RS256', typ: 'JWT', kid: key.kid };
    const sign = (payload: JWTPayload) => signRs256(header, payload, key.privateJwk);

    let accessToken: string;
    let idToken: string | undefined;
    if (dex) {
      // Dex's access token is an ID token too: same claims, with at_hash of a random value (oauth2.go:268-270).
      accessToken = await sign(
        this.#dexClaims(req, iat, Math.floor(accessExpMs / 1000), randomBytes(16).toString('hex')),
      );
      if (req.withIdToken)
        idToken = await sign(this.#dexClaims(req, iat, Math.floor(idExpMs / 1000), accessToken));
    } else {
      const sid = req.sessionId ?? randomUUID();
      accessToken = await sign(this.#keycloakAccessClaims(req, iat, Math.floor(accessExpMs / 1000), sid));
      if (req.withIdToken)
        idToken = await sign(this.#keycloakIdClaims(req, iat, Math.floor(idExpMs / 1000), sid, accessToken));
    }
    return {
      accessToken,
      ...(idToken && { idToken }),
      expiresIn: Math.floor((accessExpMs - this.#clock.now()) / 1000),
      expiresAt: accessExpMs,
    };
  }

  /** Dex claim order: iss, sub, aud, exp, iat, azp?, nonce?, at_hash, email?, email_verified?, groups?, name?, preferred_username?, federated_claims? (§B3). */
  #dexClaims(req: MintRequest, iat: number, exp: number, accessToken: string): JWTPayload {
    const scopes = new Set(req.scopes);
    // Peers from audience scopes first, then the requesting client if absent (oauth2.go:283-304).
    const aud = [...new Set([...(req.peers ?? []), req.client.id])];
    const claims: Record<string, unknown> = {
      iss: this.#issuer,
      sub: subjectOf(this.#config, req.principal),
      aud: aud.length === 1 ? aud[0] : aud,
      exp,
      iat,
    };
    if (aud.length > 1) claims.azp = req.client.id;
    if (req.nonce) claims.nonce = req.nonce;
    claims.at_hash = halfHash(accessToken);
    const p = req.principal;
    if (scopes.has('email')) {
      if (p.kind === 'user') {
        claims.email = p.user.email;
        claims.email_verified = p.user.emailVerified;
      } else claims.email_verified = false; // §B2: no email for a client; the verified flag still appears.
    }
    const groups = p.kind === 'user' ? p.user.groups : p.client.groups;
    if (scopes.has('groups') && groups.length > 0) claims[this.#config.idp.groupsClaim] = groups;
    if (scopes.has('profile')) {
      claims.name = p.kind === 'user' ? p.user.displayName : p.client.name;
      claims.preferred_username = p.kind === 'user' ? p.user.preferredUsername : p.client.name;
    }
    if (scopes.has('federated:id') && p.kind === 'user')
      claims.federated_claims = { connector_id: DEX_LOCAL_CONNECTOR, user_id: p.user.userId };
    return claims;
  }

  #keycloakIdentity(req: MintRequest): Record<string, unknown> {
    const p = req.principal;
    const groups = p.kind === 'user' ? p.user.groups : p.client.groups;
    const out: Record<string, unknown> = {};
    if (p.kind === 'user') {
      out.email_verified = p.user.emailVerified;
      out.name = p.user.displayName;
      if (groups.length > 0) out[this.#config.idp.groupsClaim] = groups;
      out.preferred_username = p.user.preferredUsername;
      out.email = p.user.email;
    } else {
      // Service accounts: preferred_username service-account-<clientId>, client_id, no email (§C).
      out.email_verified = false;
      out.clientHost = '127.0.0.1';
      if (groups.length > 0) out[this.#config.idp.groupsClaim] = groups;
      out.preferred_username = `service-account-${p.client.id}`;
      out.clientAddress = '127.0.0.1';
      out.client_id = p.client.id;
    }
    return out;
  }

  #keycloakScope(req: MintRequest): string {
    return [
      ...new Set([
        ...(req.scopes.includes('openid') ? ['openid'] : []),
        'email',
        'profile',
        ...req.scopes.filter((s) => s !== 'openid'),
      ]),
    ].join(' ');
  }

  #keycloakAccessClaims(req: MintRequest, iat: number, exp: number, sid: string): JWTPayload {
    return {
      exp,
      iat,
      jti: randomUUID(),
      iss: this.#issuer,
      // Keycloak puts the `account` client in aud via default roles, not the requesting client (§C, [inf]).
      aud: 'account',
      sub: subjectOf(this.#config, req.principal),
      typ: 'Bearer',
      azp: req.client.id,
      ...(req.principal.kind === 'user' && { sid }),
      acr: '1',
      'allowed-origins': ['/*'],
      realm_access: { roles: ['offline_access', 'uma_authorization', 'default-roles-mlflow'] },
      resource_access: { account: { roles: ['manage-account', 'manage-account-links', 'view-profile'] } },
      scope: this.#keycloakScope(req),
      ...this.#keycloakIdentity(req),
    };
  }

  #keycloakIdClaims(
    req: MintRequest,
    iat: number,
    exp: number,
    sid: string,
    accessToken: string,
  ): JWTPayload {
    return {
      exp,
      iat,
      jti: randomUUID(),
      iss: this.#issuer,
      aud: req.client.id,
      sub: subjectOf(this.#config, req.principal),
      typ: 'ID',
      azp: req.client.id,
      ...(req.nonce && { nonce: req.nonce }),
      ...(req.principal.kind === 'user' && { sid }),
      at_hash: halfHash(accessToken),
      acr: '1',
      ...this.#keycloakIdentity(req),
    };
  }
}
