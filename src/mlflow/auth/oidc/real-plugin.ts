// The real mlflow-oidc-auth plugin inside a real MLflow (`--mlflow-plugin oidc-auth`, issue 19): the environment the
// lab hands it, and the seeding the lab does through the plugin's own API once it runs. The lab's emulation of the
// plugin is off then; both read the same resolved settings (stack.ts resolveOidcAuth), so they behave alike.
import { randomBytes } from 'node:crypto';
import type { ResolvedLabConfig, ResolvedUser } from '../../../config/resolve.js';
import { AuthlabError } from '../../../errors.js';
import type { Logger } from '../../../log.js';
import { ensureWorkspaces } from '../../backends/types.js';
import { PERMISSIONS, type PermissionName } from './permissions.js';
import { OIDC_AUTH_SETTING_NAMES, type OidcAuthSettings } from './settings.js';
import type { ResolvedOidcAuth } from './stack.js';

/**
 * Every resolved setting as the plugin's environment variable, in the spelling its `config.py` reads back to the
 * same value (mlflow-oidc-auth.md §2.1): booleans `true`/`false`, lists comma-joined, integers in decimal; unset
 * ones left out, so the plugin keeps its own default. SECRET_KEY: the configured one, else a new one per lab; the
 * plugin's own fallback is a random key per process, i.e. per uvicorn worker, which signs sessions other workers
 * refuse. The key is a secret: it goes to the plugin's environment only, never to a log line.
 */
