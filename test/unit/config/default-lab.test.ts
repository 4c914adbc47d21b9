import { beforeAll, describe, expect, test } from 'vitest';
import { loadConfig, resolveObject } from '../../../src/config/load.js';
import type { ResolvedLabConfig } from '../../../src/config/resolve.js';
import { FIXTURES } from './helpers.js';

describe('loadConfig() without --config: the default lab (fixtures/lab.yaml)', () => {
  let lab: ResolvedLabConfig;
  beforeAll(async () => {
    lab = await loadConfig();
  });

  test('names its source', () => {
    expect(lab.source).toBe('fixtures/lab.yaml');
  });

  test('has alice, bob, carol and mallory with their e-mails, passwords, groups and stable userIds', () => {
    expect(
      lab.users.map(({ name, email, password, hash, groups, userId }) => ({
        name,
        email,
        password,
        hash,
        groups,
        userId,
      })),
    ).toStrictEqual([
      {
        name: 'alice',
        email: 'alice@example.com',
        password: 'alice-password',
        hash: undefined,
        groups: ['team-a-editors'],
        userId: '1b8e5a53-0d4f-4f3c-9d7e-6a1c2f3b4a01',
      },
      {
        name: 'bob',
        email: 'bob@example.com',
        password: 'bob-password',
        hash: undefined,
        groups: ['team-b-viewers'],
        userId: '2c9f6b64-1e5a-4a4d-8e8f-7b2d3a4c5b02',
      },
      {
        name: 'carol',
        email: 'carol@example.com',
        password: 'carol-password',
        hash: undefined,
        groups: ['mlflow-admins'],
        userId: '3da07c75-2f6b-4b5e-9f90-8c3e4b5d6c03',
      },
      {
        name: 'mallory',
        email: 'mallory@example.com',
        password: 'mallory-password',
        hash: undefined,
        groups: [],
        userId: '4eb18d86-307c-4c6f-a0a1-9d4f5c6e7d04',
      },
    ]);
  });

  test('fills in the claims a user did not set', () => {
    expect(lab.users[0]).toStrictEqual({
      name: 'alice',
      email: 'alice@example.com',
      userId: '1b8e5a53-0d4f-4f3c-9d7e-6a1c2f3b4a01',
      password: 'alice-password',
      displayName: 'Alice Anders',
      preferredUsername: 'alice',
      emailVerified: true,
      groups: ['team-a-editors'],
    });
  });

  test('has the clients oauth2-proxy, mlflow-cli, mlflow, admin-cli and mlflow-oidc-auth with secrets <id>-secret', () => {
    expect(
      lab.clients.map(({ id, secret, public: isPublic, grantTypes }) => ({
        id,
        secret,
        isPublic,
        grantTypes,
      })),
    ).toStrictEqual([
      {
        id: 'oauth2-proxy',
        secret: 'oauth2-proxy-secret',
        isPublic: false,
        grantTypes: ['authorization_code', 'refresh_token'],
      },
      {
        id: 'mlflow-cli',
        secret: 'mlflow-cli-secret',
        isPublic: false,
        grantTypes: ['password', 'refresh_token'],
      },
      { id: 'mlflow', secret: 'mlflow-secret', isPublic: false, grantTypes: ['client_credentials'] },
      {
        id: 'admin-cli',
        secret: 'admin-cli-secret',
        isPublic: false,
        grantTypes: ['password', 'refresh_token'],
      },
      {
        id: 'mlflow-oidc-auth',
        secret: 'mlflow-oidc-auth-secret',
        isPublic: false,
        grantTypes: ['authorization_code', 'refresh_token'],
      },
    ]);
  });

  test('gives oauth2-proxy its callbacks and trusted peer, and the mlflow service identity its group', () => {
    expect(lab.clients[0]).toStrictEqual({
      id: 'oauth2-proxy',
      secret: 'oauth2-proxy-secret',
      public: false,
      name: 'oauth2-proxy',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectURIs: ['http://127.0.0.1:4180/oauth2/callback', 'http://localhost:4180/oauth2/callback'],
      trustedPeers: ['mlflow-cli'],
      groups: [],
    });
    expect(lab.clients[2]).toMatchObject({
      id: 'mlflow',
      name: 'mlflow-pipeline',
      groups: ['team-a-pipelines'],
    });
  });

  test('has the workspaces team-a and team-b, team-a by default', () => {
    expect(lab.workspaces).toStrictEqual({
      default: 'team-a',
      items: [
        { name: 'team-a', description: 'Team A' },
        { name: 'team-b', description: 'Team B' },
      ],
    });
  });

  test('is a Dex at /dex with all four grants and its lifetimes in milliseconds', () => {
    expect(lab.idp).toStrictEqual({
      flavour: 'dex',
      issuerPath: '/dex',
      groupsClaim: 'groups',
      grantTypes: ['authorization_code', 'refresh_token', 'password', 'client_credentials'],
      expiry: {
        idTokens: 86_400_000,
        accessTokens: 86_400_000,
        refreshTokens: 720 * 3_600_000,
        authRequests: 600_000, // the default, 10m: lab.yaml does not set it
        signingKeys: 6 * 3_600_000,
      },
    });
  });

  test('listens on the ports of DESIGN.md', () => {
    expect(lab.ports).toStrictEqual({ proxy: 4180, idp: 5556, kube: 6443, mlflow: 5000 });
  });

  test('loads the RBAC manifests of fixtures/rbac/default-lab.yaml: 3 ClusterRoles, 2 RoleBindings, 1 ClusterRoleBinding', () => {
    expect(
      lab.rbac.map((m) => [
        m.kind,
        m.metadata.name,
        m.metadata.namespace,
        m.kind === 'RoleBinding' || m.kind === 'ClusterRoleBinding'
          ? `${m.roleRef.kind}/${m.roleRef.name}`
          : undefined,
      ]),
    ).toStrictEqual([
      ['ClusterRole', 'mlflow-view', undefined, undefined],
      ['ClusterRole', 'mlflow-edit', undefined, undefined],
      ['ClusterRole', 'mlflow-admin', undefined, undefined],
      ['RoleBinding', 'team-a-editors', 'team-a', 'ClusterRole/mlflow-edit'],
      ['RoleBinding', 'team-b-viewers', 'team-b', 'ClusterRole/mlflow-view'],
      ['ClusterRoleBinding', 'mlflow-admins', undefined, 'ClusterRole/mlflow-admin'],
    ]);
    expect(lab.rbac[3]).toMatchObject({
      subjects: [
        { kind: 'Group', name: 'team-a-editors' },
        { kind: 'Group', name: 'team-a-pipelines' },
      ],
    });
  });
});

