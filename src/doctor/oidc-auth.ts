// What the doctor knows of the mlflow-oidc-auth plugin (mlflow-oidc-auth.md §3.4): its answers, which never say why
// (a refused credential is always 401 {"detail":"Authentication required"}), so the doctor finds the reason itself:
// the token against the IdP's JWKS, `users/current` for the user's row and access-token expiry, Basic credentials
// told apart (replaced or expired), and the OTLP route's own permission check.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { DoctorCheck } from './diagnose.js';
import { jsonObject, request, type Answer } from './http.js';
import { span } from './span.js';

export const USERS_CURRENT = '/api/2.0/mlflow/users/current';

/** AuthMiddleware's answer to every refused credential on `/api*` and non-document requests (§3). */
export const isAuthRequired = (a: Answer) => {
  const json = jsonObject(a);
  return (
    a.status === 401 &&
    json !== undefined &&
    Object.keys(json).length === 1 &&
    json.detail === 'Authentication required'
  );
};

/** The Flask hooks' denial: `403 {"message":"Permission denied"}` (§3.4). */
export const isFlaskDenied = (a: Answer) => {
  const json = jsonObject(a);
  return (
    a.status === 403 &&
    json !== undefined &&
    Object.keys(json).length === 1 &&
    json.message === 'Permission denied'
  );
};

/** The FastAPI permission middleware's denial on MLflow's FastAPI-native routes: `403 text/plain` (§4.6). */
export const isFastapiDenied = (a: Answer) =>
  a.status === 403 && a.contentType.startsWith('text/plain') && a.body.trim() === 'Permission denied';

/** Where the plugin sends a refused top-level document: its UI, or with AUTOMATIC_LOGIN_REDIRECT its /login. */
export function isPluginLoginRedirect(a: Answer): boolean {
  if (a.status < 300 || a.status >= 400 || a.location === undefined) return false;
  const to = new URL(a.location, 'http://relative.invalid');
  return (
    /\/oidc\/ui\/?$/.test(to.pathname) || (to.pathname.endsWith('/login') && to.searchParams.has('next'))
  );
}

/**
 * Whether the tracking URI is the plugin's front door: its `/health` is FastAPI's `{"status":"ok"}` (MLflow's own is
 * plain `OK`), and its unauthenticated UI config names `/oidc/ui` (§1.4).
 */
export async function isPluginFrontDoor(trackingUri: string, health: Answer, ca: string | undefined) {
  if (health.status !== 200 || jsonObject(health)?.status !== 'ok') return false;
  const config = await request(`${trackingUri}/oidc/ui/config.json`, { accept: 'application/json' }, ca);
  return typeof config !== 'string' && config.status === 200 && jsonObject(config)?.uiPath === '/oidc/ui';
}

/** The plugin's username for a bearer token: `email`, else `preferred_username`, lower-cased (§3.2). */
export function pluginUsername(payload: Record<string, unknown>): string | undefined {
  const name =
    (typeof payload.email === 'string' && payload.email) ||
    (typeof payload.preferred_username === 'string' && payload.preferred_username) ||
    undefined;
  return name?.toLowerCase();
}

/** `users.password_expiration` as the API prints it: a naive ISO datetime, meant as UTC (§3.3). */
export function expirationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Why a bearer token may have been refused, found without the server's log: the token checked here against the
 * IdP's JWKS (from the discovery document of `issuer`) at `now`. `verified` means the server refused a token that is
 * fine, so the cause is on the server's side.
 */
