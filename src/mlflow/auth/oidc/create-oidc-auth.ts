// The oidc-auth stack's front door: what `mlflow server --app-name oidc-auth` (mlflow-oidc-auth 7.3.1) puts in front
// of MLflow, as one ordered chain (mlflow-oidc-auth.md §1.2): the session cookie, the workspace context, the
// authentication gate, the plugin's own routers (login, callback, logout, status, health, UI, REST API), the FastAPI
// permission middleware of MLflow's FastAPI-native routes, and MLflow's Flask app with the plugin's before- and
// after-request hooks. Listens on the tracking URI's port, in place of oauth2-proxy.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { JWTPayload } from 'jose';
import { createClock, type LabClock } from '../../../clock.js';
import { DEFAULT_HOST } from '../../../config/defaults.js';
import { refuseAsGoDoes } from '../../../go-http.js';
import { listen, serverUrl } from '../../../listen.js';
import { childLogger, noopLogger, type Logger } from '../../../log.js';
import type { InProcessRequest, InProcessResponse } from '../kubernetes/create-gate.js';
import { handleApi } from './api.js';
import { dispatchMlflowReader, httpMlflowReader, jsonObjectOf, LazyJsonAnswer } from './mlflow-reader.js';
import {
  ADMIN_REQUIRED,
  AUTHENTICATION_REQUIRED,
  detailError,
  fastapiPermissionDenied,
  OidcAuthError,
} from './errors.js';
import { afterRequest, beforeRequest, experimentPermission } from './hooks.js';
import { ProviderClient, TokenRejected } from './oidc-provider-client.js';
import { pythonB64decode } from './python-base64.js';
import {
  openSessionCookie,
  sealSessionCookie,
  sessionClearCookie,
  sessionSetCookie,
  type SessionCookieOptions,
  type SessionData,
} from './session-cookie.js';
import type { OidcAuthSettings } from './settings.js';
import type { OidcAuthStore } from './store.js';
import type { MlflowReader, OidcAuthDeps, OidcIdentity, OidcRequest } from './types.js';

export interface OidcAuthConfig {
  settings: OidcAuthSettings;
  store: OidcAuthStore;
  /** MLflow's base URL, behind the front door. */
  upstream: string;
  /** The in-process emulator's handler, when that is MLflow: no second HTTP hop. */
  inProcess?: (req: InProcessRequest, body: Buffer) => Promise<InProcessResponse>;
  /** The in-process emulator's live data, for the plugin's plain store reads (MlflowReader `local`). */
  local?: MlflowReader['local'];
  /**
   * kagenti's patches to the plugin (mlflow-oidc-auth.md §5): `/v1/traces`, `/version` and `/ping` need no
   * authentication and `/v1/traces` no experiment permission. Off: the plugin as released.
   */
  kagentiPatch?: boolean;
  /** How the plugin's `requests` calls reach the IdP: discovery and JWKS for bearer tokens (`auth.py`). */
  fetch?: typeof globalThis.fetch;
  /**
   * How authlib's httpx client reaches the IdP: the browser login's discovery, code exchange and id_token keys.
   * Default: `fetch`. Under TLS the two trust the lab CA separately (REQUESTS_CA_BUNDLE vs SSL_CERT_FILE).
   */
  loginFetch?: typeof globalThis.fetch;
  clock?: LabClock;
  log?: Logger;
  host?: string;
  port?: number;
  /** A server already listening (the lab binds the tracking URI's port first, for the IdP's callback URL). */
  server?: http.Server;
}

