// A minimal front door for driving the oidc-auth hooks against the lab's real MLflow emulator on loopback: the
// plugin's before-request hook, then MLflow over HTTP, then the after-request hook on a successful JSON answer
// (mlflow-oidc-auth.md §1.2). Identities are built from the plugin's DB as its AuthMiddleware does.
import { onTestFinished } from 'vitest';
import { afterRequest, beforeRequest } from '../../../../src/mlflow/auth/oidc/hooks.js';
import { httpMlflowReader } from '../../../../src/mlflow/auth/oidc/mlflow-reader.js';
import { emulatorStoreReads } from '../../../../src/mlflow/auth/oidc/stack.js';
import { OIDC_AUTH_DEFAULTS, type OidcAuthSettings } from '../../../../src/mlflow/auth/oidc/settings.js';
import { OidcAuthStore, type UserRow } from '../../../../src/mlflow/auth/oidc/store.js';
import type { OidcAuthDeps, OidcIdentity, OidcRequest } from '../../../../src/mlflow/auth/oidc/types.js';
import {
  createMlflowEmulator,
  type StartedEmulator,
} from '../../../../src/mlflow/emulator/create-emulator.js';

export interface Answer {
  status: number;
  /** The body as sent. */
  text: string;
  json: any;
}

export interface HookLab {
  deps: OidcAuthDeps;
  store: OidcAuthStore;
  mlflow: StartedEmulator;
  /** A user with a DB row (a browser login), in these groups. */
  user(username: string, groups?: string[], o?: { admin?: boolean }): Promise<UserRow>;
  /** The identity AuthMiddleware would build for `username` now (no row: not admin, no groups). */
  identity(username: string): OidcIdentity;
  as(username: string, workspace?: string): Caller;
  groupId(name: string): number;
}

export interface Caller {
  call(
    method: string,
    pathAndQuery: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  get(route: string): Promise<Answer>;
  post(route: string, body: unknown): Promise<Answer>;
}

const parse = (text: string): any => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** `local`: the hooks read the emulator's data directly for plain reads, as the lab's front door does in-process. */
export async function hookLab(
  settings: Partial<OidcAuthSettings> = {},
  o: { local?: boolean } = {},
): Promise<HookLab> {
  const mlflow = await createMlflowEmulator({
    port: 0,
    workspaces: [{ name: 'team-a' }, { name: 'team-b' }],
  });
  onTestFinished(() => mlflow.dispose());
  const base = mlflow.url.href.replace(/\/$/, '');
  const store = new OidcAuthStore();
  const deps: OidcAuthDeps = {
    store,
    settings: { ...OIDC_AUTH_DEFAULTS, ...settings },
    mlflow: o.local
      ? { ...httpMlflowReader(mlflow.url), local: emulatorStoreReads(mlflow.store) }
      : httpMlflowReader(mlflow.url),
    now: () => Date.now(),
  };
  const identity = (username: string): OidcIdentity => {
    const user = store.user(username);
    return { username, isAdmin: user?.isAdmin ?? false, user, method: 'bearer' };
  };
  const as = (username: string, workspace?: string): Caller => {
    const call = async (
      method: string,
      pathAndQuery: string,
      body?: unknown,
      extra: Record<string, string> = {},
    ): Promise<Answer> => {
      const url = new URL(pathAndQuery, 'http://mlflow.invalid');
      const raw =
        body === undefined
          ? Buffer.alloc(0)
          : Buffer.isBuffer(body)
            ? body
            : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string> = {
        ...(body !== undefined && !Buffer.isBuffer(body) && { 'content-type': 'application/json' }),
        ...(workspace !== undefined && { 'x-mlflow-workspace': workspace }),
        ...extra,
      };
      const json = headers['content-type'] === 'application/json' ? parse(raw.toString()) : undefined;
      const req: OidcRequest = {
        method,
        path: url.pathname,
        query: url.searchParams,
        json: typeof json === 'object' && json !== null && !Array.isArray(json) ? json : undefined,
        body: raw,
        headers,
        workspace,
      };
      const who = identity(username);
      const refused = await beforeRequest(deps, req, who);
      if (refused) return { status: refused.status, text: refused.body, json: parse(refused.body) };
      const res = await fetch(`${base}${pathAndQuery}`, {
        method,
        headers,
        ...(raw.length > 0 && { body: raw }),
      });
      const text = await res.text();
      const answer = { status: res.status, text, json: parse(text) };
      if (res.status >= 400 || !/json/.test(res.headers.get('content-type') ?? '')) return answer;
      const after = await afterRequest(deps, req, who, { status: res.status, json: answer.json });
      if (after?.error)
        return { status: after.error.status, text: after.error.body, json: parse(after.error.body) };
      if (after?.json) return { status: res.status, text: JSON.stringify(after.json), json: after.json };
      return answer;
    };
    return {
      call,
      get: (route) => call('GET', `/api/2.0/mlflow/${route}`),
      post: (route, body) => call('POST', `/api/2.0/mlflow/${route}`, body),
    };
  };
  return {
    deps,
    store,
    mlflow,
    async user(username, groups = [], o = {}) {
      const { user } = await store.createOrUpdateUser({
        username,
        displayName: username,
        isAdmin: o.admin ?? false,
      });
      store.setUserGroups(user, groups);
      return user;
    },
    identity,
    as,
    groupId: (name) => store.group(name)!.id,
  };
}

/** The Flask hooks' denial, byte for byte (§3.4). */
export const DENIED = { status: 403, text: '{"message":"Permission denied"}\n' };
