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
 * client_credentials. Dex [master] (oauth2-proxy-and-dex.md §B2): public clients refused, no
 * `offline_access`, `aud` = client id, `sub` = proto{client_id}, groups from the client's config with the
 * `groups` scope, name/preferred_username = the client's name with `profile`, an id_token only with `openid`,
 * never a refresh token. Keycloak (§C): a service-account user `service-account-<client>`.
 */
export function clientCredentialsGrant(deps: GrantDeps) {
  return async (ctx: KoaContextWithOIDC): Promise<void> => {
    const { spec } = deps;
    const client = labClient(ctx, deps);
    if (client.public) return fail(ctx, spec.errors.publicClientCredentials());
    if (!allowed(client, 'client_credentials', deps))
      return fail(ctx, spec.errors.grantNotAllowed('client_credentials'));
    const scopes = splitScope(ctx.oidc.params!.scope);
    if (scopes.includes('offline_access')) return fail(ctx, spec.errors.offlineAccessWithClientCredentials());
    const checked = checkScopes(scopes, client, deps, { requireOpenid: false });
    if ('status' in checked) return fail(ctx, checked);

    const lifetime = lifetimeParam(ctx);
    if ('status' in lifetime) return fail(ctx, lifetime);
    await respondWithTokens(ctx, deps, {
      principal: { kind: 'service', client },
      client,
      scopes,
      peers: checked.peers,
      ...lifetime,
      refresh: false,
    });
  };
}

export const CLIENT_CREDENTIALS_PARAMS = ['scope'];