export interface StartedOidcAuth {
  url: URL;
  /** The SECRET_KEY sessions are signed with (generated per lab unless configured): never logged. */
  readonly secretKey: string;
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** `AuthMiddleware._is_unprotected_route` (§1.3): a prefix match, so `/healthz` and `/login-x` are open too. */
const UNPROTECTED_PREFIXES = [
  '/health',
  '/login',
  '/callback',
  '/oidc/static',
  '/metrics',
  '/docs',
  '/redoc',
  '/openapi.json',
  '/oidc/ui',
  '/static-files',
];
/** kagenti's patch 1 (§5) adds these. */
const KAGENTI_UNPROTECTED = ['/v1/traces', '/version', '/ping'];

const MAX_BODY = 64 * 1024 * 1024;

export async function createOidcAuth(config: OidcAuthConfig): Promise<StartedOidcAuth> {
  const { settings, store } = config;
  const clock = config.clock ?? createClock();
  const log = childLogger(config.log ?? noopLogger, 'oidc-auth');
  const fetcher = config.fetch ?? globalThis.fetch;
  const upstream = new URL(config.upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  // `config.py`: a random `token_hex(16)` per process when unset, with the plugin's warning.
  const secretKey = settings.SECRET_KEY ?? randomBytes(16).toString('hex');
  if (settings.SECRET_KEY === undefined)
    log.warn('SECRET_KEY is not configured — using a random key; sessions end when the lab stops');
  const cookie: SessionCookieOptions = {
    secretKey,
    name: settings.SESSION_COOKIE_NAME,
    maxAgeSeconds: settings.SESSION_COOKIE_MAX_AGE_SECONDS,
    sameSite: settings.SESSION_COOKIE_SAMESITE,
    secure: settings.SESSION_COOKIE_SECURE,
  };
  // Two clients, as in the plugin: `requests` with its JWKS cache for bearer tokens, authlib for the browser login.
  const provider = new ProviderClient({
    discoveryUrl: settings.OIDC_DISCOVERY_URL,
    fetch: pythonErrors(fetcher, 'requests'),
    clock,
    cacheTtlSeconds: settings.OIDC_JWKS_CACHE_TTL_SECONDS,
  });
  const loginFetcher = pythonErrors(config.loginFetch ?? fetcher, 'httpx');
  const loginProvider = new ProviderClient({
    discoveryUrl: settings.OIDC_DISCOVERY_URL,
    fetch: loginFetcher,
    clock,
    cacheTtlSeconds: settings.OIDC_JWKS_CACHE_TTL_SECONDS,
  });
  const bearers = verifiedBearers(
    provider,
    settings.OIDC_AUDIENCE,
    clock,
    settings.OIDC_JWKS_CACHE_TTL_SECONDS,
  );
  /**
   * `METHOD path`s the plugin's REST API does not serve. Its answer depends on nothing else (`handleApi` finds no
   * route), so it is looked for once per path, not on every call; bounded, the oldest forgotten first.
   */
  const apiMisses = boundedSet(MAX_REMEMBERED_PATHS);
  const mlflow: MlflowReader = {
    ...(config.inProcess ? dispatchMlflowReader(config.inProcess) : httpMlflowReader(upstream, agent)),
    ...(config.local && { local: config.local }),
  };
  const deps: OidcAuthDeps = { store, settings, mlflow, now: () => clock.now() };
  const unprotected = config.kagentiPatch
    ? [...UNPROTECTED_PREFIXES, ...KAGENTI_UNPROTECTED]
    : UNPROTECTED_PREFIXES;

  const server = config.server ?? http.createServer();
  server.keepAliveTimeout = 65_000;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (refuseAsGoDoes(req, res)) return;
    handle(req, res).catch((error: unknown) => {
      // Nothing a request does may take the lab down: an unexpected error is uvicorn's plain 500.
      log.error(`unexpected error on ${req.method} ${req.url}: ${(error as Error)?.stack ?? String(error)}`);
      if (res.headersSent) return void res.destroy();
      try {
        writeText(res, 500, 'Internal Server Error', 'text/plain; charset=utf-8');
      } catch {
        res.destroy();
      }
    });
  });
  if (!config.server)
    await listen(server, config.host ?? DEFAULT_HOST, config.port ?? 0, 'oidc-auth', '--port');

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
    // Most calls carry no body (GETs): then no promise or listeners for it.
    const body = bodiless(req) ? NO_BODY : await readBody(req);
    const method = req.method ?? 'GET';

    // SessionMiddleware: the signed cookie, or an empty session.
    const presented = cookieValue(req.headers.cookie, cookie.name);
    const session: SessionData =
      (presented !== undefined &&
        openSessionCookie(presented, secretKey, clock.now(), settings.SESSION_COOKIE_MAX_AGE_SECONDS)) ||
      {};
    const sessionWasEmpty = Object.keys(session).length === 0;
    /** Every answer carries the session as it stands (Starlette re-signs it each time), or clears one that ended. */
    const sessionHeaders = (): string[] => {
      if (Object.keys(session).length > 0)
        return [sessionSetCookie(sealSessionCookie(session, secretKey, clock.now()), cookie)];
      return sessionWasEmpty ? [] : [sessionClearCookie(cookie)];
    };

    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const request: OidcRequest = {
      method,
      path,
      query,
      json: parseJsonObject(body, header('content-type')),
      body,
      headers: req.headers,
      workspace: settings.MLFLOW_ENABLE_WORKSPACES ? header('x-mlflow-workspace') || undefined : undefined,
    };
    const answer = (
      status: number,
      text: string,
      type: string,
      extra: Record<string, string | string[]> = {},
    ) =>
      writeText(res, status, text, type, {
        ...extra,
        'set-cookie': [...sessionHeaders(), ...[extra['set-cookie'] ?? []].flat()],
      });
    const fail = (e: OidcAuthError) => answer(e.status, e.body, e.contentType);

