import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { resolvePermission } from '../../../../src/mlflow/auth/oidc/permissions.js';
import { OidcAuthStore, randomAlphanumeric } from '../../../../src/mlflow/auth/oidc/store.js';

const ORDER = ['user', 'group', 'regex', 'group-regex'] as const;

describe("the plugin's database (§3.3, §4.3, §4.8)", () => {
  test('users are keyed as given; a login re-syncs admin and resets the service-account flag; groups replaced', async () => {
    const store = new OidcAuthStore();
    // An admin's POST /users keeps the case it was sent; lookups are exact, as SQLite compares.
    await store.createOrUpdateUser({ username: 'SvcBot', displayName: 'S', isAdmin: false });
    expect([store.user('SvcBot')?.username, store.user('svcbot')]).toEqual(['SvcBot', undefined]);
    const { user, created } = await store.createOrUpdateUser({
      username: 'alice@example.com',
      displayName: 'Alice Anders',
      isAdmin: true,
      isServiceAccount: true,
    });
    expect([user.id, user.username, created]).toEqual([2, 'alice@example.com', true]);
    store.setUserGroups(user, ['team-a-editors', 'mlflow-admins']);
    const again = await store.createOrUpdateUser({
      username: 'alice@example.com',
      displayName: 'Alice',
      isAdmin: false,
    });
    expect([again.created, again.user.isAdmin, again.user.isServiceAccount]).toEqual([false, false, false]);
    store.setUserGroups(user, ['team-b-viewers']);
    expect(store.groupsOf(user).map((g) => [g.id, g.name])).toEqual([[3, 'team-b-viewers']]);
    expect(store.groups().map((g) => g.name)).toEqual(['team-a-editors', 'mlflow-admins', 'team-b-viewers']);
  });

  test('access tokens: one per user, the newest wins, expiry honoured, and an expiry kept by a rotation without one', async () => {
    const store = new OidcAuthStore();
    const { user } = await store.createOrUpdateUser({
      username: 'alice@example.com',
      displayName: 'A',
      isAdmin: false,
    });
    const first = randomAlphanumeric(24);
    expect(first).toMatch(/^[A-Za-z0-9]{24}$/);
    await store.setAccessToken(user, first, undefined);
    expect((await store.authenticate('alice@example.com', first, Date.now()))?.id).toBe(1);
    // Exact: the middleware lower-cases a Basic username before it asks (T3c).
    expect(await store.authenticate('ALICE@EXAMPLE.COM', first, Date.now())).toBeUndefined();
    const second = randomAlphanumeric(24);
    await store.setAccessToken(user, second, undefined);
    expect(await store.authenticate('alice@example.com', first, Date.now())).toBeUndefined();
    expect((await store.authenticate('alice@example.com', second, Date.now()))?.id).toBe(1);
    expect(user.passwordHash).toMatch(/^scrypt:32768:8:1\$[A-Za-z0-9]{16}\$[0-9a-f]{128}$/);
    // An expiry in 3 s: fine now, refused after.
    const now = Date.now();
    await store.setAccessToken(user, 'short-lived-token-000000', now + 3000);
    expect(
      await store.authenticate('alice@example.com', 'short-lived-token-000000', now + 1000),
    ).toBeDefined();
    expect(
      await store.authenticate('alice@example.com', 'short-lived-token-000000', now + 4000),
    ).toBeUndefined();
    // 7.3.1: a token minted later without an expiry keeps the old one (T8).
    await store.setAccessToken(user, 'fresh-token-0000000000000', undefined);
    expect(user.passwordExpiration).toBe(now + 3000);
    expect(
      await store.authenticate('alice@example.com', 'fresh-token-0000000000000', now + 4000),
    ).toBeUndefined();
    expect(await store.authenticate('nobody@example.com', second, now)).toBeUndefined();
  });

  test('sources: the user rule, the strongest group rule, the first user and group regexes', async () => {
    const store = new OidcAuthStore();
    const { user: bob } = await store.createOrUpdateUser({
      username: 'bob@example.com',
      displayName: 'B',
      isAdmin: false,
    });
    store.setUserGroups(bob, ['team-b-viewers', 'other']);
    const [viewers, other] = store.groups();
    const resolve = (key: string, name: string) =>
      resolvePermission(
        store.sources({ table: 'experiment', key }, { table: 'experiment', name }, bob),
        ORDER,
        'NO_PERMISSIONS',
      );
    expect(resolve('1', 'alice-exp').kind).toBe('fallback');
    expect(store.addRule('experiment', '1', { group: viewers!.id }, 'READ')).toBe(true);
    expect(store.addRule('experiment', '1', { group: viewers!.id }, 'EDIT')).toBe(false);
    expect([resolve('1', 'alice-exp').permission.name, resolve('1', 'alice-exp').kind]).toEqual([
      'READ',
      'group',
    ]);
    store.addRule('experiment', '1', { group: other!.id }, 'NO_PERMISSIONS');
    expect(resolve('1', 'alice-exp').permission.name).toBe('NO_PERMISSIONS');
    store.addRule('experiment', '1', { user: bob.id }, 'EDIT');
    expect([resolve('1', 'alice-exp').permission.name, resolve('1', 'alice-exp').kind]).toEqual([
      'EDIT',
      'user',
    ]);
    store.addPattern(
      'experiment',
      { group: viewers!.id },
      { regex: '^shared-', priority: 1, permission: 'READ' },
    );
    expect([resolve('2', 'shared-x').permission.name, resolve('2', 'shared-x').kind]).toEqual([
      'READ',
      'group-regex',
    ]);
    store.addPattern(
      'experiment',
      { user: bob.id },
      { regex: '^shared-', priority: 9, permission: 'MANAGE' },
    );
    expect(resolve('2', 'shared-x').kind).toBe('regex');
    // No row: no rules at all.
    expect(
      resolvePermission(
        store.sources({ table: 'experiment', key: '1' }, undefined, undefined),
        ORDER,
        'MANAGE',
      ).kind,
    ).toBe('fallback');
    store.renameResource('experiment', '1', undefined);
    expect(store.rulesFor('experiment', '1')).toEqual([]);
  });

  test('kept across restarts in its file, written 0600', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'authlab-oidc-db-'));
    try {
      const file = path.join(dir, 'oidc-auth.json');
      const store = new OidcAuthStore(file);
      const { user } = await store.createOrUpdateUser({
        username: 'carol@example.com',
        displayName: 'C',
        isAdmin: true,
      });
      store.setUserGroups(user, ['mlflow-admins']);
      await store.setAccessToken(user, 'carols-token-00000000000', undefined);
      expect(((await stat(file)).mode & 0o777).toString(8)).toBe('600');
      const reopened = new OidcAuthStore(file);
      expect(reopened.user('carol@example.com')?.isAdmin).toBe(true);
      expect(
        (await reopened.authenticate('carol@example.com', 'carols-token-00000000000', Date.now()))?.id,
      ).toBe(1);
      expect(JSON.parse(await readFile(file, 'utf8')).groups).toEqual([{ id: 1, name: 'mlflow-admins' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("each regex table numbers its rules on its own, as the plugin's tables do (D7a)", () => {
    const store = new OidcAuthStore();
    const [group] = store.ensureGroups(['team-b-viewers']);
    const rule = { regex: '^shared-', priority: 1, permission: 'READ' as const };
    expect(store.addPattern('experiment', { group: group!.id }, rule).id).toBe(1);
    expect(store.addPattern('registered_model', { group: group!.id }, rule).id).toBe(1);
    expect(store.addPattern('experiment', { user: 7 }, rule).id).toBe(1);
    const second = store.addPattern('experiment', { group: group!.id }, { ...rule, regex: '^team-' });
    expect(second.id).toBe(2);
    store.deletePattern(second);
    expect(store.patternsOf('experiment', { group: group!.id }).map((p) => p.regex)).toEqual(['^shared-']);
    expect(store.patternsOf('registered_model', { group: group!.id })).toHaveLength(1);
  });

  test('an unreadable database file is a clear error that names it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'authlab-oidc-db-'));
    try {
      const file = path.join(dir, 'auth-db.json');
      await writeFile(file, '{"users": [');
      expect(() => new OidcAuthStore(file)).toThrow(
        expect.objectContaining({
          code: 'AUTHLAB_STATE_INVALID',
          message: expect.stringContaining(`the oidc-auth database ${file} cannot be read:`),
          hint: "Remove the file to start from the lab's seed (users, groups and workspace grants are re-created).",
        }),
      );
      await writeFile(
        file,
        '{"users": [], "groups": [], "rules": [], "patterns": [], "nextIds": {"user": 1}}',
      );
      expect(() => new OidcAuthStore(file)).toThrow(/not a snapshot of this version/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