export function realPluginEnvironment(settings: OidcAuthSettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of OIDC_AUTH_SETTING_NAMES) {
    const value = settings[name];
    if (value === undefined) continue;
    env[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  // `secrets.token_hex(16)`, as the plugin makes one.
  env.SECRET_KEY ??= randomBytes(16).toString('hex');
  return env;
}

/**
 * kagenti's patches (`oidcAuth.kagentiPatch`) replace private functions of the plugin in kagenti's own start script
 * (mlflow-oidc-auth.md §5); no environment variable does that, so the real plugin cannot run patched. Refused
 * rather than silently running the plugin as released, whose `/v1/traces` answers 401 where the config asked for
 * an open one.
 */
export function refuseKagentiPatch(config: ResolvedLabConfig): void {
  if (config.oidcAuth.kagentiPatch !== true) return;
  throw new AuthlabError(
    'AUTHLAB_INVALID_ARGUMENT',
    "oidcAuth.kagentiPatch asks for kagenti's patches to the plugin, but the real mlflow-oidc-auth plugin runs as released (--mlflow-plugin oidc-auth): kagenti patches its code in its own start script, and no setting does that",
    {
      hint: "Drop --mlflow-plugin to run the lab's emulation with the patches, or set oidcAuth.kagentiPatch: false to run the real plugin as released.",
    },
  );
}

export interface SeedRealPluginOptions {
  /** The plugin's server (the tracking URI). */
  trackingUri: string;
  config: ResolvedLabConfig;
  resolved: ResolvedOidcAuth;
  /** How the lab reaches the plugin it started. */
  fetch: typeof globalThis.fetch;
  /** How the lab reaches its IdP (under TLS: trusting the lab CA). */
  idpFetch: typeof globalThis.fetch;
  /**
   * Whether the plugin's browser login can work: false when `oidcAuth.serverTrust` withholds SSL_CERT_FILE under
   * TLS on purpose (then a failed sign-in is the reproduced symptom, and only a warning).
   */
  loginCanWork: boolean;
  /** The plugin's last output lines, for an error. */
  logs?: () => string[];
  log: Logger;
}

export interface SeedReport {
  /** Users signed in once through the plugin's browser login: each has the row and groups the plugin gives. */
  signedIn: string[];
  /** Users the plugin refused at login, with its message (e.g. `User is not allowed to login`). */
  refused: Array<{ user: string; error: string }>;
  /** What the real plugin cannot take from the lab, said once each. */
  notes: string[];
}

/**
 * Brings the real plugin's database as close to the lab's mapping (lab-mapping.ts) as the plugin allows. Its
 * database is its own and starts empty, and its only ways in are its browser login and its REST API
 * (mlflow-oidc-auth.md §3.1, §4.8), so the lab uses exactly those:
 *
 * 1. It signs in once through `/login` → the lab's IdP (the login page's user picker) → `/callback`: every config
 *    user with `oidcAuth.provisionUsers` (the default), else only the first admin. Each gets the row, the groups and
 *    the admin flag the plugin gives at a browser login; a user outside OIDC_GROUP_NAME and OIDC_ADMIN_GROUP_NAME is
 *    refused by the plugin and keeps no row (the emulation gives such a user a row without groups: the same
 *    fallback permission, but an access token is a 404 here).
 * 2. As that admin (the session cookie): MLflow's workspaces, then each group's workspace permission. A group
 *    exists in the plugin only once one of its members has signed in, so with provisionUsers off the grants of
 *    groups without a signed-in member cannot be made (a note says which).
 * 3. A service-account row per client with groups (`POST /api/2.0/mlflow/users`, as kagenti pre-inserts
 *    `service-account-mlflow`), given its groups' workspace permissions as user rules: the API cannot set a user's
 *    groups, only a login can, and a client never logs in through the browser.
 *
 * A rule that exists already (a database kept in the state directory) is updated to the seed's permission.
 */
export async function seedRealPlugin(o: SeedRealPluginOptions): Promise<SeedReport> {
  const { config, resolved, trackingUri } = o;
  const { settings, mapping } = resolved;
  const report: SeedReport = { signedIn: [], refused: [], notes: [] };
  const isAdmin = (u: ResolvedUser) => u.groups.some((g) => settings.OIDC_ADMIN_GROUP_NAME.includes(g));
  const admins = config.users.filter(isAdmin);
  const toSignIn = config.oidcAuth.provisionUsers === false ? admins.slice(0, 1) : config.users;

  let adminCookie: string | undefined;
  let adminName: string | undefined;
  let firstFailure: string | undefined;
  for (const user of toSignIn) {
    const result = await signIn(o, user);
    if ('cookie' in result) {
      report.signedIn.push(user.name);
      if (adminCookie === undefined && isAdmin(user)) {
        adminCookie = result.cookie;
        adminName = user.name;
      }
    } else if (result.refusedBy === 'plugin') report.refused.push({ user: user.name, error: result.error });
    else {
      firstFailure ??= `${user.name}: ${result.error}`;
      // The same cause fails every other user: one attempt is enough to tell.
      break;
    }
  }
  if (firstFailure !== undefined) {
    const message = `the mlflow-oidc-auth plugin at ${trackingUri} could not sign in through the lab's IdP (${firstFailure}); its database was not seeded`;
    if (!o.loginCanWork) {
      o.log.warn(`${message}: oidcAuth.serverTrust withholds SSL_CERT_FILE, so its browser login fails`);
      report.notes.push(message);
      return report;
    }
    throw new AuthlabError('AUTHLAB_MLFLOW_START_FAILED', message, {
      details: o.logs
        ? [
            'last lines of its output:',
            ...o
              .logs()
              .slice(-30)
              .map((l) => `  | ${l}`),
          ]
        : [],
      hint: "The plugin reads the IdP's discovery document, token endpoint and keys at 127.0.0.1 itself: run it where this machine's loopback is its own (a Linux container engine with host networking, or --mlflow process).",
    });
  }
  for (const { user, error } of report.refused) o.log.info(`the plugin refused ${user} at login: ${error}`);
  if (adminCookie === undefined) {
    const note =
      admins.length === 0
        ? 'no user of the lab is in an admin group (OIDC_ADMIN_GROUP_NAME), so nobody can create its workspaces or grants through the plugin'
        : `the plugin refused every admin at login, so the lab's workspaces and grants were not created`;
    o.log.warn(note);
    report.notes.push(note);
    return report;
  }
  const api = adminApi(o, adminCookie);

  const { created } = await ensureWorkspaces(trackingUri, config.workspaces.items, {
    fetch: o.fetch,
    headers: { cookie: adminCookie },
  });
  if (created.length > 0) o.log.info(`created workspaces as ${adminName}: ${created.join(', ')}`);

  const absentGroups = new Set<string>();
  for (const grant of mapping.workspaceGrants) {
    if (config.users.every((u) => !u.groups.includes(grant.group))) continue; // a client's group: step 3
    const base = `/api/3.0/mlflow/permissions/workspaces/${encodeURIComponent(grant.workspace)}/groups`;
    const made = await api.put(
      base,
      { group_name: grant.group, permission: grant.permission },
      `${base}/${encodeURIComponent(grant.group)}`,
    );
    if (made === 'absent') absentGroups.add(grant.group);
  }
  if (absentGroups.size > 0) {
    const note = `no member of ${[...absentGroups].join(', ')} has signed in yet, so the plugin has no such group and its workspace permissions were not granted`;
    o.log.warn(note);
    report.notes.push(note);
  }

  for (const client of config.clients) {
    if (client.groups.length === 0 || !client.grantTypes.includes('client_credentials')) continue;
    const username = resolved.serviceAccountName(client.id, client.name);
    const admin = client.groups.some((g) => settings.OIDC_ADMIN_GROUP_NAME.includes(g));
    await api.call('POST', '/api/2.0/mlflow/users', {
      username,
      display_name: client.name,
      is_admin: admin,
      is_service_account: true,
    });
    if (admin) continue;
    for (const [workspace, permission] of strongestPerWorkspace(mapping.workspaceGrants, client.groups)) {
      const base = `/api/3.0/mlflow/permissions/workspaces/${encodeURIComponent(workspace)}/users`;
      await api.put(base, { username, permission }, `${base}/${encodeURIComponent(username)}`);
    }
  }
  o.log.info(
    `seeded the plugin's database through its API: signed in ${report.signedIn.join(', ')}; workspace grants for the lab's groups and service accounts`,
  );
  return report;
}

/** Per workspace, the strongest of the groups' grants (the plugin's group source would pick it too, §4.3). */
function strongestPerWorkspace(
  grants: ResolvedOidcAuth['mapping']['workspaceGrants'],
  groups: string[],
): Map<string, PermissionName> {
  const out = new Map<string, PermissionName>();
  for (const g of grants) {
    if (!groups.includes(g.group)) continue;
    const held = out.get(g.workspace);
    if (held === undefined || PERMISSIONS[g.permission].priority > PERMISSIONS[held].priority)
      out.set(g.workspace, g.permission);
  }
  return out;
}

type SignInResult = { cookie: string } | { error: string; refusedBy: 'plugin' | 'path' };

/**
 * One browser login, as a browser does it but without one: `GET /login` on the plugin (its session cookie kept),
 * the redirects through the IdP's authorize endpoint to the login page, the page's user picker (`pick=<name>`, the
 * lab IdP's own shortcut, no password), back to the plugin's `/callback`. Returns the plugin's session cookie, or
 * why there is none: the plugin's own refusal (`/oidc/ui/auth?error=…`), or a broken path.
 */
async function signIn(o: SeedRealPluginOptions, user: ResolvedUser): Promise<SignInResult> {
  const name = o.resolved.settings.SESSION_COOKIE_NAME;
  const broken = (error: string): SignInResult => ({ error, refusedBy: 'path' });
  const login = await o.fetch(`${o.trackingUri}/login`, { redirect: 'manual' });
  const loginText = await login.text();
  if (login.status !== 302) return broken(`GET /login answered ${login.status} ${loginText.slice(0, 200)}`);
  let session = cookieNamed(login, name);
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const callbackUrl = new URL('/callback', o.trackingUri);
  let url = new URL(login.headers.get('location') ?? '', o.trackingUri);
  for (let hop = 0; hop < 12 && !(url.origin === callbackUrl.origin && url.pathname === '/callback'); hop++) {
    let res: Response;
    try {
      res = await o.idpFetch(url, { redirect: 'manual', headers: { cookie: cookieHeader() } });
      remember(jar, res);
      if (res.status === 200) {
        // The login page: sign in with its picker.
        await res.body?.cancel();
        res = await o.idpFetch(url, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ pick: user.name }),
        });
        remember(jar, res);
      }
    } catch (error) {
      return broken(`the IdP at ${url.origin} did not answer: ${(error as Error).message}`);
    }
    const next = res.headers.get('location');
    const text = await res.text();
    if (next === null)
      return broken(`the IdP answered ${res.status} at ${url.pathname}: ${text.slice(0, 200)}`);
    url = new URL(next, url);
  }
  const callback = await o.fetch(url, {
    redirect: 'manual',
    headers: session === undefined ? {} : { cookie: `${name}=${session}` },
  });
  await callback.text();
  const landing = new URL(callback.headers.get('location') ?? '/', o.trackingUri);
  const errors = landing.pathname.endsWith('/oidc/ui/auth') ? landing.searchParams.getAll('error') : [];
  if (errors.length > 0) return { error: errors.join(': '), refusedBy: 'plugin' };
  session = cookieNamed(callback, name) ?? session;
  if (callback.status !== 302 || session === undefined)
    return broken(`GET /callback answered ${callback.status} without a session`);
  return { cookie: `${name}=${session}` };
}