    // WorkspaceContextMiddleware: before authentication, so an unknown workspace is MLflow's error even without
    // credentials (§1.2).
    if (request.workspace !== undefined && !mlflow.local?.hasWorkspace(request.workspace)) {
      const known = await mlflow.call(
        'GET',
        `/api/3.0/mlflow/workspaces/${encodeURIComponent(request.workspace)}`,
      );
      if (known.status !== 200)
        return answer(known.status, JSON.stringify(known.json ?? {}), 'application/json');
    }

    // AuthMiddleware.
    const open = unprotected.some((prefix) => path.startsWith(prefix));
    let identity: OidcIdentity | undefined;
    if (!open) {
      const who = await authenticate(req, session);
      if (who === undefined) {
        if (path.startsWith('/api')) return fail(detailError(401, AUTHENTICATION_REQUIRED));
        if (path.startsWith('/oidc/trash')) return fail(detailError(403, ADMIN_REQUIRED));
        if (!isDocumentRequest(req)) return fail(detailError(401, AUTHENTICATION_REQUIRED));
        const base = header('x-forwarded-prefix')?.replace(/\/$/, '') ?? '';
        const location = settings.AUTOMATIC_LOGIN_REDIRECT
          ? `${base}/login?next=${encodeURIComponent(target).replace(/%2F/gi, '/')}`
          : `${base}/oidc/ui`;
        return answer(302, '', 'text/plain; charset=utf-8', { location });
      }
      identity = who;
    }

    // The plugin's own routers. Each step below awaits only where it has work: most calls are MLflow's, and a
    // promise per step is a measurable share of what the front door adds to them (issue 19's bench).
    const ownAnswer = ownRoute(request, identity, session, req);
    const own = ownAnswer === undefined ? undefined : await ownAnswer;
    if (own) return answer(own.status, own.body, own.contentType, own.headers);
    if (identity && !apiMisses.has(`${method} ${path}`)) {
      const api = await handleApi(deps, request, identity);
      if (api) return answer(api.status, api.body, api.contentType);
      apiMisses.add(`${method} ${path}`);
    }

    // fastapi_permission_middleware: MLflow's FastAPI-native routes (§4.6).
    if (identity && !identity.isAdmin && isFastapiNative(path)) {
      const denied = await fastapiPermission(request, identity);
      if (denied) return fail(denied);
    }

