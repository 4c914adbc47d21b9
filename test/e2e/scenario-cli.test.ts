// `scenario list|show|run` through the built CLI, as a new user would try it.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect, test } from 'vitest';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const cli = (args: string[]) => execa(process.execPath, [BIN, ...args], { reject: false });

test('scenario list shows at least the sixteen entries of DESIGN.md; show explains one', async () => {
  const list = await cli(['scenario', 'list', '--json']);
  const entries = JSON.parse(list.stdout) as Array<{ id: string; symptom: string; fix: string }>;
  expect(entries.length).toBeGreaterThanOrEqual(16);
  expect(entries.map((e) => e.id)).toContain('trailing-newline-token');
  const show = await cli(['scenario', 'show', 'workspace-unknown']);
  expect(show.exitCode).toBe(0);
  expect(show.stdout).toContain("symptom  404 RESOURCE_DOES_NOT_EXIST \"Workspace 'nope' not found");
  expect(show.stdout).toContain('automated: npx mlflow-authlab scenario run workspace-unknown');
  const unknown = await cli(['scenario', 'show', 'nope']);
  expect(unknown.exitCode).toBe(1);
  expect(unknown.stderr).toContain('error: no scenario "nope"');
});

test('scenario run --all reproduces every symptom and fix, and exits 0', async () => {
  const run = await cli(['scenario', 'run', '--all', '--json']);
  const report = JSON.parse(run.stdout) as {
    ok: boolean;
    results: Array<{ id: string; ok: boolean; error?: string }>;
  };
  expect(report.results.filter((r) => !r.ok)).toEqual([]);
  expect(report.ok).toBe(true);
  expect(run.exitCode).toBe(0);
  const one = await cli(['scenario', 'run', 'trailing-newline-token']);
  expect(one.exitCode).toBe(0);
  expect(one.stdout).toMatch(
    /^PASS {2}trailing-newline-token \(\d+ ms\)\n {2}symptom {2}reproduced: ERR_INVALID_CHAR: Invalid character in header content \["authorization"\]/,
  );
}, 120_000);
