import { describe, expect, test } from 'vitest';
import { resolveObject } from '../../../src/config/load.js';
import {
  FIXTURES,
  clusterRole,
  clusterRoleBinding,
  expectInlineInvalid,
  rejectionOf,
  role,
  roleBinding,
  validLab,
} from './helpers.js';

// One test per rule of src/config/schema.ts. Each changes one thing in validLab() and expects exactly one
// problem, spelled out in full. The rule texts are written out here, not imported, so a change shows up.

const DURATION_RULE = 'must be a duration such as "90s", "15m", "24h" or "1h30m" (units ms, s, m, h, d)';
const PORT_RULE = 'must be an integer in 0..65535';
const NAME_RULE =
  'must be lower-case letters, digits, ".", "_" or "-", starting and ending with a letter or digit';
const GRANT_RULE = 'must be one of authorization_code, refresh_token, password, client_credentials';
const KIND_RULE = 'must be a Role, ClusterRole, RoleBinding or ClusterRoleBinding';

type Entry = Record<string, unknown>;

/** validLab() with users[0] (alice) changed; `undefined` in the patch removes the key. */
function withAlice(patch: Entry) {
  const lab = validLab();
  return { ...lab, users: [withoutUndefined({ ...lab.users[0], ...patch }), lab.users[1]] };
}

/** validLab() with clients[0] (portal) changed. */
function withPortal(patch: Entry) {
  const lab = validLab();
  return { ...lab, clients: [withoutUndefined({ ...lab.clients[0], ...patch }), ...lab.clients.slice(1)] };
}

function withIdp(patch: Entry) {
  const lab = validLab();
  return { ...lab, idp: { ...lab.idp, ...patch } };
}

/** validLab() with one more RBAC manifest, rbac[4]. */
function withManifest(manifest: unknown) {
  const lab = validLab();
  return { ...lab, rbac: [...lab.rbac, manifest] };
}

function withoutUndefined(entry: Entry): Entry {
  return Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined));
}

test('validLab() resolves as written, so each problem below comes from the one change', async () => {
  const lab = await resolveObject(validLab(), { baseDir: FIXTURES });
  expect(lab.users.map((u) => u.name)).toStrictEqual(['alice', 'bob']);
  expect(lab.clients.map((c) => c.id)).toStrictEqual(['portal', 'cli', 'pipeline']);
  expect(lab.rbac).toHaveLength(4);
});

test('the error is an AUTHLAB_CONFIG_INVALID AuthlabError with a hint', async () => {
  const error = await rejectionOf(resolveObject(withAlice({ email: 'alice' })));
  expect(error.code).toBe('AUTHLAB_CONFIG_INVALID');
  expect(error.isUserError()).toBe(true);
  expect(error.hint).toBe('Fix the options listed above; fixtures/lab.yaml is a complete example.');
  expect(error.message).toBe(
    'invalid configuration (<inline config>):\n  users[0].email (received "alice"): must be an e-mail address',
  );
});

test('the source in the heading is the one given to resolveObject()', async () => {
  const error = await rejectionOf(resolveObject(withAlice({ email: 'alice' }), { source: 'team-lab.yaml' }));
  expect(error.message).toBe(
    'invalid configuration (team-lab.yaml):\n  users[0].email (received "alice"): must be an e-mail address',
  );
});

describe('durations', () => {
  test.each([
    ['24 hours', '"24 hours"'],
    ['-1s', '"-1s"'],
    ['', '""'],
    ['1h 30m', '"1h 30m"'],
    ['10y', '"10y"'],
    [-5, '-5 (number)'],
    [true, 'true (boolean)'],
    [null, 'null'],
  ])('idTokens: %j is not a duration', async (value, shown) => {
    await expectInlineInvalid(
      withIdp({ expiry: { idTokens: value } }),
      `idp.expiry.idTokens (received ${shown}): ${DURATION_RULE}`,
    );
  });

  test('every lifetime is checked', async () => {
    await expectInlineInvalid(
      withIdp({ expiry: { signingKeys: '6 hours' } }),
      `idp.expiry.signingKeys (received "6 hours"): ${DURATION_RULE}`,
    );
  });
});

