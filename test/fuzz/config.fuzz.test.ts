// Config loading, fuzzed: the default lab with generated edits (values of every type in every place, keys removed
// and added), RBAC files built from mutated manifests, and YAML text made of its own syntax. Every outcome is a lab
// config, or an AuthlabError in the usual `error:` shape, within a bounded time.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { isAuthlabError } from '../../src/errors.js';
import { caseCounts, counted, fuzzParameters } from './support.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
let dir: string;
let lab: Record<string, any>;
let manifests: Array<Record<string, any>>;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'authlab-fuzz-config-'));
  lab = parse(await readFile(path.join(FIXTURES, 'lab.yaml'), 'utf8'));
  lab.rbac = [path.join(FIXTURES, 'rbac/default-lab.yaml')];
  manifests = parseAllDocuments(await readFile(path.join(FIXTURES, 'rbac/default-lab.yaml'), 'utf8')).map(
    (d) => d.toJS() as Record<string, any>,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  process.stdout.write(`fuzz cases (config): ${[...caseCounts].map(([s, k]) => `${s}: ${k}`).join(', ')}\n`);
});

/** Every path to a value in an object, as key lists. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    '',
    '0s',
    '-1h',
    '99999999h',
    '1e999',
    'NaN',
    '/dev/zero',
    '../../../etc/passwd',
    'ł',
    '*',
    null,
    -1,
    70_000,
    true,
  ),
  fc.string({ maxLength: 20 }),
);

/** A copy of `source` with generated edits at paths drawn from `source` itself. */
function edited(source: () => unknown) {
  return fc
    .array(
      fc.tuple(fc.constantFrom('set', 'delete', 'add'), fc.nat(), anyValue, fc.string({ maxLength: 8 })),
      { minLength: 1, maxLength: 4 },
    )
    .map((edits) => {
      const copy = structuredClone(source()) as Record<string, any>;
      for (const [kind, pick, value, key] of edits) {
        const all = paths(copy);
        const target = all[pick % all.length]!;
        if (target.length === 0) continue;
        const parent = target.slice(0, -1).reduce<any>((o, k) => o?.[k], copy);
        const last = target.at(-1)!;
        if (parent === null || typeof parent !== 'object') continue;
        if (kind === 'set') parent[last] = value;
        else if (kind === 'delete') delete parent[last];
        else if (typeof parent[last] === 'object' && parent[last] !== null && !Array.isArray(parent[last]))
          parent[last][key] = value;
      }
      return copy;
    });
}

/** YAML made of YAML's own syntax: anchors, aliases, tags, flow and block collections, documents. */
const yamlText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '&a ',
        '*a',
        '*b',
        '&b [*a, *a]',
        '!!binary ',
        '!!str ',
        '!custom ',
        '<<: *a',
        '---\n',
        '...\n',
        '%YAML 1.2\n',
      ),
      fc.constantFrom(
        '[',
        ']',
        '{',
        '}',
        ':',
        ': ',
        '- ',
        '? ',
        '|\n',
        '>\n',
        '#',
        '"',
        "'",
        '\n',
        '  ',
        '\t',
        ',',
      ),
      fc.constantFrom(
        'users',
        'idp',
        'rbac',
        'proxy',
        'clients',
        'workspaces',
        'dexConfig',
        'ports',
        '/dev/zero',
        'name',
      ),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

/** The one outcome allowed besides a config: the lab's error, as `error:` and `hint:` lines would show it. */
function expectLabError(error: unknown): void {
  expect(isAuthlabError(error), `not an AuthlabError: ${String((error as Error)?.stack ?? error)}`).toBe(
    true,
  );
  const e = error as { code: string; message: string; hint?: string };
  expect(['AUTHLAB_CONFIG_INVALID', 'AUTHLAB_CONFIG_NOT_FOUND']).toContain(e.code);
  expect(e.hint).toMatch(/\S/);
  if (e.code === 'AUTHLAB_CONFIG_INVALID') {
    const [first, ...problems] = e.message.split('\n');
    expect(first).toMatch(/^invalid configuration \(.+\):$/);
    expect(problems.length).toBeGreaterThan(0);
    for (const line of problems) expect(line).toMatch(/^ {2}\S/);
  }
}

async function load(text: string): Promise<void> {
  const file = path.join(dir, `lab-${n++}.yaml`);
  await writeFile(file, text);
  try {
    const config = await loadConfig({ file });
    expect(Array.isArray(config.users)).toBe(true);
  } catch (error) {
    expectLabError(error);
  } finally {
    await rm(file, { force: true });
  }
}

describe('config loading, fuzzed (issue 18)', () => {
  test('the default lab with generated edits, as YAML and as JSON', async () => {
    await fc.assert(
      fc.asyncProperty(
        edited(() => lab),
        fc.boolean(),
        counted('edited labs', async (config, asJson) =>
          load(asJson ? JSON.stringify(config) : stringify(config)),
        ),
      ),
      { ...fuzzParameters(1_500), timeout: 5_000 },
    );
  }, 300_000);

  test('RBAC files built from mutated manifests', async () => {
    await fc.assert(
      fc.asyncProperty(
        edited(() => manifests),
        counted('RBAC files', async (docs) => {
          const rbac = path.join(dir, `rbac-${n++}.yaml`);
          await writeFile(rbac, (docs as unknown[]).map((d) => stringify(d)).join('---\n'));
          await load(stringify({ ...lab, rbac: [rbac] }));
          await rm(rbac, { force: true });
        }),
      ),
      { ...fuzzParameters(1_000), timeout: 5_000 },
    );
  }, 300_000);

  test('YAML text made of its own syntax, as the config and as an RBAC file', async () => {
    await fc.assert(
      fc.asyncProperty(
        yamlText,
        counted('YAML texts', async (text) => {
          await load(text);
          const rbac = path.join(dir, `rbac-${n++}.yaml`);
          await writeFile(rbac, text);
          await load(stringify({ ...lab, rbac: [rbac], dexConfig: rbac }));
          await rm(rbac, { force: true });
        }),
      ),
      { ...fuzzParameters(1_500), timeout: 5_000 },
    );
  }, 300_000);
});
