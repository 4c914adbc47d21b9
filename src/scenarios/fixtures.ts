// Broken credentials for downstream tests, made on a running lab so they are signed and shaped like the real thing
// (the failure catalog's fixtures, DESIGN.md "Scenarios"). TLS faults: `createTlsFixture` in `mlflow-authlab/tls`.
// Most work with either stack; the session cookie is the stack's own (oauth2-proxy's `_oauth2_proxy`, the
// mlflow-oidc-auth plugin's `session`), and access tokens exist on the oidc-auth stack only.
import { generateKeyPair, SignJWT, decodeJwt } from 'jose';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { ResolvedLabConfig } from '../config/resolve.js';
import { AuthlabError } from '../errors.js';
import type { AccessToken } from '../lab/access-token.js';
import type { StartedLab } from '../lab/start-lab.js';
import { createRbacAuthorizer } from '../kube/rbac.js';
import { WORKSPACE_PERMISSION_RESOURCE_PRIORITY } from '../mlflow/auth/kubernetes/rules.js';
import { sealSessionCookie } from '../mlflow/auth/oidc/session-cookie.js';
import { sessionSetCookies } from '../proxy/session/cookie-chunks.js';
import { sealSession } from '../proxy/session/cookie-codec.js';

export interface LabFixtures {
  /** A valid token for `user` (default alice) with a newline after it, as `echo` or an editor leaves it. */
  tokenWithTrailingNewline(user?: string): Promise<string>;
  /** That token written to `file`; returns the path. */
  tokenFileWithTrailingNewline(file: string, user?: string): Promise<string>;
  /**
   * A token minted through admin-cli: valid, but for an audience the proxy does not accept. The oidc-auth stack
   * refuses it only when OIDC_AUDIENCE is set (without it the plugin checks no audience at all).
   */
  wrongAudienceToken(user?: string): Promise<string>;
  /** A token of the lab's IdP whose `exp` has passed (minted with a 1 s lifetime; resolves once it expired). */
  expiredToken(user?: string): Promise<string>;
  /** The lab's token claims, signed by another key and issued by another issuer (`https://other-issuer.invalid/dex`). */
  wrongIssuerToken(user?: string): Promise<string>;
  /**
   * A `Cookie` header with a real session for `user`. kubernetes-auth: `_oauth2_proxy`, sealed with the lab proxy's
   * secret: `valid`; `expired` (issued longer ago than cookie-expire); `tampered` (a changed signature);
   * `first-chunk-only` (a session split in two chunks, only `_oauth2_proxy_0` sent). oidc-auth: the plugin's
   * `session` (SESSION_COOKIE_NAME), signed with its SECRET_KEY: `valid`; `expired` (its `expires_at` passed, as when
   * the login's token expired); `tampered` (a changed signature); the plugin's cookie is never split, so
   * `first-chunk-only` is AUTHLAB_NOT_SUPPORTED.
   */
  sessionCookie(kind: 'valid' | 'expired' | 'tampered' | 'first-chunk-only', user?: string): Promise<string>;
  /**
   * oidc-auth: an access token that worked, then was replaced by a newer one for the same user (the plugin keeps one
   * per user, §3.3): Basic credentials it refuses with 401. The user's newer token is not returned.
   */
  replacedAccessToken(user?: string): Promise<AccessToken>;
  /**
   * oidc-auth: an access token whose expiration has passed (created to expire a second later; resolves once it has,
   * by the lab clock): Basic credentials the plugin refuses with 401, and users/current shows the past expiry.
   */
  expiredAccessToken(user?: string): Promise<AccessToken>;
  /**
   * A config user (the first with a password) in none of the groups the stack lets in, with her login (the e-mail,
   * as the IdP's login form and password grant take it), her password and a fresh bearer token: the "not in the
   * group" failure without editing the lab. kubernetes-auth: the RBAC binds none of her groups (nor her) to a role on
   * MLflow's resources in any workspace, as kube-apiserver sees her (the `not-in-group` scenario's mallory): the gate
   * refuses her writes with 403 PERMISSION_DENIED, and filters her searches to nothing. oidc-auth: none of her
   * groups is in OIDC_GROUP_NAME or OIDC_ADMIN_GROUP_NAME: the plugin refuses her browser login
   * (`/oidc/ui/auth?error=User+is+not+allowed+to+login`) yet takes her bearer token, since it gates only the login on
   * groups (mlflow-oidc-auth.md §3.1, §3.2); what she may then do is DEFAULT_MLFLOW_PERMISSION's (MANAGE by
   * default). AUTHLAB_NOT_SUPPORTED when the config has no such user.
   */
  userInNoGroup(): Promise<{ username: string; password: string; token: string }>;
  /**
   * oidc-auth: the request an OTel collector's OTLP/HTTP exporter posts, for `fetch(url, init)`: `POST <tracking
   * URI>/v1/traces`, `application/x-protobuf`, an empty ExportTraceServiceRequest, `X-Mlflow-Experiment-Id` when
   * given, and `user`'s (default alice) bearer token unless `credentials: 'none'` (a collector without its oauth2
   * extension). Since 7.0.0 the plugin guards that route: without kagenti's patch it answers 401
   * `{"detail":"Authentication required"}` without credentials, and 403 text/plain `Permission denied` without the
   * header or without EDIT (or MANAGE) on that experiment (mlflow-oidc-auth.md §4.6, §5).
   */
  otlpTracesRequest(o?: {
    experimentId?: string;
    user?: string;
    credentials?: 'bearer' | 'none';
  }): Promise<{ url: string; init: RequestInit }>;
}

