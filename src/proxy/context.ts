// What every middleware of one proxy shares: options (validated once), the provider, the session store, the lab
// clock and the oauth2-proxy-format log. Per-request state lives only in the RequestScope.
import type http from 'node:http';
import type { LabClock } from '../clock.js';
import type { Logger } from '../log.js';
import type { ProxyOptions } from './options.js';
import type { OidcProvider } from './provider.js';
import { authLine, standardLine } from './proxy-log.js';
import { logUsername, type RequestScope } from './scope.js';
import type { SessionStore } from './session-store.js';

/**
 * An upstream's request handler in this process. It answers every request it is handed, except when what stands
 * behind it cannot be reached: then it rejects with `UpstreamUnreachable` before answering, and the proxy answers
 * with its 502 page. The proxy does not wait on it, and answers any other rejection as a failing step (500).
 */
export type UpstreamHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  /** The proxy's own response headers (GAP-Auth, Set-Cookie…), for the handler to write with its own. */
  responseHeaders?: http.OutgoingHttpHeaders,
) => Promise<void>;

/**
 * What an in-process upstream rejects with when what stands behind it (MLflow) cannot be reached before anything
 * was answered: in production the proxy would have dialled MLflow itself, so the proxy answers with its 502 page
 * and the dial error for `target`, as for an upstream of its own (§A2).
 */
export class UpstreamUnreachable extends Error {
  constructor(
    readonly error: NodeJS.ErrnoException,
    readonly target: URL,
  ) {
    super(error.message);
  }
}

export type AuthStatus = 'AuthSuccess' | 'AuthFailure' | 'AuthError';

/** oauth2-proxy's logger calls, written to the lab's logger line for line (§A6 "Log formats"). */
export interface ProxyLog {
  /** `logger.Printf`: standard format, info level (stdout in oauth2-proxy). */
  printf(file: string, message: string): void;
  /** `logger.Errorf`: standard format, error level (stderr in oauth2-proxy). */
  errorf(file: string, message: string): void;
  /** `logger.PrintAuthf`: auth format; `username` defaults to the scope's session. */
  auth(scope: RequestScope, status: AuthStatus, message: string, username?: string): void;
  /** The request line (already formatted). */
  request(line: string): void;
  /** A line of the lab's own, not one oauth2-proxy writes (the lab's internal trouble). */
  lab(message: string): void;
}

export interface ProxyContext {
  readonly options: ProxyOptions;
  readonly provider: OidcProvider;
  readonly store: SessionStore;
  readonly clock: LabClock;
  readonly log: ProxyLog;
  /** One keep-alive pool to the upstream for the proxy's lifetime. */
  readonly agent: http.Agent;
  /** An upstream in the same process (the lab's gate), called directly instead of over HTTP. */
  readonly upstreamHandler: UpstreamHandler | undefined;
  /** Whether request lines are logged (the logger keeps info lines): only then is a response's size read back. */
  readonly logsRequests: boolean;
}

export function createProxyLog(log: Logger, clock: LabClock): ProxyLog {
  // Log timestamps follow the lab clock, so a test that advances time reads the times it expects.
  const at = () => new Date(clock.now());
  return {
    printf: (file, message) => log.info(standardLine(file, message, at())),
    errorf: (file, message) => log.error(standardLine(file, message, at())),
    auth: (scope, status, message, username) =>
      log.info(
        authLine({
          client: scope.clientIp,
          requestId: scope.requestId,
          username: username ?? logUsername(scope.session),
          status,
          message,
          at: at(),
        }),
      ),
    request: (line) => log.info(line),
    lab: (message) => log.error(message),
  };
}
