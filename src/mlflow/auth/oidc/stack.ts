// The oidc-auth stack as the lab composes it (DESIGN.md "Auth stacks"): the plugin's settings from the config's
// `oidcAuth:` section and the environment over what the lab fills in (its IdP, the plugin's client, the lab's groups
// mapped onto the plugin's model), the plugin's database seeded for the lab, and the front door on the tracking URI.
import type http from 'node:http';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import type { LabClock } from '../../../clock.js';
import { OIDC_AUTH_CLIENT_ID } from '../../../config/defaults.js';
import { configError, type ResolvedLabConfig } from '../../../config/resolve.js';
import type { StartedIdp } from '../../../idp/create-idp.js';
import { createRbacAuthorizer } from '../../../kube/rbac.js';
import { fetchTrusting } from '../../../trusted-fetch.js';
import type { Logger } from '../../../log.js';
import type { LabMlflow } from '../../../lab/start-lab.js';
import { DEFAULT_WORKSPACE, type TrackingStore } from '../../emulator/tracking-store.js';
import type { AuthApp } from '../auth-app.js';
import { createOidcAuth, type StartedOidcAuth } from './create-oidc-auth.js';
import { mapLabOntoPlugin, seedStore, type LabMapping } from './lab-mapping.js';
import {
  parseOidcAuthSettings,
  SERVER_TRUST_VARIABLES,
  type OidcAuthSettings,
  type ServerTrustVariable,
} from './settings.js';
import { OidcAuthStore } from './store.js';
import type { MlflowReader } from './types.js';

export interface OidcAuthStackOptions {
  config: ResolvedLabConfig;
  idp: StartedIdp;
  mlflow: LabMlflow | undefined;
  /** The tracking URI's server, already listening. */
  server: http.Server;
  stateDir: string | undefined;
  env: Record<string, string | undefined>;
  fetch: typeof globalThis.fetch;
  clock: LabClock;
  log: Logger;
}

export interface OidcAuthStack extends StartedOidcAuth, AuthApp {
  readonly stack: 'oidc-auth';
  /** The plugin's settings as resolved (config, environment, what the lab fills in). */
  readonly settings: OidcAuthSettings;
  /** The plugin's database. */
  readonly store: OidcAuthStore;
  /** Back to the lab's seed: users, groups and workspace grants as at start; every other rule and token gone. */
  reset(): void;
}

/** The plugin's settings as the lab resolves them, and the lab's RBAC mapped onto the plugin's model. */
export interface ResolvedOidcAuth {
  settings: OidcAuthSettings;
  mapping: LabMapping;
  /** The username the plugin reads from a client's client-credentials token (its service account's row). */
  serviceAccountName(clientId: string, clientName: string): string;
}

/**
 * The settings from the config's `oidcAuth:` section and the environment over what the lab fills in (its IdP, the
 * plugin's client, the lab's groups mapped onto the plugin's model). One function for both ways the plugin runs:
 * the lab's emulation reads them, and the real plugin gets them as its environment (real-plugin.ts), so both
 * behave alike. Problems are a config error; what the plugin would only log is a warning.
 */
export function resolveOidcAuth(o: {
  config: ResolvedLabConfig;
  idp: Pick<StartedIdp, 'discoveryUrl'>;
  env: Record<string, string | undefined>;
  log: Logger;
}): ResolvedOidcAuth {
  const { config } = o;
  const mapping = mapLabOntoPlugin(config, createRbacAuthorizer(config.rbac));
  const configuredClient = config.oidcAuth.OIDC_CLIENT_ID;
  const clientId = typeof configuredClient === 'string' ? configuredClient : OIDC_AUTH_CLIENT_ID;
  const client = config.clients.find((c) => c.id === clientId);
  const { settings, problems, warnings } = parseOidcAuthSettings({
    config: config.oidcAuth,
    env: pluginVariables(o.env),
    base: {
      OIDC_DISCOVERY_URL: o.idp.discoveryUrl,
      ...(client && { OIDC_CLIENT_ID: client.id }),
      ...(client?.secret !== undefined && { OIDC_CLIENT_SECRET: client.secret }),
      // Space-separated, as kagenti sets it: the plugin's default `openid,email,profile` sends no nonce and some
      // IdPs refuse it (mlflow-oidc-auth.md §2.2, OIDC_SCOPE; the comma-scope scenario).
      OIDC_SCOPE: 'openid email profile groups',
      OIDC_GROUPS_ATTRIBUTE: config.idp.groupsClaim,
      OIDC_GROUP_NAME: mapping.groupNames,
      OIDC_ADMIN_GROUP_NAME: mapping.adminGroupNames,
      MLFLOW_ENABLE_WORKSPACES: config.workspaces.items.length > 0,
    },
  });
  if (problems.length > 0) throw configError(`${config.source}, oidcAuth`, problems);
  for (const warning of warnings) o.log.warn(warning);
  const keycloak = config.idp.flavour === 'keycloak';
  return {
    settings,
    mapping,
    // The username the plugin reads from a client-credentials token (preferred_username): Keycloak's service
    // account, or the client's name in Dex.
    serviceAccountName: (id, name) => (keycloak ? `service-account-${id}` : name),
  };
}

