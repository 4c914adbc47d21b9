import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { FIXTURES, REPO_ROOT, expectConfigInvalid, rejectionOf } from './helpers.js';

// Config files: --config, YAML errors, files the config points to. Messages name files relative to the working
// directory (the repository root when run with `npx vitest`), and quote the file system's error with its absolute path.

describe('loadConfig({ file }) (--config F)', () => {
  test('loads that file instead of the default lab, and names it', async () => {
    const lab = await loadConfig({ file: 'fixtures/dex/lab.yaml' });
    expect(lab.source).toBe('fixtures/dex/lab.yaml');
    expect(lab.users.map((u) => u.name)).toStrictEqual(['alice', 'dana', 'erin']);
    expect(lab.clients.map((c) => c.id)).toStrictEqual(['team-portal', 'team-cli']);
    expect(lab.workspaces).toStrictEqual({ default: 'default', items: [{ name: 'default' }] });
  });

  test('takes an absolute path', async () => {
    const lab = await loadConfig({ file: path.join(FIXTURES, 'lab.yaml') });
    expect(lab.source).toBe('fixtures/lab.yaml');
    expect(lab.rbac).toHaveLength(6);
  });

  test('a missing file is AUTHLAB_CONFIG_NOT_FOUND, with a hint and the cause', async () => {
    const error = await rejectionOf(loadConfig({ file: 'fixtures/config-errors/does-not-exist.yaml' }));
    expect(error.code).toBe('AUTHLAB_CONFIG_NOT_FOUND');
    expect(error.message).toBe('cannot read config file fixtures/config-errors/does-not-exist.yaml');
    expect(error.hint).toBe('Check the path given to --config; fixtures/lab.yaml is the default lab.');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  test('a directory is not a config file', async () => {
    const error = await rejectionOf(loadConfig({ file: 'fixtures/config-errors' }));
    expect(error.code).toBe('AUTHLAB_CONFIG_NOT_FOUND');
    expect(error.message).toBe('cannot read config file fixtures/config-errors');
  });
});

describe('YAML', () => {
  // Written at run time: a fixture that is not YAML would fail `prettier --check .`.
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authlab-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a syntax error is reported with its line and column', async () => {
    const file = path.join(dir, 'unclosed.yaml');
    await writeFile(
      file,
      'users:\n  - name: alice\n    groups: [team-a-editors\n    password: alice-password\n',
    );
    await expectConfigInvalid(
      loadConfig({ file }),
      file,
      'line 4, column 5: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    );
  });

  test('a key given twice is reported with its line and column', async () => {
    await expectConfigInvalid(
      loadConfig({ file: 'fixtures/config-errors/duplicate-key.yaml' }),
      'fixtures/config-errors/duplicate-key.yaml',
      'line 6, column 5: not valid YAML: Map keys must be unique',
    );
  });

  test('a file holding a list is an error', async () => {
    await expectConfigInvalid(
      loadConfig({ file: 'fixtures/config-errors/not-a-mapping-list.yaml' }),
      'fixtures/config-errors/not-a-mapping-list.yaml',
      '(root) (received a list of 1): Invalid input: expected object, received array',
    );
  });

  test('a file holding plain text is an error, not an empty lab', async () => {
    await expectConfigInvalid(
      loadConfig({ file: 'fixtures/config-errors/not-a-mapping-text.yaml' }),
      'fixtures/config-errors/not-a-mapping-text.yaml',
      '(root) (received "see fixtures/lab.yaml for the lab config"): Invalid input: expected object, received string',
    );
  });

  test('a multi-document file (an RBAC file given as --config) is refused', async () => {
    await expectConfigInvalid(
      loadConfig({ file: 'fixtures/rbac/default-lab.yaml' }),
      'fixtures/rbac/default-lab.yaml',
      'line 21, column 1: not valid YAML: Source contains multiple documents; please use YAML.parseAllDocuments()',
    );
  });
});

test('every problem of a file is listed at once, each with its path, the value received and the rule', async () => {
  const error = await rejectionOf(loadConfig({ file: 'fixtures/config-errors/many-problems.yaml' }));
  expect(error.code).toBe('AUTHLAB_CONFIG_INVALID');
  expect(error.message).toBe(
    [
      'invalid configuration (fixtures/config-errors/many-problems.yaml):',
      '  idp.flavour (received "okta"): must be one of dex, keycloak',
      '  idp.expiry.idTokens (received "24 hours"): must be a duration such as "90s", "15m", "24h" or "1h30m" (units ms, s, m, h, d)',
      '  users[0].name (received "Alice"): must be lower-case letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
      '  users[0].email (received "alice.example.com"): must be an e-mail address',
      '  users[1] (received an object): needs exactly one of "password" or "hash"',
      '  clients[0].grantTypes[0] (received "implicit"): must be one of authorization_code, refresh_token, password, client_credentials',
      '  ports.proxy (received 80800 (number)): must be an integer in 0..65535',
      '  ports.idpp (received 5556 (number)): unknown option',
    ].join('\n'),
  );
});

describe('RBAC files (paths relative to the config file)', () => {
  test('a file that cannot be read is reported with its path', async () => {
    await expectConfigInvalid(
      loadConfig({ file: 'fixtures/config-errors/missing-rbac-file.yaml' }),
      'fixtures/config-errors/missing-rbac-file.yaml',
      `rbac[0] (received "rbac/does-not-exist.yaml"): cannot be read: ENOENT: no such file or directory, stat '${path.join(REPO_ROOT, 'fixtures/config-errors/rbac/does-not-exist.yaml')}'`,
    );
  });

  test("a problem in a file's documents is reported with the file and the document's number", async () => {
    await expectConfigInvalid(
      loadConfig({ file: 'fixtures/config-errors/broken-rbac.yaml' }),
      'fixtures/config-errors/broken-rbac.yaml',
      'rbac[0] (fixtures/config-errors/rbac/broken-manifests.yaml, document 4): is not valid YAML: Map keys must be unique at line 34, column 1',
      'rbac[0] (fixtures/config-errors/rbac/broken-manifests.yaml, document 3).kind (received "Deployment"): must be a Role, ClusterRole, RoleBinding or ClusterRoleBinding',
      'rbac[0] (fixtures/config-errors/rbac/broken-manifests.yaml, document 2).roleRef.name (received "mlflow-raeder"): no Role with this name in namespace team-a',
    );
  });
});

describe('dexConfig files (paths relative to the config file)', () => {
  test('a file that cannot be read is reported with its path', async () => {
    await expectConfigInvalid(
      loadConfig({ file: 'fixtures/config-errors/dex-file-missing.yaml' }),
      'fixtures/config-errors/dex-file-missing.yaml',
      `dexConfig (received "../dex/does-not-exist.yaml"): cannot be read: ENOENT: no such file or directory, stat '${path.join(REPO_ROOT, 'fixtures/dex/does-not-exist.yaml')}'`,
    );
  });

  test('a file that is not YAML is reported with the YAML error', async () => {
    await expectConfigInvalid(
      loadConfig({ file: 'fixtures/config-errors/dex-file-not-yaml.yaml' }),
      'fixtures/config-errors/dex-file-not-yaml.yaml',
      'dexConfig (received "duplicate-key.yaml"): cannot be read: line 6, column 5: not valid YAML: Map keys must be unique',
    );
  });
});
