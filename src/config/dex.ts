import type { ConfigProblem } from './issues.js';

export interface ImportedEntry {
  /** Where the entry is, for messages: `dexConfig.staticPasswords[0]`. */
  label: string;
  /** The entry in lab shape. */
  value: unknown;
  /** Lab option → the key the imported file uses for it (`name` → `username`), so messages name the right key. */
  fields?: Record<string, string>;
}

export interface ImportedEntities {
  users: ImportedEntry[];
  clients: ImportedEntry[];
  problems: ConfigProblem[];
}

/** Dex staticPasswords keys of the lab's user options; `name` there is the display name (v2.45.0+). */
const DEX_USER_FIELDS = { name: 'username', userId: 'userID', displayName: 'name' };

/**
 * Brings a team's own Dex config into the lab: `staticPasswords` become users and `staticClients` become
 * clients (oauth2-proxy-and-dex.md §B1, "Config"). Dex has no per-client grant list: every imported client
 * gets the grants the Dex config enables globally (`oauth2.grantTypes`, or Dex's defaults, with `password`
 * only when `oauth2.passwordConnector` is set).
 */
export function importDexConfig(raw: unknown, prefix: string): ImportedEntities {
  const problems: ConfigProblem[] = [];
  const isMap = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
  const cfg = (isMap ? raw : {}) as Record<string, unknown>;
  // Nothing is dropped silently: a Dex file or list of the wrong shape is a problem like any other.
  if (!isMap) problems.push({ path: prefix, received: raw, rule: 'must be a Dex config (a YAML mapping)' });
  for (const key of ['staticPasswords', 'staticClients'] as const) {
    if (cfg[key] !== undefined && !Array.isArray(cfg[key]))
      problems.push({ path: `${prefix}.${key}`, received: cfg[key], rule: 'must be a list' });
  }
  const oauth2 = (cfg.oauth2 ?? {}) as Record<string, unknown>;
  const passwordConnector = typeof oauth2.passwordConnector === 'string';

  const statics = Array.isArray(cfg.staticPasswords) ? cfg.staticPasswords : [];
  if (statics.length > 0 && cfg.enablePasswordDB !== true) {
    // Dex refuses to start with this exact message (cmd/dex/config.go).
    problems.push({
      path: `${prefix}.staticPasswords`,
      received: statics,
      rule: 'cannot specify static passwords without enabling password db',
    });
  }

  const users = statics.map((entry, i) => {
    const p = (entry ?? {}) as Record<string, unknown>;
    const at = `${prefix}.staticPasswords[${i}]`;
    if (typeof p.email !== 'string')
      problems.push({
        path: `${at}.email`,
        missing: p.email === undefined,
        received: p.email,
        rule: 'must be an e-mail address',
      });
    const hash = valueOrEnv(p.hash, p.hashFromEnv);
    if (hash === undefined)
      problems.push({
        path: `${at}.hash`,
        missing: true,
        rule: 'must be a bcrypt hash (or hashFromEnv naming a set variable)',
      });
    const username =
      typeof p.username === 'string' ? p.username : String(p.email ?? `user${i}`).split('@')[0]!;
    const value = {
      name: username.toLowerCase(),
      email: p.email,
      hash: hash ?? '',
      ...(typeof p.userID === 'string' && { userId: p.userID }),
      // v2.45.0+ fields; older Dex configs simply lack them.
      ...(typeof p.name === 'string' && { displayName: p.name }),
      ...(typeof p.preferredUsername === 'string' && { preferredUsername: p.preferredUsername }),
      ...(typeof p.emailVerified === 'boolean' && { emailVerified: p.emailVerified }),
      // A non-list reaches the lab schema as is, which reports it.
      groups: p.groups ?? [],
    };
    return { label: at, value, fields: DEX_USER_FIELDS };
  });

  // Dex's default grant list (cmd/dex/serve.go): authorization_code and refresh_token always, password with
  // a passwordConnector; client_credentials only when listed ([master], §B2).
  const listed = Array.isArray(oauth2.grantTypes) ? (oauth2.grantTypes as unknown[]) : undefined;
  const grants = (listed ?? ['authorization_code', 'refresh_token', 'password']).filter(
    (g): g is string =>
      typeof g === 'string' &&
      ['authorization_code', 'refresh_token', 'password', 'client_credentials'].includes(g) &&
      (g !== 'password' || passwordConnector),
  );

  const staticClients = Array.isArray(cfg.staticClients) ? cfg.staticClients : [];
  const clients = staticClients.map((entry, i) => {
    const c = (entry ?? {}) as Record<string, unknown>;
    const at = `${prefix}.staticClients[${i}]`;
    const id = valueOrEnv(c.id, c.idEnv);
    if (id === undefined)
      problems.push({
        path: `${at}.id`,
        missing: true,
        rule: 'must be a string (or idEnv naming a set variable)',
      });
    const secret = valueOrEnv(c.secret, c.secretEnv);
    const redirectURIs = Array.isArray(c.redirectURIs) ? c.redirectURIs : [];
    const isPublic = c.public === true;
    const value = {
      id,
      ...(!isPublic && { secret }),
      public: isPublic,
      ...(typeof c.name === 'string' && { name: c.name }),
      grantTypes: grants.filter((g) => g !== 'authorization_code' || redirectURIs.length > 0),
      redirectURIs,
      trustedPeers: Array.isArray(c.trustedPeers) ? c.trustedPeers : [],
    };
    return { label: at, value };
  });
  return { users, clients, problems };
}

/** Dex's `x` / `xEnv` pairs (hash/hashFromEnv, id/idEnv, secret/secretEnv): the value, else the named variable. */
function valueOrEnv(value: unknown, envName: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return typeof envName === 'string' ? process.env[envName] : undefined;
}
