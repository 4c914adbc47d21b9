import type { GrantType } from '../config/defaults.js';
import type { ResolvedLabConfig } from '../config/resolve.js';
import { DURATION_RULE, parseDuration } from '../duration.js';
import { AuthlabError } from '../errors.js';
import { AUDIENCE_SCOPE, EXPIRES_IN_PARAM } from '../idp/grants/context.js';

export interface TokenOptions {
  /** Lab user name or e-mail; password grant. Defaults to `alice` when no grant says otherwise. */
  user?: string;
  /** Overrides the user's configured password (required for users defined by a bcrypt hash). */
  password?: string;
  /** Defaults to `mlflow-cli` (password) or `mlflow` (client_credentials). */
  client?: string;
  clientSecret?: string;
  grant?: Extract<GrantType, 'password' | 'client_credentials'>;
  /** Space-separated scopes; defaults to `openid email groups profile offline_access` (password). */
  scope?: string;
  /** Lifetime of these tokens, e.g. '90s' (lab extension of the token endpoint). */
  expiresIn?: string | number;
  /** Adds an audience the Dex way: scope `audience:server:client_id:<A>`. */
  audience?: string;
}

export type TokenResponse = Record<string, unknown> & { access_token: string; id_token?: string };

export const DEFAULT_PASSWORD_SCOPE = 'openid email groups profile offline_access';
export const DEFAULT_CLIENT_CREDENTIALS_SCOPE = 'openid groups profile';

/**
 * Asks a token endpoint for tokens over real HTTP, with the credentials the lab config holds. The library's
 * `lab.token()` and the CLI's `token` both come through here, so they get exactly what any client gets.
 */
export async function requestToken(
  tokenEndpoint: string,
  config: ResolvedLabConfig | undefined,
  options: TokenOptions = {},
  fetch: typeof globalThis.fetch = globalThis.fetch,
): Promise<TokenResponse> {
  const grant = options.grant ?? 'password';
  const clientId = options.client ?? (grant === 'password' ? 'mlflow-cli' : 'mlflow');
  const client = config?.clients.find((c) => c.id === clientId);
  if (config && !client && options.clientSecret === undefined) {
    throw new AuthlabError(
      'AUTHLAB_UNKNOWN_CLIENT',
      `no client "${clientId}" in the lab config (${config.source})`,
      {
        hint: `Use one of: ${config.clients.map((c) => c.id).join(', ')}.`,
      },
    );
  }
  const secret = options.clientSecret ?? client?.secret;
  const form = new URLSearchParams({ grant_type: grant });
  let scope =
    options.scope ?? (grant === 'password' ? DEFAULT_PASSWORD_SCOPE : DEFAULT_CLIENT_CREDENTIALS_SCOPE);
  if (options.audience) scope += ` ${AUDIENCE_SCOPE}${options.audience}`;
  form.set('scope', scope);

  if (grant === 'password') {
    const name = options.user ?? 'alice';
    const user = config?.users.find((u) => u.name === name || u.email.toLowerCase() === name.toLowerCase());
    if (config && !user && options.password === undefined) {
      throw new AuthlabError(
        'AUTHLAB_UNKNOWN_USER',
        `no user "${name}" in the lab config (${config.source})`,
        {
          hint: `Use one of: ${config.users.map((u) => u.name).join(', ')}; or pass --password for a user the IdP knows.`,
        },
      );
    }
    const password = options.password ?? user?.password;
    if (password === undefined) {
      throw new AuthlabError(
        'AUTHLAB_INVALID_ARGUMENT',
        config ? `user "${name}" has only a password hash in the config` : `no password for user "${name}"`,
        {
          hint: 'Pass the password with --password (library: { password }).',
        },
      );
    }
    // Dex logs users in by e-mail (oauth2-proxy-and-dex.md §B1).
    form.set('username', user?.email ?? name);
    form.set('password', password);
  }
  if (options.expiresIn !== undefined) {
    const ms = parseDuration(options.expiresIn);
    if (ms === undefined || ms < 1000) {
      throw new AuthlabError(
        'AUTHLAB_INVALID_ARGUMENT',
        `expiresIn ${JSON.stringify(options.expiresIn)} is not a duration of at least 1s`,
        {
          hint: `Give ${DURATION_RULE}.`,
        },
      );
    }
    form.set(EXPIRES_IN_PARAM, `${Math.floor(ms / 1000)}s`);
  }

  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (secret !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  } else form.set('client_id', clientId);

  let response: Response;
  try {
    response = await fetch(tokenEndpoint, { method: 'POST', headers, body: form });
  } catch (cause) {
    // fetch says only "fetch failed"; the cause's code says why (ECONNREFUSED, SELF_SIGNED_CERT_IN_CHAIN …).
    const code = (cause as { cause?: { code?: string } }).cause?.code;
    const tlsProblem = code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_|ALTNAME/.test(code);
    throw new AuthlabError(
      'AUTHLAB_TOKEN_REQUEST_FAILED',
      `cannot reach the token endpoint ${tokenEndpoint}${code ? `: ${code}` : ''}`,
      {
        cause,
        hint: tlsProblem
          ? "The IdP's certificate is not trusted: give the lab's CA bundle (mlflow-authlab ca --path)."
          : 'Is the lab running? Start it with "mlflow-authlab up", or check "mlflow-authlab status".',
      },
    );
  }
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = {};
  }
  if (!response.ok || typeof body.access_token !== 'string') {
    const what = body.error
      ? `${String(body.error)}${body.error_description ? `: ${String(body.error_description)}` : ''}`
      : text.slice(0, 200);
    throw new AuthlabError(
      'AUTHLAB_TOKEN_REQUEST_FAILED',
      `token request failed (${response.status}): ${what}`,
      {
        hint:
          response.status === 401
            ? 'Check the user, password and client; the lab config lists them (passwords are <name>-password in the default lab).'
            : 'Check the grant, scope and client options against the lab config.',
      },
    );
  }
  return body as TokenResponse;
}

/** The token the vendor guide uses: the id_token of the password grant, the access_token of client_credentials. */
export function pickToken(response: TokenResponse, grant: TokenOptions['grant'] = 'password'): string {
  return grant === 'password' && typeof response.id_token === 'string'
    ? response.id_token
    : response.access_token;
}
