// The oidc-auth stack's browser login in headless Chromium (issue 19, DESIGN.md "Testing"): /login → the lab IdP's
// login page (Keycloak flavour) → /callback → the plugin's `session` cookie → MLflow through it; /logout → the IdP's
// end-session endpoint; a user outside OIDC_GROUP_NAME refused. The expectations are the real plugin's measured
// answers (mlflow-oidc-auth.md §3.1, appendix rows U4-U9b, U16b, L1-L1c, L2-L2b, L7-L7b, P1d).
import type { Browser, BrowserContext, Page, Request, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { startLab, type StartedLab } from '../../src/index.js';
import { haveChromium, launchChromium, warnIfMissing } from './chromium.js';

warnIfMissing('the oidc-auth browser tests');

const AUTH_REQUIRED = '{"detail":"Authentication required"}';
const MAX_AGE = 1_209_600; // SESSION_COOKIE_MAX_AGE_SECONDS' default, 14 days

async function oidcLab(): Promise<StartedLab<'emulator'>> {
  const lab = await startLab({
    auth: 'oidc-auth',
    ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 },
    env: {},
    mlflow: { backend: 'emulator' },
  });
  onTestFinished(() => lab.dispose());
  return lab;
}

/** The first request of a navigation's redirect chain (the one the page asked for). */
function firstOf(request: Request): Request {
  let first = request;
  for (let r = first.redirectedFrom(); r; r = r.redirectedFrom()) first = r;
  return first;
}

/** The answer that redirected the browser to `response`'s request (the previous hop of the chain). */
async function previousHop(response: Response): Promise<Response> {
  const from = response.request().redirectedFrom();
  expect(from, `nothing redirected to ${response.url()}`).not.toBeNull();
  return (await from!.response())!;
}

/** The `session` cookie's payload: signed, not encrypted, so the browser (and we) can read it (§1.2). */
function sessionPayload(value: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(value.split('.')[0]!, 'base64').toString('utf8')) as Record<string, unknown>;
}

interface PageAnswer {
  status: number;
  type: string | null;
  text: string;
}

/** A request from the page's own script (same origin as the tracking URI), with or without its cookies. */
function pageFetch(
  page: Page,
  route: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    credentials?: 'include' | 'omit';
  } = {},
): Promise<PageAnswer> {
  return page.evaluate(
    async ([url, options]) => {
      const res = await fetch(url, { credentials: 'include', ...options });
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    },
    [route, init] as const,
  );
}

/**
 * Opens `/login`, checks the hop to the IdP, and signs in on the IdP's page as a user would: types the e-mail and
 * password and submits. Resolves with the answer the browser lands on and the /callback answer before it.
 */
async function signIn(
  page: Page,
  lab: StartedLab,
  user: { email: string; password: string },
  landing: string,
): Promise<{ landed: Response; callback: Response }> {
  const trackingUri = lab.trackingUri!;
  const loginPage = (await page.goto(`${trackingUri}/login`))!;
  expect(loginPage.status()).toBe(200);
  // U16/U16b: /login → 302 to the IdP's authorize URL (OIDC_SCOPE verbatim, state and nonce, no PKCE), with the
  // session cookie holding the state.
  const login = (await firstOf(loginPage.request()).response())!;
  expect(login.url()).toBe(`${trackingUri}/login`);
  expect(login.status()).toBe(302);
  const authorize = new URL((await login.headerValue('location'))!);
  expect(`${authorize.origin}${authorize.pathname}`).toBe(`${lab.issuer}/protocol/openid-connect/auth`);
  expect(Object.fromEntries(authorize.searchParams)).toEqual({
    response_type: 'code',
    client_id: 'mlflow-oidc-auth',
    redirect_uri: `${trackingUri}/callback`,
    scope: 'openid email profile groups',
    state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    nonce: expect.stringMatching(/^[A-Za-z0-9]{20}$/),
  });
  expect(await login.headerValue('set-cookie')).toMatch(
    /^session=[^;]+; path=\/; Max-Age=1209600; httponly; samesite=lax$/,
  );

  // The lab IdP's login page, Keycloak's texts.
  expect(new URL(page.url()).origin).toBe(new URL(lab.issuer).origin);
  await expect(page.title()).resolves.toBe('Sign in to mlflow');
  await expect(page.locator('h2').first().textContent()).resolves.toBe('Sign in to your account');
  await expect(page.locator('p').first().textContent()).resolves.toBe('to continue to MLflow');
  await page.fill('#login', user.email);
  await page.fill('#password', user.password);
  const [landed] = await Promise.all([
    page.waitForResponse((r) => r.url() === landing && r.request().isNavigationRequest()),
    page.waitForURL(landing),
    page.click('#submit-login'),
  ]);
  const callback = await previousHop(landed);
  const callbackUrl = new URL(callback.url());
  expect(`${callbackUrl.origin}${callbackUrl.pathname}`).toBe(`${trackingUri}/callback`);
  expect(callbackUrl.searchParams.get('state')).toBe(authorize.searchParams.get('state'));
  expect(callbackUrl.searchParams.get('code')).toBeTruthy();
  expect(callback.status()).toBe(302);
  expect(await callback.headerValue('location')).toBe(landing);
  return { landed, callback };
}