export async function verifyAtIssuer(
  token: string,
  issuer: string,
  ca: string | undefined,
  now: number,
): Promise<{ verified: true } | { verified: false; reason: string; expired: boolean } | { unknown: string }> {
  const discoveryUrl = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const doc = await request(discoveryUrl, { accept: 'application/json' }, ca);
  const jwksUri = typeof doc === 'string' ? undefined : jsonObject(doc)?.jwks_uri;
  if (typeof jwksUri !== 'string')
    return { unknown: `could not read ${discoveryUrl}: ${typeof doc === 'string' ? doc : doc.status}` };
  const keys = await request(jwksUri, { accept: 'application/json' }, ca);
  const jwks = typeof keys === 'string' ? undefined : jsonObject(keys);
  if (!jwks || !Array.isArray(jwks.keys))
    return { unknown: `could not read ${jwksUri}: ${typeof keys === 'string' ? keys : keys.status}` };
  try {
    await jwtVerify(token, createLocalJWKSet(jwks as unknown as JSONWebKeySet), {
      currentDate: new Date(now),
      clockTolerance: 0,
    });
    return { verified: true };
  } catch (error) {
    const e = error as { code?: string; message: string };
    return {
      verified: false,
      reason: `${e.code ?? 'error'}: ${e.message}`,
      expired: e.code === 'ERR_JWT_EXPIRED',
    };
  }
}

/**
 * The mlflow-call check when the plugin answered 401: its generic words, then what the doctor found itself. A token
 * that verifies and has not expired points at the server: it cannot fetch the JWKS (server-side trust), or its
 * OIDC_AUDIENCE is not among the token's audiences.
 */
export async function explainBearerRefusal(
  base: Pick<DoctorCheck, 'id' | 'title'>,
  token: string,
  payload: Record<string, unknown> | undefined,
  issuer: string | undefined,
  ca: string | undefined,
  now: number,
): Promise<DoctorCheck> {
  const refused =
    '401 {"detail":"Authentication required"}: mlflow-oidc-auth refused the token (it never says why)';
  const generic: DoctorCheck = {
    ...base,
    status: 'fail',
    evidence: refused,
    fix: 'Check the token\'s expiry, its signature against the IdP\'s JWKS, and its aud against OIDC_AUDIENCE; the server log names the reason ("Bearer auth error: …").',
  };
  if (payload === undefined || issuer === undefined) return generic;
  const aud = JSON.stringify(
    Array.isArray(payload.aud) ? payload.aud : payload.aud === undefined ? [] : [payload.aud],
  );
  const found = await verifyAtIssuer(token, issuer, ca, now);
  if ('unknown' in found)
    return { ...generic, evidence: `${refused}; its signature could not be checked here (${found.unknown})` };
  if (!found.verified)
    return {
      ...base,
      status: 'fail',
      evidence: `${refused}; against ${issuer}'s JWKS: ${found.reason}`,
      fix: found.expired
        ? 'Mint a new token (or refresh it before it expires); the plugin allows no leeway.'
        : "The token was not signed by this IdP's keys: mint it from the IdP the server's OIDC_DISCOVERY_URL names.",
    };
  return {
    ...base,
    status: 'fail',
    evidence: `${refused}; yet the token verifies against ${issuer}'s JWKS and has not expired: the server side refuses it`,
    fix: `Either the server cannot fetch the IdP's discovery and JWKS (over TLS its process needs REQUESTS_CA_BUNDLE, and SSL_CERT_FILE for the browser login, pointing at the IdP's whole CA chain; its log then says "Bearer auth error: SSLError …"), or OIDC_AUDIENCE is set to a client not in aud ${aud}: mint the token through that client.`,
  };
}

