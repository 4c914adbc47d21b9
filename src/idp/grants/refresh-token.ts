import type { KoaContextWithOIDC } from 'oidc-provider';
import { allowed, fail, labClient, respondWithTokens, splitScope, type GrantDeps } from './context.js';

/**
 * refresh_token: single use, rotated on every redemption; Dex answers most failures with `invalid_request`
 * and only a token of another client with `invalid_grant` (oauth2-proxy-and-dex.md §B4, "Refresh").
 */
export function refreshTokenGrant(deps: GrantDeps) {
  return async (ctx: KoaContextWithOIDC): Promise<void> => {
    const { spec, refresh } = deps;
    const client = labClient(ctx, deps);
    if (!allowed(client, 'refresh_token', deps))
      return fail(ctx, spec.errors.grantNotAllowed('refresh_token'));
    const token = ctx.oidc.params!.refresh_token;
    if (typeof token !== 'string' || token === '') return fail(ctx, spec.errors.missingRefreshToken());
    const redeemed = refresh.redeem(token, client.id);
    if (!redeemed.ok) {
      const e = spec.errors;
      return fail(
        ctx,
        redeemed.reason === 'expired'
          ? e.expiredRefreshToken()
          : redeemed.reason === 'other-client'
            ? e.refreshTokenOfOtherClient()
            : e.invalidRefreshToken(),
      );
    }
    const { record } = redeemed;
    // A narrower scope may be asked for; never a wider one.
    const asked = splitScope(ctx.oidc.params!.scope);
    const scopes = asked.length > 0 ? asked.filter((s) => record.scopes.includes(s)) : record.scopes;
    // The new refresh token keeps the full original scope, so a narrower request now can widen again later.
    await respondWithTokens(ctx, deps, {
      principal: record.principal,
      client,
      scopes,
      peers: record.peers,
      ...(record.nonce && { nonce: record.nonce }),
      ...(record.sessionId && { sessionId: record.sessionId }),
      refresh: true,
      refreshScopes: record.scopes,
    });
  };
}

export const REFRESH_TOKEN_PARAMS = ['refresh_token', 'scope'];
