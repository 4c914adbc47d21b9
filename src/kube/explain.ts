// The `can-i` CLI's explanation of one RBAC decision: `kubectl auth can-i`'s yes/no first, then who asked,
// for what, and which binding and rule allowed it, or why none of the user's bindings did.
import { describeRule } from './rbac.js';
import type { RbacDecision, RbacSubject, ResourceAttributes, UserInfo } from './types.js';

/**
 * A multi-line explanation, e.g.
 *
 *     yes
 *     user alice@example.com, groups [team-a-editors system:authenticated]
 *     update experiments.mlflow.kubeflow.org "exp" in namespace team-a
 *     allowed by RoleBinding team-a/team-a-editors → ClusterRole mlflow-edit (rule: apiGroups [...] ...)
 *       subject Group team-a-editors
 */
export function formatDecision(user: UserInfo, attrs: ResourceAttributes, d: RbacDecision): string {
  const lines = [
    d.allowed ? 'yes' : 'no',
    `user ${user.username}, groups [${user.groups.join(' ')}]`,
    describeRequest(attrs),
  ];
  lines.push(...(d.allowed ? allowedLines(d) : deniedLines(d)));
  return lines.join('\n');
}

/** `verb resource.group/subresource "name" in namespace ns`, after kube's RBAC denial log (rbac.go). */
export function describeRequest(attrs: ResourceAttributes): string {
  let resource = attrs.resource ?? '';
  if (attrs.group) resource += `.${attrs.group}`;
  if (attrs.subresource) resource += `/${attrs.subresource}`;
  const name = attrs.name ? ` ${JSON.stringify(attrs.name)}` : '';
  const scope = attrs.namespace ? `in namespace ${attrs.namespace}` : 'cluster-wide';
  return `${attrs.verb ?? ''} ${resource}${name} ${scope}`;
}

function allowedLines(d: RbacDecision): string[] {
  const by = d.explanation.allowedBy;
  // A decision built elsewhere may carry only kube's reason text.
  if (!by) return [d.reason];
  const binding = by.binding.namespace ? `${by.binding.namespace}/${by.binding.name}` : by.binding.name;
  const lines = [
    `allowed by ${by.binding.kind} ${binding} → ${by.role.kind} ${by.role.name} (rule: ${describeRule(by.rule)})`,
    `  subject ${describeSubject(by.subject)}`,
  ];
  if (by.ruleFrom) lines.push(`  rule aggregated from ClusterRole ${by.ruleFrom}`);
  return lines;
}

function deniedLines(d: RbacDecision): string[] {
  const { considered } = d.explanation;
  const lines =
    considered.length === 1 && considered[0]!.startsWith('no binding matches')
      ? [considered[0]!]
      : ['no rule allows it; bindings of this user:', ...considered.map((c) => `  ${c}`)];
  // A non-empty reason on a denial carries kube's role resolution errors (a binding to a missing role).
  if (d.reason) lines.push(`reason: ${d.reason}`);
  return lines;
}

/** `Group g`, `User u`, `ServiceAccount ns/name` (kubectl's way of naming a service account). */
function describeSubject(s: RbacSubject): string {
  return s.kind === 'ServiceAccount' && s.namespace
    ? `${s.kind} ${s.namespace}/${s.name}`
    : `${s.kind} ${s.name}`;
}
