// Builders for RBAC manifests, parsed by the real schema so that tests see what the lab loads.
import { rbacManifestSchema, type RbacManifest } from '../../../src/config/schema.js';
import type { PolicyRule, RbacSubject, ResourceAttributes, UserInfo } from '../../../src/kube/types.js';

export const MLFLOW = 'mlflow.kubeflow.org';
const API_VERSION = 'rbac.authorization.k8s.io/v1';
const API_GROUP = 'rbac.authorization.k8s.io';

export function clusterRole(
  name: string,
  rules: PolicyRule[],
  opts: { labels?: Record<string, string>; aggregate?: object[] } = {},
): RbacManifest {
  return rbacManifestSchema.parse({
    apiVersion: API_VERSION,
    kind: 'ClusterRole',
    metadata: { name, ...(opts.labels && { labels: opts.labels }) },
    rules,
    ...(opts.aggregate && { aggregationRule: { clusterRoleSelectors: opts.aggregate } }),
  });
}

export function role(namespace: string, name: string, rules: PolicyRule[]): RbacManifest {
  return rbacManifestSchema.parse({
    apiVersion: API_VERSION,
    kind: 'Role',
    metadata: { name, namespace },
    rules,
  });
}

export function roleBinding(
  namespace: string,
  name: string,
  ref: ['Role' | 'ClusterRole', string],
  subjects: RbacSubject[],
): RbacManifest {
  return rbacManifestSchema.parse({
    apiVersion: API_VERSION,
    kind: 'RoleBinding',
    metadata: { name, namespace },
    subjects,
    roleRef: { apiGroup: API_GROUP, kind: ref[0], name: ref[1] },
  });
}

export function clusterRoleBinding(
  name: string,
  clusterRoleName: string,
  subjects: RbacSubject[],
): RbacManifest {
  return rbacManifestSchema.parse({
    apiVersion: API_VERSION,
    kind: 'ClusterRoleBinding',
    metadata: { name },
    subjects,
    roleRef: { apiGroup: API_GROUP, kind: 'ClusterRole', name: clusterRoleName },
  });
}

export const userSubject = (name: string): RbacSubject => ({ kind: 'User', name });
export const group = (name: string): RbacSubject => ({ kind: 'Group', name });
export const serviceAccount = (name: string, namespace?: string): RbacSubject => ({
  kind: 'ServiceAccount',
  name,
  ...(namespace && { namespace }),
});

/** An authenticated user: kube-apiserver adds `system:authenticated` to every authenticated identity. */
export function authenticated(username: string, ...groups: string[]): UserInfo {
  return { username, groups: [...groups, 'system:authenticated'] };
}

/** A service account as the token authenticator presents it. */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

/** Resource attributes on the MLflow API group, as the plugin sends them (§3.1). */
export function mlflow(
  verb: string,
  resource: string,
  namespace: string | undefined,
  extra: Partial<ResourceAttributes> = {},
): ResourceAttributes {
  const [res, subresource] = resource.split('/');
  return {
    group: MLFLOW,
    resource: res!,
    verb,
    ...(subresource && { subresource }),
    ...(namespace && { namespace }),
    ...extra,
  };
}