type LabUser = ResolvedLabConfig['users'][number];

const COOKIE_ATTRIBUTES = { path: '/', maxAge: 0, httpOnly: true, secure: false, sameSite: '' as const };

/** Waits, in real time, until the lab clock is past `ms` (it moves with real time unless a test advanced it). */
async function until(lab: StartedLab, ms: number): Promise<void> {
  while (lab.clock.now() <= ms)
    await new Promise((r) => setTimeout(r, Math.max(20, ms - lab.clock.now() + 5)));
}

function accountOf(lab: StartedLab, user: string) {
  const account = lab.config.users.find((u) => u.name === user || u.email === user);
  if (!account) {
    throw new AuthlabError('AUTHLAB_UNKNOWN_USER', `no user "${user}" in the lab config`, {
      hint: `Use one of ${lab.config.users.map((u) => u.name).join(', ')}.`,
    });
  }
  return account;
}

/** Access tokens and /v1/traces are the mlflow-oidc-auth plugin's: on the other stack, say so before asking anything. */
function needsOidcAuth(lab: StartedLab, fixture: string, what = 'its access tokens'): void {
  if (lab.auth !== 'oidc-auth' || !lab.oidcAuth)
    throw new AuthlabError('AUTHLAB_NOT_SUPPORTED', `${fixture}() needs the oidc-auth stack (${what})`, {
      hint: 'Start the lab with startLab({ auth: "oidc-auth" }); the kubernetes-auth stack takes bearer tokens only.',
    });
}

/**
 * Whom the stack lets in, for userInNoGroup(). oidc-auth: a user with a group in OIDC_GROUP_NAME or
 * OIDC_ADMIN_GROUP_NAME, compared exactly (mlflow-oidc-auth.md §3.1). kubernetes-auth: one the lab's RBAC lets, as
 * kube-apiserver takes her token (e-mail, groups, system:authenticated: what `can-i` evaluates), any verb on a
 * resource the gate checks for workspace access, in some workspace or cluster-wide.
 */
