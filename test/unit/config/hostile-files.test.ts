// Issue 18, item 9: every bad config file ends in the usual error and hint lines, in bounded time and size.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { MAX_TEXT_FILE_BYTES } from '../../../src/read-text-file.js';
import { expectConfigInvalid, FIXTURES, rejectionOf } from './helpers.js';

/** Nine levels of nine aliases each: 9^9 strings once expanded (a "billion laughs"). */
const ALIAS_BOMB = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  ...'bcdefghi'.split('').map((n, i) => {
    const prev = 'abcdefghi'[i]!;
    return `${n}: &${n} [${Array(9).fill(`*${prev}`).join(',')}]`;
  }),
].join('\n');

describe('hostile config files (issue 18, item 9)', () => {
  let dir: string;
  let fifo: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authlab-hostile-'));
    fifo = path.join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const write = async (name: string, text: string) => {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  };
  const withLab = async (name: string, extra: string) =>
    write(name, `${extra}\nworkspaces: { default: team-a, items: [{ name: team-a }] }\n`);

  test('an alias bomb, and an alias to no anchor, in the config itself', async () => {
    const bomb = await write('bomb.yaml', ALIAS_BOMB);
    await expectConfigInvalid(
      loadConfig({ file: bomb }),
      bomb,
      '(file): not valid YAML: Excessive alias count indicates a resource exhaustion attack',
    );
    const dangling = await write('dangling.yaml', 'users: *nope\n');
    await expectConfigInvalid(
      loadConfig({ file: dangling }),
      dangling,
      '(file): not valid YAML: Unresolved alias (the anchor must be set before the alias): nope',
    );
  });

  test('the same in an RBAC file and a Dex config', async () => {
    await write('bomb-rbac.yaml', ALIAS_BOMB);
    const rbac = await withLab('rbac-bomb.yaml', 'rbac: [bomb-rbac.yaml]');
    await expectConfigInvalid(
      loadConfig({ file: rbac }),
      rbac,
      `rbac[0] (${path.join(dir, 'bomb-rbac.yaml')}, document 1): is not valid YAML: Excessive alias count indicates a resource exhaustion attack`,
    );
    const dex = await withLab('dex-bomb.yaml', 'dexConfig: bomb-rbac.yaml');
    await expectConfigInvalid(
      loadConfig({ file: dex }),
      dex,
      'dexConfig (received "bomb-rbac.yaml"): cannot be read: (file): not valid YAML: Excessive alias count indicates a resource exhaustion attack',
    );
  });

  test('a device, a FIFO and a directory are refused without being read', async () => {
    for (const [key, target] of [
      ['rbac', '[/dev/zero]'],
      ['rbac', `[${fifo}]`],
      ['dexConfig', '/dev/zero'],
      ['dexConfig', fifo],
    ] as const) {
      const file = await withLab(`${key}-device.yaml`, `${key}: ${target}`);
      const error = await rejectionOf(loadConfig({ file }));
      expect(error.code).toBe('AUTHLAB_CONFIG_INVALID');
      const named = target.replace(/^\[|\]$/g, '');
      expect(error.message).toContain(
        `cannot be read: ${named} is not a regular file (a device, a FIFO or a socket)`,
      );
    }
    const device = await rejectionOf(loadConfig({ file: '/dev/zero' }));
    expect([device.code, device.message]).toEqual([
      'AUTHLAB_CONFIG_NOT_FOUND',
      'cannot read config file /dev/zero',
    ]);
    expect((device.cause as Error).message).toBe(
      '/dev/zero is not a regular file (a device, a FIFO or a socket)',
    );
    const pipe = await rejectionOf(loadConfig({ file: fifo }));
    expect(pipe.code).toBe('AUTHLAB_CONFIG_NOT_FOUND');
  });

  test(`a file over ${MAX_TEXT_FILE_BYTES} bytes is refused by its size`, async () => {
    const big = await write('big-rbac.yaml', `# ${'x'.repeat(MAX_TEXT_FILE_BYTES)}\n`);
    const file = await withLab('big.yaml', 'rbac: [big-rbac.yaml]');
    const error = await rejectionOf(loadConfig({ file }));
    expect(error.message).toContain(
      `cannot be read: ${big} is ${MAX_TEXT_FILE_BYTES + 3} bytes, more than the ${MAX_TEXT_FILE_BYTES} read`,
    );
  });

  test('thousands of nested brackets: the first few YAML errors and a count, not one line per level', async () => {
    const deep = await write('deep.yaml', `users: ${'['.repeat(5_000)}\n`);
    const error = await rejectionOf(loadConfig({ file: deep }));
    expect(error.code).toBe('AUTHLAB_CONFIG_INVALID');
    const lines = error.message.split('\n');
    expect(lines.length).toBe(1 + 5 + 1);
    expect(lines.at(-1)).toMatch(/^ {2}…: and \d+ more YAML errors$/);
  });

  test("YAML 1.1 tags (!!binary, !!timestamp, !!set) are plain data, not a Buffer's methods as unknown options", async () => {
    // Found by the fuzz suite: a document that was just `!!binary …` listed every method of Buffer.
    const binary = await write('binary.yaml', '!!binary aGVsbG8=\n');
    await expectConfigInvalid(
      loadConfig({ file: binary }),
      binary,
      '(root) (received "aGVsbG8="): Invalid input: expected object, received string',
    );
    const tagged = await withLab('tagged.yaml', 'idp: !!set { flavour }');
    const error = await rejectionOf(loadConfig({ file: tagged }));
    expect(error.message).not.toContain('function');
  });

  test('the default lab still loads', async () => {
    const lab = await loadConfig({ file: path.join(FIXTURES, 'lab.yaml') });
    expect(lab.rbac.length).toBeGreaterThan(0);
  });
});