/** `users/current` with the bearer token: does the plugin have a row for the user (§3.2, B1b)? */
export function userRowCheck(
  answer: Answer | string,
  username: string | undefined,
  trackingUri: string,
): DoctorCheck {
  const base = { id: 'plugin-user', title: 'the plugin has a row for the user (users/current)' };
  if (typeof answer === 'string') return { ...base, status: 'fail', evidence: answer };
  const json = jsonObject(answer);
  if (answer.status === 200 && json) {
    const groups = Array.isArray(json.groups)
      ? (json.groups as Array<{ group_name?: unknown }>).map((g) => String(g.group_name))
      : [];
    const expires = expirationMs(json.password_expiration);
    return {
      ...base,
      status: 'pass',
      evidence: `${String(json.username)}, groups ${JSON.stringify(groups)} (from the last browser login), admin ${String(json.is_admin)}; access token ${expires === undefined ? 'without expiry' : `expiry ${new Date(expires).toISOString()}`}`,
    };
  }
  if (answer.status === 404 && json?.detail === 'User not found')
    return {
      ...base,
      status: 'warn',
      evidence: `404 {"detail":"User not found"}: mlflow-oidc-auth has no row for ${username ?? 'the user'}: never signed in through the browser, so no groups and no admin flag`,
      fix: `Sign in once in a browser (${trackingUri}/login), or have an admin create the user (POST /api/2.0/mlflow/users); until then every call gets DEFAULT_MLFLOW_PERMISSION, and creating a resource answers 404 although it was created.`,
    };
  return {
    ...base,
    status: 'fail',
    evidence: `${answer.status} ${answer.body.replace(/\s+/g, ' ').slice(0, 160)}`,
  };
}

export interface BasicCredentials {
  username: string;
  password: string;
}

export const basicHeader = (b: BasicCredentials) =>
  `Basic ${Buffer.from(`${b.username}:${b.password}`).toString('base64')}`;

/**
 * Basic credentials (MLFLOW_TRACKING_USERNAME / _PASSWORD: an access token, §3.3) on `experiments/search`. A 401
 * while the same user's bearer token works is the access token's own fault: `password_expiration` in the past says
 * it expired, else it was replaced by a newer one (one per user).
 */
export async function basicCheck(o: {
  trackingUri: string;
  search: string;
  basic: BasicCredentials;
  ca: string | undefined;
  now: number;
  /** The bearer token when it works, and whose it is. */
  workingBearer: { token: string; username: string | undefined } | undefined;
  plugin: boolean;
  classify: (answer: Answer | string) => DoctorCheck;
}): Promise<DoctorCheck> {
  const who = o.basic.username;
  const base = { id: 'basic-auth', title: `Basic credentials of ${who} work` };
  const headers = { authorization: basicHeader(o.basic), accept: 'application/json' };
  const answer = await request(`${o.trackingUri}${o.search}`, headers, o.ca);
  if (typeof answer === 'string' || (!isAuthRequired(answer) && answer.status !== 200))
    return { ...o.classify(answer), ...base };
  if (answer.status === 200) {
    if (!o.plugin) return { ...base, status: 'pass', evidence: '200' };
    const me = await request(`${o.trackingUri}${USERS_CURRENT}`, headers, o.ca);
    const expires = typeof me === 'string' ? undefined : expirationMs(jsonObject(me)?.password_expiration);
    return {
      ...base,
      status: 'pass',
      evidence:
        expires === undefined
          ? '200; the access token has no expiry'
          : `200; the access token expires ${new Date(expires).toISOString()} (in ${span(expires - o.now)})`,
    };
  }
  const refused = `401 {"detail":"Authentication required"} for ${who}`;
  const stray = /^\s|\s$/.test(o.basic.password)
    ? ' (the password has whitespace around it: a newline from a file?)'
    : '';
  const sameUser = o.workingBearer && o.workingBearer.username === who.toLowerCase();
  if (!sameUser)
    return {
      ...base,
      status: 'fail',
      evidence: `${refused}: mlflow-oidc-auth refused ${who}:<token>${stray} (an unknown user, a wrong, replaced or expired access token)`,
      fix: `Create a new access token (the UI, or PATCH /api/2.0/mlflow/users/access-token) and set MLFLOW_TRACKING_PASSWORD; give ${who}'s bearer token too (--token-env) and the doctor tells a replaced token from an expired one.`,
    };
  const me = await request(
    `${o.trackingUri}${USERS_CURRENT}`,
    { authorization: `Bearer ${o.workingBearer!.token}`, accept: 'application/json' },
    o.ca,
  );
  const row = typeof me === 'string' ? undefined : jsonObject(me);
  if (typeof me === 'string' || me.status !== 200 || !row)
    return {
      ...base,
      status: 'fail',
      evidence: `${refused}; users/current with the bearer token: ${typeof me === 'string' ? me : `${me.status} ${me.body.slice(0, 120)}`}`,
      fix: "Basic needs a row in the plugin's database: sign in once in a browser, then create an access token.",
    };
  const expires = expirationMs(row.password_expiration);
  if (expires !== undefined && expires <= o.now)
    return {
      ...base,
      status: 'fail',
      evidence: `${refused}, whose bearer token works: the access token expired ${new Date(expires).toISOString()} (${span(o.now - expires)} ago; users/current password_expiration)${stray}`,
      fix: 'Create a new access token with a future expiration (PATCH /api/2.0/mlflow/users/access-token {"expiration":"<ISO 8601>"}; with 7.3.1 always pass one: a rotation without it keeps the expired date) and update MLFLOW_TRACKING_PASSWORD.',
    };
  return {
    ...base,
    status: 'fail',
    evidence: `${refused}, whose bearer token works: the access token was replaced by a newer one (one per user; users/current password_expiration ${JSON.stringify(row.password_expiration ?? null)}, not expired)${stray}`,
    fix: `Use ${who}'s newest access token (MLFLOW_TRACKING_PASSWORD), or create one and update every place that uses the old one; a job that needs a token of its own gets its own service account (POST /api/2.0/mlflow/users).`,
  };
}