describe('ports', () => {
  test.each([
    [70000, '70000 (number)'],
    [-1, '-1 (number)'],
    [4180.5, '4180.5 (number)'],
    ['5556', '"5556"'],
  ])('%j is not a port', async (value, shown) => {
    await expectInlineInvalid(
      { ...validLab(), ports: { idp: value, proxy: 4180, kube: 6443 } },
      `ports.idp (received ${shown}): ${PORT_RULE}`,
    );
  });

  test('0 (any free port) and 65535 are ports', async () => {
    const lab = await resolveObject({ ...validLab(), ports: { idp: 0, proxy: 65535, kube: 6443 } });
    expect(lab.ports).toStrictEqual({ idp: 0, proxy: 65535, kube: 6443, mlflow: 5000 });
  });
});

describe('names (users and workspaces)', () => {
  test.each(['Alice', '-alice', 'alice-', 'al ice', 'alice@example.com'])('user name %j', async (name) => {
    await expectInlineInvalid(
      withAlice({ name }),
      `users[0].name (received ${JSON.stringify(name)}): ${NAME_RULE}`,
    );
  });

  test('a user name must be a string', async () => {
    await expectInlineInvalid(
      withAlice({ name: 42 }),
      'users[0].name (received 42 (number)): must be a string',
    );
  });

  test('a workspace name follows the same rule', async () => {
    const lab = validLab();
    await expectInlineInvalid(
      { ...lab, workspaces: { ...lab.workspaces, items: [...lab.workspaces.items, { name: 'Team C' }] } },
      `workspaces.items[2].name (received "Team C"): ${NAME_RULE}`,
    );
  });

  test('one-character names and dots, dashes and underscores inside are names', async () => {
    const lab = await resolveObject(withAlice({ name: 'a' }));
    expect(lab.users[0]!.name).toBe('a');
    expect((await resolveObject(withAlice({ name: 'alice.a_b-2' }))).users[0]!.name).toBe('alice.a_b-2');
  });
});

describe('users', () => {
  test.each(['alice', 'alice@', '@example.com', 'al ice@example.com'])('e-mail %j', async (email) => {
    await expectInlineInvalid(
      withAlice({ email }),
      `users[0].email (received ${JSON.stringify(email)}): must be an e-mail address`,
    );
  });

  test('an e-mail is required', async () => {
    await expectInlineInvalid(
      withAlice({ email: undefined }),
      'users[0].email (missing): must be an e-mail address',
    );
  });

  test('a user has a password or a hash, not both', async () => {
    await expectInlineInvalid(
      withAlice({ hash: '$2b$10$abc' }),
      'users[0] (received an object): needs exactly one of "password" or "hash"',
    );
  });

  test('a user has a password or a hash, not neither', async () => {
    await expectInlineInvalid(
      withAlice({ password: undefined }),
      'users[0] (received an object): needs exactly one of "password" or "hash"',
    );
  });

  test('a password is not empty', async () => {
    await expectInlineInvalid(
      withAlice({ password: '' }),
      'users[0].password (received ""): must not be empty',
    );
  });

  test('a password is a string', async () => {
    await expectInlineInvalid(
      withAlice({ password: 1234 }),
      'users[0].password (received 1234 (number)): must be a string',
    );
  });

  test('a userId is not empty', async () => {
    await expectInlineInvalid(withAlice({ userId: '' }), 'users[0].userId (received ""): must not be empty');
  });

  test('emailVerified is true or false', async () => {
    await expectInlineInvalid(
      withAlice({ emailVerified: 'yes' }),
      'users[0].emailVerified (received "yes"): must be true or false',
    );
  });

  test('groups is a list', async () => {
    await expectInlineInvalid(
      withAlice({ groups: 'team-a-editors' }),
      'users[0].groups (received "team-a-editors"): must be a list of group names',
    );
  });

  test('a group is a string', async () => {
    await expectInlineInvalid(
      withAlice({ groups: ['team-a-editors', 7] }),
      'users[0].groups[1] (received 7 (number)): must be a string',
    );
  });
});

