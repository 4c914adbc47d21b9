// What a test worker needs to reach a lab started in another process (vitest's globalSetup, jest's globalSetup,
// `up --detach`): plain data, since workers cannot share the in-process lab (anchors.md §6).
import type { AuthStack } from '../config/defaults.js';
import type { StartedLab } from '../lab/start-lab.js';

export interface LabContext {
  /** The stack in front of MLflow (absent from contexts of older versions: kubernetes-auth). */
  auth?: AuthStack;
  trackingUri: string;
  issuer: string;
  tokenEndpoint: string;
  kubeApiUrl: string;
  /** Under TLS, the lab's CA bundle. */
  caFile?: string;
  workspace?: string;
  /** The config's users with their passwords (the lab's own test accounts), for the password grant. */
  users: Array<{ name: string; email: string; password?: string; groups: string[] }>;
  /** Client ids and secrets, for `client` / client_credentials. */
  clients: Array<{ id: string; secret?: string }>;
}

/** The name `process.env` carries the context under (jest workers; `exec` child processes). */
export const CONTEXT_ENV = 'AUTHLAB_CONTEXT';

export function labContextOf(lab: StartedLab): LabContext {
  if (lab.trackingUri === undefined)
    throw new Error('the lab fronts no MLflow (mlflow: { backend: "none" })');
  return {
    auth: lab.auth,
    trackingUri: lab.trackingUri,
    issuer: lab.issuer,
    tokenEndpoint: lab.tokenEndpoint,
    kubeApiUrl: lab.kubeApiUrl,
    ...(lab.tls && { caFile: lab.tls.caFile }),
    ...(lab.config.workspaces.default !== undefined && { workspace: lab.config.workspaces.default }),
    users: lab.config.users.map((u) => ({
      name: u.name,
      email: u.email,
      ...(u.password !== undefined && { password: u.password }),
      groups: u.groups,
    })),
    clients: lab.config.clients.map((c) => ({
      id: c.id,
      ...(c.secret !== undefined && { secret: c.secret }),
    })),
  };
}
