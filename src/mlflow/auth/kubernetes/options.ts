// The gate's switches, named after the plugin's environment variables (mlflow-workspaces-k8s-auth.md §8).
import { AuthlabError } from '../../../errors.js';

export interface GateOptions {
  /** `MLFLOW_K8S_AUTH_AUTHORIZATION_MODE`. */
  authorizationMode: 'self_subject_access_review' | 'subject_access_review';
  /** `MLFLOW_K8S_AUTH_CACHE_TTL_SECONDS` in ms (default 300 s). */
  cacheTtlMs: number;
  /** `MLFLOW_K8S_AUTH_USERNAME_CLAIM`: the plugin's default is `sub`; the lab's is `email`, so owners read as people. */
  usernameClaim: string;
  /** `MLFLOW_K8S_AUTH_REMOTE_USER_HEADER`, `…_GROUPS_HEADER`, `…_GROUPS_SEPARATOR`. */
  remoteUserHeader: string;
  remoteGroupsHeader: string;
  remoteGroupsSeparator: string;
  /** `MLFLOW_K8S_DEFAULT_WORKSPACE`. */
  defaultWorkspace: string | undefined;
  /** `MLFLOW_K8S_NAMESPACE_EXCLUDE_GLOBS`. */
  namespaceExcludeGlobs: string[];
}

export const GATE_DEFAULTS: GateOptions = {
  authorizationMode: 'self_subject_access_review',
  cacheTtlMs: 300_000,
  usernameClaim: 'email',
  remoteUserHeader: 'x-remote-user',
  remoteGroupsHeader: 'x-remote-groups',
  remoteGroupsSeparator: '|',
  defaultWorkspace: undefined,
  namespaceExcludeGlobs: [],
};

/** Reads the plugin's variable names from a record (the lab config's `gate:` section or the environment). */
export function gateOptionsFrom(vars: Record<string, unknown>, base: Partial<GateOptions> = {}): GateOptions {
  const s = (k: string) => (typeof vars[k] === 'string' ? (vars[k] as string).trim() : undefined);
  const mode = s('MLFLOW_K8S_AUTH_AUTHORIZATION_MODE')?.toLowerCase();
  const ttl = vars.MLFLOW_K8S_AUTH_CACHE_TTL_SECONDS;
  const o: GateOptions = { ...GATE_DEFAULTS, ...base };
  if (mode === 'self_subject_access_review' || mode === 'subject_access_review') o.authorizationMode = mode;
  if (typeof ttl === 'number' || (typeof ttl === 'string' && ttl.trim() !== '')) {
    // The plugin refuses to start on a TTL that is not a positive number (§8).
    if (!(Number(ttl) > 0))
      throw new AuthlabError(
        'AUTHLAB_CONFIG_INVALID',
        `MLFLOW_K8S_AUTH_CACHE_TTL_SECONDS must be a number of seconds greater than 0 (received ${String(ttl)})`,
        { hint: 'Give the decision cache lifetime in seconds, e.g. 300.' },
      );
    o.cacheTtlMs = Number(ttl) * 1000;
  }
  o.usernameClaim = s('MLFLOW_K8S_AUTH_USERNAME_CLAIM') || o.usernameClaim;
  o.remoteUserHeader = s('MLFLOW_K8S_AUTH_REMOTE_USER_HEADER') || o.remoteUserHeader;
  o.remoteGroupsHeader = s('MLFLOW_K8S_AUTH_REMOTE_GROUPS_HEADER') || o.remoteGroupsHeader;
  o.remoteGroupsSeparator =
    (vars.MLFLOW_K8S_AUTH_REMOTE_GROUPS_SEPARATOR as string | undefined) || o.remoteGroupsSeparator;
  o.defaultWorkspace = s('MLFLOW_K8S_DEFAULT_WORKSPACE') || o.defaultWorkspace;
  const globs = s('MLFLOW_K8S_NAMESPACE_EXCLUDE_GLOBS');
  if (globs)
    o.namespaceExcludeGlobs = globs
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean);
  return o;
}
