import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { importDexConfig } from '../../../src/config/dex.js';
import { loadConfig, resolveObject } from '../../../src/config/load.js';
import { FIXTURES, PASSWORD_HASH, expectInlineInvalid } from './helpers.js';

// `dexConfig: F` adds a Dex config's staticPasswords (users) and staticClients (clients) to the lab's own.

/** resolveObject() with the lab file's directory being fixtures/, as for a fixtures/*.yaml lab file. */
function importDex(file: string, lab: Record<string, unknown> = {}) {
  return resolveObject({ ...lab, dexConfig: file }, { baseDir: FIXTURES });
}

describe('fixtures/dex/config.yaml', () => {
  test('its staticPasswords become users: name from username, userId from userID, the hash kept', async () => {
    const lab = await importDex('dex/config.yaml');
    expect(lab.users).toStrictEqual([
      {
        name: 'dana',
        email: 'dana@example.com',
        userId: '5fc29e97-4180-4d70-b1b2-ae5e6d7f8e05',
        hash: PASSWORD_HASH,
        displayName: 'dana',
        preferredUsername: 'dana',
        emailVerified: true,
        groups: [],
      },
      {
        name: 'erin', // username "Erin": lab user names are lower-case
        email: 'erin@example.com',
        userId: '6ad3af08-5291-4e81-82c3-bf6f7e809f06',
        hash: PASSWORD_HASH,
        displayName: 'erin',
        preferredUsername: 'erin',
        emailVerified: true,
        groups: [],
      },
    ]);
  });

  test('the hash is a real bcrypt hash of "password"', async () => {
    const lab = await importDex('dex/config.yaml');
    expect(bcrypt.compareSync('password', lab.users[0]!.hash!)).toBe(true);
    expect(bcrypt.compareSync('dana-password', lab.users[0]!.hash!)).toBe(false);
  });

  test("its staticClients become clients with Dex's grants: password through the passwordConnector, authorization_code only with redirect URIs", async () => {
    const lab = await importDex('dex/config.yaml');
    expect(lab.clients).toStrictEqual([
      {
        id: 'team-portal',
        secret: 'team-portal-secret',
        public: false,
        name: 'Team Portal',
        grantTypes: ['authorization_code', 'refresh_token', 'password'],
        redirectURIs: ['http://127.0.0.1:8080/callback', 'http://localhost:8080/callback'],
        trustedPeers: [],
        groups: [],
      },
      {
        id: 'team-cli',
        public: true,
        name: 'Team CLI',
        grantTypes: ['refresh_token', 'password'],
        redirectURIs: [],
        trustedPeers: [],
        groups: [],
      },
    ]);
  });

  test("are added after the lab's own users and clients, from a path relative to the lab file", async () => {
    const lab = await loadConfig({ file: 'fixtures/dex/lab.yaml' });
    expect(lab.users.map((u) => [u.name, u.password, u.hash])).toStrictEqual([
      ['alice', 'alice-password', undefined],
      ['dana', undefined, PASSWORD_HASH],
      ['erin', undefined, PASSWORD_HASH],
    ]);
  });
});

test('with oauth2.grantTypes and no passwordConnector: the listed grants, without password (as Dex)', async () => {
  const lab = await importDex('dex/grant-types.yaml');
  expect(lab.clients.map((c) => [c.id, c.grantTypes])).toStrictEqual([
    ['portal', ['authorization_code', 'refresh_token', 'client_credentials']],
    ['pipeline', ['refresh_token', 'client_credentials']],
  ]);
});

describe("Dex's own rules", () => {
  test('static passwords need enablePasswordDB (the message dex serve exits with)', async () => {
    await expectInlineInvalid(
      { dexConfig: 'dex/without-password-db.yaml' },
      'dexConfig.staticPasswords (received a list of 1): cannot specify static passwords without enabling password db',
    );
  });

  test('a static password has a hash', async () => {
    await expectInlineInvalid(
      { dexConfig: 'dex/missing-hash.yaml' },
      'dexConfig.staticPasswords[0].hash (missing): must be a bcrypt hash (or hashFromEnv naming a set variable)',
    );
  });

  test('problems in entries are named by their place and key in the Dex file, once each', async () => {
    await expectInlineInvalid(
      { dexConfig: 'dex/broken-entries.yaml' },
      'dexConfig.staticPasswords[0].email (missing): must be an e-mail address',
      'dexConfig.staticClients[0].id (missing): must be a string (or idEnv naming a set variable)',
      'dexConfig.staticPasswords[1].username (received "frank smith"): must be lower-case letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
      'dexConfig.staticClients[1].secret (missing): is required unless the client is public',
    );
  });
});