/**
 * `POST /v1/traces` as an OTel collector exports (an empty body, X-Mlflow-Experiment-Id): the plugin's
 * authentication, then its FastAPI permission check (EDIT on the experiment, §4.6, §5); past both, MLflow's handler.
 */
export async function otlpCheck(o: {
  trackingUri: string;
  experimentId: string;
  authorization: string;
  /** X-MLFLOW-WORKSPACE, when the client names one (the experiment's permission may come from the workspace). */
  workspace: string | undefined;
  ca: string | undefined;
  classify: (answer: Answer | string) => DoctorCheck;
}): Promise<DoctorCheck> {
  const base = {
    id: 'otlp',
    title: `an OTLP export to /v1/traces (experiment ${o.experimentId}) is accepted`,
  };
  const answer = await request(
    `${o.trackingUri}/v1/traces`,
    {
      authorization: o.authorization,
      'x-mlflow-experiment-id': o.experimentId,
      ...(o.workspace !== undefined && { 'x-mlflow-workspace': o.workspace }),
      'content-type': 'application/x-protobuf',
      accept: 'application/json',
    },
    o.ca,
    { method: 'POST', body: '' },
  );
  if (typeof answer === 'string') return { ...base, status: 'fail', evidence: answer };
  const body = answer.body.replace(/\s+/g, ' ').slice(0, 160);
  if (isAuthRequired(answer))
    return {
      ...base,
      status: 'fail',
      evidence:
        '401 {"detail":"Authentication required"}: mlflow-oidc-auth refused the credentials on /v1/traces (the route is not exempt in 7.x)',
      fix: "Give the exporter credentials the plugin accepts (the collector's oauth2client or headers extension), or exempt the path as kagenti's patch does.",
    };
  if (isFastapiDenied(answer))
    return {
      ...base,
      status: 'fail',
      evidence: `403 text/plain Permission denied: mlflow-oidc-auth's FastAPI permission check: the caller needs EDIT (or MANAGE) on experiment ${o.experimentId}, READ is not enough`,
      fix: `Grant EDIT on the experiment: POST /api/2.0/mlflow/permissions/users/<user>/experiments/${o.experimentId} {"permission":"EDIT"} (or groups/<group>/…), or raise DEFAULT_MLFLOW_PERMISSION; kagenti's patch skips the check.`,
    };
  if (
    answer.status === 200 ||
    ((answer.status === 400 || answer.status === 422) && jsonObject(answer)?.detail !== undefined)
  )
    return {
      ...base,
      status: 'pass',
      evidence: `${answer.status} ${body}: past the auth layer, MLflow's OTLP handler answered the empty export`,
    };
  if (answer.status === 404 && answer.contentType.includes('text/html'))
    return {
      ...base,
      status: 'warn',
      evidence:
        '404 (an HTML Not Found page): the request passed the auth layer, but this MLflow serves no /v1/traces',
      fix: "Run an MLflow whose server has the OTLP endpoint (MLflow's OTel router).",
    };
  return { ...o.classify(answer), ...base };
}

