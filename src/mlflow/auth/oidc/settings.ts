// mlflow-oidc-auth's settings, named after its environment variables and read with its rules (mlflow-oidc-auth.md
// §2.1 "How values are read", §2.2 "The variables"): booleans are true only for `true`, `1` or `t`; a malformed
// integer falls back to the default; lists are comma-split and stripped.
import type { ConfigProblem } from '../../../config/issues.js';
import {
  isPermissionName,
  PERMISSION_NAMES,
  PERMISSION_SOURCES,
  type PermissionName,
  type PermissionSource,
} from './permissions.js';

export interface OidcAuthSettings {
  OIDC_DISCOVERY_URL: string | undefined;
  OIDC_CLIENT_ID: string | undefined;
  OIDC_CLIENT_SECRET: string | undefined;
  OIDC_REDIRECT_URI: string | undefined;
  /** Passed to the IdP verbatim, commas and all (the plugin's default is `openid,email,profile`). */
  OIDC_SCOPE: string;
  OIDC_GROUPS_ATTRIBUTE: string;
  OIDC_GROUP_NAME: string[];
  OIDC_ADMIN_GROUP_NAME: string[];
  /** Unset: bearer tokens' audience is not checked at all (§3.2). */
  OIDC_AUDIENCE: string | undefined;
  OIDC_PROVIDER_DISPLAY_NAME: string;
  OIDC_SESSION_EXPIRY_LEEWAY_SECONDS: number;
  OIDC_USE_REFRESH_TOKEN: boolean;
  OIDC_JWKS_CACHE_TTL_SECONDS: number;
  /** Unset: a random key per start, as the plugin does (with a warning); sessions die with the lab. */
  SECRET_KEY: string | undefined;
  SESSION_COOKIE_NAME: string;
  SESSION_COOKIE_MAX_AGE_SECONDS: number;
  SESSION_COOKIE_SAMESITE: string;
  SESSION_COOKIE_SECURE: boolean;
  DEFAULT_MLFLOW_PERMISSION: PermissionName;
  PERMISSION_SOURCE_ORDER: PermissionSource[];
  MLFLOW_ENABLE_WORKSPACES: boolean;
  OIDC_WORKSPACE_CLAIM_NAME: string;
  OIDC_WORKSPACE_DEFAULT_PERMISSION: PermissionName;
  DEFAULT_LANDING_PAGE_IS_PERMISSIONS: boolean;
  AUTOMATIC_LOGIN_REDIRECT: boolean;
  OIDC_GEN_AI_GATEWAY_ENABLED: boolean;
  ENABLE_API_DOCS: boolean;
}

/** The plugin's defaults (§2.2). */
export const OIDC_AUTH_DEFAULTS: OidcAuthSettings = {
  OIDC_DISCOVERY_URL: undefined,
  OIDC_CLIENT_ID: undefined,
  OIDC_CLIENT_SECRET: undefined,
  OIDC_REDIRECT_URI: undefined,
  OIDC_SCOPE: 'openid,email,profile',
  OIDC_GROUPS_ATTRIBUTE: 'groups',
  OIDC_GROUP_NAME: ['mlflow'],
  OIDC_ADMIN_GROUP_NAME: ['mlflow-admin'],
  OIDC_AUDIENCE: undefined,
  OIDC_PROVIDER_DISPLAY_NAME: 'Login with OIDC',
  OIDC_SESSION_EXPIRY_LEEWAY_SECONDS: 30,
  OIDC_USE_REFRESH_TOKEN: false,
  OIDC_JWKS_CACHE_TTL_SECONDS: 300,
  SECRET_KEY: undefined,
  SESSION_COOKIE_NAME: 'session',
  SESSION_COOKIE_MAX_AGE_SECONDS: 1209600,
  SESSION_COOKIE_SAMESITE: 'lax',
  SESSION_COOKIE_SECURE: false,
  DEFAULT_MLFLOW_PERMISSION: 'MANAGE',
  PERMISSION_SOURCE_ORDER: ['user', 'group', 'regex', 'group-regex'],
  MLFLOW_ENABLE_WORKSPACES: false,
  OIDC_WORKSPACE_CLAIM_NAME: 'workspace',
  OIDC_WORKSPACE_DEFAULT_PERMISSION: 'NO_PERMISSIONS',
  DEFAULT_LANDING_PAGE_IS_PERMISSIONS: true,
  AUTOMATIC_LOGIN_REDIRECT: false,
  OIDC_GEN_AI_GATEWAY_ENABLED: true,
  ENABLE_API_DOCS: false,
};

