// `scenario list|show|run` through the built CLI, as a new user would try it.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect, test } from 'vitest';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const cli = (args: string[]) => execa(process.execPath, [BIN, ...args], { reject: false });

test('scenario list shows at least the sixteen entries of DESIGN.md; show explains one', async () => {
  const list = await cli(['scenario', 'list', '--json']);
  const entries = JSON.parse(list.stdout) as Array<{
    id: string;
    stack: string;
    symptom: string;
    fix: string;
  }>;
  expect(entries.length).toBeGreaterThanOrEqual(16);
  expect(entries.map((e) => e.id)).toContain('trailing-newline-token');
  expect(entries.find((e) => e.id === 'trailing-newline-token')?.stack).toBe('kubernetes-auth');
  expect(entries.find((e) => e.id === 'oidc-comma-scope')?.stack).toBe('oidc-auth');
  const text = await cli(['scenario', 'list']);
  expect(text.stdout).toMatch(/^oidc-access-token-expired {2,}oidc-auth {8}An expired access token/m);
  expect(text.stdout).toMatch(
    /^trailing-newline-token {2,}kubernetes-auth {2}A token with a trailing newline$/m,
  );
  const show = await cli(['scenario', 'show', 'workspace-unknown']);
  expect(show.exitCode).toBe(0);
  expect(show.stdout).toContain("symptom  404 RESOURCE_DOES_NOT_EXIST \"Workspace 'nope' not found");
  expect(show.stdout).toContain('automated: npx mlflow-authlab scenario run workspace-unknown');
  expect(show.stdout).toContain('stack    kubernetes-auth\n');
  expect(show.stdout).toContain('by hand (against "npx mlflow-authlab up"):');
  const oidc = await cli(['scenario', 'show', 'oidc-login-not-in-group']);
  expect(oidc.stdout).toContain('stack    oidc-auth\n');
  expect(oidc.stdout).toContain(
    'symptom  the browser login ends at 302 …/oidc/ui/auth?error=User+is+not+allowed+to+login',
  );
  expect(oidc.stdout).toContain('by hand (against "npx mlflow-authlab up --auth oidc-auth"):');
  const unknown = await cli(['scenario', 'show', 'nope']);
  expect(unknown.exitCode).toBe(1);
  expect(unknown.stderr).toContain('error: no scenario "nope"');
});

test('scenario run --all reproduces every symptom and fix, and exits 0', async () => {
  const run = await cli(['scenario', 'run', '--all', '--json']);
  const report = JSON.parse(run.stdout) as {
    ok: boolean;
    results: Array<{ id: string; stack: string; ok: boolean; error?: string }>;
  };
  expect(report.results.filter((r) => !r.ok)).toEqual([]);
  expect(report.results.filter((r) => r.stack === 'oidc-auth').length).toBe(7);
  expect(report.ok).toBe(true);
  expect(run.exitCode).toBe(0);
  const one = await cli(['scenario', 'run', 'trailing-newline-token']);
  expect(one.exitCode).toBe(0);
  expect(one.stdout).toMatch(
    /^PASS {2}trailing-newline-token \(\d+ ms\)\n {2}symptom {2}reproduced: ERR_INVALID_CHAR: Invalid character in header content \["authorization"\]/,
  );
}, 120_000);