/**
 * The plugin's browser login, as far as it goes without a user: `GET /login` (open, §3.1) answers a redirect to the
 * IdP's authorize endpoint with the scope OIDC_SCOPE gives, verbatim. Commas make it one scope word (the plugin's
 * own default `openid,email,profile`): authlib then sees no `openid`, sends no nonce, and an IdP that reads scopes
 * as the spec does (Keycloak, Dex) grants nothing, so the callback ends in `?error=OIDC+provider+error` (§2.2). A
 * 500 `Failed to initiate OIDC login` is the server failing to read the IdP's discovery document: over TLS, its
 * process not trusting the IdP's CA (authlib's httpx reads SSL_CERT_FILE).
 */
export async function pluginLoginCheck(trackingUri: string, ca: string | undefined): Promise<DoctorCheck> {
  const base = { id: 'plugin-login', title: "the plugin's browser login starts (/login → the IdP)" };
  const answer = await request(`${trackingUri}/login`, { accept: 'text/html' }, ca);
  if (typeof answer === 'string') return { ...base, status: 'skip', evidence: answer };
  if (answer.status === 500 && jsonObject(answer)?.detail === 'Failed to initiate OIDC login')
    return {
      ...base,
      status: 'fail',
      evidence:
        '500 {"detail":"Failed to initiate OIDC login"}: the server could not read the IdP\'s discovery document (OIDC_DISCOVERY_URL)',
      fix: "Check OIDC_DISCOVERY_URL from the server's host; over TLS point SSL_CERT_FILE (authlib's httpx, the login) and REQUESTS_CA_BUNDLE (bearer tokens) of the server's process at the IdP's whole CA chain. The server log says why (\"Failed to initiate OAuth redirect: …\").",
    };
  if (answer.status !== 302 || answer.location === undefined)
    return {
      ...base,
      status: 'skip',
      evidence: `${answer.status} without a redirect: not the plugin's /login`,
    };
  let authorize: URL;
  try {
    authorize = new URL(answer.location);
  } catch {
    return { ...base, status: 'skip', evidence: `302 to ${answer.location}: not a URL` };
  }
  const scope = authorize.searchParams.get('scope') ?? '';
  const where = `302 to ${authorize.origin}${authorize.pathname}`;
  const nonce = authorize.searchParams.has('nonce') ? 'a nonce' : 'no nonce';
  if (scope.includes(',') || !scope.split(' ').includes('openid'))
    return {
      ...base,
      status: 'warn',
      evidence: `${where} with scope ${JSON.stringify(scope)} and ${nonce}: ${
        scope.includes(',') ? 'commas make it one scope word, so' : 'no'
      } openid is not asked for; Keycloak and Dex then grant nothing and the login ends at /oidc/ui/auth?error=OIDC+provider+error`,
      fix: 'Separate the scopes with spaces: OIDC_SCOPE="openid email profile groups" (the plugin\'s default has commas).',
    };
  return { ...base, status: 'pass', evidence: `${where} with scope ${JSON.stringify(scope)} and ${nonce}` };
}