function remember(jar: Map<string, string>, res: Response): void {
  for (const c of res.headers.getSetCookie()) {
    const pair = c.split(';')[0]!;
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
}

function cookieNamed(res: Response, name: string): string | undefined {
  for (const c of res.headers.getSetCookie()) {
    const pair = c.split(';')[0]!;
    if (pair.startsWith(`${name}=`)) return pair.slice(name.length + 1);
  }
  return undefined;
}

/** The plugin's REST API as the signed-in admin. */
function adminApi(o: SeedRealPluginOptions, cookie: string) {
  const call = async (method: string, path: string, body: unknown) => {
    const res = await o.fetch(`${o.trackingUri}${path}`, {
      method,
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400 && res.status !== 404 && res.status !== 409 && !/ALREADY_EXISTS/.test(text)) {
      throw new AuthlabError(
        'AUTHLAB_MLFLOW_START_FAILED',
        `seeding the mlflow-oidc-auth plugin's database: ${method} ${path} answered ${res.status} ${text.slice(0, 300)}`,
        {
          hint: 'The lab expects mlflow-oidc-auth 7.3.1 (docker/mlflow-oidc-auth); another version may have another API.',
        },
      );
    }
    return { status: res.status, text };
  };
  return {
    call,
    /** Creates a rule, or updates the one that exists to this permission; 'absent' when its subject does not exist. */
    async put(
      collection: string,
      body: { permission: PermissionName } & Record<string, string>,
      item: string,
    ): Promise<'made' | 'absent'> {
      const made = await call('POST', collection, body);
      if (made.status === 404) return 'absent';
      if (made.status === 409 || /ALREADY_EXISTS/.test(made.text))
        // The update's model repeats the principal (the path's is the one used).
        await call('PATCH', item, body);
      return 'made';
    },
  };
}