export const OIDC_AUTH_SETTING_NAMES = Object.keys(OIDC_AUTH_DEFAULTS) as Array<keyof OidcAuthSettings>;

type Kind = 'string' | 'optional' | 'bool' | 'int' | 'list' | 'permission' | 'sources';
const KINDS: Record<keyof OidcAuthSettings, Kind> = {
  OIDC_DISCOVERY_URL: 'optional',
  OIDC_CLIENT_ID: 'optional',
  OIDC_CLIENT_SECRET: 'optional',
  OIDC_REDIRECT_URI: 'optional',
  OIDC_SCOPE: 'string',
  OIDC_GROUPS_ATTRIBUTE: 'string',
  OIDC_GROUP_NAME: 'list',
  OIDC_ADMIN_GROUP_NAME: 'list',
  OIDC_AUDIENCE: 'optional',
  OIDC_PROVIDER_DISPLAY_NAME: 'string',
  OIDC_SESSION_EXPIRY_LEEWAY_SECONDS: 'int',
  OIDC_USE_REFRESH_TOKEN: 'bool',
  OIDC_JWKS_CACHE_TTL_SECONDS: 'int',
  SECRET_KEY: 'optional',
  SESSION_COOKIE_NAME: 'string',
  SESSION_COOKIE_MAX_AGE_SECONDS: 'int',
  SESSION_COOKIE_SAMESITE: 'string',
  SESSION_COOKIE_SECURE: 'bool',
  DEFAULT_MLFLOW_PERMISSION: 'permission',
  PERMISSION_SOURCE_ORDER: 'sources',
  MLFLOW_ENABLE_WORKSPACES: 'bool',
  OIDC_WORKSPACE_CLAIM_NAME: 'string',
  OIDC_WORKSPACE_DEFAULT_PERMISSION: 'permission',
  DEFAULT_LANDING_PAGE_IS_PERMISSIONS: 'bool',
  AUTOMATIC_LOGIN_REDIRECT: 'bool',
  OIDC_GEN_AI_GATEWAY_ENABLED: 'bool',
  ENABLE_API_DOCS: 'bool',
};

/**
 * The lab's own switches in the `oidcAuth:` section, lower-case so they cannot be taken for the plugin's:
 * `kagentiPatch` (kagenti's patches that open `/v1/traces`, §5) and `provisionUsers` (give the config's users a DB
 * row at start, as if each had signed in once in a browser).
 */
export const LAB_SWITCHES = ['kagentiPatch', 'provisionUsers', 'serverTrust'] as const;

/**
 * `serverTrust`: which of the plugin process's trust variables point at the lab CA, when the IdP serves TLS. The
 * plugin fetches discovery and JWKS for bearer tokens with `requests` (REQUESTS_CA_BUNDLE) and runs the browser
 * login through authlib's httpx client (SSL_CERT_FILE), so each path fails on its own until both are set: the
 * server-side trust failure kagenti documents. Default: both.
 */
export const SERVER_TRUST_VARIABLES = ['REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE'] as const;
export type ServerTrustVariable = (typeof SERVER_TRUST_VARIABLES)[number];

/** Variables people set that the plugin does not read (kagenti's secret has them); named in a warning, not an error. */
export const IGNORED_BY_THE_PLUGIN = [
  'MLFLOW_AUTH_ENABLED',
  'OIDC_TOKEN_URL',
  'OIDC_GROUPS_CLAIM',
  'OIDC_ISSUER',
];

export interface ParsedOidcAuthSettings {
  settings: OidcAuthSettings;
  problems: ConfigProblem[];
  /** What the plugin itself would only log (unknown permission sources, variables it ignores). */
  warnings: string[];
}

/**
 * The settings from, in order of precedence, the environment (the plugin's own source), the config's `oidcAuth:`
 * section, the lab's base (the discovery URL, client and secret it fills in) and the plugin's defaults. Values in
 * the config may be YAML scalars or lists; the environment's are strings. Problems name the setting as the config
 * spells it (`oidcAuth.SESSION_COOKIE_SAMESITE`).
 */