    // MLflow's Flask app, behind the plugin's hooks.
    if (identity) {
      const refused = await beforeRequest(deps, request, identity);
      if (refused) return fail(refused);
    } else if (!open) return fail(detailError(401, AUTHENTICATION_REQUIRED));
    const upstreamAnswer = await forward(req, target, body);
    let payload = upstreamAnswer.payload;
    let headers: Headers = upstreamAnswer.headers;
    if (
      identity &&
      upstreamAnswer.status < 400 &&
      /json/.test(String(headerOf(headers, 'content-type') ?? ''))
    ) {
      const after = await afterRequest(
        deps,
        request,
        identity,
        new LazyJsonAnswer(upstreamAnswer.status, payload),
      );
      if (after?.error) return fail(after.error);
      if (after?.json !== undefined) {
        payload = Buffer.from(JSON.stringify(after.json));
        headers = { ...headers };
        setHeader(headers, 'content-length', String(payload.length));
      }
    }
    const cookies = sessionHeaders();
    if (cookies.length > 0) {
      const prior = headerOf(headers, 'set-cookie');
      headers = { ...headers };
      setHeader(headers, 'set-cookie', [...cookies, ...[prior ?? []].flat().map(String)]);
    }
    res.writeHead(upstreamAnswer.status, headers);
    res.end(method === 'HEAD' ? undefined : payload);
  }

  /**
   * `_authenticate_user` (§3): the Authorization header's scheme, case-sensitively, decides the one method tried:
   * `Basic ` an access token, `Bearer ` a JWT, anything else the session. No fallback between them.
   */
  async function authenticate(
    req: http.IncomingMessage,
    session: SessionData,
  ): Promise<OidcIdentity | undefined> {
    const authorization = req.headers.authorization ?? '';
    const identityOf = (username: string, method: OidcIdentity['method']): OidcIdentity => {
      const user = store.user(username);
      return { username, isAdmin: user?.isAdmin ?? false, user, method };
    };
    if (authorization.startsWith('Basic ')) {
      // `base64.b64decode(...).decode("utf-8")`: Node's decoder also reads unpadded, URL-safe and non-ASCII input.
      const decoded = pythonUtf8(pythonB64decode(authorization.slice(6)));
      if (decoded === undefined) return undefined;
      const colon = decoded.indexOf(':');
      if (colon < 0) return undefined;
      const username = decoded.slice(0, colon).toLowerCase();
      const user = await store.authenticate(username, decoded.slice(colon + 1), clock.now());
      return user ? identityOf(user.username, 'basic') : undefined;
    }
    if (authorization.startsWith('Bearer ')) {
      try {
        const claims = await bearers.verify(authorization.slice(7));
        const name =
          (typeof claims.email === 'string' && claims.email) ||
          (typeof claims.preferred_username === 'string' && claims.preferred_username) ||
          undefined;
        if (!name) throw new TokenRejected('Invalid token payload');
        return identityOf(name.toLowerCase(), 'bearer');
      } catch (error) {
        // The plugin's two lines: the cause at WARNING, then the middleware's generic reason (§3.4).
        log.warn(`Bearer auth error: ${(error as Error).name}: ${(error as Error).message}`);
        log.info(`Authentication failed for ${req.url?.split('?')[0]}: Invalid token`);
        return undefined;
      }
    }
    const username = session.username;
    if (typeof username !== 'string' || username === '') return undefined;
    const expiresAt = session.expires_at;
    if (
      typeof expiresAt === 'number' &&
      clock.now() / 1000 >= expiresAt - settings.OIDC_SESSION_EXPIRY_LEEWAY_SECONDS
    ) {
      for (const key of Object.keys(session)) delete session[key];
      return undefined;
    }
    return identityOf(username, 'session');
  }

  /** The routes `fastapi_permission_middleware` checks: `/v1/traces*` (open with kagenti's patch). */
  function isFastapiNative(path: string): boolean {
    return path.startsWith('/v1/traces') && !config.kagentiPatch;
  }

  /** `fastapi_permission_middleware` for `/v1/traces*` (EDIT on the experiment its header names). */
  async function fastapiPermission(
    request: OidcRequest,
    identity: OidcIdentity,
  ): Promise<OidcAuthError | undefined> {
    const id = request.headers['x-mlflow-experiment-id'];
    const experimentId = Array.isArray(id) ? id[0] : id;
    if (!experimentId) return fastapiPermissionDenied();
    try {
      const resolved = await experimentPermission(deps, experimentId, identity, request.workspace);
      return resolved.permission.canUpdate ? undefined : fastapiPermissionDenied();
    } catch (error) {
      // The middleware's `except Exception`: a failed lookup (an id MLflow refuses) is its plain 403 too.
      log.error(
        `FastAPI permission middleware error: ${error instanceof OidcAuthError ? 'MlflowException' : (error as Error)?.name}`,
      );
      return fastapiPermissionDenied();
    }
  }

  /**
   * The plugin's own routes that the front door answers itself: health, UI, login, callback, logout, status. Not
   * one of them: undefined at once, not a promise of it.
   */
  function ownRoute(
    request: OidcRequest,
    identity: OidcIdentity | undefined,
    session: SessionData,
    req: http.IncomingMessage,
  ): OwnAnswer | Promise<OwnAnswer> | undefined {
    const json = (status: number, value: unknown) => ({
      status,
      body: JSON.stringify(value),
      contentType: 'application/json',
    });
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    switch (request.path) {
      case '/health':
        return json(200, { status: 'ok' });
      case '/health/ready':
        return json(200, { status: 'ready', checks: { oidc: true, database: true } });
      case '/health/live':
        return json(200, { status: 'live' });
      case '/oidc/ui':
        return {
          status: 307,
          body: '',
          contentType: 'text/plain; charset=utf-8',
          headers: { location: '/oidc/ui/' },
        };
      case '/oidc/ui/config.json':
        return json(200, {
          basePath: '',
          uiPath: '/oidc/ui',
          provider: settings.OIDC_PROVIDER_DISPLAY_NAME,
          authenticated: typeof session.username === 'string',
          gen_ai_gateway_enabled: settings.OIDC_GEN_AI_GATEWAY_ENABLED,
          workspaces_enabled: settings.MLFLOW_ENABLE_WORKSPACES,
        });
      case '/auth/status': {
        const username = typeof session.username === 'string' && session.username ? session.username : null;
        return json(200, {
          authenticated: username !== null,
          username,
          provider: username !== null ? settings.OIDC_PROVIDER_DISPLAY_NAME : null,
        });
      }
      case '/login':
        return login(request, session, req);
      case '/callback':
        return callback(request, session, req);
      case '/logout':
        return identity ? logout(session, req) : undefined;
    }
    // The UI bundle is not part of the Python package: without it the plugin answers 500 (§1.4, U9b).
    if (request.path.startsWith('/oidc/ui/'))
      return { status: 500, body: 'Internal Server Error', contentType: 'text/plain; charset=utf-8' };
    return undefined;
  }

  // The request's own URL, as Starlette builds it: the connection's scheme and the Host header. X-Forwarded-* count
  // only from TRUSTED_PROXIES (none by default), so a spoofed header changes nothing (§2.2).
  const baseUrl = (req: http.IncomingMessage) => {
    const host = req.headers.host ?? `${DEFAULT_HOST}`;
    return `${(req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'}://${host}`;
  };
  const uiUrl = (req: http.IncomingMessage, page: string, errors?: string[]) =>
    `${baseUrl(req)}/oidc/ui${page}${errors && errors.length > 0 ? `?${errors.map((e) => `error=${pyQuotePlus(e)}`).join('&')}` : ''}`;
  const redirect = (location: string) => ({
    status: 302,
    body: '',
    contentType: 'text/plain; charset=utf-8',
    headers: { location },
  });

  function configured(): boolean {
    return Boolean(settings.OIDC_DISCOVERY_URL && settings.OIDC_CLIENT_ID && settings.OIDC_CLIENT_SECRET);
  }

  /** `GET /login` (§3.1): state and nonce in the session, then the IdP's authorize URL with OIDC_SCOPE verbatim. */
  async function login(request: OidcRequest, session: SessionData, req: http.IncomingMessage) {
    if (!configured())
      return { ...errorJson(500, 'OIDC authentication not available - configuration error') };
    let metadata;
    try {
      ({ metadata } = await loginProvider.load());
    } catch (error) {
      log.error(`Failed to initiate OAuth redirect: ${(error as Error).message}`);
      return errorJson(500, 'Failed to initiate OIDC login');
    }
    const state = randomBytes(32).toString('base64url');
    session.oauth_state = state;
    const next = sanitizeNext(request.query.get('next'));
    if (next) session.redirect_after_login = next;
    const redirectUri = settings.OIDC_REDIRECT_URI ?? `${baseUrl(req)}/callback`;
    // authlib sends a nonce only when `openid` is one of the scope's space-separated words (§2.2, OIDC_SCOPE).
    const withNonce = settings.OIDC_SCOPE.split(' ').includes('openid');
    const nonce = withNonce ? randomAlphanumeric(20) : undefined;
    session[`_state_oidc_${state}`] = { data: { redirect_uri: redirectUri, ...(nonce && { nonce }) } };
    const params = [
      ['response_type', 'code'],
      ['client_id', settings.OIDC_CLIENT_ID!],
      ['redirect_uri', redirectUri],
      ['scope', settings.OIDC_SCOPE],
      ['state', state],
      ...(nonce ? [['nonce', nonce]] : []),
    ]
      .map(([k, v]) => `${k}=${pyQuotePlus(v!)}`)
      .join('&');
    const sep = metadata.authorization_endpoint.includes('?') ? '&' : '?';
    return redirect(`${metadata.authorization_endpoint}${sep}${params}`);
  }

  /** `GET /callback` (§3.1): every failure a 302 to the UI's auth page with the plugin's fixed message. */
  async function callback(request: OidcRequest, session: SessionData, req: http.IncomingMessage) {
    const failed = (...errors: string[]) => redirect(uiUrl(req, '/auth', errors));
    if (!configured()) return failed('OIDC authentication not available - configuration error');
    const q = request.query;
    if (q.has('error')) {
      const description = q.get('error_description');
      return failed('OIDC provider error', ...(description ? [htmlEscape(description)] : []));
    }
    const state = session.oauth_state;
    if (typeof state !== 'string') return failed('Missing OAuth state in session');
    if (q.get('state') !== state) return failed('Invalid state parameter');
    const code = q.get('code');
    if (!code) return failed('No authorization code received');
    const saved = session[`_state_oidc_${state}`] as
      { data?: { redirect_uri?: string; nonce?: string } } | undefined;
    delete session[`_state_oidc_${state}`];
    delete session.oauth_state;
    let tokens: { id_token?: string; expires_in?: number };
    let claims: Record<string, unknown>;
    try {
      const { metadata } = await loginProvider.load();
      const response = await loginFetcher(metadata.token_endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(settings.OIDC_CLIENT_ID!)}:${encodeURIComponent(settings.OIDC_CLIENT_SECRET!)}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: saved?.data?.redirect_uri ?? settings.OIDC_REDIRECT_URI ?? `${baseUrl(req)}/callback`,
        }),
      });
      if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
      tokens = (await response.json()) as typeof tokens;
      if (!tokens.id_token) return failed('No user information received');
      claims = await loginProvider.verifyIdToken(
        tokens.id_token,
        settings.OIDC_CLIENT_ID!,
        saved?.data?.nonce,
      );
    } catch (error) {
      log.warn(`OIDC token exchange failed: ${(error as Error).message}`);
      return failed('Failed to process authentication response');
    }
    const email =
      (typeof claims.email === 'string' && claims.email) ||
      (typeof claims.preferred_username === 'string' && claims.preferred_username) ||
      undefined;
    if (!email) return failed('No email provided in OIDC userinfo');
    const name = typeof claims.name === 'string' && claims.name ? claims.name : undefined;
    if (!name) return failed('No display name provided in OIDC userinfo');
    const rawGroups = claims[settings.OIDC_GROUPS_ATTRIBUTE];
    const groups = Array.isArray(rawGroups)
      ? rawGroups.map(String)
      : typeof rawGroups === 'string'
        ? [rawGroups]
        : [];
    const isAdmin = groups.some((g) => settings.OIDC_ADMIN_GROUP_NAME.includes(g));
    if (!isAdmin && !groups.some((g) => settings.OIDC_GROUP_NAME.includes(g)))
      return failed('User is not allowed to login');
    const username = email.toLowerCase();
    const { user } = await store.createOrUpdateUser({ username, displayName: name, isAdmin });
    store.setUserGroups(user, groups);
    session.username = username;
    session.authenticated = true;
    const expiresAt =
      typeof tokens.expires_in === 'number' ? Math.floor(clock.now() / 1000) + tokens.expires_in : claims.exp;
    if (typeof expiresAt === 'number') session.expires_at = expiresAt;
    else delete session.expires_at;
    const next = session.redirect_after_login;
    delete session.redirect_after_login;
    if (typeof next === 'string' && next) return redirect(next);
    return redirect(settings.DEFAULT_LANDING_PAGE_IS_PERMISSIONS ? uiUrl(req, '/user') : baseUrl(req));
  }

  /** `GET /logout` (§3.1): the session cleared, then the IdP's end-session endpoint, its parameter not encoded. */
  async function logout(session: SessionData, req: http.IncomingMessage) {
    for (const key of Object.keys(session)) delete session[key];
    const after = uiUrl(req, '/auth');
    try {
      const { metadata } = await loginProvider.load();
      if (metadata.end_session_endpoint)
        return redirect(`${metadata.end_session_endpoint}?post_logout_redirect_uri=${after}`);
    } catch {
      // Without discovery: the UI's auth page.
    }
    return redirect(after);
  }

  function errorJson(status: number, detail: string) {
    return { status, body: JSON.stringify({ detail }), contentType: 'application/json' };
  }

  /** MLflow's answer: the in-process emulator's handler, or the backend over HTTP. */
  function forward(req: http.IncomingMessage, target: string, body: Buffer): Promise<InProcessResponse> {
    const head = { method: req.method, url: target, headers: req.headers };
    if (config.inProcess) return config.inProcess(head, body);
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      delete headers.connection;
      const up = http.request(
        {
          agent,
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: target,
          headers,
        },
        (upRes) => {
          const chunks: Buffer[] = [];
          upRes.on('data', (c: Buffer) => chunks.push(c));
          upRes.on('end', () => {
            const out: Record<string, string | number> = {};
            for (const [k, v] of Object.entries(upRes.headers))
              if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding'].includes(k))
                out[k] = Array.isArray(v) ? v.join(', ') : v;
            resolve({ status: upRes.statusCode ?? 502, headers: out, payload: Buffer.concat(chunks) });
          });
          upRes.on('error', reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });
  }

  const url = serverUrl(server);
  let disposing: Promise<void> | undefined;
  const dispose = () =>
    (disposing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      agent.destroy();
    }));
  return { url, secretKey, dispose, [Symbol.asyncDispose]: dispose };
}

