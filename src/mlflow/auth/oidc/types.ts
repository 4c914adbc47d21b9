// What the oidc-auth stack's parts share: who a request is once authenticated, the request as the plugin's hooks
// and routers see it, and how they read MLflow's own stores (through the MLflow backend, in the request's
// workspace). The front door (`create-oidc-auth.ts`) builds these; the hooks (`hooks.ts`) and the plugin's REST API
// (`api.ts`) take them.
import type { OidcAuthSettings } from './settings.js';
import type { OidcAuthStore, UserRow } from './store.js';

/** The plugin's `AuthContext` (mlflow-oidc-auth.md §3): the lower-cased username, and what the DB says of it. */
export interface OidcIdentity {
  username: string;
  /** `users.is_admin` read from the DB on every request: false when the user has no row. */
  isAdmin: boolean;
  /** The user's DB row, or undefined (a bearer or Basic identity that never logged in in the browser). */
  user: UserRow | undefined;
  /** How the request authenticated. */
  method: 'session' | 'bearer' | 'basic';
}

/** One request, read once: what every hook and router needs of it. */
export interface OidcRequest {
  method: string;
  /** The URL path as received (percent-encoded), without the query. */
  path: string;
  query: URLSearchParams;
  /** The JSON body, when the request carried one that parses to an object (Flask's `get_json(silent=True)`). */
  json: Record<string, unknown> | undefined;
  /** The raw body (artifact uploads, OTLP). */
  body: Buffer;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** `X-MLFLOW-WORKSPACE` when workspaces are on, else undefined. */
  workspace: string | undefined;
}

/** An answer of MLflow's, as the hooks read it: the status and the parsed JSON body (undefined when not JSON). */
export interface MlflowAnswer {
  status: number;
  json: Record<string, unknown> | undefined;
}

/**
 * MLflow's own stores, as the plugin reads them with `_get_tracking_store()` / `_get_model_registry_store()`: here
 * through MLflow's REST API on the backend, bypassing the plugin (an admin-free, unfiltered read), in a workspace.
 */
export interface MlflowReader {
  call(
    method: 'GET' | 'POST',
    path: string,
    o?: { query?: Record<string, string>; json?: unknown; workspace?: string | undefined },
  ): Promise<MlflowAnswer>;
  /**
   * When MLflow is the lab's in-process emulator: its live data, read directly as the plugin reads its stores in
   * its own process. Only answers that are plain reads of what exists come from here; anything else (a missing
   * workspace or experiment, a bad id) goes through `call`, so its error is MLflow's own answer.
   */
  local?: {
    /** `get_workspace(name)` would succeed. */
    hasWorkspace(name: string): boolean;
    /** `get_experiment(id).name` in the workspace (undefined: no such experiment there; ask `call`). */
    experimentName(id: string, workspace: string | undefined): string | undefined;
  };
}

/** Everything a hook or router works with. */
export interface OidcAuthDeps {
  store: OidcAuthStore;
  settings: OidcAuthSettings;
  mlflow: MlflowReader;
  /** The lab clock, in ms. */
  now(): number;
}
