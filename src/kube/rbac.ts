// Kubernetes RBAC, as kube-apiserver's RBAC authorizer evaluates it, over a fixed set of manifests
// (mlflow-workspaces-k8s-auth.md §3.3, Appendix A). Behaviour and texts follow kubernetes/kubernetes:
// plugin/pkg/auth/authorizer/rbac/rbac.go (RuleAllows, the "RBAC: allowed by …" reason),
// pkg/registry/rbac/validation/rule.go (binding walk, subject matching, source describers),
// pkg/apis/rbac/v1/evaluation_helpers.go (verb/group/resource/name/URL matching) and
// pkg/controller/clusterroleaggregation/ (aggregated ClusterRoles).
import type {
  NonResourceAttributes,
  PolicyRule,
  RbacAuthorizer,
  RbacDecision,
  RbacExplanation,
  RbacManifest,
  RbacSubject,
  ResourceAttributes,
  UserInfo,
} from './types.js';

type ClusterRoleManifest = Extract<RbacManifest, { kind: 'ClusterRole' }>;
type RoleManifest = Extract<RbacManifest, { kind: 'Role' }>;
type BindingManifest = Extract<RbacManifest, { kind: 'RoleBinding' | 'ClusterRoleBinding' }>;
type LabelSelector = { matchLabels?: Record<string, string>; matchExpressions?: unknown };

/** A rule of a role, with the ClusterRole it was aggregated from (if any). */
interface SourcedRule {
  rule: PolicyRule;
  from?: string;
}

interface ResolvedRole {
  kind: 'Role' | 'ClusterRole';
  name: string;
  rules: SourcedRule[];
}

interface IndexedBinding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  /** The binding's namespace; undefined for a ClusterRoleBinding. */
  namespace?: string;
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string };
  subjects: RbacSubject[];
  /** Per subject: the username it matches (User name, or the ServiceAccount's `system:serviceaccount:…`). */
  usernames: (string | undefined)[];
  /** The referenced role, or the lister's not-found error text (kube keeps going and reports it on deny). */
  role: ResolvedRole | string;
}

/** Bindings of one scope (cluster-wide, or one namespace), in manifest order, indexed by user and group. */
interface BindingIndex {
  bindings: IndexedBinding[];
  byUser: Map<string, number[]>;
  byGroup: Map<string, number[]>;
}

/** One request, flattened the way authorizer.Attributes presents it. */
type Request =
  | {
      resource: true;
      verb: string;
      group: string;
      resourceName: string;
      subresource: string;
      name: string;
      namespace: string;
    }
  | { resource: false; verb: string; path: string; namespace: '' };

// Built-in ClusterRoles a lab can bind without declaring them (bootstrappolicy/policy.go ClusterRoles()).
// admin/edit/view carry no rules of their own: the aggregation controller fills them from labelled roles.
// Kubernetes' own system:aggregate-to-* roles (pods, deployments…) are left out: the lab only serves MLflow.
const AGGREGATE = 'rbac.authorization.k8s.io/aggregate-to-';
const BOOTSTRAP_CLUSTER_ROLES: ClusterRoleManifest[] = [
  builtin('cluster-admin', {}, undefined, [
    { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    { nonResourceURLs: ['*'], verbs: ['*'] },
  ]),
  builtin('admin', {}, 'admin'),
  builtin('edit', { [`${AGGREGATE}admin`]: 'true' }, 'edit'),
  builtin('view', { [`${AGGREGATE}edit`]: 'true' }, 'view'),
];

function builtin(
  name: string,
  labels: Record<string, string>,
  aggregateTo: string | undefined,
  rules: PolicyRule[] = [],
): ClusterRoleManifest {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels } },
    rules: rules.map((r) => ({ ...r })),
    ...(aggregateTo && {
      aggregationRule: {
        clusterRoleSelectors: [{ matchLabels: { [`${AGGREGATE}${aggregateTo}`]: 'true' } }],
      },
    }),
  };
}

/**
 * Builds an authorizer over `manifests` (a later manifest with the same kind, namespace and name replaces an
 * earlier one, as `kubectl apply` would). Everything is resolved here; `authorize()` only walks the index.
 */
