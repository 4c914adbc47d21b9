// What the oidc-auth stack's scenarios share: a throwaway lab of that stack (the default lab's users and clients,
// its IdP in the Keycloak flavour, as `up --auth oidc-auth` runs it) with plugin settings of the scenario's choosing,
// and the plugin's answers as a client meets them (mlflow-oidc-auth.md §3.4).
import type { LabConfigInput } from '../config/schema.js';
import type { LabOptions } from '../lab/start-lab.js';
import { defaultLabConfig, nodeRequest, SEARCH, withLab, type Answer, type LabRun } from './support.js';

/** AuthMiddleware's one answer to every refused credential, whatever the reason (§3.4): no reason, no header. */
export const AUTH_REQUIRED = '{"detail":"Authentication required"}';

export interface OidcLabOptions {
  /** The config's `oidcAuth:` section: the plugin's variables and the lab's switches. */
  oidcAuth?: Record<string, unknown>;
  tls?: LabOptions['tls'];
  /** A change to the default lab besides the stack (a user's groups, say). */
  edit?: (config: Record<string, unknown> & LabConfigInput) => void;
}

/** The default lab's config running the oidc-auth stack, as `up --auth oidc-auth` starts it. */
export async function oidcLabConfig(o: OidcLabOptions = {}): Promise<LabConfigInput> {
  const config = await defaultLabConfig();
  config.auth = 'oidc-auth';
  // startLab gives only the default lab file the Keycloak flavour; a config object says so itself.
  config.idp = { ...config.idp, flavour: 'keycloak' };
  config.oidcAuth = { ...o.oidcAuth };
  o.edit?.(config);
  return config;
}

/** Runs `fn` against a throwaway oidc-auth lab (free ports, log captured); disposes it whatever happens. */
export async function withOidcLab<T>(o: OidcLabOptions, fn: (run: LabRun) => Promise<T>): Promise<T> {
  return withLab({ config: await oidcLabConfig(o), ...(o.tls !== undefined && { tls: o.tls }) }, fn);
}

/** The first line the plugin logged containing `text`, without the lab's `[authlab:oidc-auth] ` tag. */
export const pluginLog = (run: LabRun, text: string) =>
  run.logLine(text)?.replace(/^\[authlab:oidc-auth\] /, '');

export const bearer = (token: string) => `Bearer ${token}`;

/** `Basic base64(user:token)`: what the MLflow client sends for MLFLOW_TRACKING_USERNAME / _PASSWORD. */
export const basic = (username: string, token: string) =>
  `Basic ${Buffer.from(`${username}:${token}`).toString('base64')}`;

/** A request to the lab's tracking URI as an API client (JSON accepted), with `authorization` when given. */
export function callAs(
  run: Pick<LabRun, 'lab'>,
  authorization: string | undefined,
  o: { path?: string; method?: string; headers?: Record<string, string>; body?: string; ca?: string } = {},
): Promise<Answer> {
  return nodeRequest(`${run.lab.trackingUri}${o.path ?? SEARCH}`, {
    method: o.method ?? 'GET',
    headers: {
      accept: 'application/json',
      ...(authorization !== undefined && { authorization }),
      ...(o.body !== undefined && { 'content-type': 'application/json' }),
      ...o.headers,
    },
    ...(o.body !== undefined && { body: o.body }),
    ...(o.ca !== undefined && { ca: o.ca }),
  });
}

/** `users/current` as the plugin answers it for these credentials: its `password_expiration`, above all. */
export async function currentUser(
  run: Pick<LabRun, 'lab'>,
  authorization: string,
  ca?: string,
): Promise<{ answer: Answer; json: Record<string, unknown> | undefined }> {
  const answer = await callAs(run, authorization, {
    path: '/api/2.0/mlflow/users/current',
    ...(ca !== undefined && { ca }),
  });
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { answer, json };
}

/** A success as one word (MLflow's own body says nothing the scenario is about); anything else in full. */
export const outcome = (a: Answer) =>
  a.status >= 200 && a.status < 300
    ? `${a.status}`
    : `${a.status} ${a.contentType.split(';')[0]} ${a.body.replace(/\s+$/, '')}`;
