import { describe, expect, test } from 'vitest';
import { resolveObject } from '../../../src/config/load.js';
import {
  PASSWORD_HASH,
  clusterRole,
  clusterRoleBinding,
  expectInlineInvalid,
  invalidConfigMessage,
  rejectionOf,
  role,
  roleBinding,
  validLab,
} from './helpers.js';

// One test per rule of crossFieldProblems() in src/config/resolve.ts, each on validLab() with one change.

type Entry = Record<string, unknown>;

function withUser(user: Entry) {
  const lab = validLab();
  return { ...lab, users: [...lab.users, user] };
}

function withClient(index: number, patch: Entry) {
  const lab = validLab();
  const clients: Entry[] = [...lab.clients];
  clients[index] = Object.fromEntries(
    Object.entries({ ...clients[index], ...patch }).filter(([, v]) => v !== undefined),
  );
  return { ...lab, clients };
}

function withWorkspaces(workspaces: unknown) {
  return { ...validLab(), workspaces, rbac: [] };
}

function withManifests(...manifests: unknown[]) {
  const lab = validLab();
  return { ...lab, rbac: [...lab.rbac, ...manifests] };
}

describe('users', () => {
  test('a user name is used once', async () => {
    await expectInlineInvalid(
      withUser({ name: 'alice', email: 'alice2@example.com', password: 'p', userId: 'user-alice-2' }),
      'users[2].name (received "alice"): duplicate user name',
    );
  });

  test('the same name twice is one problem, not also a duplicate derived userId', async () => {
    await expectInlineInvalid(
      {
        users: [
          { name: 'dave', email: 'dave@example.com', password: 'p' },
          { name: 'dave', email: 'dave2@example.com', password: 'p' },
        ],
      },
      'users[1].name (received "dave"): duplicate user name',
    );
  });

  test('an e-mail is used once, compared case-insensitively; the message shows it as written', async () => {
    await expectInlineInvalid(
      withUser({ name: 'carol', email: 'Alice@Example.COM', password: 'p', userId: 'user-carol' }),
      'users[2].email (received "Alice@Example.COM"): duplicate e-mail (Dex logs users in by e-mail, case-insensitively)',
    );
  });

  test('a userId is used once', async () => {
    await expectInlineInvalid(
      withUser({ name: 'carol', email: 'carol@example.com', hash: PASSWORD_HASH, userId: 'user-alice' }),
      'users[2].userId (received "user-alice"): duplicate userId',
    );
  });
});

describe('clients', () => {
  test('a client id is used once', async () => {
    await expectInlineInvalid(
      withClient(2, { id: 'cli' }),
      'clients[2].id (received "cli"): duplicate client id',
    );
  });

  test("a client's grants are enabled in idp.grantTypes", async () => {
    await expectInlineInvalid(
      { ...validLab(), idp: { grantTypes: ['authorization_code', 'refresh_token', 'password'] } },
      'clients[2].grantTypes[0] (received "client_credentials"): is not enabled in idp.grantTypes (authorization_code, refresh_token, password)',
    );
  });

  test('a client that may use authorization_code has a redirect URI', async () => {
    await expectInlineInvalid(
      withClient(0, { redirectURIs: undefined }),
      'clients[0].redirectURIs (received a list of 0): must list at least one URL when the client may use authorization_code',
    );
  });

  test('a confidential client has a secret', async () => {
    await expectInlineInvalid(
      withClient(2, { secret: undefined }),
      'clients[2].secret (missing): is required unless the client is public',
    );
  });

  test('a public client has no secret', async () => {
    await expectInlineInvalid(
      withClient(1, { secret: 'cli-secret' }),
      'clients[1].secret (received "cli-secret"): has no effect on a public client',
    );
  });

  test('a trusted peer is a client of the lab', async () => {
    await expectInlineInvalid(
      withClient(0, { trustedPeers: ['cli', 'mlflow-cli'] }),
      'clients[0].trustedPeers[1] (received "mlflow-cli"): is not a client id of this lab',
    );
  });
});

describe('workspaces', () => {
  test('a workspace is listed once', async () => {
    await expectInlineInvalid(
      withWorkspaces({ items: [{ name: 'team-a' }, { name: 'team-b' }, { name: 'team-a' }] }),
      'workspaces.items[2].name (received "team-a"): duplicate workspace',
    );
  });

  test('the default workspace is one of the list', async () => {
    await expectInlineInvalid(
      withWorkspaces({ default: 'team-c', items: [{ name: 'team-a' }, { name: 'team-b' }] }),
      'workspaces.default (received "team-c"): must be one of workspaces.items (team-a, team-b)',
    );
  });

  test('the default may be left out', async () => {
    const lab = await resolveObject(withWorkspaces({ items: [{ name: 'team-b' }] }));
    expect(lab.workspaces).toStrictEqual({ items: [{ name: 'team-b' }] });
  });
});

describe('ports', () => {
  test('two servers do not share a port', async () => {
    await expectInlineInvalid(
      { ...validLab(), ports: { idp: 5556, proxy: 4180, kube: 5556 } },
      'ports.kube (received 5556 (number)): is already used by ports.idp',
    );
  });

  test('a port left to its default counts too', async () => {
    await expectInlineInvalid(
      { ...validLab(), ports: { idp: 4180 } },
      'ports.proxy (received 4180 (number)): is already used by ports.idp',
    );
  });

  test('several servers may ask for port 0 (any free port)', async () => {
    const lab = await resolveObject({ ...validLab(), ports: { idp: 0, proxy: 0, kube: 0 } });
    expect(lab.ports).toStrictEqual({ idp: 0, proxy: 0, kube: 0, mlflow: 5000 });
  });
});

