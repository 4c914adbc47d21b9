import { randomUUID } from 'node:crypto';
import type { KoaContextWithOIDC } from 'oidc-provider';
import {
  allowed,
  checkScopes,
  fail,
  labClient,
  lifetimeParam,
  splitScope,
  succeed,
  tokenResponse,
  type GrantDeps,
} from './context.js';

/**
 * Resource-owner password grant, as Dex answers it (oauth2-proxy-and-dex.md §B1): scope checks first, then
 * the credentials; `offline_access` adds a refresh token. Keycloak (§C) always returns a refresh token.
 */
export function passwordGrant(deps: GrantDeps) {
  return async (ctx: KoaContextWithOIDC): Promise<void> => {
    const { spec, accounts, minter, refresh } = deps;
    const client = labClient(ctx, deps);
    if (!allowed(client, 'password', deps)) return fail(ctx, spec.errors.grantNotAllowed('password'));
    const { username, password, nonce } = ctx.oidc.params as Record<string, string | undefined>;
    if (spec.name === 'keycloak' && !username) return fail(ctx, spec.errors.missingUsername());

    const scopes = splitScope(ctx.oidc.params!.scope ?? (spec.name === 'keycloak' ? 'openid' : ''));
    const checked = checkScopes(scopes, client, deps, { requireOpenid: true });
    if ('status' in checked) return fail(ctx, checked);

    const lifetime = lifetimeParam(ctx);
    if ('status' in lifetime) return fail(ctx, lifetime);

    const user = username ? accounts.byLogin(username) : undefined;
    if (!user || !(await accounts.checkPassword(user, password ?? ''))) {
      return fail(ctx, spec.errors.badCredentials(user !== undefined));
    }

    const sessionId = spec.name === 'keycloak' ? randomUUID() : undefined;
    const principal = { kind: 'user' as const, user };
    const minted = await minter.mint({
      principal,
      client,
      scopes,
      peers: checked.peers,
      ...(nonce && { nonce }),
      withIdToken: scopes.includes('openid'),
      ...lifetime,
      ...(sessionId && { sessionId }),
    });
    const wantsRefresh = spec.name === 'keycloak' || scopes.includes('offline_access');
    const refreshToken = wantsRefresh
      ? refresh.issue({
          principal,
          clientId: client.id,
          scopes,
          peers: checked.peers,
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
  };
}

export const PASSWORD_PARAMS = ['username', 'password', 'scope', 'nonce'];