describe('hashFromEnv, idEnv and secretEnv', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  test('are read from the environment', async () => {
    vi.stubEnv('AUTHLAB_TEST_GUS_HASH', PASSWORD_HASH);
    vi.stubEnv('AUTHLAB_TEST_CLIENT_ID', 'gus-app');
    vi.stubEnv('AUTHLAB_TEST_CLIENT_SECRET', 'gus-app-secret');
    const lab = await importDex('dex/from-env.yaml');
    expect(lab.users.map((u) => [u.name, u.hash])).toStrictEqual([['gus', PASSWORD_HASH]]);
    expect(lab.clients.map((c) => [c.id, c.secret, c.grantTypes])).toStrictEqual([
      ['gus-app', 'gus-app-secret', ['refresh_token', 'password']],
    ]);
  });

  test('naming unset variables is an error', async () => {
    vi.stubEnv('AUTHLAB_TEST_GUS_HASH', undefined);
    vi.stubEnv('AUTHLAB_TEST_CLIENT_ID', undefined);
    await expectInlineInvalid(
      { dexConfig: 'dex/from-env.yaml' },
      'dexConfig.staticPasswords[0].hash (missing): must be a bcrypt hash (or hashFromEnv naming a set variable)',
      'dexConfig.staticClients[0].id (missing): must be a string (or idEnv naming a set variable)',
    );
  });
});

describe("the lab's rules apply to imported users and clients, named by their place in the Dex file", () => {
  test('duplicates of the lab’s own users and clients', async () => {
    await expectInlineInvalid(
      {
        users: [{ name: 'dana', email: 'Dana@Example.com', password: 'dana-password' }],
        clients: [{ id: 'team-cli', secret: 's', grantTypes: ['password'] }],
        dexConfig: 'dex/config.yaml',
      },
      'dexConfig.staticPasswords[0].username (received "dana"): duplicate user name',
      'dexConfig.staticPasswords[0].email (received "dana@example.com"): duplicate e-mail (Dex logs users in by e-mail, case-insensitively)',
      'dexConfig.staticClients[1].id (received "team-cli"): duplicate client id',
    );
  });

  test("grants the Dex config enables that the lab's idp.grantTypes does not", async () => {
    await expectInlineInvalid(
      { idp: { grantTypes: ['authorization_code', 'refresh_token'] }, dexConfig: 'dex/config.yaml' },
      'dexConfig.staticClients[0].grantTypes[2] (received "password"): is not enabled in idp.grantTypes (authorization_code, refresh_token)',
      'dexConfig.staticClients[1].grantTypes[1] (received "password"): is not enabled in idp.grantTypes (authorization_code, refresh_token)',
    );
  });
});

describe('importDexConfig() on a parsed Dex config', () => {
  test('takes the optional display claims of newer Dex versions: name, preferredUsername, emailVerified, groups', () => {
    const imported = importDexConfig(
      {
        enablePasswordDB: true,
        staticPasswords: [
          {
            email: 'hana@example.com',
            hash: PASSWORD_HASH,
            username: 'hana',
            userID: 'user-hana',
            name: 'Hana Hall',
            preferredUsername: 'hh',
            emailVerified: false,
            groups: ['team-b-viewers'],
          },
        ],
      },
      'dexConfig',
    );
    expect(imported).toStrictEqual({
      users: [
        {
          label: 'dexConfig.staticPasswords[0]',
          value: {
            name: 'hana',
            email: 'hana@example.com',
            hash: PASSWORD_HASH,
            userId: 'user-hana',
            displayName: 'Hana Hall',
            preferredUsername: 'hh',
            emailVerified: false,
            groups: ['team-b-viewers'],
          },
          fields: { name: 'username', userId: 'userID', displayName: 'name' },
        },
      ],
      clients: [],
      problems: [],
    });
  });

  test('without a username, the user name is the e-mail before the @', () => {
    const imported = importDexConfig(
      { enablePasswordDB: true, staticPasswords: [{ email: 'Ivan.Ives@example.com', hash: PASSWORD_HASH }] },
      'dexConfig',
    );
    expect(imported.users[0]!.value).toMatchObject({ name: 'ivan.ives' });
  });

  test("drops a public client's secret, which Dex does not check", () => {
    const imported = importDexConfig(
      { staticClients: [{ id: 'tool', public: true, secret: 'unused' }] },
      'dexConfig',
    );
    expect(imported.clients).toStrictEqual([
      {
        label: 'dexConfig.staticClients[0]',
        value: {
          id: 'tool',
          public: true,
          grantTypes: ['refresh_token'],
          redirectURIs: [],
          trustedPeers: [],
        },
      },
    ]);
  });
});

describe('a Dex file of the wrong shape is reported, never dropped silently', () => {
  test('not a mapping, lists that are not lists, groups that are not a list', async () => {
    const { importDexConfig } = await import('../../../src/config/dex.js');
    expect(importDexConfig(['x'], 'dexConfig').problems).toEqual([
      { path: 'dexConfig', received: ['x'], rule: 'must be a Dex config (a YAML mapping)' },
    ]);
    expect(
      importDexConfig({ enablePasswordDB: true, staticPasswords: 'x', staticClients: 3 }, 'dexConfig')
        .problems,
    ).toEqual([
      { path: 'dexConfig.staticPasswords', received: 'x', rule: 'must be a list' },
      { path: 'dexConfig.staticClients', received: 3, rule: 'must be a list' },
    ]);
    const { users } = importDexConfig(
      {
        enablePasswordDB: true,
        staticPasswords: [{ email: 'a@x', hash: '$2a$10$x', username: 'a', groups: 'team' }],
      },
      'dexConfig',
    );
    expect((users[0]!.value as { groups: unknown }).groups).toBe('team');
  });
});
