import { createHash, timingSafeEqual } from 'node:crypto';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { allowed, fail, labClient, respondWithTokens, splitScope, type GrantDeps } from './context.js';

/**
 * authorization_code with PKCE. oidc-provider runs the authorization endpoint, the login interaction and
 * stores the code; the lab redeems it so the tokens and errors are the flavour's (Dex §B4: missing code,
 * unknown code, the 500 quirk for an expired or foreign code, PKCE, redirect_uri).
 */
export function authorizationCodeGrant(deps: GrantDeps) {
  return async (ctx: KoaContextWithOIDC): Promise<void> => {
    const { spec, accounts, clock } = deps;
    const client = labClient(ctx, deps);
    if (!allowed(client, 'authorization_code', deps))
      return fail(ctx, spec.errors.grantNotAllowed('authorization_code'));
    const {
      code: value,
      code_verifier: verifier,
      redirect_uri: redirectUri,
    } = ctx.oidc.params as Record<string, string | undefined>;
    if (!value) return fail(ctx, spec.errors.missingCode());

    const code = await ctx.oidc.provider.AuthorizationCode.find(value, { ignoreExpiration: true });
    if (!code || (code as unknown as { consumed?: number }).consumed)
      return fail(ctx, spec.errors.unknownCode());
    if ((code.exp ?? 0) * 1000 <= clock.now() || code.clientId !== client.id)
      return fail(ctx, spec.errors.staleCode());
    if (code.codeChallenge && !pkceMatches(verifier, code.codeChallenge, code.codeChallengeMethod)) {
      return fail(ctx, spec.errors.pkceMismatch());
    }
    if (code.redirectUri !== redirectUri) return fail(ctx, spec.errors.redirectMismatch());
    await code.consume();

    const user = code.accountId ? accounts.bySubject(code.accountId) : undefined;
    if (!user) return fail(ctx, spec.errors.unknownCode());
    const scopes = splitScope(code.scope);
    await respondWithTokens(ctx, deps, {
      principal: { kind: 'user', user },
      client,
      scopes,
      ...(code.nonce && { nonce: code.nonce }),
      ...(spec.name === 'keycloak' && code.sessionUid && { sessionId: code.sessionUid }),
      refresh: scopes.includes('offline_access') || spec.name === 'keycloak',
    });
  };
}

/** RFC 7636: S256 compares base64url(SHA-256(verifier)); `plain` compares the verifier itself. */
function pkceMatches(verifier: string | undefined, challenge: string, method: string | undefined): boolean {
  if (!verifier) return false;
  const expected = method === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url');
  const a = Buffer.from(expected);
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const AUTHORIZATION_CODE_PARAMS = ['code', 'code_verifier', 'redirect_uri'];
