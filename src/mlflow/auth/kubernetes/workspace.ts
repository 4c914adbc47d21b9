// Workspace resolution as the plugin does it, before authentication (mlflow-workspaces-k8s-auth.md §5.1, §5.2):
// the `X-MLFLOW-WORKSPACE` header, trimmed; `default` and empty fall back to the configured default workspace;
// other names are validated, then looked up among the namespaces. Errors are MLflow's flat shape (§6).
import { MlflowError, invalidParameter } from '../../emulator/errors.js';

/** MLflow 3.11's workspace-name rule and message (golden README, "Workspaces" 15). */
const WORKSPACE_NAME = /^(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Namespaces the Kubernetes workspace provider hides by default (§5.2). */
const HIDDEN_GLOBS = [
  'dedicated-admin',
  'kube-*',
  'nvidia-gpu-operator',
  'open-cluster-management',
  'open-cluster-management-*',
  'openshift-*',
  'openshift',
  'redhat-ods-*',
];

const globToRegExp = (glob: string) =>
  new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

/** A test for the hidden namespaces, the globs compiled once (it runs on every request). */
export function hiddenNamespaces(extraGlobs: readonly string[] = []): (name: string) => boolean {
  const patterns = [...HIDDEN_GLOBS, ...extraGlobs].map(globToRegExp);
  return (name) => patterns.some((p) => p.test(name));
}

export type WorkspaceResolution = { workspace: string | undefined } | { error: MlflowError };

/**
 * `resolve_workspace_from_header`: the workspace a request runs in, undefined when there is none (no header and no
 * default), or MLflow's error for an invalid or unknown name.
 */
export function resolveWorkspace(
  header: string | string[] | undefined,
  o: { defaultWorkspace: string | undefined; exists: (name: string) => boolean },
): WorkspaceResolution {
  const value = (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
  if (value === '' || value === 'default') {
    // The header value `default` bypasses validation and means "the server's default".
    if (value === 'default' && o.defaultWorkspace === undefined) return { workspace: 'default' };
    return { workspace: o.defaultWorkspace };
  }
  if (!WORKSPACE_NAME.test(value))
    return {
      error: invalidParameter(
        `Workspace name '${value}' must match the pattern ^(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$ (lowercase alphanumeric with optional internal hyphens).`,
      ),
    };
  if (!o.exists(value))
    return {
      error: new MlflowError(
        'RESOURCE_DOES_NOT_EXIST',
        `Workspace '${value}' not found in the Kubernetes cluster. Each MLflow workspace maps 1:1 to a namespace.`,
      ),
    };
  return { workspace: value };
}
