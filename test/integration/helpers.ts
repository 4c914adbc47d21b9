import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse } from 'yaml';
import * as oidc from 'openid-client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { onTestFinished } from 'vitest';
import { startLab, type StartedLab } from '../../src/index.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** The default lab config as an object, to start variants of it (flavour, lifetimes, grants). */
export async function defaultLabObject(): Promise<Record<string, any>> {
  return parse(await readFile(path.join(FIXTURES, 'lab.yaml'), 'utf8'));
}

/** Starts a lab on free ports and disposes it when the test ends. */
export async function testLab(edit?: (cfg: Record<string, any>) => void): Promise<StartedLab> {
  let lab: StartedLab;
  if (edit) {
    const cfg = await defaultLabObject();
    edit(cfg);
    cfg.rbac = [path.join(FIXTURES, 'rbac/default-lab.yaml')];
    lab = await startLab({ config: cfg as never, ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 }, env: {} });
  } else lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 }, env: {} });
  onTestFinished(() => lab.dispose());
  return lab;
}

/** An openid-client Configuration for a lab client (the relying-party library, not our code). */
export async function relyingParty(lab: StartedLab, clientId: string, secret = `${clientId}-secret`) {
  return oidc.discovery(new URL(lab.issuer), clientId, undefined, oidc.ClientSecretBasic(secret), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** POSTs a form to the token endpoint and returns status, headers and the raw body text. */
export async function postToken(lab: StartedLab, form: Record<string, string>, basic?: string) {
  const res = await fetch(lab.tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic && { authorization: `Basic ${Buffer.from(basic).toString('base64')}` }),
    },
    body: new URLSearchParams(form),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export const claimsOf = (jwt: string) => decodeJwt(jwt) as Record<string, unknown>;
export const headerOf = (jwt: string) => decodeProtectedHeader(jwt) as Record<string, unknown>;

/**
 * Plays the browser's part in the login: authorization URL → login page → submit the form → follow the
 * provider's redirects until one leaves for the client's redirect URI (the callback, with `code`).
 */
export async function browserLogin(
  authorizationUrl: URL,
  redirectUri: string,
  submit: Record<string, string>,
): Promise<{ callback?: URL; loginPage: string; loginStatus: number; last: Response; lastBody: string }> {
  const jar = new Map<string, string>();
  const remember = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  };
  const get = async (url: URL, init: RequestInit = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, cookie } });
    remember(res);
    return res;
  };
  let res = await get(authorizationUrl);
  const loginUrl = new URL(res.headers.get('location')!, authorizationUrl);
  res = await get(loginUrl);
  const loginPage = await res.text();
  const loginStatus = res.status;
  const action = /<form method="post" action="([^"]+)" id="login-form">/.exec(loginPage)?.[1];
  if (!action) throw new Error(`no login form in: ${loginPage.slice(0, 300)}`);
  let last = await get(new URL(action, loginUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(submit),
  });
  for (let hops = 0; hops < 6; hops++) {
    const location = last.headers.get('location');
    if (!location) break;
    if (location.startsWith(redirectUri))
      return { callback: new URL(location), loginPage, loginStatus, last, lastBody: '' };
    last = await get(new URL(location, loginUrl));
  }
  return { loginPage, loginStatus, last, lastBody: await last.text() };
}
