import type { ResolvedLabConfig } from '../config/resolve.js';
import type { FlavourSpec } from './flavours.js';

/**
 * The discovery document in the flavour's shape. Dex (oauth2-proxy-and-dex.md §B3 "Discovery and keys"):
 * indented JSON, `grant_types_supported` sorted. The lab lists only what it serves: no device or introspection
 * endpoints, and it adds `end_session_endpoint`, which Dex itself lacks (README, "Flavours").
 */
export function discoveryDocument(
  issuer: string,
  config: ResolvedLabConfig,
  spec: FlavourSpec,
): Record<string, unknown> {
  const at = (route: string) => `${issuer}${route}`;
  const grants = [...config.idp.grantTypes].sort();
  if (spec.name === 'dex') {
    return {
      issuer,
      authorization_endpoint: at(spec.routes.authorization),
      token_endpoint: at(spec.routes.token),
      jwks_uri: at(spec.routes.jwks),
      userinfo_endpoint: at(spec.routes.userinfo),
      end_session_endpoint: at(spec.routes.end_session),
      grant_types_supported: grants,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256', 'plain'],
      scopes_supported: ['openid', 'email', 'groups', 'profile', 'offline_access'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'iat',
        'exp',
        'email',
        'email_verified',
        'locale',
        'name',
        'preferred_username',
        'at_hash',
      ],
    };
  }
  return {
    issuer,
    authorization_endpoint: at(spec.routes.authorization),
    token_endpoint: at(spec.routes.token),
    userinfo_endpoint: at(spec.routes.userinfo),
    end_session_endpoint: at(spec.routes.end_session),
    jwks_uri: at(spec.routes.jwks),
    grant_types_supported: grants,
    response_types_supported: ['code'],
    subject_types_supported: ['public', 'pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    userinfo_signing_alg_values_supported: ['RS256'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    claims_supported: [
      'aud',
      'sub',
      'iss',
      'auth_time',
      'name',
      'given_name',
      'family_name',
      'preferred_username',
      'email',
      'acr',
    ],
    scopes_supported: [
      'openid',
      'email',
      'profile',
      'offline_access',
      'roles',
      'web-origins',
      'acr',
      'groups',
    ],
    code_challenge_methods_supported: ['plain', 'S256'],
  };
}