/** How many verified bearer tokens are remembered; the oldest goes first. */
const MAX_VERIFIED_BEARERS = 10_000;
/** How many paths the REST API does not serve are remembered (artifact paths are endless). */
const MAX_REMEMBERED_PATHS = 10_000;

/** A Set that forgets its oldest entry when full. */
function boundedSet(max: number) {
  const set = new Set<string>();
  return {
    has: (key: string) => set.has(key),
    add(key: string) {
      if (set.size >= max) set.delete(set.values().next().value!);
      set.add(key);
    },
  };
}

/**
 * `validate_token` with the answers remembered. A client sends the same token on every call, and an RS256 check with
 * its key import cost ~0.3 ms of CPU per call (issue 19's bench: the front door at 0.12× a direct call). All but the
 * time checks give the same answer for as long as the key set does (the audience is the front door's, fixed), so a
 * token is remembered with the key set in force when it passed (the provider's cache hands out the same object until
 * it fetches again), and the time checks run on every call with `validate_token`'s rules (`exp` in the future, `nbf`
 * and `iat` not, no leeway; each only when present). A token that fails them, or whose key set was fetched again
 * since, gets the full check again, which throws (and so logs) the plugin's reason, or passes and is remembered anew.
 * With OIDC_JWKS_CACHE_TTL_SECONDS ≤ 0 the key set is fetched for every token: nothing to remember it against, and
 * no extra fetch.
 */
