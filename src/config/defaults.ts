/** Every default of the lab, named in one place (aesthetics.md, rule 10). */
export const DEFAULT_HOST = '127.0.0.1';

/** DESIGN.md, "CLI": proxy 4180, IdP 5556 (Dex's port), kube 6443; MLflow on `mlflow server`'s 5000. */
export const DEFAULT_PORTS = { proxy: 4180, idp: 5556, kube: 6443, mlflow: 5000 } as const;

export const FLAVOURS = ['dex', 'keycloak'] as const;

/** The auth stacks the lab can put in front of MLflow (DESIGN.md "Auth stacks"); the first is the default. */
export const AUTH_STACKS = ['kubernetes-auth', 'oidc-auth'] as const;
export type AuthStack = (typeof AUTH_STACKS)[number];

/** The mlflow-oidc-auth plugin's browser-login client in the default lab (`OIDC_CLIENT_ID` unless configured). */
export const OIDC_AUTH_CLIENT_ID = 'mlflow-oidc-auth';
export type Flavour = (typeof FLAVOURS)[number];

/** Issuer paths: Dex serves under its issuer path (oauth2-proxy-and-dex.md §B1); Keycloak under /realms/<realm>. */
export const DEFAULT_ISSUER_PATH: Record<Flavour, string> = { dex: '/dex', keycloak: '/realms/mlflow' };

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'password', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/**
 * Token lifetimes. Dex: `expiry.idTokens` 24h, and the access token is minted with the same expiry
 * (oauth2-proxy-and-dex.md §B3). Signing keys rotate every 6h and a demoted key stays published for
 * `idTokens` more (§B3, "Keys").
 */
export const DEFAULT_EXPIRY = {
  idTokens: '24h',
  accessTokens: '24h',
  refreshTokens: '720h',
  authRequests: '10m',
  signingKeys: '6h',
} as const;

/** The lab config used when no --config is given. */
export const DEFAULT_CONFIG_FILE = new URL('../../fixtures/lab.yaml', import.meta.url);

/** Where a running lab records itself (DESIGN.md, "CLI"): `.mlflow-authlab/lab.json` under the working dir. */
export const STATE_DIR_NAME = '.mlflow-authlab';
export const STATE_FILE_NAME = 'lab.json';