describe.skipIf(!haveChromium)('the oidc-auth stack in a real browser (headless Chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext();
    onTestFinished(() => context.close());
    // Nothing leaves the machine (oidc-provider's logout confirmation page imports a web font): the lab is all on 127.0.0.1.
    await context.route(
      (url) => url.hostname !== '127.0.0.1',
      (route) => route.abort(),
    );
    return context;
  }

  test('alice signs in through /login, reaches MLflow with the session cookie, and logs out (L1-L1c, L7, L7b)', async () => {
    const lab = await oidcLab();
    const trackingUri = lab.trackingUri!;
    const context = await newContext();
    const page = await context.newPage();

    // L1: the browser ends on the permissions page, which the plugin's Python package lacks (U9b: 500).
    const { landed } = await signIn(
      page,
      lab,
      { email: 'alice@example.com', password: 'alice-password' },
      `${trackingUri}/oidc/ui/user`,
    );
    expect(page.url()).toBe(`${trackingUri}/oidc/ui/user`);
    expect([landed.status(), await landed.text()]).toEqual([500, 'Internal Server Error']);

    // The cookie Chromium keeps: Starlette's SessionMiddleware as the plugin configures it.
    const sessions = (await context.cookies(trackingUri)).filter((c) => c.name === 'session');
    expect(sessions).toHaveLength(1);
    const session = sessions[0]!;
    expect(session).toMatchObject({
      domain: '127.0.0.1',
      path: '/',
      httpOnly: true,
      secure: false,
      sameSite: 'Lax',
    });
    // Max-Age=1209600 became an absolute expiry 14 days out (not a browser-session cookie, which has -1).
    const left = session.expires - Date.now() / 1000;
    expect(left).toBeGreaterThan(MAX_AGE - 3600);
    expect(left).toBeLessThanOrEqual(MAX_AGE + 60);
    // The session ends with the token (expires_at, less OIDC_SESSION_EXPIRY_LEEWAY_SECONDS): 24 h in the default lab.
    const payload = sessionPayload(session.value);
    expect(payload).toMatchObject({ username: 'alice@example.com', authenticated: true });
    const tokenLeft = (payload.expires_at as number) - Date.now() / 1000;
    expect(tokenLeft).toBeGreaterThan(86_400 - 3600);
    expect(tokenLeft).toBeLessThanOrEqual(86_400 + 60);
    // HttpOnly: the page's script cannot see it.
    expect(await page.evaluate<string>('document.cookie')).not.toContain('session=');

    // L1c: a top-level navigation to the plugin's API with the cookie.
    const current = (await page.goto(`${trackingUri}/api/2.0/mlflow/users/current`))!;
    expect(current.status()).toBe(200);
    expect(await current.json()).toMatchObject({
      display_name: 'Alice Anders',
      groups: [{ group_name: 'team-a-editors' }],
      is_admin: false,
      is_service_account: false,
      password_expiration: null,
      username: 'alice@example.com',
    });

    // L1b, and MLflow itself from the page's script, in alice's workspace.
    expect(await pageFetch(page, '/auth/status')).toEqual({
      status: 200,
      type: 'application/json',
      text: '{"authenticated":true,"username":"alice@example.com","provider":"Login with OIDC"}',
    });
    const team = { 'X-MLflow-Workspace': 'team-a' };
    const created = await pageFetch(page, '/api/2.0/mlflow/experiments/create', {
      method: 'POST',
      headers: { ...team, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'browser-exp' }),
    });
    expect(created.status).toBe(200);
    const { experiment_id: id } = JSON.parse(created.text) as { experiment_id: string };
    expect(id).toMatch(/^\d+$/);
    const search = await pageFetch(page, '/api/2.0/mlflow/experiments/search?max_results=10', {
      headers: team,
    });
    expect(search.status).toBe(200);
    const found = (JSON.parse(search.text) as { experiments: Array<Record<string, unknown>> }).experiments;
    expect(found).toContainEqual(
      expect.objectContaining({ experiment_id: id, name: 'browser-exp', lifecycle_stage: 'active' }),
    );
    // P1d: the creator got MANAGE on it.
    const grant = await pageFetch(
      page,
      `/api/2.0/mlflow/permissions/users/alice@example.com/experiments/${id}`,
      {
        headers: team,
      },
    );
    expect(grant.status).toBe(200);
    expect(JSON.parse(grant.text)).toMatchObject({
      experiment_permission: { experiment_id: id, permission: 'MANAGE' },
    });
    // The cookie is what authenticates: the same call without it is refused.
    const anonymous = await pageFetch(page, '/api/2.0/mlflow/experiments/search?max_results=10', {
      headers: team,
      credentials: 'omit',
    });
    expect(anonymous).toEqual({ status: 401, type: 'application/json', text: AUTH_REQUIRED });

    // L7: /logout clears the cookie and sends the browser to the IdP's end-session endpoint, the parameter not
    // URL-encoded, no id_token_hint, no client_id.
    const ended = (await page.goto(`${trackingUri}/logout`))!;
    const logout = (await firstOf(ended.request()).response())!;
    expect(logout.url()).toBe(`${trackingUri}/logout`);
    expect(logout.status()).toBe(302);
    expect(await logout.headerValue('location')).toBe(
      `${lab.issuer}/protocol/openid-connect/logout?post_logout_redirect_uri=${trackingUri}/oidc/ui/auth`,
    );
    expect(await logout.headerValue('set-cookie')).toBe(
      'session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax',
    );
    // Keycloak 18+ refuses a post_logout_redirect_uri without id_token_hint or client_id: the user ends on its
    // error page and stays signed in at the IdP (the next /login needs no password); the plugin's session is gone.
    expect(ended.url()).toBe(
      `${lab.issuer}/protocol/openid-connect/logout?post_logout_redirect_uri=${trackingUri}/oidc/ui/auth`,
    );
    expect(ended.status()).toBe(400);
    expect(await page.locator('h2').textContent()).toBe('We are sorry...');
    expect(await page.locator('#error').textContent()).toBe('Missing parameters: id_token_hint');
    expect((await context.cookies(trackingUri)).find((c) => c.name === 'session')).toBeUndefined();

    // L7b: the API without a session; U4/U9/U9b: a page without one goes to /oidc/ui, then /oidc/ui/.
    const after = (await page.goto(`${trackingUri}/api/2.0/mlflow/users/current`))!;
    expect([after.status(), after.headers()['content-type'], await after.text()]).toEqual([
      401,
      'application/json',
      AUTH_REQUIRED,
    ]);
    expect(
      await pageFetch(page, '/api/2.0/mlflow/experiments/search?max_results=10', { headers: team }),
    ).toEqual({ status: 401, type: 'application/json', text: AUTH_REQUIRED });
    const home = (await page.goto(`${trackingUri}/`))!;
    expect(page.url()).toBe(`${trackingUri}/oidc/ui/`);
    expect(home.status()).toBe(500);
    const ui = await previousHop(home);
    expect([ui.url(), ui.status(), await ui.headerValue('location')]).toEqual([
      `${trackingUri}/oidc/ui`,
      307,
      '/oidc/ui/',
    ]);
    const root = await previousHop(ui);
    expect([root.url(), root.status(), await root.headerValue('location')]).toEqual([
      `${trackingUri}/`,
      302,
      '/oidc/ui',
    ]);
  });

  test('mallory, in no allowed group, signs in on the same page and is refused with no session (L2, L2b)', async () => {
    const lab = await oidcLab();
    const trackingUri = lab.trackingUri!;
    const context = await newContext();
    const page = await context.newPage();
    await signIn(
      page,
      lab,
      { email: 'mallory@example.com', password: 'mallory-password' },
      `${trackingUri}/oidc/ui/auth?error=User+is+not+allowed+to+login`,
    );
    expect(page.url()).toBe(`${trackingUri}/oidc/ui/auth?error=User+is+not+allowed+to+login`);
    // /callback popped oauth_state and authlib its state data, so the session is empty and Starlette clears the
    // cookie /login set: the browser holds no `session` at all.
    expect((await context.cookies(trackingUri)).find((c) => c.name === 'session')).toBeUndefined();
    expect(await pageFetch(page, '/api/2.0/mlflow/users/current')).toEqual({
      status: 401,
      type: 'application/json',
      text: AUTH_REQUIRED,
    });
    expect(await pageFetch(page, '/auth/status')).toEqual({
      status: 401,
      type: 'application/json',
      text: AUTH_REQUIRED,
    });
  });
});
