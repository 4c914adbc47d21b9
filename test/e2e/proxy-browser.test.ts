// The proxy's browser login in headless Chromium (DESIGN.md "Testing"): the 403 sign-in page, the lab IdP's login
// page, the callback, the `_oauth2_proxy` cookie, a reload, sign-out (oauth2-proxy-and-dex.md §A1, §A2, §A5).
import type { Browser } from 'playwright-core';
import { haveChromium, launchChromium, warnIfMissing } from './chromium.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { proxyLab, type Echoed } from '../integration/proxy/support.js';

warnIfMissing('the proxy browser tests');

describe.skipIf(!haveChromium)('signing in through the proxy in a real browser (headless Chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test('sign-in page → login page → upstream with the cookie; survives a reload; sign-out ends it', async () => {
    const p = await proxyLab();
    const context = await browser.newContext();
    const page = await context.newPage();

    const first = await page.goto(`${p.url}/experiments/list?view=all`);
    expect(first?.status()).toBe(403);
    await expect(page.title()).resolves.toBe('Sign In');
    await page.click('button:has-text("Sign in with OpenID Connect")');
    await page.waitForURL((u) => u.pathname.endsWith('/auth/local/login') || u.pathname.includes('/auth'));
    await expect(page.title()).resolves.toBe('dex');
    await page.fill('#login', 'alice@example.com');
    await page.fill('#password', 'alice-password');
    await Promise.all([page.waitForURL(`${p.url}/experiments/list?view=all`), page.click('#submit-login')]);
    const landed = JSON.parse((await page.textContent('body'))!) as Echoed;
    expect(landed.url).toBe('/experiments/list?view=all');
    expect(landed.headers['x-forwarded-email']).toBe('alice@example.com');
    expect(landed.headers['x-forwarded-groups']).toBe('team-a-editors');

    const cookies = await context.cookies(p.url);
    const session = cookies.find((c) => c.name === '_oauth2_proxy');
    expect(session).toMatchObject({ httpOnly: true, secure: false, path: '/' });
    expect(session!.value).toMatch(/^[A-Za-z0-9_=-]+\|\d+\|[A-Za-z0-9_=-]+$/);
    // Max-Age=604800 became an absolute expiry about a week out; no CSRF cookie is left behind.
    expect(session!.expires * 1000 - Date.now()).toBeGreaterThan(604_000_000);
    expect(cookies.find((c) => c.name === '_oauth2_proxy_csrf')).toBeUndefined();

    const reloaded = await page.reload();
    expect(reloaded?.status()).toBe(200);
    expect((JSON.parse((await page.textContent('body'))!) as Echoed).headers['x-forwarded-email']).toBe(
      'alice@example.com',
    );

    const out = await page.goto(`${p.url}/oauth2/sign_out`);
    // sign_out redirects to "/", which now needs a login again.
    expect(out?.status()).toBe(403);
    expect(new URL(page.url()).pathname).toBe('/');
    await expect(page.title()).resolves.toBe('Sign In');
    expect((await context.cookies(p.url)).find((c) => c.name === '_oauth2_proxy')).toBeUndefined();
    await context.close();
  });

  test('the cookie stops working once the lab clock passes cookie-expire', async () => {
    const p = await proxyLab({ 'skip-provider-button': true });
    const context = await browser.newContext();
    // Chromium fetches /favicon.ico alongside the page; with skip-provider-button that request starts a login
    // of its own and overwrites the CSRF cookie, so the page's callback fails "CSRF token mismatch", as with a
    // real oauth2-proxy (the reason --cookie-csrf-per-request exists). This test is about the session cookie.
    await context.route('**/favicon.ico', (route) => route.abort());
    const page = await context.newPage();
    // skip-provider-button: straight to the IdP, then the user picker.
    await page.goto(`${p.url}/app`);
    await expect(page.title()).resolves.toBe('dex');
    await Promise.all([page.waitForURL(`${p.url}/app`), page.click('button[data-user="alice"]')]);
    expect((await page.reload())?.status()).toBe(200);
    const before = (await context.cookies(p.url)).find((c) => c.name === '_oauth2_proxy')!.value;
    p.lab.clock.advance('168h');
    await page.reload();
    // Expired: the proxy refuses and clears the cookie and sends the browser to the IdP (skip-provider-button),
    // whose own login session is still alive, so the browser comes back with a new cookie.
    await page.waitForURL(`${p.url}/app`);
    const after = (await context.cookies(p.url)).find((c) => c.name === '_oauth2_proxy')!.value;
    expect(after).not.toBe(before);
    const lines = p.logs.text();
    expect(lines).toContain('Error loading cookied session: cookie signature not valid, removing session');
    expect(lines.match(/\[AuthSuccess\] Authenticated via OAuth2/g)).toHaveLength(2);
    await context.close();
  });
});
