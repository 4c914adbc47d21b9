// Every entry of the failure catalog: its symptom reproduces with the documented text, and its fix works.
import { execFile } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { AUTH_STACKS } from '../../../src/config/defaults.js';
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

/** The oidc-auth stack's entries (issue 19), each a failure of mlflow-oidc-auth.md. */
const OIDC_AUTH_IDS = [
  'oidc-wrong-audience',
  'oidc-login-not-in-group',
  'oidc-comma-scope',
  'oidc-otlp-traces',
  'oidc-server-trust',
  'oidc-access-token-replaced',
  'oidc-access-token-expired',
];

/** What each oidc-auth run observed, in the measured words of mlflow-oidc-auth.md (appendix rows named). */
const AUTH_REQUIRED = '401 application/json {"detail":"Authentication required"}';
const OBSERVED: Record<string, RegExp> = {
  // B3, A1/A2
  'oidc-wrong-audience': new RegExp(
    `^admin-cli token, OIDC_AUDIENCE unset: 200; OIDC_AUDIENCE=mlflow-cli: ${esc(AUTH_REQUIRED)}; server log: Authentication failed for /api/2\\.0/mlflow/experiments/search: Invalid token$`,
  ),
  // L2
  'oidc-login-not-in-group':
    /^login: 302 http:\/\/127\.0\.0\.1:\d+\/oidc\/ui\/auth\?error=User\+is\+not\+allowed\+to\+login; her bearer token: 200$/,
  // §2.2 OIDC_SCOPE
  'oidc-comma-scope':
    /^authorize URL: scope=openid%2Cemail%2Cprofile, no nonce; the IdP → \/callback\?error=access_denied; the plugin → 302 http:\/\/127\.0\.0\.1:\d+\/oidc\/ui\/auth\?error=OIDC\+provider\+error$/,
  // §5 table, U8, D8b
  'oidc-otlp-traces': new RegExp(
    `^no credentials: ${esc(AUTH_REQUIRED)}; bob's token, no X-Mlflow-Experiment-Id: 403 text/plain Permission denied; with it, READ only: 403 text/plain Permission denied$`,
  ),
  'oidc-server-trust': new RegExp(
    `^bearer token: ${esc(AUTH_REQUIRED)}; server log: Bearer auth error: SSLError: HTTPSConnectionPool\\(host='127\\.0\\.0\\.1', port=\\d+\\): Max retries exceeded with url: /realms/mlflow/\\.well-known/openid-configuration \\(Caused by SSLError\\(SSLCertVerificationError\\(1, '\\[SSL: CERTIFICATE_VERIFY_FAILED\\] certificate verify failed: self-signed certificate in certificate chain \\(_ssl\\.c:1000\\)'\\)\\)\\); /login: 500 application/json \\{"detail":"Failed to initiate OIDC login"\\}; server log: Failed to initiate OAuth redirect: \\[SSL: CERTIFICATE_VERIFY_FAILED\\]`,
  ),
  // T3b
  'oidc-access-token-replaced': new RegExp(
    `^the first token: 200; after a second PATCH …/users/access-token: ${esc(AUTH_REQUIRED)}; users/current: password_expiration null$`,
  ),
  // T7c, T8b, T8c
  'oidc-access-token-expired': new RegExp(
    `^a token expiring in 1h: 200; 2h later: ${esc(AUTH_REQUIRED)}; users/current: password_expiration "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?" \\(past\\); a new token without expiration \\(7\\.3\\.1\\): ${esc(AUTH_REQUIRED)}$`,
  ),
};

function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

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

test('every scenario is tagged with its stack: the DESIGN.md entries kubernetes-auth, the plugin ones oidc-auth', () => {
  for (const s of SCENARIOS) expect(AUTH_STACKS, s.id).toContain(s.stack);
  expect(SCENARIOS.filter((s) => DESIGN_IDS.includes(s.id)).map((s) => s.stack)).toEqual(
    DESIGN_IDS.map(() => 'kubernetes-auth'),
  );
  expect(SCENARIOS.filter((s) => s.stack === 'oidc-auth').map((s) => s.id)).toEqual(OIDC_AUTH_IDS);
  for (const s of SCENARIOS.filter((x) => x.stack === 'oidc-auth'))
    expect(s.byHand.join('\n'), s.id).toMatch(/--auth oidc-auth|auth: oidc-auth/);
});

describe.each(SCENARIOS)('$id', (scenario) => {
  test('reproduces its symptom, and its fix works', async () => {
    const result = await runScenario(scenario);
    expect(result.error).toBeUndefined();
    expect(result.stack).toBe(scenario.stack);
    if (OBSERVED[scenario.id]) expect(result.observed).toMatch(OBSERVED[scenario.id]!);
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
