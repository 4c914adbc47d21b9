import { beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { ResolvedLabConfig } from '../../../src/config/resolve.js';
import type { RbacManifest } from '../../../src/config/schema.js';
import { createRbacAuthorizer } from '../../../src/kube/rbac.js';
import type {
  NonResourceAttributes,
  PolicyRule,
  RbacAuthorizer,
  ResourceAttributes,
  UserInfo,
} from '../../../src/kube/types.js';
import {
  MLFLOW,
  authenticated,
  clusterRole,
  clusterRoleBinding,
  group,
  mlflow,
  role,
  roleBinding,
  serviceAccount,
  serviceAccountUser,
  userSubject,
} from './helpers.js';

const ALICE = authenticated('alice@example.com', 'team-a-editors');

/** An authorizer granting `rule` to alice through one ClusterRoleBinding. */
function withRule(rule: PolicyRule): RbacAuthorizer {
  return createRbacAuthorizer([
    clusterRole('r', [rule]),
    clusterRoleBinding('b', 'r', [userSubject(ALICE.username)]),
  ]);
}

describe('rule forms (evaluation_helpers.go)', () => {
  type Case = [string, PolicyRule, ResourceAttributes, true | string];
  const EDIT = ['get', 'list', 'create', 'update', 'delete'];
  const cases: Case[] = [
    // apiGroups
    [
      'a listed API group',
      { apiGroups: [MLFLOW], resources: ['experiments'], verbs: ['get'] },
      mlflow('get', 'experiments', 'team-a'),
      true,
    ],
    [
      'apiGroups "*"',
      { apiGroups: ['*'], resources: ['experiments'], verbs: ['get'] },
      { ...mlflow('get', 'experiments', 'team-a'), group: 'other.io' },
      true,
    ],
    [
      'another API group',
      { apiGroups: [MLFLOW], resources: ['experiments'], verbs: ['get'] },
      { ...mlflow('get', 'experiments', 'team-a'), group: 'other.io' },
      'API group "other.io" not in apiGroups [mlflow.kubeflow.org]',
    ],
    [
      'the core group ""',
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { resource: 'pods', verb: 'get', namespace: 'team-a' },
      true,
    ],
    [
      'no apiGroups',
      { resources: ['experiments'], verbs: ['get'] },
      mlflow('get', 'experiments', 'team-a'),
      'API group "mlflow.kubeflow.org" not in apiGroups []',
    ],
    // resources
    [
      'resources "*"',
      { apiGroups: [MLFLOW], resources: ['*'], verbs: ['get'] },
      mlflow('get', 'datasets', 'team-a'),
      true,
    ],
    [
      'resources "*" with a subresource',
      { apiGroups: [MLFLOW], resources: ['*'], verbs: ['create'] },
      mlflow('create', 'gatewayendpoints/use', 'team-a'),
      true,
    ],
    [
      'another resource',
      { apiGroups: [MLFLOW], resources: ['experiments'], verbs: ['get'] },
      mlflow('get', 'datasets', 'team-a'),
      'resource "datasets" not in resources [experiments]',
    ],
    [
      'resource/subresource',
      { apiGroups: [MLFLOW], resources: ['gatewayendpoints/use'], verbs: ['create'] },
      mlflow('create', 'gatewayendpoints/use', 'team-a'),
      true,
    ],
    [
      'resource/subresource, bare resource asked',
      { apiGroups: [MLFLOW], resources: ['gatewayendpoints/use'], verbs: ['create'] },
      mlflow('create', 'gatewayendpoints', 'team-a'),
      'resource "gatewayendpoints" not in resources [gatewayendpoints/use]',
    ],
    [
      'a bare resource does not cover its subresources',
      { apiGroups: [MLFLOW], resources: ['gatewayendpoints'], verbs: ['create'] },
      mlflow('create', 'gatewayendpoints/use', 'team-a'),
      'resource "gatewayendpoints/use" not in resources [gatewayendpoints]',
    ],
    [
      '*/subresource',
      { apiGroups: [MLFLOW], resources: ['*/use'], verbs: ['create'] },
      mlflow('create', 'gatewaysecrets/use', 'team-a'),
      true,
    ],
    [
      '*/subresource, no subresource asked',
      { apiGroups: [MLFLOW], resources: ['*/use'], verbs: ['create'] },
      mlflow('create', 'gatewaysecrets', 'team-a'),
      'resource "gatewaysecrets" not in resources [*/use]',
    ],
    [
      '*/subresource, another subresource',
      { apiGroups: [MLFLOW], resources: ['*/use'], verbs: ['create'] },
      mlflow('create', 'gatewaysecrets/status', 'team-a'),
      'resource "gatewaysecrets/status" not in resources [*/use]',
    ],
    // kube has no resource/* wildcard: the entry is compared literally.
    [
      'resource/* is literal in kube',
      { apiGroups: [MLFLOW], resources: ['gatewayendpoints/*'], verbs: ['create'] },
      mlflow('create', 'gatewayendpoints/use', 'team-a'),
      'resource "gatewayendpoints/use" not in resources [gatewayendpoints/*]',
    ],
    [
      'resource/* matches the subresource "*"',
      { apiGroups: [MLFLOW], resources: ['gatewayendpoints/*'], verbs: ['create'] },
      mlflow('create', 'gatewayendpoints/*', 'team-a'),
      true,
    ],
    // verbs
    [
      'verbs "*"',
      { apiGroups: [MLFLOW], resources: ['experiments'], verbs: ['*'] },
      mlflow('delete', 'experiments', 'team-a'),
      true,
    ],
    [
      'another verb',
      { apiGroups: [MLFLOW], resources: ['experiments'], verbs: ['get', 'list'] },
      mlflow('update', 'experiments', 'team-a'),
      'verb "update" not in verbs [get list]',
    ],
    // resourceNames (Appendix A's mlflow-two-experiments-operator)
    ...(['get', 'update', 'delete'].map((verb) => [
      `resourceNames, ${verb} of a listed name`,
      { apiGroups: [MLFLOW], resources: ['experiments'], resourceNames: ['exp-a', 'exp-b'], verbs: EDIT },
      mlflow(verb, 'experiments', 'team-a', { name: 'exp-b' }),
      true,
    ]) as Case[]),
    [
      'resourceNames, another name',
      { apiGroups: [MLFLOW], resources: ['experiments'], resourceNames: ['exp-a', 'exp-b'], verbs: EDIT },
      mlflow('delete', 'experiments', 'team-a', { name: 'exp-c' }),
      'name "exp-c" not in resourceNames [exp-a exp-b]',
    ],
    [
      'resourceNames, list (no name)',
      { apiGroups: [MLFLOW], resources: ['experiments'], resourceNames: ['exp-a'], verbs: EDIT },
      mlflow('list', 'experiments', 'team-a'),
      'request has no name, rule is limited to resourceNames [exp-a]',
    ],
    [
      'resourceNames, list of a listed name',
      { apiGroups: [MLFLOW], resources: ['experiments'], resourceNames: ['exp-a'], verbs: EDIT },
      mlflow('list', 'experiments', 'team-a', { name: 'exp-a' }),
      true,
    ],
    // The plugin sends bare create without a name (§3.1), so name-scoped rules never grant it.
    [
      'resourceNames, bare create (no name)',
      { apiGroups: [MLFLOW], resources: ['experiments'], resourceNames: ['exp-a'], verbs: EDIT },
      mlflow('create', 'experiments', 'team-a'),
      'request has no name, rule is limited to resourceNames [exp-a]',
    ],
    [
      'resourceNames, create on a /use subresource',
      {
        apiGroups: [MLFLOW],
        resources: ['gatewayendpoints/use'],
        resourceNames: ['ep-1'],
        verbs: ['create'],
      },
      mlflow('create', 'gatewayendpoints/use', 'team-a', { name: 'ep-1' }),
      true,
    ],
    [
      'no resources (a nonResourceURLs rule)',
      { nonResourceURLs: ['*'], verbs: ['get'] },
      mlflow('get', 'experiments', 'team-a'),
      'rule has only nonResourceURLs',
    ],
  ];

  test.each(cases)('%s', (_name, rule, attrs, expected) => {
    const d = withRule(rule).authorize(ALICE, { resource: attrs });
    expect(d.allowed).toBe(expected === true);
    if (expected === true) {
      expect(d.reason).toBe(
        'RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to User "alice@example.com"',
      );
      expect(d.explanation.allowedBy?.rule).toStrictEqual(rule);
    } else {
      expect(d.reason).toBe('');
      expect(d.explanation.considered).toStrictEqual([
        `ClusterRoleBinding "b" of ClusterRole "r" to User "alice@example.com": ${expected}`,
      ]);
    }
  });

  type UrlCase = [string, PolicyRule, NonResourceAttributes, true | string];
  const urlCases: UrlCase[] = [
    [
      'an exact URL',
      { nonResourceURLs: ['/healthz'], verbs: ['get'] },
      { path: '/healthz', verb: 'get' },
      true,
    ],
    [
      'another URL',
      { nonResourceURLs: ['/healthz'], verbs: ['get'] },
      { path: '/version', verb: 'get' },
      'path "/version" not in nonResourceURLs [/healthz]',
    ],
    [
      'a prefix*',
      { nonResourceURLs: ['/api/*'], verbs: ['get'] },
      { path: '/api/v1/namespaces', verb: 'get' },
      true,
    ],
    [
      'a prefix* without its slash',
      { nonResourceURLs: ['/api/*'], verbs: ['get'] },
      { path: '/apis', verb: 'get' },
      'path "/apis" not in nonResourceURLs [/api/*]',
    ],
    ['"*"', { nonResourceURLs: ['*'], verbs: ['get'] }, { path: '/metrics', verb: 'get' }, true],
    [
      'another verb',
      { nonResourceURLs: ['*'], verbs: ['get'] },
      { path: '/metrics', verb: 'post' },
      'verb "post" not in verbs [get]',
    ],
    [
      'a resource rule',
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { path: '/metrics', verb: 'get' },
      'rule has no nonResourceURLs (path "/metrics")',
    ],
  ];

  test.each(urlCases)('nonResourceURLs: %s', (_name, rule, attrs, expected) => {
    const d = withRule(rule).authorize(ALICE, { nonResource: attrs });
    expect(d.allowed).toBe(expected === true);
    if (expected !== true) {
      expect(d.explanation.considered).toStrictEqual([
        `ClusterRoleBinding "b" of ClusterRole "r" to User "alice@example.com": ${expected}`,
      ]);
    }
  });

  test('a role with several rules: every miss is listed, numbered', () => {
    const rbac = createRbacAuthorizer([
      clusterRole('r', [
        { apiGroups: [MLFLOW], resources: ['experiments'], verbs: ['get'] },
        { apiGroups: [MLFLOW], resources: ['datasets'], verbs: ['update'] },
      ]),
      clusterRoleBinding('b', 'r', [group('team-a-editors')]),
    ]);
    const d = rbac.authorize(ALICE, { resource: mlflow('update', 'experiments', 'team-a') });
    expect(d.explanation.considered).toStrictEqual([
      'ClusterRoleBinding "b" of ClusterRole "r" to Group "team-a-editors": rule 1: verb "update" not in verbs [get]; ' +
        'rule 2: resource "experiments" not in resources [datasets]',
    ]);
  });

  test('a role without rules says so', () => {
    const rbac = createRbacAuthorizer([
      clusterRole('empty', []),
      clusterRoleBinding('b', 'empty', [group('team-a-editors')]),
    ]);
    expect(
      rbac.authorize(ALICE, { resource: mlflow('get', 'experiments', 'team-a') }).explanation.considered,
    ).toStrictEqual([
      'ClusterRoleBinding "b" of ClusterRole "empty" to Group "team-a-editors": ClusterRole "empty" has no rules',
    ]);
  });
});

describe('bindings and namespaces (rule.go VisitRulesFor)', () => {
  const READ: PolicyRule = { apiGroups: [MLFLOW], resources: ['experiments'], verbs: ['get', 'list'] };
  const rbac = createRbacAuthorizer([
    role('team-a', 'readers', [READ]),
    role('team-b', 'b-only', [READ]),
    clusterRole('mlflow-read', [READ]),
    roleBinding('team-a', 'role-readers', ['Role', 'readers'], [group('role-readers')]),
    roleBinding('team-a', 'cluster-readers', ['ClusterRole', 'mlflow-read'], [group('cluster-readers')]),
    // A RoleBinding can only name a Role of its own namespace: this one finds nothing.
    roleBinding('team-a', 'elsewhere', ['Role', 'b-only'], [group('elsewhere')]),
    roleBinding('team-a', 'dangling', ['ClusterRole', 'no-such-role'], [group('dangling')]),
    clusterRoleBinding('everywhere', 'mlflow-read', [group('everywhere')]),
  ]);
  const get = (ns?: string) => ({ resource: mlflow('get', 'experiments', ns) });

  test.each([
    [
      'role-readers',
      'team-a',
      'RBAC: allowed by RoleBinding "role-readers/team-a" of Role "readers" to Group "role-readers"',
    ],
    [
      'cluster-readers',
      'team-a',
      'RBAC: allowed by RoleBinding "cluster-readers/team-a" of ClusterRole "mlflow-read" to Group "cluster-readers"',
    ],
    [
      'everywhere',
      'team-a',
      'RBAC: allowed by ClusterRoleBinding "everywhere" of ClusterRole "mlflow-read" to Group "everywhere"',
    ],
    [
      'everywhere',
      'team-b',
      'RBAC: allowed by ClusterRoleBinding "everywhere" of ClusterRole "mlflow-read" to Group "everywhere"',
    ],
    [
      'everywhere',
      undefined,
      'RBAC: allowed by ClusterRoleBinding "everywhere" of ClusterRole "mlflow-read" to Group "everywhere"',
    ],
  ])('group %s may get experiments in %s', (g, ns, reason) => {
    const d = rbac.authorize(authenticated('u', g), get(ns));
    expect(d).toMatchObject({ allowed: true, reason });
  });

  test.each([
    ['role-readers', 'team-b'],
    ['role-readers', undefined],
    ['cluster-readers', 'team-b'],
    ['cluster-readers', undefined],
  ])('group %s gets nothing in %s: a RoleBinding grants only in its namespace', (g, ns) => {
    const d = rbac.authorize(authenticated('u', g), get(ns));
    expect(d).toStrictEqual({
      allowed: false,
      reason: '',
      explanation: {
        considered: [
          `no binding matches user "u" or groups [${g} system:authenticated] ${ns ? `in namespace ${ns}` : 'cluster-wide'}`,
        ],
      },
    });
  });

  test('a RoleBinding to a Role of another namespace: kube reports the lookup error as the reason', () => {
    const d = rbac.authorize(authenticated('u', 'elsewhere'), get('team-a'));
    expect(d).toStrictEqual({
      allowed: false,
      reason: 'RBAC: role.rbac.authorization.k8s.io "b-only" not found',
      explanation: {
        considered: [
          'RoleBinding "elsewhere/team-a" of Role "b-only" to Group "elsewhere": role.rbac.authorization.k8s.io "b-only" not found',
        ],
      },
    });
  });

  test('several lookup errors are aggregated as [a, b]; an allow elsewhere still wins', () => {
    const user = authenticated('u', 'elsewhere', 'dangling');
    expect(rbac.authorize(user, get('team-a')).reason).toBe(
      'RBAC: [role.rbac.authorization.k8s.io "b-only" not found, clusterrole.rbac.authorization.k8s.io "no-such-role" not found]',
    );
    expect(rbac.authorize(authenticated('u', 'dangling', 'everywhere'), get('team-a'))).toMatchObject({
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "everywhere" of ClusterRole "mlflow-read" to Group "everywhere"',
    });
  });

  test('ClusterRoleBindings are visited before RoleBindings', () => {
    const d = rbac.authorize(authenticated('u', 'role-readers', 'everywhere'), get('team-a'));
    expect(d.reason).toBe(
      'RBAC: allowed by ClusterRoleBinding "everywhere" of ClusterRole "mlflow-read" to Group "everywhere"',
    );
  });

  test('bindings whose rules did not match, before the allowing one, are listed as considered', () => {
    const rbac2 = createRbacAuthorizer([
      clusterRole('writer', [{ apiGroups: [MLFLOW], resources: ['experiments'], verbs: ['update'] }]),
      clusterRole('reader', [READ]),
      roleBinding('team-a', 'w', ['ClusterRole', 'writer'], [group('g')]),
      roleBinding('team-a', 'r', ['ClusterRole', 'reader'], [group('g')]),
    ]);
    const d = rbac2.authorize(authenticated('u', 'g'), get('team-a'));
    expect(d.reason).toBe('RBAC: allowed by RoleBinding "r/team-a" of ClusterRole "reader" to Group "g"');
    expect(d.explanation.considered).toStrictEqual([
      'RoleBinding "w/team-a" of ClusterRole "writer" to Group "g": verb "get" not in verbs [update]',
    ]);
  });

  test('allowedBy names the binding, role, subject and rule', () => {
    const d = rbac.authorize(authenticated('u', 'cluster-readers'), get('team-a'));
    expect(d.explanation).toStrictEqual({
      considered: [],
      allowedBy: {
        binding: { kind: 'RoleBinding', name: 'cluster-readers', namespace: 'team-a' },
        role: { kind: 'ClusterRole', name: 'mlflow-read' },
        subject: { kind: 'Group', name: 'cluster-readers' },
        rule: READ,
      },
    });
    expect(
      rbac.authorize(authenticated('u', 'everywhere'), get('team-b')).explanation.allowedBy?.binding,
    ).toStrictEqual({
      kind: 'ClusterRoleBinding',
      name: 'everywhere',
    });
  });

  test('a later manifest of the same name replaces the earlier one (kubectl apply)', () => {
    const rbac2 = createRbacAuthorizer([
      clusterRole('r', [READ]),
      roleBinding('team-a', 'b', ['ClusterRole', 'r'], [group('old')]),
      roleBinding('team-a', 'b', ['ClusterRole', 'r'], [group('new')]),
    ]);
    expect(rbac2.authorize(authenticated('u', 'old'), get('team-a')).allowed).toBe(false);
    expect(rbac2.authorize(authenticated('u', 'new'), get('team-a')).allowed).toBe(true);
  });
});

describe('subjects (rule.go appliesToUser)', () => {
  const READ: PolicyRule = { apiGroups: [MLFLOW], resources: ['experiments'], verbs: ['get'] };
  const rbac = createRbacAuthorizer([
    clusterRole('read', [READ]),
    roleBinding(
      'team-a',
      'users',
      ['ClusterRole', 'read'],
      [userSubject('alice@example.com'), group('team-a-editors')],
    ),
    roleBinding('team-a', 'sa', ['ClusterRole', 'read'], [serviceAccount('mlflow-writer', 'team-a')]),
    roleBinding('team-a', 'sa-local', ['ClusterRole', 'read'], [serviceAccount('local')]),
    roleBinding('team-a', 'sa-other', ['ClusterRole', 'read'], [serviceAccount('pipeline', 'ci')]),
    roleBinding('team-b', 'all-sas', ['ClusterRole', 'read'], [group('system:serviceaccounts:team-a')]),
    roleBinding('team-b', 'everyone', ['ClusterRole', 'read'], [group('system:authenticated')]),
    clusterRoleBinding('sa-no-ns', 'read', [serviceAccount('orphan')]),
  ]);
  const get = (ns: string) => ({ resource: mlflow('get', 'experiments', ns) });

  test.each<[string, UserInfo, string, string | false]>([
    [
      'a User by name',
      authenticated('alice@example.com'),
      'team-a',
      'RoleBinding "users/team-a" of ClusterRole "read" to User "alice@example.com"',
    ],
    ['User names are case-sensitive', authenticated('Alice@example.com'), 'team-a', false],
    [
      'a Group by membership',
      authenticated('bob@example.com', 'team-a-editors'),
      'team-a',
      'RoleBinding "users/team-a" of ClusterRole "read" to Group "team-a-editors"',
    ],
    [
      'the first matching subject is reported',
      authenticated('alice@example.com', 'team-a-editors'),
      'team-a',
      'RoleBinding "users/team-a" of ClusterRole "read" to User "alice@example.com"',
    ],
    [
      'a ServiceAccount with a namespace',
      serviceAccountUser('team-a', 'mlflow-writer'),
      'team-a',
      'RoleBinding "sa/team-a" of ClusterRole "read" to ServiceAccount "mlflow-writer/team-a"',
    ],
    [
      'a ServiceAccount defaulting to the binding namespace',
      serviceAccountUser('team-a', 'local'),
      'team-a',
      'RoleBinding "sa-local/team-a" of ClusterRole "read" to ServiceAccount "local/team-a"',
    ],
    [
      'a ServiceAccount of another namespace',
      serviceAccountUser('ci', 'pipeline'),
      'team-a',
      'RoleBinding "sa-other/team-a" of ClusterRole "read" to ServiceAccount "pipeline/ci"',
    ],
    ['the same SA name in another namespace', serviceAccountUser('team-b', 'mlflow-writer'), 'team-a', false],
    ['a user named like an SA subject without the prefix', authenticated('mlflow-writer'), 'team-a', false],
    [
      'system:serviceaccounts:<ns>',
      serviceAccountUser('team-a', 'x'),
      'team-b',
      'RoleBinding "all-sas/team-b" of ClusterRole "read" to Group "system:serviceaccounts:team-a"',
    ],
    [
      'system:authenticated',
      authenticated('mallory@example.com'),
      'team-b',
      'RoleBinding "everyone/team-b" of ClusterRole "read" to Group "system:authenticated"',
    ],
    [
      'a ClusterRoleBinding SA without a namespace never matches',
      serviceAccountUser('team-a', 'orphan'),
      'team-c',
      false,
    ],
  ])('%s', (_name, user, ns, source) => {
    const d = rbac.authorize(user, get(ns));
    expect(d.allowed).toBe(source !== false);
    expect(d.reason).toBe(source === false ? '' : `RBAC: allowed by ${source}`);
  });

  test('allowedBy reports a defaulted ServiceAccount namespace', () => {
    const d = rbac.authorize(serviceAccountUser('team-a', 'local'), get('team-a'));
    expect(d.explanation.allowedBy?.subject).toStrictEqual({
      kind: 'ServiceAccount',
      name: 'local',
      namespace: 'team-a',
    });
  });
});

describe('cluster-admin and aggregation (clusterroleaggregation_controller.go, bootstrap policy)', () => {
  const VIEW: PolicyRule = { apiGroups: [MLFLOW], resources: ['experiments'], verbs: ['get', 'list'] };
  const EDIT: PolicyRule = {
    apiGroups: [MLFLOW],
    resources: ['experiments'],
    verbs: ['create', 'update', 'delete'],
  };
  const ADMIN: PolicyRule = { apiGroups: [MLFLOW], resources: ['gatewaysecrets'], verbs: ['*'] };
  const to = (...targets: string[]) =>
    Object.fromEntries(targets.map((t) => [`rbac.authorization.k8s.io/aggregate-to-${t}`, 'true']));

  test('cluster-admin is built in and allows everything, resources and URLs, everywhere', () => {
    const rbac = createRbacAuthorizer([clusterRoleBinding('ops', 'cluster-admin', [group('ops')])]);
    const ops = authenticated('root', 'ops');
    for (const attrs of [
      mlflow('delete', 'experiments', 'team-a'),
      mlflow('create', 'gatewayendpoints/use', undefined),
      { resource: 'pods', verb: 'watch', namespace: 'kube-system' },
    ]) {
      expect(rbac.authorize(ops, { resource: attrs })).toMatchObject({
        allowed: true,
        reason: 'RBAC: allowed by ClusterRoleBinding "ops" of ClusterRole "cluster-admin" to Group "ops"',
      });
    }
    expect(rbac.authorize(ops, { nonResource: { path: '/metrics', verb: 'get' } }).allowed).toBe(true);
  });

  describe('built-in admin, edit and view', () => {
    // ODH-style roles (§3.3): the view role labelled for all three, the edit role for edit and admin, and
    // one role labelled only aggregate-to-view, which reaches edit and admin through view → edit → admin.
    const rbac = createRbacAuthorizer([
      clusterRole('mlflow-view', [VIEW], { labels: to('view', 'edit', 'admin') }),
      clusterRole('mlflow-edit', [EDIT], { labels: to('edit', 'admin') }),
      clusterRole('mlflow-admin', [ADMIN], { labels: to('admin') }),
      clusterRole('datasets-view', [{ apiGroups: [MLFLOW], resources: ['datasets'], verbs: ['get'] }], {
        labels: to('view'),
      }),
      roleBinding('team-a', 'viewers', ['ClusterRole', 'view'], [group('viewers')]),
      roleBinding('team-a', 'editors', ['ClusterRole', 'edit'], [group('editors')]),
      roleBinding('team-a', 'admins', ['ClusterRole', 'admin'], [group('admins')]),
    ]);
    const can = (g: string, verb: string, resource: string) =>
      rbac.authorize(authenticated('u', g), { resource: mlflow(verb, resource, 'team-a') });

    test.each<[string, string, string, boolean, string | undefined]>([
      ['viewers', 'get', 'experiments', true, 'mlflow-view'],
      ['viewers', 'get', 'datasets', true, 'datasets-view'],
      ['viewers', 'update', 'experiments', false, undefined],
      ['editors', 'get', 'experiments', true, 'mlflow-view'],
      ['editors', 'update', 'experiments', true, 'mlflow-edit'],
      ['editors', 'get', 'datasets', true, 'datasets-view'],
      ['editors', 'delete', 'gatewaysecrets', false, undefined],
      ['admins', 'update', 'experiments', true, 'mlflow-edit'],
      ['admins', 'get', 'datasets', true, 'datasets-view'],
      ['admins', 'delete', 'gatewaysecrets', true, 'mlflow-admin'],
    ])('%s: %s %s → %s, rule from %s', (g, verb, resource, allowed, from) => {
      const d = can(g, verb, resource);
      expect(d.allowed).toBe(allowed);
      expect(d.explanation.allowedBy?.ruleFrom).toBe(from);
    });

    test('the reason names the bound role, not the one the rule came from', () => {
      expect(can('editors', 'update', 'experiments').reason).toBe(
        'RBAC: allowed by RoleBinding "editors/team-a" of ClusterRole "edit" to Group "editors"',
      );
    });

    test('a denial lists the aggregated rules, de-duplicated, with their origin', () => {
      expect(can('viewers', 'update', 'experiments').explanation.considered).toStrictEqual([
        'RoleBinding "viewers/team-a" of ClusterRole "view" to Group "viewers": ' +
          'rule 1 (from datasets-view): verb "update" not in verbs [get]; ' +
          'rule 2 (from mlflow-view): verb "update" not in verbs [get list]',
      ]);
    });
  });

  test("an aggregated role's own rules are replaced by the aggregated ones, as the controller does", () => {
    const rbac = createRbacAuthorizer([
      clusterRole('combined', [EDIT], { aggregate: [{ matchLabels: { team: 'a' } }] }),
      clusterRole('piece', [VIEW], { labels: { team: 'a' } }),
      clusterRoleBinding('b', 'combined', [group('g')]),
    ]);
    const user = authenticated('u', 'g');
    expect(
      rbac.authorize(user, { resource: mlflow('get', 'experiments', 'team-a') }).explanation.allowedBy
        ?.ruleFrom,
    ).toBe('piece');
    expect(rbac.authorize(user, { resource: mlflow('update', 'experiments', 'team-a') }).allowed).toBe(false);
  });

  test('an aggregation that matches nothing keeps the own rules (the controller applies no rules field)', () => {
    const rbac = createRbacAuthorizer([
      clusterRole('combined', [EDIT], { aggregate: [{ matchLabels: { team: 'nobody' } }] }),
      clusterRoleBinding('b', 'combined', [group('g')]),
    ]);
    const d = rbac.authorize(authenticated('u', 'g'), {
      resource: mlflow('update', 'experiments', 'team-a'),
    });
    expect(d.allowed).toBe(true);
    expect(d.explanation.allowedBy?.ruleFrom).toBeUndefined();
  });

  test('every label of a selector must match; any selector may; matchExpressions work too', () => {
    const rbac = createRbacAuthorizer([
      clusterRole('combined', [], {
        aggregate: [
          { matchLabels: { team: 'a', tier: 'read' } },
          { matchLabels: {}, matchExpressions: [{ key: 'extra', operator: 'In', values: ['yes'] }] },
        ],
      }),
      clusterRole('both', [VIEW], { labels: { team: 'a', tier: 'read' } }),
      clusterRole('one', [EDIT], { labels: { team: 'a' } }),
      clusterRole('expr', [ADMIN], { labels: { extra: 'yes' } }),
      clusterRoleBinding('b', 'combined', [group('g')]),
    ]);
    const user = authenticated('u', 'g');
    const can = (verb: string, resource: string) =>
      rbac.authorize(user, { resource: mlflow(verb, resource, 'x') }).allowed;
    expect([
      can('get', 'experiments'),
      can('update', 'experiments'),
      can('delete', 'gatewaysecrets'),
    ]).toStrictEqual([true, false, true]);
  });

  test('a manifest may redefine a built-in role', () => {
    const rbac = createRbacAuthorizer([
      clusterRole('view', [VIEW]),
      clusterRole('extra', [EDIT], { labels: to('view') }),
      clusterRoleBinding('b', 'view', [group('g')]),
    ]);
    const user = authenticated('u', 'g');
    expect(rbac.authorize(user, { resource: mlflow('get', 'experiments', 'x') }).allowed).toBe(true);
    expect(rbac.authorize(user, { resource: mlflow('update', 'experiments', 'x') }).allowed).toBe(false);
  });
});

describe('the default lab (fixtures/rbac/default-lab.yaml)', () => {
  let lab: ResolvedLabConfig;
  let rbac: RbacAuthorizer;
  const identity = (name: string): UserInfo => {
    const user = lab.users.find((u) => u.name === name);
    if (user) return authenticated(user.email, ...user.groups);
    const client = lab.clients.find((c) => c.id === name)!;
    return authenticated(client.name ?? client.id, ...client.groups);
  };

  beforeAll(async () => {
    lab = await loadConfig();
    rbac = createRbacAuthorizer(lab.rbac as RbacManifest[]);
  });

  const VERBS = ['get', 'list', 'create', 'update', 'delete'];
  const RESOURCES = ['experiments', 'registeredmodels', 'datasets'];
  const grid = (who: string, ns: string, allowed: (verb: string) => boolean) =>
    VERBS.flatMap((verb) => RESOURCES.map((res) => [who, verb, res, ns, allowed(verb)] as const));

  test.each([
    ...grid('alice', 'team-a', () => true),
    ...grid('alice', 'team-b', () => false),
    ...grid('bob', 'team-b', (v) => v === 'get' || v === 'list'),
    ...grid('bob', 'team-a', () => false),
    ...grid('carol', 'team-a', () => true),
    ...grid('carol', 'team-b', () => true),
    ...grid('mallory', 'team-a', () => false),
    ...grid('mallory', 'team-b', () => false),
    ...grid('mlflow', 'team-a', () => true),
    ...grid('mlflow', 'team-b', () => false),
  ])('%s %s %s in %s → %s', (who, verb, resource, ns, allowed) => {
    expect(
      rbac.authorize(identity(who), { resource: mlflow(verb, resource, ns, { name: 'exp' }) }).allowed,
    ).toBe(allowed);
  });

  test('carol is admin of every workspace, even for gateway resources and cluster-wide', () => {
    for (const attrs of [
      mlflow('create', 'gatewayendpoints/use', 'team-c'),
      mlflow('delete', 'gatewaysecrets', undefined),
    ]) {
      expect(rbac.authorize(identity('carol'), { resource: attrs }).reason).toBe(
        'RBAC: allowed by ClusterRoleBinding "mlflow-admins" of ClusterRole "mlflow-admin" to Group "mlflow-admins"',
      );
    }
  });

  test('alice: the exact reason and explanation', () => {
    const d = rbac.authorize(identity('alice'), {
      resource: mlflow('update', 'experiments', 'team-a', { name: 'exp' }),
    });
    expect(d).toStrictEqual({
      allowed: true,
      reason:
        'RBAC: allowed by RoleBinding "team-a-editors/team-a" of ClusterRole "mlflow-edit" to Group "team-a-editors"',
      explanation: {
        considered: [],
        allowedBy: {
          binding: { kind: 'RoleBinding', name: 'team-a-editors', namespace: 'team-a' },
          role: { kind: 'ClusterRole', name: 'mlflow-edit' },
          subject: { kind: 'Group', name: 'team-a-editors' },
          rule: { apiGroups: [MLFLOW], resources: RESOURCES, verbs: VERBS },
        },
      },
    });
  });

  test('the mlflow client is allowed through its group team-a-pipelines', () => {
    expect(
      rbac.authorize(identity('mlflow'), { resource: mlflow('create', 'experiments', 'team-a') }).reason,
    ).toBe(
      'RBAC: allowed by RoleBinding "team-a-editors/team-a" of ClusterRole "mlflow-edit" to Group "team-a-pipelines"',
    );
  });

  test('bob may not update in team-b: the explanation names the verb', () => {
    const d = rbac.authorize(identity('bob'), {
      resource: mlflow('update', 'experiments', 'team-b', { name: 'exp' }),
    });
    expect(d).toStrictEqual({
      allowed: false,
      reason: '',
      explanation: {
        considered: [
          'RoleBinding "team-b-viewers/team-b" of ClusterRole "mlflow-view" to Group "team-b-viewers": verb "update" not in verbs [get list]',
        ],
      },
    });
  });

  test('mallory: no binding matches', () => {
    expect(
      rbac.authorize(identity('mallory'), { resource: mlflow('get', 'experiments', 'team-a') }).explanation,
    ).toStrictEqual({
      considered: [
        'no binding matches user "mallory@example.com" or groups [system:authenticated] in namespace team-a',
      ],
    });
  });

  test('a project viewer bound to the built-in view role gets mlflow-view through aggregation', () => {
    const extended = createRbacAuthorizer([
      ...(lab.rbac as RbacManifest[]),
      roleBinding('team-b', 'project-viewers', ['ClusterRole', 'view'], [group('project-viewers')]),
    ]);
    const d = extended.authorize(authenticated('dave@example.com', 'project-viewers'), {
      resource: mlflow('list', 'registeredmodels', 'team-b'),
    });
    expect(d.reason).toBe(
      'RBAC: allowed by RoleBinding "project-viewers/team-b" of ClusterRole "view" to Group "project-viewers"',
    );
    expect(d.explanation.allowedBy?.ruleFrom).toBe('mlflow-view');
  });
});

describe('speed', () => {
  test('an index over many namespaces answers 100k reviews quickly', () => {
    const manifests: RbacManifest[] = [
      clusterRole('edit-ish', [
        { apiGroups: [MLFLOW], resources: ['experiments'], verbs: ['get', 'update'] },
      ]),
    ];
    for (let i = 0; i < 2000; i++) {
      manifests.push(roleBinding(`ns-${i}`, 'editors', ['ClusterRole', 'edit-ish'], [group(`team-${i}`)]));
    }
    const rbac = createRbacAuthorizer(manifests);
    const start = performance.now();
    let allowed = 0;
    for (let i = 0; i < 100_000; i++) {
      const n = i % 2000;
      allowed += Number(
        rbac.authorize(authenticated('u', `team-${n}`), {
          resource: mlflow('update', 'experiments', `ns-${n}`),
        }).allowed,
      );
    }
    expect(allowed).toBe(100_000);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