export function parseOidcAuthSettings(o: {
  config?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  base?: Partial<OidcAuthSettings>;
  path?: string;
}): ParsedOidcAuthSettings {
  const at = o.path ?? 'oidcAuth';
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const settings: OidcAuthSettings = { ...OIDC_AUTH_DEFAULTS, ...o.base };
  for (const key of Object.keys(o.config ?? {})) {
    if (IGNORED_BY_THE_PLUGIN.includes(key))
      warnings.push(`${key} is not read by mlflow-oidc-auth 7.3.1 (it has no such setting)`);
    else if (key === 'serverTrust') {
      const value = o.config![key];
      if (
        !Array.isArray(value) ||
        !value.every((v) => (SERVER_TRUST_VARIABLES as readonly unknown[]).includes(v))
      )
        problems.push({
          path: `${at}.${key}`,
          received: value,
          rule: `must be a list of ${SERVER_TRUST_VARIABLES.join(', ')} (the plugin's trust variables set to the lab CA)`,
        });
    } else if ((LAB_SWITCHES as readonly string[]).includes(key)) {
      if (typeof o.config![key] !== 'boolean')
        problems.push({ path: `${at}.${key}`, received: o.config![key], rule: 'must be true or false' });
    } else if (!(key in KINDS))
      problems.push({ path: `${at}.${key}`, received: o.config![key], rule: 'unknown option' });
  }
  for (const name of OIDC_AUTH_SETTING_NAMES) {
    const fromEnv = o.env?.[name];
    const raw = fromEnv !== undefined ? fromEnv : o.config?.[name];
    if (raw === undefined || raw === null) continue;
    const text = Array.isArray(raw) ? raw.map(String).join(',') : String(raw);
    const where = fromEnv !== undefined ? name : `${at}.${name}`;
    apply(settings, name, text, where, raw, problems, warnings);
  }
  // Import fails on a SameSite value Starlette does not know (`config.py:82-85`).
  if (!['lax', 'strict', 'none'].includes(settings.SESSION_COOKIE_SAMESITE.toLowerCase()))
    problems.push({
      path: `${at}.SESSION_COOKIE_SAMESITE`,
      received: settings.SESSION_COOKIE_SAMESITE,
      rule: `Invalid SESSION_COOKIE_SAMESITE value: '${settings.SESSION_COOKIE_SAMESITE}' (the plugin does not start)`,
    });
  else settings.SESSION_COOKIE_SAMESITE = settings.SESSION_COOKIE_SAMESITE.toLowerCase();
  return { settings, problems, warnings };
}

function apply(
  settings: OidcAuthSettings,
  name: keyof OidcAuthSettings,
  text: string,
  where: string,
  raw: unknown,
  problems: ConfigProblem[],
  warnings: string[],
): void {
  const target = settings as unknown as Record<string, unknown>;
  switch (KINDS[name]) {
    case 'string':
      target[name] = text;
      return;
    case 'optional':
      target[name] = text === '' ? undefined : text;
      return;
    case 'bool':
      target[name] = ['true', '1', 't'].includes(text.trim().toLowerCase());
      return;
    case 'int': {
      // `int(value)`, else the default, silently (§2.1).
      const n = /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : undefined;
      if (n !== undefined) target[name] = n;
      return;
    }
    case 'list':
      target[name] = text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      return;
    case 'permission': {
      const value = text.trim();
      // The plugin looks the name up at its first permission check and answers 500 (a KeyError); the lab says so
      // when it starts instead.
      if (isPermissionName(value)) target[name] = value;
      else
        problems.push({
          path: where,
          received: raw,
          rule: `must be one of ${PERMISSION_NAMES.join(', ')} (the plugin would answer 500 at its first permission check)`,
        });
      return;
    }
    case 'sources': {
      const order: PermissionSource[] = [];
      for (const item of text.split(',').map((s) => s.trim())) {
        if ((PERMISSION_SOURCES as readonly string[]).includes(item)) order.push(item as PermissionSource);
        else if (item !== '') warnings.push(`Invalid permission source configured: ${item}`);
      }
      target[name] = order;
      return;
    }
  }
}