export async function startOidcAuthStack(o: OidcAuthStackOptions): Promise<OidcAuthStack> {
  const { config } = o;
  const { settings, mapping, serviceAccountName } = resolveOidcAuth(o);
  const store = new OidcAuthStore(
    o.stateDir === undefined ? undefined : path.join(o.stateDir, 'oidc-auth', 'auth-db.json'),
  );
  const seed = (into: OidcAuthStore) =>
    seedStore(into, config, settings, mapping, {
      provisionUsers: config.oidcAuth.provisionUsers !== false,
      serviceAccountName,
    });
  // The seed alone, kept for reset(); a database kept from an earlier run is brought up to it without losing rows.
  const pristine = new OidcAuthStore();
  await seed(pristine);
  const seeded = pristine.snapshot();
  if (store.loaded) await seed(store);
  else store.restore(seeded);
  const front = await createOidcAuth({
    settings,
    store,
    upstream: o.mlflow?.url ?? 'http://127.0.0.1:9',
    ...(o.mlflow?.emulator && {
      inProcess: o.mlflow.emulator.dispatch,
      local: emulatorStoreReads(o.mlflow.emulator.store),
    }),
    kagentiPatch: config.oidcAuth.kagentiPatch === true,
    // The plugin's process trusts the lab CA through the variables `serverTrust` names (§ server-side trust).
    ...serverFetches(o.fetch, config.oidcAuth.serverTrust),
    clock: o.clock,
    log: o.log,
    server: o.server,
  });
  return {
    ...front,
    url: front.url,
    secretKey: front.secretKey,
    settings,
    store,
    stack: 'oidc-auth',
    frontDoor: true,
    reset: () => store.restore(seeded),
  };
}

/** The environment's plugin variables only: a stray `OIDC_SCOPE` in the user's shell counts, unrelated ones do not. */
function pluginVariables(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env))
    if (
      /^(OIDC_|SESSION_COOKIE_|DEFAULT_MLFLOW_PERMISSION$|PERMISSION_SOURCE_ORDER$|SECRET_KEY$|AUTOMATIC_LOGIN_REDIRECT$|DEFAULT_LANDING_PAGE_IS_PERMISSIONS$|ENABLE_API_DOCS$)/.test(
        k,
      )
    )
      out[k] = v;
  return out;
}

/**
 * The fetches the plugin's two HTTP clients use: the lab's (trusting its CA) for each trust variable set, else the
 * system's trust alone, which a lab-CA-signed IdP fails. Over plain HTTP both are the same.
 */
function serverFetches(
  trusted: typeof globalThis.fetch,
  serverTrust: unknown,
): { fetch: typeof globalThis.fetch; loginFetch: typeof globalThis.fetch } {
  const set = serverTrustOf(serverTrust);
  // certifi's bundle, as Python has it without the variables: the public roots and nothing the user's shell added.
  const system = fetchTrusting(rootCertificates.join('\n'));
  return {
    fetch: set.includes('REQUESTS_CA_BUNDLE') ? trusted : system,
    loginFetch: set.includes('SSL_CERT_FILE') ? trusted : system,
  };
}

/** `oidcAuth.serverTrust` as checked by the config (a list of the trust variables), else both (the default). */
export function serverTrustOf(serverTrust: unknown): readonly ServerTrustVariable[] {
  return Array.isArray(serverTrust) ? (serverTrust as ServerTrustVariable[]) : SERVER_TRUST_VARIABLES;
}

/**
 * The plugin's plain store reads on the in-process emulator's data, as the plugin makes them in its own process
 * (`_get_tracking_store()`): whether the request's workspace exists, and an experiment's name for the regex sources.
 * Only a plain success is answered here; anything else goes through the emulator's API for MLflow's own error.
 */
export function emulatorStoreReads(store: TrackingStore): NonNullable<MlflowReader['local']> {
  const workspaceOf = (header: string | undefined) => header?.trim() || DEFAULT_WORKSPACE;
  return {
    hasWorkspace: (name) => store.workspaces.has(name),
    experimentName(id, workspace) {
      const ws = workspaceOf(workspace);
      if (!/^\d+$/.test(id) || !store.workspaces.has(ws)) return undefined;
      try {
        return store.getExperiment(ws, id).name;
      } catch {
        return undefined;
      }
    },
  };
}