export function createRbacAuthorizer(manifests: RbacManifest[]): RbacAuthorizer {
  const clusterRoles = resolveClusterRoles(manifests);
  const roles = resolveRoles(manifests);
  const { cluster, namespaced } = indexBindings(manifests, clusterRoles, roles);
  return {
    authorize(user, attributes) {
      const request = toRequest(attributes);
      // VisitRulesFor: ClusterRoleBindings first, then RoleBindings of the request's namespace (if any).
      const scopes = [cluster];
      const local = request.namespace ? namespaced.get(request.namespace) : undefined;
      if (local) scopes.push(local);
      return authorize(scopes, user, request);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Construction: roles, aggregation, bindings.

/** Manifests without a namespace land in `default`, as with `kubectl apply` and no context namespace. */
function namespaceOf(m: { metadata: { namespace?: string } }): string {
  return m.metadata.namespace || 'default';
}

/** Only the five PolicyRule fields (manifests are loose objects), with kube's nil-vs-empty folded away. */
function cleanRule(r: PolicyRule): PolicyRule {
  const rule: PolicyRule = { verbs: [...r.verbs] };
  if (r.apiGroups?.length) rule.apiGroups = [...r.apiGroups];
  if (r.resources?.length) rule.resources = [...r.resources];
  if (r.resourceNames?.length) rule.resourceNames = [...r.resourceNames];
  if (r.nonResourceURLs?.length) rule.nonResourceURLs = [...r.nonResourceURLs];
  return rule;
}

function ownRule(r: PolicyRule): SourcedRule {
  return { rule: cleanRule(r) };
}

function resolveRoles(manifests: RbacManifest[]): Map<string, ResolvedRole> {
  const roles = new Map<string, ResolvedRole>();
  for (const m of manifests.filter((m): m is RoleManifest => m.kind === 'Role')) {
    const rules = m.rules.map(ownRule);
    roles.set(`${namespaceOf(m)}/${m.metadata.name}`, { kind: 'Role', name: m.metadata.name, rules });
  }
  return roles;
}

/**
 * ClusterRoles with aggregation applied as clusterroleaggregation_controller.go leaves them at rest: an
 * aggregated role's rules are *replaced* by the de-duplicated rules of every other ClusterRole matching one
 * of its selectors (selector by selector, matches sorted by name). Since the controller reads the matched
 * roles' current rules, chains (view → edit → admin) settle after a few passes; we iterate to that point.
 */
function resolveClusterRoles(manifests: RbacManifest[]): Map<string, ResolvedRole> {
  const defs = new Map<string, ClusterRoleManifest>();
  for (const m of [...BOOTSTRAP_CLUSTER_ROLES, ...manifests]) {
    if (m.kind === 'ClusterRole') defs.set(m.metadata.name, m);
  }
  const rules = new Map<string, SourcedRule[]>();
  for (const [name, m] of defs) rules.set(name, m.rules.map(ownRule));

  const aggregated = [...defs.values()].filter((m) => m.aggregationRule);
  const byName = [...defs.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  for (let pass = 0, changed = true; changed && pass <= defs.size + 1; pass++) {
    changed = false;
    for (const target of aggregated) {
      const next = aggregate(target, byName, rules);
      // An aggregation that matches nothing leaves the role's own rules: the controller's server-side apply
      // then sends no `rules` field at all, so it never takes the list over.
      if (next.length === 0 || sameRules(next, rules.get(target.metadata.name)!)) continue;
      rules.set(target.metadata.name, next);
      changed = true;
    }
  }
  const out = new Map<string, ResolvedRole>();
  for (const [name, list] of rules) out.set(name, { kind: 'ClusterRole', name, rules: list });
  return out;
}

function aggregate(
  target: ClusterRoleManifest,
  byName: ClusterRoleManifest[],
  rules: Map<string, SourcedRule[]>,
): SourcedRule[] {
  const out: SourcedRule[] = [];
  for (const selector of target.aggregationRule!.clusterRoleSelectors as LabelSelector[]) {
    for (const source of byName) {
      if (source.metadata.name === target.metadata.name) continue;
      if (!selectorMatches(selector, source.metadata.labels ?? {})) continue;
      for (const r of rules.get(source.metadata.name)!) {
        if (out.some((o) => ruleEquals(o.rule, r.rule))) continue;
        // The origin is the role that wrote the rule, even when it reached us through an aggregated role.
        out.push({ rule: r.rule, from: r.from ?? source.metadata.name });
      }
    }
  }
  return out;
}

/** metav1.LabelSelector semantics: every matchLabels pair and every matchExpression; empty matches all. */
function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  return expressions.every((e: { key?: string; operator?: string; values?: string[] }) => {
    const has = e.key !== undefined && Object.hasOwn(labels, e.key);
    const value = e.key === undefined ? undefined : labels[e.key];
    switch (e.operator) {
      case 'In':
        return has && (e.values ?? []).includes(value!);
      case 'NotIn':
        return !has || !(e.values ?? []).includes(value!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false; // LabelSelectorAsSelector rejects unknown operators; the controller then aggregates nothing
    }
  });
}

function ruleEquals(a: PolicyRule, b: PolicyRule): boolean {
  const same = (x: string[] = [], y: string[] = []) => x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    same(a.verbs, b.verbs) &&
    same(a.apiGroups, b.apiGroups) &&
    same(a.resources, b.resources) &&
    same(a.resourceNames, b.resourceNames) &&
    same(a.nonResourceURLs, b.nonResourceURLs)
  );
}

function sameRules(a: SourcedRule[], b: SourcedRule[]): boolean {
  return a.length === b.length && a.every((r, i) => ruleEquals(r.rule, b[i]!.rule) && r.from === b[i]!.from);
}

function emptyIndex(): BindingIndex {
  return { bindings: [], byUser: new Map(), byGroup: new Map() };
}

function indexBindings(
  manifests: RbacManifest[],
  clusterRoles: Map<string, ResolvedRole>,
  roles: Map<string, ResolvedRole>,
): { cluster: BindingIndex; namespaced: Map<string, BindingIndex> } {
  // Later manifests replace earlier ones of the same name (Map keeps the first position, like a re-apply).
  const latest = new Map<string, BindingManifest>();
  for (const m of manifests) {
    if (m.kind === 'RoleBinding') latest.set(`rb/${namespaceOf(m)}/${m.metadata.name}`, m);
    if (m.kind === 'ClusterRoleBinding') latest.set(`crb/${m.metadata.name}`, m);
  }
  const cluster = emptyIndex();
  const namespaced = new Map<string, BindingIndex>();
  for (const m of latest.values()) {
    const namespace = m.kind === 'RoleBinding' ? namespaceOf(m) : undefined;
    const binding = toBinding(m, namespace, clusterRoles, roles);
    let index = cluster;
    if (namespace !== undefined) {
      index = namespaced.get(namespace) ?? emptyIndex();
      namespaced.set(namespace, index);
    }
    addToIndex(index, binding);
  }
  return { cluster, namespaced };
}

function toBinding(
  m: BindingManifest,
  namespace: string | undefined,
  clusterRoles: Map<string, ResolvedRole>,
  roles: Map<string, ResolvedRole>,
): IndexedBinding {
  const subjects: RbacSubject[] = m.subjects.map((s) => ({
    kind: s.kind,
    name: s.name,
    ...(s.namespace && { namespace: s.namespace }),
  }));
  return {
    kind: m.kind,
    name: m.metadata.name,
    ...(namespace !== undefined && { namespace }),
    roleRef: { kind: m.roleRef.kind, name: m.roleRef.name },
    subjects,
    usernames: subjects.map((s) => subjectUsername(s, namespace)),
    role: roleFor(m.roleRef, namespace, clusterRoles, roles),
  };
}

/**
 * rule.go appliesToUser: a User matches by name; a ServiceAccount by its username, its namespace defaulting
 * to the RoleBinding's (a ClusterRoleBinding has none, so an SA subject without one never matches there).
 */
function subjectUsername(s: RbacSubject, bindingNamespace: string | undefined): string | undefined {
  if (s.kind === 'User') return s.name;
  if (s.kind !== 'ServiceAccount') return undefined;
  const namespace = s.namespace || bindingNamespace;
  return namespace ? `system:serviceaccount:${namespace}:${s.name}` : undefined;
}

/** GetRoleReferenceRules: a Role comes from the binding's namespace; a missing role is the lister's NotFound. */
function roleFor(
  ref: { kind: 'Role' | 'ClusterRole'; name: string },
  namespace: string | undefined,
  clusterRoles: Map<string, ResolvedRole>,
  roles: Map<string, ResolvedRole>,
): ResolvedRole | string {
  if (ref.kind === 'ClusterRole') {
    return clusterRoles.get(ref.name) ?? `clusterrole.rbac.authorization.k8s.io "${ref.name}" not found`;
  }
  return roles.get(`${namespace}/${ref.name}`) ?? `role.rbac.authorization.k8s.io "${ref.name}" not found`;
}

function addToIndex(index: BindingIndex, binding: IndexedBinding): void {
  const at = index.bindings.push(binding) - 1;
  const add = (map: Map<string, number[]>, key: string) => {
    const list = map.get(key) ?? [];
    if (list.at(-1) !== at) list.push(at);
    map.set(key, list);
  };
  binding.subjects.forEach((s, i) => {
    if (s.kind === 'Group') add(index.byGroup, s.name);
    const username = binding.usernames[i];
    if (username !== undefined) add(index.byUser, username);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation.

/** authorizer.Attributes from a SubjectAccessReview spec: resourceAttributes win, as the API validates one. */
function toRequest(attributes: {
  resource?: ResourceAttributes;
  nonResource?: NonResourceAttributes;
}): Request {
  if (!attributes.resource && attributes.nonResource) {
    const { verb = '', path = '' } = attributes.nonResource;
    return { resource: false, verb, path, namespace: '' };
  }
  const r = attributes.resource ?? {};
  return {
    resource: true,
    verb: r.verb ?? '',
    group: r.group ?? '',
    resourceName: r.resource ?? '',
    subresource: r.subresource ?? '',
    name: r.name ?? '',
    namespace: r.namespace ?? '',
  };
}

/** The bindings of `index` that name the user or one of its groups, in the index's (manifest) order. */
function candidates(index: BindingIndex, user: UserInfo): IndexedBinding[] {
  const hits = new Set<number>(index.byUser.get(user.username));
  for (const g of user.groups) for (const i of index.byGroup.get(g) ?? []) hits.add(i);
  return [...hits].sort((a, b) => a - b).map((i) => index.bindings[i]!);
}

/** rule.go appliesTo: the first subject of the binding that applies to the user. */
function firstMatchingSubject(binding: IndexedBinding, user: UserInfo): RbacSubject {
  const i = binding.subjects.findIndex((s, i) =>
    s.kind === 'Group' ? user.groups.includes(s.name) : binding.usernames[i] === user.username,
  );
  const subject = binding.subjects[i]!;
  // Report a ServiceAccount with the namespace it was matched in (the RoleBinding's when it had none).
  if (subject.kind === 'ServiceAccount' && !subject.namespace && binding.namespace) {
    return { ...subject, namespace: binding.namespace };
  }
  return subject;
}

/**
 * rbac.go Authorize: visit every rule of every applicable binding, stop at the first that allows. A denial is
 * "no opinion" with an empty reason, unless a binding pointed at a missing role: then the reason lists those
 * resolution errors (`RBAC: …`), as kube does.
 */
function authorize(scopes: BindingIndex[], user: UserInfo, request: Request): RbacDecision {
  const explanation: RbacExplanation = { considered: [] };
  const errors: string[] = [];
  for (const binding of scopes.flatMap((index) => candidates(index, user))) {
    const subject = firstMatchingSubject(binding, user);
    const source = describeSource(binding, subject);
    if (typeof binding.role === 'string') {
      errors.push(binding.role);
      explanation.considered.push(`${source}: ${binding.role}`);
      continue;
    }
    const misses: string[] = [];
    for (const sourced of binding.role.rules) {
      const miss = ruleMismatch(sourced.rule, request);
      if (miss === undefined) {
        explanation.allowedBy = allowedBy(binding, binding.role, subject, sourced);
        return { allowed: true, reason: `RBAC: allowed by ${source}`, explanation };
      }
      misses.push(miss);
    }
    explanation.considered.push(`${source}: ${describeMisses(binding.role, misses)}`);
  }
  if (explanation.considered.length === 0) {
    explanation.considered.push(
      `no binding matches user "${user.username}" or groups [${user.groups.join(' ')}]${scopeText(request)}`,
    );
  }
  return { allowed: false, reason: errors.length > 0 ? `RBAC: ${aggregateErrors(errors)}` : '', explanation };
}

function scopeText(request: Request): string {
  return request.namespace ? ` in namespace ${request.namespace}` : ' cluster-wide';
}

/** utilerrors.NewAggregate(...).Error(): one message alone, several de-duplicated as `[a, b]`. */
function aggregateErrors(errors: string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

/** rule.go clusterRoleBindingDescriber / roleBindingDescriber (Go's %q quoting). */
function describeSource(binding: IndexedBinding, subject: RbacSubject): string {
  const name = binding.kind === 'RoleBinding' ? `${binding.name}/${binding.namespace}` : binding.name;
  return `${binding.kind} ${quote(name)} of ${binding.roleRef.kind} ${quote(binding.roleRef.name)} to ${describeSubject(subject, binding.namespace ?? '')}`;
}

/** rule.go describeSubject: a ServiceAccount is `name/namespace`, the namespace defaulting to the binding's. */
function describeSubject(subject: RbacSubject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount') {
    return `${subject.kind} ${quote(`${subject.name}/${subject.namespace || bindingNamespace}`)}`;
  }
  return `${subject.kind} ${quote(subject.name)}`;
}

/** Go's %q for the strings RBAC prints (names are printable; escape what JSON and Go escape alike). */
function quote(s: string): string {
  return JSON.stringify(s);
}

function allowedBy(
  binding: IndexedBinding,
  role: ResolvedRole,
  subject: RbacSubject,
  sourced: SourcedRule,
): NonNullable<RbacExplanation['allowedBy']> {
  return {
    binding: {
      kind: binding.kind,
      name: binding.name,
      ...(binding.namespace !== undefined && { namespace: binding.namespace }),
    },
    role: { kind: role.kind, name: role.name },
    subject,
    rule: sourced.rule,
    ...(sourced.from !== undefined && { ruleFrom: sourced.from }),
  };
}

function describeMisses(role: ResolvedRole, misses: string[]): string {
  if (misses.length === 0) return `${role.kind} ${quote(role.name)} has no rules`;
  if (misses.length === 1 && role.rules[0]!.from === undefined) return misses[0]!;
  return misses
    .map((miss, i) => {
      const from = role.rules[i]!.from;
      return `rule ${i + 1}${from === undefined ? '' : ` (from ${from})`}: ${miss}`;
    })
    .join('; ');
}

// ---------------------------------------------------------------------------------------------------------
// One rule against one request (rbac.go RuleAllows; evaluation_helpers.go). `undefined` = the rule allows;
// otherwise the first failed check, in kube's order: verb, API group, resource, resource name.

function ruleMismatch(rule: PolicyRule, request: Request): string | undefined {
  if (!verbMatches(rule, request.verb)) return `verb ${quote(request.verb)} not in verbs ${list(rule.verbs)}`;
  if (!request.resource) return nonResourceMismatch(rule, request.path);
  if (!rule.resources?.length) return 'rule has only nonResourceURLs';
  if (!(rule.apiGroups ?? []).some((g) => g === '*' || g === request.group)) {
    return `API group ${quote(request.group)} not in apiGroups ${list(rule.apiGroups)}`;
  }
  const combined = request.subresource
    ? `${request.resourceName}/${request.subresource}`
    : request.resourceName;
  if (!resourceMatches(rule.resources, combined, request.subresource)) {
    return `resource ${quote(combined)} not in resources ${list(rule.resources)}`;
  }
  return resourceNameMismatch(rule.resourceNames, request.name);
}

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

/**
 * ResourceMatches: `*`, the exact `resource` or `resource/subresource`, or `*` + `/subresource`. There is no
 * `resource/*` form in kube: such a rule entry only matches a request whose subresource is literally `*`.
 */
function resourceMatches(resources: string[], combined: string, subresource: string): boolean {
  return resources.some(
    (r) =>
      r === '*' ||
      r === combined ||
      (subresource !== '' &&
        r.length === subresource.length + 2 &&
        r.startsWith('*/') &&
        r.endsWith(subresource)),
  );
}

/**
 * ResourceNameMatches: no resourceNames = any name; otherwise the request's name must be listed, so a request
 * without a name (list, bare create) never matches. The MLflow plugin relies on that: it leaves the name out
 * of bare `create` (and `watch`) reviews, so name-scoped rules never grant them (§3.1, §3.3).
 */
function resourceNameMismatch(names: string[] | undefined, name: string): string | undefined {
  if (!names?.length || names.includes(name)) return undefined;
  if (name === '') return `request has no name, rule is limited to resourceNames ${list(names)}`;
  return `name ${quote(name)} not in resourceNames ${list(names)}`;
}

/** NonResourceURLMatches: `*`, the exact path, or a `prefix*` entry. */
function nonResourceMismatch(rule: PolicyRule, path: string): string | undefined {
  const urls = rule.nonResourceURLs ?? [];
  if (urls.length === 0) return `rule has no nonResourceURLs (path ${quote(path)})`;
  const matches = urls.some(
    (u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(trimStars(u))),
  );
  return matches ? undefined : `path ${quote(path)} not in nonResourceURLs ${list(urls)}`;
}

/** strings.TrimRight(url, "*"): every trailing star goes. */
function trimStars(url: string): string {
  return url.replace(/\*+$/, '');
}

/** Go's %v of a []string: `[a b]`. The core API group "" is shown as `""` so it stays visible. */
function list(values: string[] = []): string {
  return `[${values.map((v) => (v === '' ? '""' : v)).join(' ')}]`;
}

/** A rule in one line, for explanations: `apiGroups [g] resources [r] verbs [v]`. */
export function describeRule(rule: PolicyRule): string {
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`apiGroups ${list(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`resources ${list(rule.resources)}`);
  if (rule.resourceNames?.length) parts.push(`resourceNames ${list(rule.resourceNames)}`);
  if (rule.nonResourceURLs?.length) parts.push(`nonResourceURLs ${list(rule.nonResourceURLs)}`);
  parts.push(`verbs ${list(rule.verbs)}`);
  return parts.join(' ');
}
