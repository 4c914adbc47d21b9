// The oidc-auth stack's browser login played over plain HTTP, as a browser does it (mlflow-oidc-auth.md §3.1): the
// plugin's /login sets the `session` cookie and sends the browser to the IdP's authorize URL; the IdP's login page
// takes the user's password and redirects back to the plugin's /callback, whose answer is the login's outcome (the
// landing page, or `/oidc/ui/auth?error=…`). Scenarios need every hop: the scope and nonce the plugin asked for,
// what the IdP answered, what the plugin made of it.
import type { Answer } from './support.js';

export interface PluginLogin {
  /** The IdP's authorize URL the plugin's /login redirected to (its `scope`, its `nonce` or none). */
  authorizeUrl: URL;
  /** Where the IdP sent the browser back: the plugin's /callback with `code`, or with `error=`. */
  idpRedirect: URL;
  /** The plugin's answer to that /callback. */
  callback: Answer;
  /** The `Cookie` pair of the plugin's session after the callback (signed in, or the empty one). */
  cookie: string;
}

/** `name=value` of the first Set-Cookie header naming `name`. */
function cookiePair(res: Response, name: string): string | undefined {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((pair) => pair.startsWith(`${name}=`));
}

/**
 * Signs `login` in through the plugin at `trackingUri` with the IdP's login form (the lab IdP's, both flavours).
 * Throws with what came back when a hop is not what a login looks like (no redirect, no form).
 */
export async function pluginLogin(
  trackingUri: string,
  login: string,
  password: string,
  o: { sessionCookie?: string } = {},
): Promise<PluginLogin> {
  const cookieName = o.sessionCookie ?? 'session';
  const start = await fetch(`${trackingUri}/login`, { redirect: 'manual' });
  const to = start.headers.get('location');
  if (start.status !== 302 || to === null)
    throw new Error(`GET /login answered ${start.status} ${(await start.text()).slice(0, 200)}`);
  const authorizeUrl = new URL(to);
  let session = cookiePair(start, cookieName) ?? '';

  // The IdP's side keeps its own cookies (its login interaction), as a browser keeps them per site.
  const jar = new Map<string, string>();
  const idp = async (url: URL, init: RequestInit = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, cookie } });
    for (const pair of res.headers.getSetCookie().map((c) => c.split(';')[0]!)) {
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  };
  let res = await idp(authorizeUrl);
  const pageUrl = new URL(res.headers.get('location') ?? authorizeUrl.href, authorizeUrl);
  res = await idp(pageUrl);
  const page = await res.text();
  const action = /<form method="post" action="([^"]+)" id="login-form">/.exec(page)?.[1];
  if (!action) throw new Error(`no login form at ${pageUrl.pathname}: ${res.status} ${page.slice(0, 200)}`);
  res = await idp(new URL(action, pageUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login, password }),
  });
  const callbackPrefix = `${trackingUri}/callback`;
  let idpRedirect: URL | undefined;
  for (let hops = 0; hops < 8 && idpRedirect === undefined; hops++) {
    const location = res.headers.get('location');
    if (location === null) break;
    const next = new URL(location, pageUrl);
    if (next.href.startsWith(callbackPrefix)) idpRedirect = next;
    else res = await idp(next);
  }
  if (idpRedirect === undefined)
    throw new Error(`the IdP did not send the browser back to ${callbackPrefix}: ${res.status}`);

  const back = await fetch(idpRedirect, { redirect: 'manual', headers: { cookie: session } });
  session = cookiePair(back, cookieName) ?? session;
  const location = back.headers.get('location');
  const callback: Answer = {
    status: back.status,
    contentType: back.headers.get('content-type') ?? '',
    body: await back.text(),
    ...(location !== null && { location }),
  };
  return { authorizeUrl, idpRedirect, callback, cookie: session };
}
