// The oauth2-proxy-compatible front door (DESIGN.md `proxy/`; oauth2-proxy-and-dex.md §A). One ordered chain of
// named middlewares over node:http: no framework in the hot path, since every MLflow call goes through it.
import http from 'node:http';
import https from 'node:https';
import { createClock, type LabClock } from '../clock.js';
import { DEFAULT_HOST, DEFAULT_PORTS } from '../config/defaults.js';
import { refuseAsGoDoes } from '../go-http.js';
import { listen, serverUrl } from '../listen.js';
import { childLogger, dropsInfo, noopLogger, type Logger } from '../log.js';
import { runChain, type Middleware } from './chain.js';
import { createProxyLog, type ProxyContext, type UpstreamHandler } from './context.js';
import { failRequest } from './endpoints/pages.js';
import { loginEndpoints } from './endpoints/login.js';
import { sessionEndpoints } from './endpoints/session-endpoints.js';
import { accessCheck } from './middleware/access.js';
import { bearerSession } from './middleware/bearer-session.js';
import { cookieSession } from './middleware/cookie-session.js';
import { forward } from './middleware/forward.js';
import { healthChecks } from './middleware/health.js';
import { stripHeaders } from './middleware/strip-headers.js';
import { upstreamHeaders } from './middleware/upstream-headers.js';
import type { ProxyOptions } from './options.js';
import { createOidcProvider } from './provider.js';
import {
  configuredLine,
  CONFIGURED_AT,
  cookieSettingsLine,
  COOKIE_SETTINGS_AT,
  mappingLine,
  MAPPING_AT,
  requestLine,
} from './proxy-log.js';
import { createScope, logUsername, type RequestScope } from './scope.js';
import { createSessionStore } from './session-store.js';

/** Go's `http.DefaultMaxHeaderBytes` (1 MB): chunked session cookies reach far past Node's 16 KB default. */
export const MAX_HEADER_BYTES = 1 << 20;

/** The proxy's HTTP server, configured as oauth2-proxy's Go server is; the lab creates it to bind the port early. */
/** The proxy's server, HTTPS with `tls` (key and certificate chain, PEM), as a TLS-terminating route is. */
export function createProxyServer(tls?: { key: string; cert: string }): http.Server {
  const server = tls
    ? (https.createServer({ ...tls, maxHeaderSize: MAX_HEADER_BYTES }) as unknown as http.Server)
    : http.createServer({ maxHeaderSize: MAX_HEADER_BYTES });
  server.keepAliveTimeout = 65_000;
  return server;
}

export interface AuthProxyOptions {
  /** Validated options (see `parseProxyOptions`). */
  options: ProxyOptions;
  clock?: LabClock;
  log?: Logger;
  host?: string;
  /** 0 picks a free port. Ignored when `server` is given. */
  port?: number;
  /** A server already listening (the lab binds the port first so the IdP can register the callback URL). */
  server?: http.Server;
  /** The upstream's handler when it runs in this process (the lab's gate): no second HTTP hop. */
  upstreamHandler?: UpstreamHandler;
  /** How the IdP is reached (discovery, JWKS, code redemption); under TLS, a fetch that trusts the lab CA. */
  fetch?: typeof fetch;
}

export interface StartedProxy {
  url: URL;
  options: ProxyOptions;
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The chain, in the order a request meets it (the order, with oauth2-proxy's endpoints slotted in). */
const CHAIN = [
  healthChecks,
  loginEndpoints,
  stripHeaders,
  bearerSession,
  cookieSession,
  sessionEndpoints,
  accessCheck,
  upstreamHeaders,
  forward,
] as const;

export async function createAuthProxy(o: AuthProxyOptions): Promise<StartedProxy> {
  const { options } = o;
  const clock = o.clock ?? createClock();
  const log = childLogger(o.log ?? noopLogger, 'proxy');
  const proxyLog = createProxyLog(log, clock);
  // Discovery before the port is served: a wrong issuer fails start-up, as it kills oauth2-proxy (§A3).
  const provider = await createOidcProvider(options, o.fetch);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const ctx: ProxyContext = {
    options,
    provider,
    store: createSessionStore(options, log),
    clock,
    log: proxyLog,
    agent,
    upstreamHandler: o.upstreamHandler,
    // The request line costs ~10 µs to format; a lab that drops info lines (the library's default, `up` without
    // --verbose) skips it.
    logsRequests: !dropsInfo(log),
  };
  const chain: Middleware[] = CHAIN.map((make) => make(ctx));

  const server = o.server ?? createProxyServer();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    // Go's server refuses a target it cannot parse before oauth2-proxy sees it.
    if (refuseAsGoDoes(req, res)) return;
    const scope = createScope(req, res, options.requestIdHeader);
    if (ctx.logsRequests) res.on('finish', () => logRequest(ctx, scope));
    runChain(chain, scope)?.catch((error: unknown) => failRequest(ctx, scope, error));
  });
  if (!o.server)
    await listen(server, o.host ?? DEFAULT_HOST, o.port ?? DEFAULT_PORTS.proxy, 'proxy', '--port');

  // The start-up lines oauth2-proxy prints, for comparing a lab log with production's (§A6).
  proxyLog.printf(CONFIGURED_AT, configuredLine(options.providerDisplayName, options.clientId));
  proxyLog.printf(COOKIE_SETTINGS_AT, cookieSettingsLine(options));
  for (const upstream of options.upstreams) proxyLog.printf(MAPPING_AT, mappingLine('/', upstream));

  const url = serverUrl(server);
  let disposing: Promise<void> | undefined;
  const dispose = () =>
    (disposing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      agent.destroy();
    }));
  return { url, options, dispose, [Symbol.asyncDispose]: dispose };
}

function logRequest(ctx: ProxyContext, scope: RequestScope): void {
  try {
    writeRequestLine(ctx, scope);
  } catch (error) {
    // A request line that cannot be formatted is not worth the lab: it runs in a 'finish' listener, where a throw
    // would end the process.
    ctx.log.lab(`request line not logged: ${(error as Error)?.message ?? String(error)}`);
  }
}

function writeRequestLine(ctx: ProxyContext, scope: RequestScope): void {
  const { req, res } = scope;
  ctx.log.request(
    requestLine({
      client: scope.clientIp,
      requestId: scope.requestId,
      username: logUsername(scope.session),
      at: new Date(ctx.clock.now()),
      host: req.headers.host ?? '',
      method: req.method ?? '',
      upstream: scope.upstream,
      requestUri: scope.requestUri,
      protocol: `HTTP/${req.httpVersion}`,
      userAgent: req.headers['user-agent'] ?? '',
      status: res.statusCode,
      // Forwarded to an upstream in this process (forward hands every request over when there is one), which
      // wrote the response itself: its Content-Length is the body it sent.
      size:
        ctx.upstreamHandler !== undefined && scope.upstream !== '' && req.method !== 'HEAD'
          ? Number(res.getHeader('content-length') ?? 0)
          : scope.bytesOut,
      durationMs: performance.now() - scope.startedAt,
    }),
  );
}
