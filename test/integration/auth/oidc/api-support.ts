// Drives the oidc-auth stack's REST API (src/mlflow/auth/oidc/api.ts) as the front door does: an identity built
// from the plugin's DB the way AuthMiddleware builds it, a request read once, and the lab's real MLflow emulator on
// loopback behind `deps.mlflow`. Users log in as the measured runs' did (mlflow-oidc-auth.md §8): alice in
// team-a-editors, bob in team-b-viewers, carol in mlflow-admins, so the group ids are 1, 2, 3.
import { onTestFinished } from 'vitest';
import { handleApi } from '../../../../src/mlflow/auth/oidc/api.js';
import { httpMlflowReader } from '../../../../src/mlflow/auth/oidc/mlflow-reader.js';
import { OIDC_AUTH_DEFAULTS, type OidcAuthSettings } from '../../../../src/mlflow/auth/oidc/settings.js';
import { OidcAuthStore } from '../../../../src/mlflow/auth/oidc/store.js';
import type { OidcAuthDeps, OidcIdentity, OidcRequest } from '../../../../src/mlflow/auth/oidc/types.js';
import {
  createMlflowEmulator,
  type StartedEmulator,
} from '../../../../src/mlflow/emulator/create-emulator.js';

export interface Answer {
  status: number;
  /** The body exactly as sent. */
  text: string;
  contentType: string;
  json: any;
}

export interface ApiLab {
  deps: OidcAuthDeps;
  store: OidcAuthStore;
  mlflow: StartedEmulator;
  /** Moves the API's clock (expiration checks). */
  setNow(ms: number): void;
  /** Calls the API as `username` (who may have no DB row); undefined when the API does not serve the path. */
  call(
    username: string,
    method: string,
    pathAndQuery: string,
    body?: unknown,
    o?: { workspace?: string; headers?: Record<string, string> },
  ): Promise<Answer | undefined>;
  /** MLflow itself, past the plugin (to create what a test needs). */
  mlflowCall(method: string, path: string, body?: unknown, workspace?: string): Promise<any>;
  /** An experiment created as `owner`, who gets MANAGE on it as the after-request hook grants (§4.3). */
  experiment(name: string, owner?: string): Promise<string>;
}

const parse = (text: string): any => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

export const RUN_1_USERS = [
  { username: 'alice@example.com', displayName: 'Alice Anders', groups: ['team-a-editors'], admin: false },
  { username: 'bob@example.com', displayName: 'Bob Baker', groups: ['team-b-viewers'], admin: false },
  { username: 'carol@example.com', displayName: 'Carol Chen', groups: ['mlflow-admins'], admin: true },
];

export async function apiLab(settings: Partial<OidcAuthSettings> = {}): Promise<ApiLab> {
  const mlflow = await createMlflowEmulator({ port: 0, workspaces: [{ name: 'team-a' }] });
  onTestFinished(() => mlflow.dispose());
  const base = mlflow.url.href.replace(/\/$/, '');
  const store = new OidcAuthStore();
  let now = Date.parse('2026-06-01T00:00:00Z');
  const deps: OidcAuthDeps = {
    store,
    settings: { ...OIDC_AUTH_DEFAULTS, ...settings },
    mlflow: httpMlflowReader(mlflow.url),
    now: () => now,
  };
  for (const u of RUN_1_USERS) {
    const { user } = await store.createOrUpdateUser({
      username: u.username,
      displayName: u.displayName,
      isAdmin: u.admin,
    });
    store.setUserGroups(user, u.groups);
  }

  const identity = (username: string): OidcIdentity => {
    const user = store.user(username);
    return { username, isAdmin: user?.isAdmin ?? false, user, method: user ? 'session' : 'bearer' };
  };

  const mlflowCall = async (method: string, path: string, body?: unknown, workspace?: string) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(workspace && { 'x-mlflow-workspace': workspace }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return parse(await res.text());
  };

  return {
    deps,
    store,
    mlflow,
    setNow: (ms) => {
      now = ms;
    },
    async call(username, method, pathAndQuery, body, o = {}) {
      const url = new URL(pathAndQuery, 'http://lab.invalid');
      const raw =
        body === undefined
          ? Buffer.alloc(0)
          : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      const headers: Record<string, string> = {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...o.headers,
      };
      const parsed = body === undefined ? undefined : parse(raw.toString());
      const req: OidcRequest = {
        method,
        // As received: percent-encoded.
        path: pathAndQuery.split('?')[0]!,
        query: url.searchParams,
        json: typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : undefined,
        body: raw,
        headers,
        workspace: deps.settings.MLFLOW_ENABLE_WORKSPACES ? o.workspace : undefined,
      };
      const answer = await handleApi(deps, req, identity(username));
      return (
        answer && {
          status: answer.status,
          text: answer.body,
          contentType: answer.contentType,
          json: parse(answer.body),
        }
      );
    },
    mlflowCall,
    async experiment(name, owner) {
      const created = await mlflowCall('POST', '/api/2.0/mlflow/experiments/create', { name });
      const id = String(created.experiment_id);
      if (owner) store.putRule('experiment', id, { user: store.user(owner)!.id }, 'MANAGE');
      return id;
    },
  };
}
