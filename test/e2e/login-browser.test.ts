import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { haveChromium, launchChromium, warnIfMissing } from './chromium.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { claimsOf, relyingParty, testLab } from '../integration/helpers.js';

warnIfMissing('the browser login tests');

describe.skipIf(!haveChromium)('login page in a real browser (headless Chromium)', () => {
  let browser: Browser;
  let callback: http.Server;
  let redirectUri: string;
  const landed: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    // The relying party's callback: records where the browser lands.
    callback = http.createServer((req, res) => {
      landed.push(req.url!);
      res.end('signed in');
    });
    await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/oauth2/callback`;
  });
  afterAll(async () => {
    await browser?.close();
    callback?.close();
  });

  test('alice types her e-mail and password; the relying party redeems the code with PKCE', async () => {
    const lab = await testLab((cfg) => {
      cfg.clients.find((c: { id: string }) => c.id === 'oauth2-proxy').redirectURIs.push(redirectUri);
    });
    const rp = await relyingParty(lab, 'oauth2-proxy');
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: redirectUri,
      scope: 'openid email groups',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'st4te',
    });
    const page = await browser.newPage();
    await page.goto(url.href);
    await expect(page.title()).resolves.toBe('dex');
    await expect(page.locator('h2').first().textContent()).resolves.toBe('Log in to Your Account');
    await page.screenshot({ path: 'test/e2e/.artifacts/login-page.png' }).catch(() => undefined);

    await page.fill('#login', 'alice@example.com');
    await page.fill('#password', 'wrong-password');
    await page.click('#submit-login');
    await expect(page.locator('#login-error').textContent()).resolves.toBe(
      'Invalid Email Address and password.',
    );

    await page.fill('#password', 'alice-password');
    await Promise.all([page.waitForURL((u) => u.href.startsWith(redirectUri)), page.click('#submit-login')]);
    const callbackUrl = new URL(page.url());
    const tokens = await oidc.authorizationCodeGrant(rp, callbackUrl, {
      pkceCodeVerifier: verifier,
      expectedState: 'st4te',
    });
    expect(claimsOf(tokens.id_token!)).toMatchObject({
      aud: 'oauth2-proxy',
      email: 'alice@example.com',
      groups: ['team-a-editors'],
    });
    await page.close();
  });

  test('the user picker signs in with one click', async () => {
    const lab = await testLab((cfg) => {
      cfg.clients.find((c: { id: string }) => c.id === 'oauth2-proxy').redirectURIs.push(redirectUri);
    });
    const rp = await relyingParty(lab, 'oauth2-proxy');
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: redirectUri,
      scope: 'openid groups',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'pick',
    });
    const page = await browser.newPage();
    await page.goto(url.href);
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(redirectUri)),
      page.click('button[data-user="bob"]'),
    ]);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: 'pick',
    });
    expect(claimsOf(tokens.id_token!).groups).toEqual(['team-b-viewers']);
    await page.close();
  });
});
