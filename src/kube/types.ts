// Shapes shared by the fake kube-apiserver (`src/kube/`) and the kubernetes-auth gate (`src/mlflow/auth/kubernetes/`):
// Kubernetes' authorization attributes and user info, and one decision with its explanation
// (mlflow-workspaces-k8s-auth.md §3.1, §3.3).
import type { RbacManifest } from '../config/schema.js';

/** `authorization.k8s.io/v1` ResourceAttributes (only the fields the plugin sends are used by the lab). */
export interface ResourceAttributes {
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  verb?: string;
}

/** `authorization.k8s.io/v1` NonResourceAttributes. */
export interface NonResourceAttributes {
  path?: string;
  verb?: string;
}

/** An authenticated identity as kube-apiserver sees it (after username/groups prefixes). */
export interface UserInfo {
  username: string;
  groups: string[];
  uid?: string;
}

/** A binding's subject (`rbac.authorization.k8s.io/v1` Subject). */
export interface RbacSubject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
}

/** A rule (`PolicyRule`) as written in a manifest. */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

/** What allowed a request, or why nothing did: kept with every decision and printed by `can-i`. */
export interface RbacExplanation {
  /** The binding, its role, the matching subject and the index of the rule in the role (after aggregation). */
  allowedBy?: {
    binding: { kind: 'RoleBinding' | 'ClusterRoleBinding'; name: string; namespace?: string };
    role: { kind: 'Role' | 'ClusterRole'; name: string };
    subject: RbacSubject;
    rule: PolicyRule;
    /** For an aggregated ClusterRole: the ClusterRole the rule came from. */
    ruleFrom?: string;
  };
  /** Bindings whose subjects matched the user, with why none of their rules matched (one line each). */
  considered: string[];
}

export interface RbacDecision {
  allowed: boolean;
  /** kube's `status.reason`, e.g. `RBAC: allowed by RoleBinding "team-a-editors/team-a" of ClusterRole "mlflow-edit" to Group "team-a-editors"`. */
  reason: string;
  explanation: RbacExplanation;
}

export interface RbacAuthorizer {
  authorize(
    user: UserInfo,
    attributes: { resource?: ResourceAttributes; nonResource?: NonResourceAttributes },
  ): RbacDecision;
}

export type { RbacManifest };