describe('resolveObject()', () => {
  test('fills every default into an empty config', async () => {
    const lab = await resolveObject({});
    expect(lab).toStrictEqual({
      source: '<inline config>',
      idp: {
        flavour: 'dex',
        issuerPath: '/dex',
        groupsClaim: 'groups',
        grantTypes: ['authorization_code', 'refresh_token', 'password', 'client_credentials'],
        expiry: {
          idTokens: 86_400_000,
          accessTokens: 86_400_000,
          refreshTokens: 2_592_000_000,
          authRequests: 600_000,
          signingKeys: 21_600_000,
        },
      },
      users: [],
      clients: [],
      workspaces: { default: 'default', items: [{ name: 'default' }] },
      rbac: [],
      ports: { proxy: 4180, idp: 5556, kube: 6443, mlflow: 5000 },
      proxy: {},
      gate: {},
      auth: 'kubernetes-auth',
      oidcAuth: {},
      tls: { enabled: false, faults: [] },
    });
  });

  test('takes durations as strings or as numbers of seconds', async () => {
    const lab = await resolveObject({
      idp: { expiry: { idTokens: '1h30m', accessTokens: 90, refreshTokens: '3600' } },
    });
    expect(lab.idp.expiry).toMatchObject({
      idTokens: 5_400_000,
      accessTokens: 90_000,
      refreshTokens: 3_600_000,
    });
  });

  test('defaults the issuer path to the flavour', async () => {
    expect((await resolveObject({ idp: { flavour: 'keycloak' } })).idp.issuerPath).toBe('/realms/mlflow');
    expect((await resolveObject({ idp: { issuerPath: '/auth/realms/lab' } })).idp.issuerPath).toBe(
      '/auth/realms/lab',
    );
  });

  test('derives a stable UUID-shaped userId from the name when none is given', async () => {
    const user = { name: 'dave', email: 'dave@example.com', password: 'dave-password' };
    const [first] = (await resolveObject({ users: [user] })).users;
    const [again] = (await resolveObject({ users: [user] })).users;
    const [other] = (await resolveObject({ users: [{ ...user, name: 'eve' }] })).users;
    expect(first!.userId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(again!.userId).toBe(first!.userId);
    expect(other!.userId).not.toBe(first!.userId);
  });

  test('reads RBAC files relative to baseDir', async () => {
    const lab = await resolveObject(
      { workspaces: { items: [{ name: 'team-a' }, { name: 'team-b' }] }, rbac: ['rbac/default-lab.yaml'] },
      { baseDir: FIXTURES },
    );
    expect(lab.rbac.map((m) => m.metadata.name)).toStrictEqual([
      'mlflow-view',
      'mlflow-edit',
      'mlflow-admin',
      'team-a-editors',
      'team-b-viewers',
      'mlflow-admins',
    ]);
  });
});

describe('the proxy: section', () => {
  test("fixtures/lab.yaml sets the vendor guide platform's oauth2-proxy options, and no secret or upstream", async () => {
    const lab = await loadConfig();
    expect(lab.proxy).toStrictEqual({
      'client-id': 'oauth2-proxy',
      'skip-jwt-bearer-tokens': true,
      'oidc-extra-audience': ['mlflow-cli', 'mlflow'],
      'pass-access-token': true,
      'email-domain': ['*'],
      'code-challenge-method': 'S256',
      scope: 'openid email profile groups',
      'cookie-secure': false,
    });
  });
});
