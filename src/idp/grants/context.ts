import type { KoaContextWithOIDC } from 'oidc-provider';
import type { LabClock } from '../../clock.js';
import type { GrantType } from '../../config/defaults.js';
import type { ResolvedClient, ResolvedLabConfig } from '../../config/resolve.js';
import { DURATION_RULE, parseDuration } from '../../duration.js';
import type { Accounts } from '../accounts.js';
import type { FlavourSpec, TokenError } from '../flavours.js';
import type { MintedTokens, Principal, TokenMinter } from '../mint.js';
import type { RefreshStore } from '../refresh-store.js';

/** What every grant handler needs, built once per IdP. */
export interface GrantDeps {
  config: ResolvedLabConfig;
  spec: FlavourSpec;
  accounts: Accounts;
  clients: Map<string, ResolvedClient>;
  minter: TokenMinter;
  refresh: RefreshStore;
  clock: LabClock;
}

/** Lab-only token-endpoint parameter: lifetime of this response's tokens (`token --expires-in 90s`). */
export const EXPIRES_IN_PARAM = 'authlab_expires_in';

/** Marks a response body the lab wrote itself, so the error-mapping middleware leaves it alone. */
export const LAB_BODY = 'authlabBody';

export function fail(ctx: KoaContextWithOIDC, error: TokenError): void {
  ctx.status = error.status;
  ctx.body = error.body;
  ctx.set('content-type', 'application/json');
  ctx.state[LAB_BODY] = true;
  // Dex's tokenErr sets Content-Type and Content-Length only (oauth2.go:90-104).
  ctx.remove('cache-control');
}

export function labClient(ctx: KoaContextWithOIDC, deps: GrantDeps): ResolvedClient {
  return deps.clients.get(ctx.oidc.client!.clientId)!;
}

export function allowed(client: ResolvedClient, grant: GrantType, deps: GrantDeps): boolean {
  return client.grantTypes.includes(grant) && deps.config.idp.grantTypes.includes(grant);
}

/** The lab-only lifetime parameter: absent, a duration of at least 1 s, or a 400 naming the rule. */
export function lifetimeParam(ctx: KoaContextWithOIDC): { lifetimeMs?: number } | TokenError {
  const raw = ctx.oidc.params?.[EXPIRES_IN_PARAM];
  if (raw === undefined || raw === '') return {};
  const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
  // At least a second, at most a year: an overflowing duration must not reach the JWT's exp.
  if (ms === undefined || !Number.isFinite(ms) || ms < 1000 || ms > 366 * 86_400_000) {
    return {
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: `${EXPIRES_IN_PARAM} must be ${DURATION_RULE}, at least 1s and at most 8784h`,
      },
    };
  }
  return { lifetimeMs: ms };
}

export function splitScope(scope: unknown): string[] {
  return typeof scope === 'string' ? [...new Set(scope.split(' ').filter(Boolean))] : [];
}

export const AUDIENCE_SCOPE = 'audience:server:client_id:';

/**
 * Dex's scope rules for the token endpoint (§B1 "Request"): `openid` required, known scopes only, and
 * `audience:server:client_id:<peer>` only when the peer trusts the client (or is the client).
 */
export function checkScopes(
  scopes: string[],
  client: ResolvedClient,
  deps: GrantDeps,
  { requireOpenid }: { requireOpenid: boolean },
): { peers: string[] } | TokenError {
  const { spec, clients } = deps;
  const unknown: string[] = [];
  const untrusted: string[] = [];
  const peers: string[] = [];
  for (const s of scopes) {
    if (spec.name === 'dex' && s.startsWith(AUDIENCE_SCOPE)) {
      const peerId = s.slice(AUDIENCE_SCOPE.length);
      const peer = clients.get(peerId);
      if (peerId === client.id || peer?.trustedPeers.includes(client.id)) peers.push(peerId);
      else untrusted.push(s);
    } else if (!spec.knownScopes.has(s)) unknown.push(s);
  }
  if (requireOpenid && spec.requiresOpenid && !scopes.includes('openid')) return spec.errors.missingOpenid();
  if (unknown.length > 0) return spec.errors.unrecognizedScopes(unknown);
  if (untrusted.length > 0) return spec.errors.peerNotTrusted(untrusted);
  return { peers };
}

/** The token response body in the flavour's shape (Dex §B1 "Success"; Keycloak's field set). */
export function tokenResponse(
  deps: GrantDeps,
  minted: MintedTokens,
  extra: { refreshToken?: string; scopes: string[]; sessionId?: string },
): Record<string, unknown> {
  if (deps.spec.name === 'dex') {
    return {
      access_token: minted.accessToken,
      token_type: deps.spec.tokenType,
      expires_in: minted.expiresIn,
      ...(extra.refreshToken && { refresh_token: extra.refreshToken }),
      ...(minted.idToken && { id_token: minted.idToken }),
    };
  }
  const scope = [
    ...new Set([...(extra.scopes.includes('openid') ? ['openid'] : []), 'email', 'profile', ...extra.scopes]),
  ].join(' ');
  return {
    access_token: minted.accessToken,
    expires_in: minted.expiresIn,
    refresh_expires_in: extra.refreshToken ? Math.floor(deps.config.idp.expiry.refreshTokens / 1000) : 0,
    ...(extra.refreshToken && { refresh_token: extra.refreshToken }),
    token_type: deps.spec.tokenType,
    ...(minted.idToken && { id_token: minted.idToken }),
    'not-before-policy': 0,
    ...(extra.sessionId && { session_state: extra.sessionId }),
    scope,
  };
}

export function succeed(ctx: KoaContextWithOIDC, body: Record<string, unknown>): void {
  ctx.status = 200;
  ctx.body = body;
  ctx.set('content-type', 'application/json');
  ctx.state[LAB_BODY] = true;
  // Dex: Cache-Control: no-store and Pragma: no-cache on success (handlers.go:1474-1499).
  ctx.set('cache-control', 'no-store');
  ctx.set('pragma', 'no-cache');
}

export interface Issue {
  principal: Principal;
  client: ResolvedClient;
  scopes: string[];
  peers?: string[];
  nonce?: string;
  sessionId?: string;
  lifetimeMs?: number;
  /** Issue a refresh token; it remembers `refreshScopes` (default: `scopes`). */
  refresh: boolean;
  refreshScopes?: string[];
}

/** The last step of every grant: mint the tokens, add a refresh token when due, answer in the flavour's shape. */
export async function respondWithTokens(
  ctx: KoaContextWithOIDC,
  deps: GrantDeps,
  issue: Issue,
): Promise<void> {
  const { principal, client, scopes, peers = [], nonce, sessionId, lifetimeMs } = issue;
  const minted = await deps.minter.mint({
    principal,
    client,
    scopes,
    peers,
    withIdToken: scopes.includes('openid'),
    ...(nonce && { nonce }),
    ...(sessionId && { sessionId }),
    ...(lifetimeMs !== undefined && { lifetimeMs }),
  });
  const refreshToken = issue.refresh
    ? deps.refresh.issue({
        principal,
        clientId: client.id,
        scopes: issue.refreshScopes ?? scopes,
        peers,
        ...(nonce && { nonce }),
        ...(sessionId && { sessionId }),
      })
    : undefined;
  succeed(
    ctx,
    tokenResponse(deps, minted, {
      ...(refreshToken && { refreshToken }),
      scopes,
      ...(sessionId && { sessionId }),
    }),
  );
}