function letsIn(lab: StartedLab): { test: (user: LabUser) => boolean; outside: string } {
  if (lab.auth === 'oidc-auth') {
    const plugin = lab.oidcAuth;
    if (!plugin)
      throw new AuthlabError(
        'AUTHLAB_NOT_SUPPORTED',
        'this lab runs no mlflow-oidc-auth front door, so no group gate',
        {
          hint: 'Start the lab with auth: "oidc-auth" and an MLflow backend.',
        },
      );
    const groups = [...plugin.settings.OIDC_GROUP_NAME, ...plugin.settings.OIDC_ADMIN_GROUP_NAME];
    return {
      test: (u) => u.groups.some((g) => groups.includes(g)),
      outside: `in none of OIDC_GROUP_NAME or OIDC_ADMIN_GROUP_NAME (${groups.join(', ') || 'none set'})`,
    };
  }
  const rbac = createRbacAuthorizer(lab.config.rbac);
  const namespaces = [...lab.config.workspaces.items.map((w) => w.name), undefined];
  const verbs = ['get', 'list', 'create', 'update', 'delete'] as const;
  return {
    test: (u) => {
      const user = { username: u.email, groups: [...u.groups, 'system:authenticated'] };
      return namespaces.some((namespace) =>
        WORKSPACE_PERMISSION_RESOURCE_PRIORITY.some((resource) =>
          verbs.some(
            (verb) =>
              rbac.authorize(user, {
                resource: { group: 'mlflow.kubeflow.org', resource, verb, ...(namespace && { namespace }) },
              }).allowed,
          ),
        ),
      );
    },
    outside: 'in no group the RBAC binds to a role on mlflow.kubeflow.org in any workspace',
  };
}

