// The README's catalog table is generated from the catalog; this keeps the two from drifting.
import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import { scenarioTable, TABLE_END, TABLE_START } from '../../../src/scenarios/markdown.js';

test('README.md holds exactly the generated scenario table (regenerate: scenario list --markdown)', async () => {
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  expect(start).toBeGreaterThan(-1);
  expect(end).toBeGreaterThan(start);
  expect(readme.slice(start + TABLE_START.length, end).trim()).toBe(scenarioTable());
});