function verifiedBearers(
  provider: ProviderClient,
  audience: string | undefined,
  clock: LabClock,
  cacheTtlSeconds: number,
) {
  type Entry = { token: string; jwks: object; claims: JWTPayload };
  const remembered = new Map<string, Entry>();
  // A Map lookup hashes the whole token (~1 kB) on every call; the entry last used is compared with it first.
  let last: Entry | undefined;
  const inTime = ({ exp, nbf, iat }: JWTPayload) => {
    const nowMs = clock.now();
    // jose's `exp` and `nbf` checks compare whole seconds; the provider's `iat` check does not.
    const now = Math.floor(nowMs / 1000);
    return (
      (exp === undefined || exp > now) &&
      (nbf === undefined || nbf <= now) &&
      (iat === undefined || iat <= nowMs / 1000)
    );
  };
  return {
    async verify(token: string): Promise<JWTPayload> {
      if (cacheTtlSeconds <= 0) return provider.verifyBearer(token, audience);
      // The provider's first step too (a discovery or JWKS failure throws here as it would there); its next load()
      // in verifyBearer then reads the cache.
      const { jwks } = await provider.load();
      const entry = last?.token === token ? last : remembered.get(token);
      if (entry !== undefined && entry.jwks === jwks && inTime(entry.claims)) {
        last = entry;
        return entry.claims;
      }
      remembered.delete(token);
      const claims = await provider.verifyBearer(token, audience);
      // Had a bad signature made the provider fetch the key set again, `jwks` is no longer the cached one and this
      // entry is never used: the next call checks the token in full against the new set.
      if (remembered.size >= MAX_VERIFIED_BEARERS) remembered.delete(remembered.keys().next().value!);
      last = { token, jwks, claims };
      remembered.set(token, last);
      return claims;
    },
  };
}

