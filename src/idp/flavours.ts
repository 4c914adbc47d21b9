import type { Flavour, GrantType } from '../config/defaults.js';

/** A token-endpoint error exactly as the flavour's real server sends it. */
export interface TokenError {
  status: number;
  body: { error: string; error_description?: string };
}

const err = (status: number, error: string, error_description?: string): TokenError => ({
  status,
  body: error_description === undefined ? { error } : { error, error_description },
});

/** Go's %q of a string list, as Dex prints scopes: ["a" "b"] → `["a" "b"]`. */
const goQuoted = (items: string[]) => `[${items.map((s) => JSON.stringify(s)).join(' ')}]`;

/** Every token-endpoint error the lab can produce, per flavour. */
export interface TokenErrors {
  methodNotAllowed(): TokenError;
  invalidClient(): TokenError;
  unsupportedGrant(): TokenError;
  /** The client exists but may not use this grant. */
  grantNotAllowed(grant: GrantType): TokenError;
  publicClientCredentials(): TokenError;
  offlineAccessWithClientCredentials(): TokenError;
  missingUsername(): TokenError;
  badCredentials(userExists: boolean): TokenError;
  missingOpenid(): TokenError;
  unrecognizedScopes(scopes: string[]): TokenError;
  peerNotTrusted(scopes: string[]): TokenError;
  missingCode(): TokenError;
  unknownCode(): TokenError;
  /** An existing code that expired or belongs to another client. */
  staleCode(): TokenError;
  pkceMismatch(): TokenError;
  redirectMismatch(): TokenError;
  missingRefreshToken(): TokenError;
  invalidRefreshToken(): TokenError;
  expiredRefreshToken(): TokenError;
  refreshTokenOfOtherClient(): TokenError;
}

/**
 * Dex v2.45.1, from oauth2-proxy-and-dex.md §B1 (password grant table), §B2 (client credentials, [master]) and
 * §B4 (auth code and refresh). Dex has no per-client grant list: the lab's per-client restriction answers like
 * Dex master's per-client `allowedConnectors` for the password grant; for client_credentials Dex has no
 * per-client switch at all, so the lab answers `unauthorized_client`, the code Dex master uses for it.
 */
const dexErrors: TokenErrors = {
  methodNotAllowed: () => err(400, 'invalid_request', 'method not allowed'),
  invalidClient: () => err(401, 'invalid_client', 'Invalid client credentials.'),
  unsupportedGrant: () => err(400, 'unsupported_grant_type'),
  grantNotAllowed: (grant) =>
    grant === 'password'
      ? err(400, 'invalid_grant', 'Connector not allowed for this client.')
      : grant === 'client_credentials'
        ? err(400, 'unauthorized_client', 'Client is not allowed to use the client_credentials grant.')
        : err(400, 'unauthorized_client'),
  publicClientCredentials: () =>
    err(400, 'unauthorized_client', 'Public clients cannot use client_credentials grant.'),
  offlineAccessWithClientCredentials: () =>
    err(400, 'invalid_scope', 'client_credentials grant does not support offline_access scope.'),
  // Dex passes an empty username to the connector, which does not find it: same answer as a bad password.
  missingUsername: () => err(401, 'access_denied', 'Invalid username or password'),
  badCredentials: () => err(401, 'access_denied', 'Invalid username or password'),
  missingOpenid: () => err(400, 'invalid_request', `Missing required scope(s) ${goQuoted(['openid'])}.`),
  unrecognizedScopes: (s) => err(400, 'invalid_request', `Unrecognized scope(s) ${goQuoted(s)}`),
  peerNotTrusted: (s) => err(400, 'invalid_request', `Client can't request scope(s) ${goQuoted(s)}`),
  missingCode: () => err(400, 'invalid_request', 'Required param: code.'),
  unknownCode: () => err(400, 'invalid_grant', 'Invalid or expired code parameter.'),
  // §B4 quirk: an expired code, or another client's, takes the `err != ErrNotFound` branch with err == nil.
  staleCode: () => err(500, 'server_error'),
  pkceMismatch: () => err(400, 'invalid_grant', 'Invalid code_verifier.'),
  redirectMismatch: () => err(400, 'invalid_request', 'redirect_uri did not match URI from initial request.'),
  missingRefreshToken: () => err(400, 'invalid_request', 'No refresh token is found in request.'),
  invalidRefreshToken: () =>
    err(400, 'invalid_request', 'Refresh token is invalid or has already been claimed by another client.'),
  expiredRefreshToken: () => err(400, 'invalid_request', 'Refresh token expired.'),
  refreshTokenOfOtherClient: () =>
    err(400, 'invalid_grant', 'Refresh token is invalid or has already been claimed by another client.'),
};

