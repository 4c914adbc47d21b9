import { beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { RbacManifest } from '../../../src/config/schema.js';
import { describeRequest, formatDecision } from '../../../src/kube/explain.js';
import { createRbacAuthorizer } from '../../../src/kube/rbac.js';
import type { RbacAuthorizer, ResourceAttributes, UserInfo } from '../../../src/kube/types.js';
import {
  MLFLOW,
  authenticated,
  clusterRole,
  clusterRoleBinding,
  group,
  mlflow,
  roleBinding,
  serviceAccount,
  serviceAccountUser,
} from './helpers.js';

/** The authorizer's decision, explained. */
function explain(rbac: RbacAuthorizer, user: UserInfo, attrs: ResourceAttributes): string {
  return formatDecision(user, attrs, rbac.authorize(user, { resource: attrs }));
}

describe('formatDecision() over the default lab', () => {
  let rbac: RbacAuthorizer;
  let manifests: RbacManifest[];
  beforeAll(async () => {
    manifests = (await loadConfig()).rbac as RbacManifest[];
    rbac = createRbacAuthorizer(manifests);
  });

  test('yes: the binding, the role and the rule', () => {
    const alice = authenticated('alice@example.com', 'team-a-editors');
    expect(explain(rbac, alice, mlflow('update', 'experiments', 'team-a', { name: 'exp' }))).toBe(
      [
        'yes',
        'user alice@example.com, groups [team-a-editors system:authenticated]',
        'update experiments.mlflow.kubeflow.org "exp" in namespace team-a',
        'allowed by RoleBinding team-a/team-a-editors → ClusterRole mlflow-edit (rule: apiGroups [mlflow.kubeflow.org] ' +
          'resources [experiments registeredmodels datasets] verbs [get list create update delete])',
        '  subject Group team-a-editors',
      ].join('\n'),
    );
  });

  test('yes through a ClusterRoleBinding, cluster-wide, with a subresource', () => {
    const carol = authenticated('carol@example.com', 'mlflow-admins');
    expect(explain(rbac, carol, mlflow('create', 'gatewayendpoints/use', undefined))).toBe(
      [
        'yes',
        'user carol@example.com, groups [mlflow-admins system:authenticated]',
        'create gatewayendpoints.mlflow.kubeflow.org/use cluster-wide',
        'allowed by ClusterRoleBinding mlflow-admins → ClusterRole mlflow-admin (rule: apiGroups [mlflow.kubeflow.org] ' +
          'resources [*] verbs [*])',
        '  subject Group mlflow-admins',
      ].join('\n'),
    );
  });

  test('no: every binding of the user with why its rules did not match', () => {
    const bob = authenticated('bob@example.com', 'team-b-viewers');
    expect(explain(rbac, bob, mlflow('update', 'experiments', 'team-b', { name: 'exp' }))).toBe(
      [
        'no',
        'user bob@example.com, groups [team-b-viewers system:authenticated]',
        'update experiments.mlflow.kubeflow.org "exp" in namespace team-b',
        'no rule allows it; bindings of this user:',
        '  RoleBinding "team-b-viewers/team-b" of ClusterRole "mlflow-view" to Group "team-b-viewers": ' +
          'verb "update" not in verbs [get list]',
      ].join('\n'),
    );
  });

  test('no: nothing binds the user', () => {
    const mallory = authenticated('mallory@example.com');
    expect(explain(rbac, mallory, mlflow('get', 'experiments', 'team-a'))).toBe(
      [
        'no',
        'user mallory@example.com, groups [system:authenticated]',
        'get experiments.mlflow.kubeflow.org in namespace team-a',
        'no binding matches user "mallory@example.com" or groups [system:authenticated] in namespace team-a',
      ].join('\n'),
    );
  });

  test('an aggregated rule names the role it came from', () => {
    const extended = createRbacAuthorizer([
      ...manifests,
      roleBinding('team-b', 'project-editors', ['ClusterRole', 'edit'], [group('project-editors')]),
    ]);
    const dave = authenticated('dave@example.com', 'project-editors');
    expect(
      explain(extended, dave, mlflow('delete', 'datasets', 'team-b', { name: 'd' }))
        .split('\n')
        .slice(3),
    ).toStrictEqual([
      'allowed by RoleBinding team-b/project-editors → ClusterRole edit (rule: apiGroups [mlflow.kubeflow.org] ' +
        'resources [experiments registeredmodels datasets] verbs [get list create update delete])',
      '  subject Group project-editors',
      '  rule aggregated from ClusterRole mlflow-edit',
    ]);
  });
});

describe('formatDecision() details', () => {
  test('a ServiceAccount subject reads namespace/name; resourceNames are shown', () => {
    const rbac = createRbacAuthorizer([
      clusterRole('two', [
        { apiGroups: [MLFLOW], resources: ['experiments'], resourceNames: ['exp-a'], verbs: ['get', 'list'] },
      ]),
      roleBinding('team-a', 'writer', ['ClusterRole', 'two'], [serviceAccount('mlflow-writer')]),
    ]);
    const sa = serviceAccountUser('team-a', 'mlflow-writer');
    expect(
      explain(rbac, sa, mlflow('get', 'experiments', 'team-a', { name: 'exp-a' }))
        .split('\n')
        .slice(3),
    ).toStrictEqual([
      'allowed by RoleBinding team-a/writer → ClusterRole two (rule: apiGroups [mlflow.kubeflow.org] resources [experiments] ' +
        'resourceNames [exp-a] verbs [get list])',
      '  subject ServiceAccount team-a/mlflow-writer',
    ]);
    expect(
      explain(rbac, sa, mlflow('list', 'experiments', 'team-a'))
        .split('\n')
        .slice(3),
    ).toStrictEqual([
      'no rule allows it; bindings of this user:',
      '  RoleBinding "writer/team-a" of ClusterRole "two" to ServiceAccount "mlflow-writer/team-a": ' +
        'request has no name, rule is limited to resourceNames [exp-a]',
    ]);
  });

  test("a denial with role lookup errors shows kube's reason", () => {
    const rbac = createRbacAuthorizer([clusterRoleBinding('b', 'missing', [group('g')])]);
    expect(
      explain(rbac, authenticated('u', 'g'), mlflow('get', 'experiments', 'x'))
        .split('\n')
        .slice(3),
    ).toStrictEqual([
      'no rule allows it; bindings of this user:',
      '  ClusterRoleBinding "b" of ClusterRole "missing" to Group "g": clusterrole.rbac.authorization.k8s.io "missing" not found',
      'reason: RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found',
    ]);
  });

  test('a decision without allowedBy falls back to its reason', () => {
    const d = { allowed: true, reason: 'RBAC: allowed by something', explanation: { considered: [] } };
    expect(
      formatDecision(authenticated('u'), mlflow('get', 'experiments', 'x'), d).split('\n'),
    ).toStrictEqual([
      'yes',
      'user u, groups [system:authenticated]',
      'get experiments.mlflow.kubeflow.org in namespace x',
      'RBAC: allowed by something',
    ]);
  });

  test.each<[ResourceAttributes, string]>([
    [{ verb: 'get', resource: 'pods', namespace: 'default' }, 'get pods in namespace default'],
    [{ verb: 'list', resource: 'namespaces' }, 'list namespaces cluster-wide'],
    [
      mlflow('create', 'gatewaysecrets/use', 'team-a', { name: 's' }),
      'create gatewaysecrets.mlflow.kubeflow.org/use "s" in namespace team-a',
    ],
  ])('describeRequest(%j)', (attrs, text) => {
    expect(describeRequest(attrs)).toBe(text);
  });
});
