import { randomUUID } from 'node:crypto';
import type { KoaContextWithOIDC } from 'oidc-provider';
import {
  allowed,
  checkScopes,
  fail,
  labClient,
  lifetimeParam,
  respondWithTokens,
  splitScope,
  type GrantDeps,
} from './context.js';

/**
 * Resource-owner password grant, as Dex answers it (oauth2-proxy-and-dex.md §B1): scope checks first, then
 * the credentials; `offline_access` adds a refresh token. Keycloak (§C) always returns a refresh token.
 */
export function passwordGrant(deps: GrantDeps) {
  return async (ctx: KoaContextWithOIDC): Promise<void> => {
    const { spec, accounts } = deps;
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

    // Keycloak always returns a refresh token; Dex only with offline_access.
    await respondWithTokens(ctx, deps, {
      principal: { kind: 'user', user },
      client,
      scopes,
      peers: checked.peers,
      ...(nonce && { nonce }),
      ...(spec.name === 'keycloak' && { sessionId: randomUUID() }),
      ...lifetime,
      refresh: spec.name === 'keycloak' || scopes.includes('offline_access'),
    });
  };
}

export const PASSWORD_PARAMS = ['username', 'password', 'scope', 'nonce'];
