// An access token from the mlflow-oidc-auth plugin's own API, for `Basic user:<token>`
// (mlflow-oidc-auth.md §3.3): `PATCH /api/2.0/mlflow/users/access-token` with the user's bearer token, exactly as
// its UI's "create access token" button does. `lab.accessToken()` and `env --basic` both come through here, so
// they get what any client of the plugin gets, from the emulation or from the real plugin alike.
import { decodeJwt } from 'jose';
import { AuthlabError } from '../errors.js';

export interface AccessTokenOptions {
  /** When the token stops working, e.g. `2027-01-01T00:00:00Z` (the plugin's default: its previous expiry, or never). */
  expiration?: string;
  /** An admin may name another user (the plugin answers 403 to anyone else). */
  username?: string;
}

export interface AccessToken {
  /** The username to send with it (`MLFLOW_TRACKING_USERNAME`). */
  username: string;
  /** The token (`MLFLOW_TRACKING_PASSWORD`). */
  token: string;
}

export async function createAccessToken(
  trackingUri: string,
  bearer: string,
  o: AccessTokenOptions = {},
  fetch: typeof globalThis.fetch = globalThis.fetch,
): Promise<AccessToken> {
  // The plugin's username for a bearer token: `email`, else `preferred_username`, lower-cased (§3.2).
  const claims = decodeJwt(bearer);
  const whoami = String(claims.email ?? claims.preferred_username ?? '').toLowerCase();
  const body = {
    ...(o.username !== undefined && { username: o.username }),
    ...(o.expiration !== undefined && { expiration: o.expiration }),
  };
  const res = await fetch(`${trackingUri}/api/2.0/mlflow/users/access-token`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let answer: { token?: unknown } | undefined;
  try {
    answer = JSON.parse(text) as { token?: unknown };
  } catch {
    answer = undefined;
  }
  if (res.status !== 200 || typeof answer?.token !== 'string') {
    throw new AuthlabError(
      'AUTHLAB_ACCESS_TOKEN_REFUSED',
      `the plugin refused an access token for ${o.username ?? whoami}: ${res.status} ${text.slice(0, 300)}`,
      {
        hint:
          res.status === 404
            ? "The user has no row in the plugin's database: sign in once in a browser (/login), or keep oidcAuth.provisionUsers on."
            : res.status === 401
              ? 'The lab is not running the oidc-auth stack, or the bearer token was refused: start it with --auth oidc-auth.'
              : 'See the answer above; the expiration must be in the future and less than a year away.',
      },
    );
  }
  return { username: o.username ?? whoami, token: answer.token };
}
