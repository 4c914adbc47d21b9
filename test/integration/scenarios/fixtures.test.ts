// The catalog's fixtures for downstream tests: each one fails at the lab's proxy for the documented reason, and
// the valid counterpart passes.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLab, type StartedLab } from '../../../src/index.js';
import { labFixtures, type LabFixtures } from '../../../src/scenarios/fixtures.js';
import { requestError, searchAs } from '../../../src/scenarios/support.js';

describe('labFixtures(lab)', () => {
  let lab: StartedLab;
  let fx: LabFixtures;
  const logs: string[] = [];
  beforeAll(async () => {
    const push = (l: string) => logs.push(l);
    lab = await startLab({
      ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
      env: {},
      log: { debug() {}, info: push, warn: push, error: push },
    });
    fx = labFixtures(lab);
  });
  afterAll(() => lab?.dispose());
  const logged = (text: string) => logs.some((l) => l.includes(text));

  test('a token with a trailing newline (string and file): Node refuses the header', async () => {
    const t = await fx.tokenWithTrailingNewline();
    expect(t.endsWith('\n')).toBe(true);
    expect(await requestError(searchAs(lab, t))).toBe(
      'ERR_INVALID_CHAR: Invalid character in header content ["authorization"]',
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'authlab-fx-'));
    try {
      const file = await fx.tokenFileWithTrailingNewline(path.join(dir, 'token'));
      expect((await readFile(file, 'utf8')).endsWith('\n')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect((await searchAs(lab, t.trim())).status).toBe(200);
  });

  test('wrong audience, expired, wrong issuer: 401 with the proxy naming the reason', async () => {
    expect((await searchAs(lab, await fx.wrongAudienceToken())).status).toBe(401);
    expect(logged('audience from claim aud with value [admin-cli] does not match')).toBe(true);
    expect((await searchAs(lab, await fx.expiredToken())).status).toBe(401);
    expect(logged('oidc: token is expired (Token Expiry: ')).toBe(true);
    expect((await searchAs(lab, await fx.wrongIssuerToken())).status).toBe(401);
    expect(
      logged(
        `oidc: id token issued by a different provider, expected "${lab.issuer}" got "https://other-issuer.invalid/dex"`,
      ),
    ).toBe(true);
  });

  test('session cookies: valid passes; expired, tampered and first-chunk-only are rejected', async () => {
    expect((await searchAs(lab, undefined, { cookie: await fx.sessionCookie('valid') })).status).toBe(200);
    for (const kind of ['expired', 'tampered', 'first-chunk-only'] as const) {
      const cookie = await fx.sessionCookie(kind);
      if (kind === 'first-chunk-only') expect(cookie.startsWith('_oauth2_proxy_0=')).toBe(true);
      expect((await searchAs(lab, undefined, { cookie })).status, kind).toBe(401);
    }
    expect(logged('Error loading cookied session: cookie signature not valid, removing session')).toBe(true);
  });
});