describe('unknown options', () => {
  test.each([
    { problem: 'user (received a list of 0): unknown option', config: { ...validLab(), user: [] } },
    {
      problem: 'users[0].pasword (received "alice-password"): unknown option',
      config: withAlice({ pasword: 'alice-password' }),
    },
    {
      problem: 'clients[0].redirectUris (received a list of 0): unknown option',
      config: withPortal({ redirectUris: [] }),
    },
    { problem: 'idp.flavor (received "dex"): unknown option', config: withIdp({ flavor: 'dex' }) },
    {
      problem: 'idp.expiry.idToken (received "1h"): unknown option',
      config: withIdp({ expiry: { idToken: '1h' } }),
    },
    {
      problem: 'ports.ui (received 8080 (number)): unknown option',
      config: { ...validLab(), ports: { idp: 5556, ui: 8080 } },
    },
    {
      problem: 'workspaces.items[0].title (received "A"): unknown option',
      config: { ...validLab(), workspaces: { items: [{ name: 'team-a', title: 'A' }] }, rbac: [] },
    },
  ])('$problem', async ({ config, problem }) => {
    await expectInlineInvalid(config, problem);
  });
});

describe('clients', () => {
  test('an id is not empty', async () => {
    const lab = validLab();
    await expectInlineInvalid(
      { ...lab, clients: [...lab.clients, { id: '', secret: 's', grantTypes: ['password'] }] },
      'clients[3].id (received ""): must not be empty',
    );
  });

  test('an id is required', async () => {
    await expectInlineInvalid(withPortal({ id: undefined }), 'clients[0].id (missing): must be a string');
  });

  test.each(['implicit', 'device_code', 'Password'])('grant type %j', async (grant) => {
    await expectInlineInvalid(
      withPortal({ grantTypes: ['authorization_code', grant] }),
      `clients[0].grantTypes[1] (received ${JSON.stringify(grant)}): ${GRANT_RULE}`,
    );
  });

  test('grantTypes is a list', async () => {
    await expectInlineInvalid(
      withPortal({ grantTypes: 'authorization_code' }),
      'clients[0].grantTypes (received "authorization_code"): must be a list of grant types',
    );
  });

  test('grantTypes is not empty', async () => {
    await expectInlineInvalid(
      withPortal({ grantTypes: [] }),
      'clients[0].grantTypes (received a list of 0): must not be empty',
    );
  });

  test('grantTypes is required', async () => {
    await expectInlineInvalid(
      withPortal({ grantTypes: undefined }),
      'clients[0].grantTypes (missing): must be a list of grant types',
    );
  });

  test('a redirect URI is an absolute URL', async () => {
    await expectInlineInvalid(
      withPortal({ redirectURIs: ['http://127.0.0.1:8080/callback', '/oauth2/callback'] }),
      'clients[0].redirectURIs[1] (received "/oauth2/callback"): must be an absolute URL',
    );
  });

  test('public is true or false', async () => {
    await expectInlineInvalid(
      withPortal({ public: 'no' }),
      'clients[0].public (received "no"): must be true or false',
    );
  });
});