function writeText(
  res: http.ServerResponse,
  status: number,
  text: string,
  contentType: string,
  extra: Record<string, string | string[]> = {},
): void {
  const payload = Buffer.from(text);
  const headers: http.OutgoingHttpHeaders = { 'content-type': contentType, 'content-length': payload.length };
  for (const [k, v] of Object.entries(extra)) if (!(Array.isArray(v) && v.length === 0)) headers[k] = v;
  res.writeHead(status, headers);
  res.end(payload);
}

const NO_BODY = Buffer.alloc(0);

/**
 * A request that has no body by HTTP/1.1's framing (RFC 9112 §6.3): no Transfer-Encoding, no Content-Length or 0.
 * Node's server consumes its (empty) end itself once the answer is written.
 */
function bodiless(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** Flask's `get_json(silent=True)`: a JSON object, or undefined. */
function parseJsonObject(body: Buffer, contentType: string | undefined): Record<string, unknown> | undefined {
  return /json/.test(contentType ?? '') ? jsonObjectOf(body) : undefined;
}

/** Starlette's `cookie_parser`: the last cookie of a name wins, `http.cookies._unquote` on its value. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  let value: string | undefined;
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) value = part.slice(eq + 1).trim();
  }
  if (value === undefined || value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  return value
    .slice(1, -1)
    .replace(/\\(?:([0-3][0-7][0-7])|(.))/gs, (_m, octal: string | undefined, c: string) =>
      octal !== undefined ? String.fromCharCode(parseInt(octal, 8)) : c,
    );
}

/** `bytes.decode("utf-8")`: undefined where Python raises (a BOM is kept, as Python keeps it). */
function pythonUtf8(bytes: Buffer | undefined): string | undefined {
  if (bytes === undefined) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** `_is_document_request`: `Sec-Fetch-Dest: document`, or, without Sec-Fetch-Dest, an Accept that names HTML. */
function isDocumentRequest(req: http.IncomingMessage): boolean {
  const dest = req.headers['sec-fetch-dest'];
  if (typeof dest === 'string') return dest.toLowerCase() === 'document';
  return (req.headers.accept ?? '').includes('text/html');
}

/** `_sanitize_next`: one leading `/`, not `//`, no CR or LF. */
function sanitizeNext(value: string | null): string | undefined {
  if (!value || !value.startsWith('/') || value.startsWith('//') || /[\r\n]/.test(value)) return undefined;
  return value;
}

/** `urllib.parse.quote_plus`: spaces as `+`, everything but `_.-~` and alphanumerics escaped. */
function pyQuotePlus(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function htmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#x27;');
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** authlib's `generate_token(20)`. */
function randomAlphanumeric(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHANUMERIC[b % ALPHANUMERIC.length];
  return out;
}

type Headers = Record<string, string | number | string[]>;

type OwnAnswer =
  { status: number; body: string; contentType: string; headers?: Record<string, string> } | undefined;

function headerOf(headers: Headers, name: string) {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) return headers[k];
  return undefined;
}

function setHeader(headers: Headers, name: string, value: string | string[]) {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) delete headers[k];
  headers[name] = value;
}

/**
 * A fetch whose network failures read as the Python library's own: what the plugin logs when it cannot reach the
 * IdP, above all the server-side trust failure (`CERTIFICATE_VERIFY_FAILED`) users paste from their logs.
 */
function pythonErrors(
  fetch: typeof globalThis.fetch,
  library: 'requests' | 'httpx',
): typeof globalThis.fetch {
  return async (input, init) => {
    try {
      return await fetch(input, init);
    } catch (error) {
      throw pythonNetworkError(error, new URL(String(input instanceof Request ? input.url : input)), library);
    }
  };
}

const TLS_REASONS: Record<string, string> = {
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to get local issuer certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  CERT_HAS_EXPIRED: 'certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'IP address mismatch',
};

function pythonNetworkError(error: unknown, url: URL, library: 'requests' | 'httpx'): Error {
  const cause = (error as { cause?: { code?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  const reason = code !== undefined ? TLS_REASONS[code] : undefined;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (reason !== undefined) {
    const ssl = `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ${reason} (_ssl.c:1000)`;
    const e = new Error(
      library === 'requests'
        ? `HTTPSConnectionPool(host='${url.hostname}', port=${port}): Max retries exceeded with url: ${url.pathname}${url.search} (Caused by SSLError(SSLCertVerificationError(1, '${ssl}')))`
        : ssl,
    );
    e.name = library === 'requests' ? 'SSLError' : 'ConnectError';
    return e;
  }
  const e = new Error(
    library === 'requests'
      ? `HTTPConnectionPool(host='${url.hostname}', port=${port}): Max retries exceeded with url: ${url.pathname}${url.search} (Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] Connection refused'))`
      : '[Errno 111] Connection refused',
  );
  e.name = library === 'requests' ? 'ConnectionError' : 'ConnectError';
  return e;
}