export function labFixtures(lab: StartedLab): LabFixtures {
  const token = (user = 'alice') => lab.token({ user });
  return {
    tokenWithTrailingNewline: async (user) => `${await token(user)}\n`,
    async tokenFileWithTrailingNewline(file, user) {
      await writeFile(file, `${await token(user)}\n`, { mode: 0o600 });
      return file;
    },
    wrongAudienceToken: (user = 'alice') => lab.token({ user, client: 'admin-cli' }),
    async expiredToken(user = 'alice') {
      const t = await lab.token({ user, expiresIn: '1s' });
      await until(lab, decodeJwt(t).exp! * 1000);
      return t;
    },
    async wrongIssuerToken(user = 'alice') {
      const claims = decodeJwt(await token(user));
      const { privateKey } = await generateKeyPair('RS256');
      return new SignJWT({ ...claims, iss: 'https://other-issuer.invalid/dex' })
        .setProtectedHeader({ alg: 'RS256', kid: randomBytes(8).toString('hex') })
        .sign(privateKey);
    },
    async sessionCookie(kind, user = 'alice') {
      if (lab.auth === 'oidc-auth') return pluginSessionCookie(lab, kind, user);
      const secret = lab.proxy?.options.cookieSecret;
      if (!lab.proxy || secret === undefined) {
        throw new AuthlabError('AUTHLAB_NOT_SUPPORTED', 'this lab has no proxy, so no session cookie', {
          hint: 'Start the lab with an MLflow backend (the proxy fronts it).',
        });
      }
      const name = lab.proxy.options.cookieName;
      const account = accountOf(lab, user);
      const t = await token(account.name);
      const seal = () =>
        sealSession(
          {
            accessToken: t,
            idToken: t,
            email: account.email,
            user: account.email,
            groups: account.groups,
            // A long refresh token makes the cookie split into chunks, as large sessions do.
            ...(kind === 'first-chunk-only' && { refreshToken: randomBytes(3000).toString('base64url') }),
          },
          // `expired`: issued a cookie-expire (plus a minute) ago, by the lab clock.
          {
            secret,
            name,
            now: lab.clock.now() - (kind === 'expired' ? lab.proxy!.options.cookieExpireMs + 60_000 : 0),
          },
        );
      let value = seal();
      if (kind === 'tampered') value = `${value.slice(0, -4)}${value.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
      const { headers } = sessionSetCookies(name, value, COOKIE_ATTRIBUTES);
      const pairs = headers.map((h) => h.split(';')[0]!);
      return kind === 'first-chunk-only' ? pairs[0]! : pairs.join('; ');
    },
    async userInNoGroup() {
      const { test, outside } = letsIn(lab);
      const user = lab.config.users.find((u) => u.password !== undefined && !test(u));
      if (!user)
        throw new AuthlabError(
          'AUTHLAB_NOT_SUPPORTED',
          `no user with a password in the lab config is ${outside}`,
          {
            hint: "Add a user with a password and none of those groups to the config's users (the default lab's mallory has groups: []).",
          },
        );
      return { username: user.email, password: user.password!, token: await token(user.name) };
    },
    async otlpTracesRequest(o = {}) {
      needsOidcAuth(lab, 'otlpTracesRequest', "the plugin's /v1/traces route");
      const headers: Record<string, string> = { 'content-type': 'application/x-protobuf' };
      if (o.experimentId !== undefined) headers['x-mlflow-experiment-id'] = o.experimentId;
      if (o.credentials !== 'none') headers.authorization = `Bearer ${await token(o.user)}`;
      return {
        url: `${lab.trackingUri}/v1/traces`,
        // An ExportTraceServiceRequest with no spans: the empty protobuf message.
        init: { method: 'POST', headers, body: new Uint8Array(0) },
      };
    },
    async replacedAccessToken(user = 'alice') {
      needsOidcAuth(lab, 'replacedAccessToken');
      const first = await lab.accessToken({ user });
      await lab.accessToken({ user });
      return first;
    },
    async expiredAccessToken(user = 'alice') {
      needsOidcAuth(lab, 'expiredAccessToken');
      // A second ahead: the plugin takes only a future expiration (§3.3 T4).
      const expiresAt = lab.clock.now() + 1000;
      const minted = await lab.accessToken({ user, expiration: new Date(expiresAt).toISOString() });
      await until(lab, expiresAt);
      return minted;
    },
  };
}

/**
 * The plugin's `session` cookie as its /callback leaves it after a login (mlflow-oidc-auth.md §3.1): the username,
 * `authenticated`, and `expires_at` from the login's token, signed like Starlette's SessionMiddleware does.
 */
async function pluginSessionCookie(
  lab: StartedLab,
  kind: 'valid' | 'expired' | 'tampered' | 'first-chunk-only',
  user: string,
): Promise<string> {
  const plugin = lab.oidcAuth;
  if (kind === 'first-chunk-only' || !plugin) {
    throw new AuthlabError(
      'AUTHLAB_NOT_SUPPORTED',
      kind === 'first-chunk-only'
        ? "the mlflow-oidc-auth plugin's session cookie is never split into chunks"
        : 'this lab runs no mlflow-oidc-auth front door, so no session cookie',
      {
        hint:
          kind === 'first-chunk-only'
            ? 'Use first-chunk-only on the kubernetes-auth stack (oauth2-proxy splits its cookie); here: valid, expired or tampered.'
            : 'Start the lab with auth: "oidc-auth" and an MLflow backend.',
      },
    );
  }
  const account = accountOf(lab, user);
  const now = lab.clock.now();
  const seconds = Math.floor(now / 1000);
  // `expired`: the login's token ran out a minute ago; the plugin ends such a session (and clears the cookie).
  const expiresAt =
    kind === 'expired' ? seconds - 60 : seconds + Math.floor(lab.config.idp.expiry.accessTokens / 1000);
  const value = sealSessionCookie(
    { username: account.email.toLowerCase(), authenticated: true, expires_at: expiresAt },
    plugin.secretKey,
    now,
  );
  // A character inside the HMAC (not its last one, whose low bits base64 decoding may ignore).
  const at = value.lastIndexOf('.') + 5;
  const signed =
    kind === 'tampered'
      ? `${value.slice(0, at)}${value[at] === 'A' ? 'B' : 'A'}${value.slice(at + 1)}`
      : value;
  return `${plugin.settings.SESSION_COOKIE_NAME}=${signed}`;
}