describe('idp', () => {
  test.each(['okta', 'Dex', ''])('flavour %j', async (flavour) => {
    await expectInlineInvalid(
      withIdp({ flavour }),
      `idp.flavour (received ${JSON.stringify(flavour)}): must be one of dex, keycloak`,
    );
  });

  test.each(['dex', '/dex/', '/', '', '/my issuer'])('issuerPath %j', async (issuerPath) => {
    await expectInlineInvalid(
      withIdp({ issuerPath }),
      `idp.issuerPath (received ${JSON.stringify(issuerPath)}): must start with "/" and not end with "/"`,
    );
  });

  test('idp.grantTypes holds grant types', async () => {
    await expectInlineInvalid(
      withIdp({ grantTypes: ['authorization_code', 'implicit'] }),
      `idp.grantTypes[1] (received "implicit"): ${GRANT_RULE}`,
    );
  });

  test('groupsClaim is not empty', async () => {
    await expectInlineInvalid(
      withIdp({ groupsClaim: '' }),
      'idp.groupsClaim (received ""): must not be empty',
    );
  });

  test('a signing key is an RSA key', async () => {
    await expectInlineInvalid(
      withIdp({ signingKeys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', n: 'n', e: 'AQAB' }] }),
      'idp.signingKeys[0].kty (received "EC"): must be "RSA" (the lab signs with RS256)',
    );
  });

  test('a signing key is a private key', async () => {
    await expectInlineInvalid(
      withIdp({ signingKeys: [{ kty: 'RSA', n: 'n', e: 'AQAB', kid: 'public-only' }] }),
      'idp.signingKeys[0].d (missing): must be a private key (the "d" member is missing)',
    );
  });
});

describe('workspaces', () => {
  test('there is at least one', async () => {
    await expectInlineInvalid(
      { ...validLab(), workspaces: { items: [] } },
      'workspaces.items (received a list of 0): must list at least one workspace',
    );
  });
});

describe('RBAC manifests', () => {
  test('an rbac entry is a file path or a manifest', async () => {
    await expectInlineInvalid(
      withManifest(42),
      'rbac[4] (received 42 (number)): must be the path of a YAML file or an RBAC manifest',
    );
  });

  test.each(['Deployment', 'role'])('kind %j', async (kind) => {
    await expectInlineInvalid(
      withManifest({ ...clusterRole('x'), kind }),
      `rbac[4].kind (received ${JSON.stringify(kind)}): ${KIND_RULE}`,
    );
  });

  test('a kind is required', async () => {
    await expectInlineInvalid(
      withManifest({ ...clusterRole('x'), kind: undefined }),
      `rbac[4].kind (missing): ${KIND_RULE}`,
    );
  });

  test.each(['rbac.authorization.k8s.io/v1beta1', 'v1'])('apiVersion %j', async (apiVersion) => {
    await expectInlineInvalid(
      withManifest({ ...role('writer', 'team-a'), apiVersion }),
      `rbac[4].apiVersion (received ${JSON.stringify(apiVersion)}): must be "rbac.authorization.k8s.io/v1"`,
    );
  });

  test('a roleRef is in the RBAC API group', async () => {
    const binding = roleBinding('writers', 'team-a', { kind: 'ClusterRole', name: 'edit' });
    await expectInlineInvalid(
      withManifest({ ...binding, roleRef: { ...binding.roleRef, apiGroup: 'rbac.authorization.k8s.io/v1' } }),
      'rbac[4].roleRef.apiGroup (received "rbac.authorization.k8s.io/v1"): must be "rbac.authorization.k8s.io"',
    );
  });

  test("a RoleBinding's roleRef is a Role or a ClusterRole", async () => {
    await expectInlineInvalid(
      withManifest(roleBinding('writers', 'team-a', { kind: 'Group', name: 'team-a-editors' })),
      'rbac[4].roleRef.kind (received "Group"): must be Role or ClusterRole',
    );
  });

  test("a ClusterRoleBinding's roleRef is a ClusterRole", async () => {
    const binding = clusterRoleBinding('readers', 'view');
    await expectInlineInvalid(
      withManifest({ ...binding, roleRef: { ...binding.roleRef, kind: 'Role' } }),
      'rbac[4].roleRef.kind (received "Role"): must be ClusterRole',
    );
  });

  test('a subject is a User, Group or ServiceAccount', async () => {
    const binding = roleBinding('writers', 'team-a', { kind: 'ClusterRole', name: 'edit' });
    await expectInlineInvalid(
      withManifest({ ...binding, subjects: [{ kind: 'Team', name: 'team-a' }] }),
      'rbac[4].subjects[0].kind (received "Team"): must be User, Group or ServiceAccount',
    );
  });

  test('a rule lists verbs', async () => {
    await expectInlineInvalid(
      withManifest({
        ...role('writer', 'team-a'),
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: [] }],
      }),
      'rbac[4].rules[0].verbs (received a list of 0): must not be empty',
    );
  });

  test('verbs are required', async () => {
    await expectInlineInvalid(
      withManifest({ ...role('writer', 'team-a'), rules: [{ apiGroups: [''], resources: ['pods'] }] }),
      'rbac[4].rules[0].verbs (missing): must be a list of verbs',
    );
  });

  test('a manifest has a name', async () => {
    await expectInlineInvalid(
      withManifest({ ...clusterRole('x'), metadata: { name: '' } }),
      'rbac[4].metadata.name (received ""): must not be empty',
    );
  });
});

test('an e-mail without a dot in the domain is accepted, as Dex accepts admin@localhost', async () => {
  const { resolveObject } = await import('../../../src/config/load.js');
  const config = await resolveObject({
    users: [{ name: 'admin', email: 'admin@localhost', password: 'x' }],
    workspaces: { items: [{ name: 'w' }] },
  });
  expect(config.users[0]!.email).toBe('admin@localhost');
});

test('idp.grantTypes must not be empty', async () => {
  const { resolveObject } = await import('../../../src/config/load.js');
  await expect(resolveObject({ idp: { grantTypes: [] } })).rejects.toThrow(
    'invalid configuration (<inline config>):\n  idp.grantTypes (received a list of 0): must list at least one grant type',
  );
});