describe('RBAC', () => {
  test('a Role has a namespace', async () => {
    await expectInlineInvalid(
      withManifests(role('writer')),
      'rbac[4].metadata.namespace (missing): is required for a Role',
    );
  });

  test('a RoleBinding has a namespace', async () => {
    await expectInlineInvalid(
      withManifests(roleBinding('writers', undefined, { kind: 'ClusterRole', name: 'edit' })),
      'rbac[4].metadata.namespace (missing): is required for a RoleBinding',
    );
  });

  test.each([
    ['Role', role('writer', 'kube-system')],
    ['RoleBinding', roleBinding('writers', 'kube-system', { kind: 'ClusterRole', name: 'edit' })],
  ])("a %s's namespace is a workspace", async (_kind, manifest) => {
    await expectInlineInvalid(
      withManifests(manifest),
      'rbac[4].metadata.namespace (received "kube-system"): must be a workspace of this lab (team-a, team-b); workspaces map 1:1 to namespaces',
    );
  });

  test.each([
    ['ClusterRole', clusterRole('writer')],
    ['ClusterRoleBinding', clusterRoleBinding('writers', 'edit')],
  ])('a %s has no namespace', async (kind, manifest) => {
    await expectInlineInvalid(
      withManifests({ ...manifest, metadata: { ...manifest.metadata, namespace: 'team-a' } }),
      `rbac[4].metadata.namespace (received "team-a"): has no effect on a ${kind}`,
    );
  });

  test("a RoleBinding's Role exists in the binding's namespace", async () => {
    // validLab() has the Role "reader" in team-a only.
    await expectInlineInvalid(
      withManifests(roleBinding('readers', 'team-b', { kind: 'Role', name: 'reader' })),
      'rbac[4].roleRef.name (received "reader"): no Role with this name in namespace team-b',
    );
  });

  test.each([
    ['RoleBinding', roleBinding('admins', 'team-a', { kind: 'ClusterRole', name: 'mlflow-admin' })],
    ['ClusterRoleBinding', clusterRoleBinding('admins', 'mlflow-admin')],
  ])("a %s's ClusterRole exists", async (_kind, manifest) => {
    await expectInlineInvalid(
      withManifests(manifest),
      'rbac[4].roleRef.name (received "mlflow-admin"): no ClusterRole with this name (built-in: cluster-admin, admin, edit, view)',
    );
  });

  test("Kubernetes' built-in ClusterRoles and roles defined later in the list can be bound", async () => {
    const lab = await resolveObject(
      withManifests(
        ...['cluster-admin', 'admin', 'edit', 'view'].map((name) => clusterRoleBinding(`bind-${name}`, name)),
        roleBinding('writers', 'team-b', { kind: 'Role', name: 'writer' }),
        role('writer', 'team-b'),
      ),
    );
    expect(lab.rbac).toHaveLength(10);
  });
});

describe('every problem at once', () => {
  test('cross-field problems are all listed, in one error, in the order of the rules', async () => {
    const lab = validLab();
    const error = await rejectionOf(
      resolveObject({
        ...lab,
        idp: { grantTypes: ['authorization_code', 'refresh_token', 'password'] },
        users: [...lab.users, { name: 'alice', email: 'BOB@example.com', password: 'p', userId: 'user-bob' }],
        clients: [
          ...lab.clients,
          { id: 'portal', public: true, secret: 'x', grantTypes: ['authorization_code'] },
        ],
        workspaces: { default: 'team-c', items: [{ name: 'team-a' }, { name: 'team-a' }] },
        rbac: [role('reader'), roleBinding('readers', 'team-b', { kind: 'Role', name: 'reader' })],
        ports: { idp: 6443 },
      }),
    );
    expect(error.code).toBe('AUTHLAB_CONFIG_INVALID');
    expect(error.message).toBe(
      invalidConfigMessage(
        '<inline config>',
        'users[2].name (received "alice"): duplicate user name',
        'users[2].email (received "BOB@example.com"): duplicate e-mail (Dex logs users in by e-mail, case-insensitively)',
        'users[2].userId (received "user-bob"): duplicate userId',
        'clients[3].id (received "portal"): duplicate client id',
        'clients[2].grantTypes[0] (received "client_credentials"): is not enabled in idp.grantTypes (authorization_code, refresh_token, password)',
        'clients[3].redirectURIs (received a list of 0): must list at least one URL when the client may use authorization_code',
        'clients[3].secret (received "x"): has no effect on a public client',
        'workspaces.items[1].name (received "team-a"): duplicate workspace',
        'workspaces.default (received "team-c"): must be one of workspaces.items (team-a, team-a)',
        'ports.kube (received 6443 (number)): is already used by ports.idp',
        'rbac[0].metadata.namespace (missing): is required for a Role',
        'rbac[1].metadata.namespace (received "team-b"): must be a workspace of this lab (team-a, team-a); workspaces map 1:1 to namespaces',
        'rbac[1].roleRef.name (received "reader"): no Role with this name in namespace team-b',
      ),
    );
  });
});