/** Keycloak, from oauth2-proxy-and-dex.md §C (newer releases' `invalid_client` wording for bad secrets). */
const keycloakErrors: TokenErrors = {
  methodNotAllowed: () => err(405, 'invalid_request', 'HTTP 405 Method Not Allowed'),
  invalidClient: () => err(401, 'invalid_client', 'Invalid client or Invalid client credentials'),
  unsupportedGrant: () => err(400, 'unsupported_grant_type', 'Unsupported grant_type'),
  grantNotAllowed: (grant) =>
    grant === 'password'
      ? err(400, 'unauthorized_client', 'Client not allowed for direct access grants')
      : grant === 'client_credentials'
        ? err(401, 'unauthorized_client', 'Client not enabled to retrieve service account')
        : err(400, 'unauthorized_client', 'Client not allowed to exchange code'),
  publicClientCredentials: () =>
    err(401, 'unauthorized_client', 'Public client not allowed to retrieve service account'),
  offlineAccessWithClientCredentials: () => err(400, 'invalid_scope', 'Invalid scopes: offline_access'),
  missingUsername: () => err(401, 'invalid_request', 'Missing parameter: username'),
  badCredentials: (userExists) => err(userExists ? 401 : 400, 'invalid_grant', 'Invalid user credentials'),
  missingOpenid: () => err(400, 'invalid_scope', 'Invalid scopes: openid'),
  unrecognizedScopes: (s) => err(400, 'invalid_scope', `Invalid scopes: ${s.join(' ')}`),
  peerNotTrusted: (s) => err(400, 'invalid_scope', `Invalid scopes: ${s.join(' ')}`),
  missingCode: () => err(400, 'invalid_request', 'Missing parameter: code'),
  unknownCode: () => err(400, 'invalid_grant', 'Code not valid'),
  staleCode: () => err(400, 'invalid_grant', 'Code not valid'),
  pkceMismatch: () => err(400, 'invalid_grant', 'PKCE verification failed: Code mismatch'),
  redirectMismatch: () => err(400, 'invalid_grant', 'Incorrect redirect_uri'),
  missingRefreshToken: () => err(400, 'invalid_request', 'Missing parameter: refresh_token'),
  invalidRefreshToken: () => err(400, 'invalid_grant', 'Invalid refresh token'),
  expiredRefreshToken: () => err(400, 'invalid_grant', 'Token is not active'),
  refreshTokenOfOtherClient: () =>
    err(400, 'invalid_grant', "Invalid refresh token. Token client and authorized client don't match"),
};

export interface FlavourRoutes {
  authorization: string;
  token: string;
  jwks: string;
  userinfo: string;
  end_session: string;
  /** The login page, a lab route under the issuer. */
  interaction: string;
}

export interface FlavourSpec {
  name: Flavour;
  routes: FlavourRoutes;
  errors: TokenErrors;
  /** `token_type` in token responses: Dex writes lowercase `bearer` (§B1 "Success"). */
  tokenType: string;
  /** Scopes the password grant accepts besides `audience:server:client_id:*`. */
  knownScopes: ReadonlySet<string>;
  /** Whether `openid` is mandatory for the password grant. */
  requiresOpenid: boolean;
}

const DEX: FlavourSpec = {
  name: 'dex',
  routes: {
    authorization: '/auth',
    token: '/token',
    jwks: '/keys',
    userinfo: '/userinfo',
    end_session: '/logout',
    interaction: '/auth/login',
  },
  errors: dexErrors,
  tokenType: 'bearer',
  knownScopes: new Set(['openid', 'offline_access', 'email', 'profile', 'groups', 'federated:id']),
  requiresOpenid: true,
};

const KEYCLOAK: FlavourSpec = {
  name: 'keycloak',
  routes: {
    authorization: '/protocol/openid-connect/auth',
    token: '/protocol/openid-connect/token',
    jwks: '/protocol/openid-connect/certs',
    userinfo: '/protocol/openid-connect/userinfo',
    end_session: '/protocol/openid-connect/logout',
    interaction: '/login-actions/authenticate',
  },
  errors: keycloakErrors,
  tokenType: 'Bearer',
  knownScopes: new Set([
    'openid',
    'offline_access',
    'email',
    'profile',
    'groups',
    'roles',
    'web-origins',
    'acr',
    'basic',
    'address',
    'phone',
    'microprofile-jwt',
    'organization',
  ]),
  requiresOpenid: false,
};

export const FLAVOUR_SPECS: Record<Flavour, FlavourSpec> = { dex: DEX, keycloak: KEYCLOAK };
