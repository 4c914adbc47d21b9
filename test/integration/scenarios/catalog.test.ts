// Every entry of the failure catalog: its symptom reproduces with the documented text, and its fix works.
import { execFile } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { SCENARIOS } from '../../../src/scenarios/catalog.js';
import { runScenario } from '../../../src/scenarios/run.js';

const DESIGN_IDS = [
  'trailing-newline-token',
  'wrong-audience',
  'expired-token',
  'expired-cookie',
  'missing-cookie-chunk',
  'untrusted-tls',
  'incomplete-ca-chain',
  'wrong-issuer',
  'password-grant-not-allowed',
  'bearer-not-accepted',
  'workspace-forbidden',
  'workspace-missing',
  'workspace-unknown',
  'not-in-group',
  'direct-port',
  'key-rotation',
  'html-instead-of-json',
];

test("the catalog has every entry of DESIGN.md's table, each fully described", () => {
  expect(SCENARIOS.map((s) => s.id)).toEqual(expect.arrayContaining(DESIGN_IDS));
  expect(new Set(SCENARIOS.map((s) => s.id)).size).toBe(SCENARIOS.length);
  for (const s of SCENARIOS) {
    for (const field of ['title', 'symptom', 'cause', 'fix', 'client', 'source'] as const) {
      expect(s[field], `${s.id}.${field}`).not.toBe('');
    }
    expect(s.byHand.length, `${s.id}.byHand`).toBeGreaterThan(0);
  }
});

describe.each(SCENARIOS)('$id', (scenario) => {
  test('reproduces its symptom, and its fix works', async () => {
    const result = await runScenario(scenario);
    expect(result.error).toBeUndefined();
    expect({ observed: result.observed, reproduced: result.reproduced }).toEqual({
      observed: result.observed,
      reproduced: true,
    });
    expect({ afterFix: result.afterFix, fixed: result.fixed }).toEqual({
      afterFix: result.afterFix,
      fixed: true,
    });
    expect(result.ok).toBe(true);
  });
});

const PYTHON_REQUESTS = await new Promise<boolean>((resolve) =>
  execFile('python3', ['-c', 'import requests'], (error) => resolve(!error)),
);

test.skipIf(!PYTHON_REQUESTS)(
  `where Python has requests, the catalog also shows its words${PYTHON_REQUESTS ? '' : ' (skipped: no python3 with requests)'}`,
  async () => {
    const newline = await runScenario(SCENARIOS.find((s) => s.id === 'trailing-newline-token')!);
    expect(newline.observed).toMatch(
      /; Python requests: InvalidHeader: Invalid leading whitespace, reserved character\(s\), or return character\(s\) in header value: 'Bearer ey[\w-]{6}…\\n'$/,
    );
    const chain = await runScenario(SCENARIOS.find((s) => s.id === 'incomplete-ca-chain')!);
    expect(chain.observed).toContain(
      '; Python requests: SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate',
    );
  },
);
