import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import Provider, { type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { createClock, type LabClock } from '../clock.js';
import { DEFAULT_HOST } from '../config/defaults.js';
import type { ResolvedClient, ResolvedLabConfig } from '../config/resolve.js';
import { childLogger, noopLogger, type Logger } from '../log.js';
import { refuseAsGoDoes } from '../go-http.js';
import { listen } from '../listen.js';
import { Accounts } from './accounts.js';
import { discoveryDocument } from './discovery.js';
import { FLAVOUR_SPECS, type FlavourSpec } from './flavours.js';
import { AUTHORIZATION_CODE_PARAMS, authorizationCodeGrant } from './grants/authorization-code.js';
import { CLIENT_CREDENTIALS_PARAMS, clientCredentialsGrant } from './grants/client-credentials.js';
import { EXPIRES_IN_PARAM, LAB_BODY, fail, type GrantDeps } from './grants/context.js';
import { PASSWORD_PARAMS, passwordGrant } from './grants/password.js';
import { REFRESH_TOKEN_PARAMS, refreshTokenGrant } from './grants/refresh-token.js';
import { KeyRing } from './keys.js';
import { authorizationErrorPage } from './error-page.js';
import { loginRoutes } from './login-routes.js';
import { TokenMinter, type MintRequest, type MintedTokens } from './mint.js';
import { RefreshStore } from './refresh-store.js';
import { LabStore } from './store.js';
import { userinfoHandler } from './userinfo.js';

export interface IdpOptions {
  config: ResolvedLabConfig;
  clock?: LabClock;
  host?: string;
  /** 0 picks a free port; defaults to `config.ports.idp`. */
  port?: number;
  log?: Logger;
  /** Serve HTTPS with this key and certificate chain (PEM); the issuer becomes `https://…`. */
  tls?: ServerTls;
}

/** A server's key and the certificate chain it presents, PEM. */
export interface ServerTls {
  key: string;
  cert: string;
}

export interface StartedIdp {
  /** Base URL of the server (without the issuer path). */
  url: URL;
  issuer: string;
  discoveryUrl: string;
  tokenEndpoint: string;
  jwksUri: string;
  flavour: FlavourSpec['name'];
  clock: LabClock;
  accounts: Accounts;
  /** Mints tokens in-process, with the same claims the token endpoint issues (fixtures for tests). */
  mint(request: MintRequest): Promise<MintedTokens>;
  /** Signs with a new key from now on; the previous key stays in JWKS for the ID-token lifetime (Dex). */
  rotateKeys(): Promise<void>;
  /** Key ids in JWKS order (signing key first). */
  keyIds(): string[];
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The lab's OIDC provider on oidc-provider, under the issuer path (Dex: `http://127.0.0.1:<port>/dex`).
 * oidc-provider runs the authorization endpoint, login interactions, sessions, client authentication and
 * end-session; the lab serves discovery, JWKS and userinfo in the flavour's shape and redeems every grant
 * through oidc-provider's custom-grant API, so tokens carry the flavour's claims and the lab clock's times.
 */
export async function createIdp(options: IdpOptions): Promise<StartedIdp> {
  const { config } = options;
  const clock = options.clock ?? createClock();
  const log = childLogger(options.log ?? noopLogger, 'idp');
  const spec = FLAVOUR_SPECS[config.idp.flavour];
  const host = options.host ?? DEFAULT_HOST;
  const path = config.idp.issuerPath;

  const app = express();
  app.disable('x-powered-by');
  // Dex is a Go server: a target url.ParseRequestURI refuses gets Go's bare 400 before any handler.
  const listener: http.RequestListener =
    config.idp.flavour === 'dex' ? (req, res) => void (refuseAsGoDoes(req, res) || app(req, res)) : app;
  const server = options.tls ? https.createServer(options.tls, listener) : http.createServer(listener);
  server.keepAliveTimeout = 65_000;
  // Keys first: a bad configured key must fail before a port is taken.
  const keys = await KeyRing.create({
    clock,
    rotateEveryMs: config.idp.expiry.signingKeys,
    retainMs: config.idp.expiry.idTokens,
    ...(config.idp.signingKeys && { configured: config.idp.signingKeys }),
  });
  await listen(server, host, options.port ?? config.ports.idp, 'IdP', '--idp-port');
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls ? 'https' : 'http';
  const url = new URL(`${scheme}://${host}:${port}`);
  const issuer = `${scheme}://${host}:${port}${path}`;

  const accounts = new Accounts(config);
  const clients = new Map(config.clients.map((c) => [c.id, c]));
  const minter = new TokenMinter(config, keys, clock, issuer);
  const deps: GrantDeps = {
    config,
    spec,
    accounts,
    clients,
    minter,
    refresh: new RefreshStore(clock, config.idp.expiry.refreshTokens),
    clock,
  };
  const store = new LabStore(clock);
  const cookieKeys = [randomBytes(32).toString('base64url')];

  let provider = buildProvider();
  let handler = provider.callback();
  // oidc-provider has no runtime key rotation (anchors.md §3): a rotation builds a new Provider over the
  // same store and cookie keys, so sessions and codes survive it.
  keys.onRotate(() => {
    provider = buildProvider();
    handler = provider.callback();
    log.info(`signing key rotated; now ${keys.published()[0]!.kid}`);
  });

  function buildProvider(): Provider {
    const seconds = (ms: number) => Math.max(1, Math.floor(ms / 1000));
    const configuration: Configuration = {
      adapter: (name: string) => store.adapterFor(name),
      clients: config.clients.map((c) => clientMetadata(c, config)),
      findAccount: (_ctx, sub) =>
        accounts.bySubject(sub) ? { accountId: sub, claims: () => ({ sub }) } : undefined,
      jwks: { keys: keys.privateJwks() as never },
      cookies: { keys: cookieKeys },
      features: {
        devInteractions: { enabled: false },
        userinfo: { enabled: false },
        rpInitiatedLogout: { enabled: true },
      },
      interactions: { url: (_ctx, interaction) => `${path}${spec.routes.interaction}/${interaction.uid}` },
      routes: {
        authorization: spec.routes.authorization,
        token: spec.routes.token,
        end_session: spec.routes.end_session,
        jwks: `/.authlab-internal-jwks`,
      },
      scopes: [...spec.knownScopes],
      pkce: { required: () => false },
      ttl: {
        AuthorizationCode: seconds(config.idp.expiry.authRequests),
        Interaction: seconds(config.idp.expiry.authRequests),
        Session: seconds(config.idp.expiry.refreshTokens),
        Grant: seconds(config.idp.expiry.refreshTokens),
        IdToken: seconds(config.idp.expiry.idTokens),
        AccessToken: seconds(config.idp.expiry.accessTokens),
        RefreshToken: seconds(config.idp.expiry.refreshTokens),
        ClientCredentials: seconds(config.idp.expiry.accessTokens),
      },
      renderError: async (ctx, out) => {
        const page = authorizationErrorPage(spec.name, out as { error: string; error_description?: string });
        ctx.status = page.status;
        ctx.type = 'html';
        ctx.body = page.html;
      },
    };
    const p = new Provider(issuer, configuration);
    const grants: Array<[string, (ctx: KoaContextWithOIDC) => Promise<void>, string[]]> = [
      ['password', passwordGrant(deps), [...PASSWORD_PARAMS, EXPIRES_IN_PARAM]],
      ['client_credentials', clientCredentialsGrant(deps), [...CLIENT_CREDENTIALS_PARAMS, EXPIRES_IN_PARAM]],
      ['authorization_code', authorizationCodeGrant(deps), AUTHORIZATION_CODE_PARAMS],
      ['refresh_token', refreshTokenGrant(deps), REFRESH_TOKEN_PARAMS],
    ];
    for (const [name, grant, params] of grants) {
      // A grant outside idp.grantTypes stays unregistered, so it is "unsupported" (Dex `oauth2.grantTypes`).
      if (config.idp.grantTypes.includes(name as never)) p.registerGrantType(name, grant as never, params);
    }
    // oidc-provider answers its own failures with `server_error`; the lab logs why.
    p.on('server_error', (_ctx: unknown, error: Error) =>
      log.error(`internal error: ${error.stack ?? error.message}`),
    );
    p.use(offlineAccessWithoutConsent(spec));
    p.use(flavourErrors(spec));
    return p;
  }

  const router = express.Router();
  const discovery = () => discoveryDocument(issuer, config, spec);
  router.get('/.well-known/openid-configuration', (_req, res) => {
    res.type('application/json').send(JSON.stringify(discovery(), null, spec.name === 'dex' ? 2 : 0));
  });
  router.get(spec.routes.jwks, async (_req, res) => {
    await keys.current(); // rotates first when the period is over
    // Dex v2.45.1: fixed 10 min cache, indented JSON, current key first (§B3).
    res.set('Cache-Control', 'max-age=600, must-revalidate');
    const body = { keys: keys.published().map((k) => k.publicJwk) };
    res.type('application/json').send(JSON.stringify(body, null, spec.name === 'dex' ? 2 : 0));
  });
  router.all(spec.routes.userinfo, userinfoHandler({ issuer: () => issuer, keys, clock, spec }));
  if (spec.name === 'dex') {
    router.get('/healthz', (_req, res) => void res.type('text/plain').send('Health check passed'));
  }
  router.all(spec.routes.token, (req, res, next) => {
    // Dex answers any method but POST on /token itself (§B1 table).
    if (req.method === 'POST') return next();
    const e = spec.errors.methodNotAllowed();
    res.status(e.status).json(e.body);
  });
  router.use(loginRoutes({ provider: () => provider, config, spec, accounts, clients, log }));
  // oidc-provider resumes a login at `<authorization>/<uid>` with its resume cookie. Without the cookie it answers
  // "authorization request has expired", unless the query names a client: then its error handler fails on the
  // missing request (a 500 the fuzz suite found). The answer is the same page either way.
  router.get(`${spec.routes.authorization}/:uid`, (req, res, next) => {
    if (/(?:^|;\s*)_interaction_resume=/.test(req.headers.cookie ?? '')) return next();
    const page = authorizationErrorPage(spec.name, {
      error: 'invalid_request',
      error_description: 'authorization request has expired',
    });
    res.status(page.status).type('html').send(page.html);
  });
  if (spec.name === 'keycloak') {
    // Keycloak 18+ refuses an RP-initiated logout that names where to go back but not who asks: without
    // id_token_hint or client_id it shows its error page and logs a LOGOUT_ERROR event (keycloak/keycloak#12680,
    // #24213; its 2022 logout changes). mlflow-oidc-auth's /logout sends exactly that (mlflow-oidc-auth.md §3.1, L7).
    router.get(spec.routes.end_session, (req, res, next) => {
      const params = new URL(req.url, issuer).searchParams;
      if (!params.has('post_logout_redirect_uri') || params.has('id_token_hint') || params.has('client_id'))
        return next();
      log.warn(
        `type="LOGOUT_ERROR", realmName="${issuerRealm(issuer)}", clientId="null", userId="null", ipAddress="${req.socket.remoteAddress ?? ''}", error="invalid_request", reason="Either the parameter 'client_id' or the parameter 'id_token_hint' is required when 'post_logout_redirect_uri' is used."`,
      );
      const page = authorizationErrorPage(spec.name, {
        error: 'invalid_request',
        error_description: 'Missing parameters: id_token_hint',
      });
      res.status(page.status).type('html').send(page.html);
    });
  }
  router.use((req, res) => handler(req, res));
  app.use(path, router);
  // Outside the issuer path Dex answers with Go's plain 404.
  app.use((_req, res) => void res.status(404).type('text/plain').send('404 page not found\n'));
  // Express's default handler prints stacks to the console and the client; the lab logs and answers plainly.
  app.use((error: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status && error.status < 500 ? error.status : 500;
    if (status === 500) log.error(`internal error: ${error.stack ?? error.message}`);
    if (!res.headersSent)
      res
        .status(status)
        .type('text/plain')
        .send(status === 500 ? 'Internal Server Error\n' : `${error.message}\n`);
  });

  let disposed: Promise<void> | undefined;
  const dispose = () =>
    (disposed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));

  log.info(`issuer ${issuer} (${spec.name})`);
  return {
    url,
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    tokenEndpoint: `${issuer}${spec.routes.token}`,
    jwksUri: `${issuer}${spec.routes.jwks}`,
    flavour: spec.name,
    clock,
    accounts,
    mint: (request) => minter.mint(request),
    rotateKeys: async () => {
      await keys.rotate();
    },
    keyIds: () => keys.published().map((k) => k.kid),
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}

/**
 * oidc-provider's view of a lab client. Every grant the lab enables is registered for every client so that the
 * lab's grant handlers, not oidc-provider, decide and answer "not allowed" in the flavour's words.
 */
function clientMetadata(c: ResolvedClient, config: ResolvedLabConfig): ClientMetadata {
  const code = c.redirectURIs.length > 0;
  return {
    client_id: c.id,
    ...(c.public
      ? { token_endpoint_auth_method: 'none' }
      : { client_secret: c.secret!, token_endpoint_auth_method: 'client_secret_basic' }),
    grant_types: config.idp.grantTypes.filter((g) => g !== 'authorization_code' || code),
    response_types: code && config.idp.grantTypes.includes('authorization_code') ? ['code'] : [],
    redirect_uris: c.redirectURIs,
    ...(c.redirectURIs.length > 0 && {
      post_logout_redirect_uris: c.redirectURIs.map((u) => new URL(u).origin + '/'),
    }),
  };
}

/**
 * Rewrites the token-endpoint errors oidc-provider raises before a grant handler runs (client authentication,
 * unsupported grant) into the flavour's bodies (oauth2-proxy-and-dex.md §B1 table, §C).
 */
function flavourErrors(spec: FlavourSpec) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    await next();
    if (ctx.oidc?.route !== 'token' || ctx.status < 400 || ctx.state[LAB_BODY]) return;
    const body = (ctx.body ?? {}) as { error?: string; error_description?: string };
    const grant = ctx.oidc.params?.grant_type;
    ctx.remove('www-authenticate');
    switch (body.error) {
      case 'invalid_client':
        return fail(ctx, spec.errors.invalidClient());
      case 'unsupported_grant_type':
        return fail(ctx, spec.errors.unsupportedGrant());
      case 'invalid_request':
        // A JSON body leaves grant_type empty at Dex, which parses forms only (§B1 "Request").
        if (
          body.error_description?.startsWith('only application/x-www-form-urlencoded') &&
          spec.name === 'dex'
        )
          return fail(ctx, spec.errors.unsupportedGrant());
        if (body.error_description === "missing required parameter 'grant_type'")
          return fail(ctx, spec.errors.unsupportedGrant());
        if (body.error_description === 'requested grant type is not allowed for this client')
          return fail(ctx, spec.errors.grantNotAllowed(grant as never));
        if (body.error_description?.includes('not properly encoded') && spec.name === 'dex')
          return fail(ctx, {
            status: 400,
            body: { error: 'invalid_request', error_description: 'client_id improperly encoded' },
          });
        return;
      default:
        return;
    }
  };
}

/**
 * Dex and Keycloak grant `offline_access` on a plain authorization request; oidc-provider follows OIDC Core and
 * drops it unless `prompt=consent` is present. Asking for consent is harmless here: the lab's login page
 * finishes login and consent in one step, and Dex shows its login page on every request anyway.
 */
function offlineAccessWithoutConsent(spec: FlavourSpec) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    if (ctx.method === 'GET' && ctx.path === spec.routes.authorization) {
      const { scope, prompt } = ctx.query;
      if (typeof scope === 'string' && scope.split(' ').includes('offline_access') && prompt === undefined) {
        ctx.query = { ...ctx.query, prompt: 'consent' };
      }
    }
    await next();
  };
}

/** The realm's name, the last segment of a Keycloak issuer (`…/realms/<name>`). */
function issuerRealm(issuer: string): string {
  return issuer.slice(issuer.lastIndexOf('/') + 1);
}
