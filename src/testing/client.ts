// The lab as a test worker sees it: URLs, tokens over the IdP's token endpoint, the SDK's environment, and the
// catalog's token fixtures, all over HTTP from the context the global setup provided.
import { readFileSync } from 'node:fs';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import { AuthlabError } from '../errors.js';
import { createAccessToken, type AccessToken, type AccessTokenOptions } from '../lab/access-token.js';
import { labEnv } from '../lab/env.js';
import { pickToken, requestToken, type TokenOptions } from '../lab/request-token.js';
import { fetchTrusting } from '../trusted-fetch.js';
import { CONTEXT_ENV, type LabContext } from './context.js';

export interface LabClient {
  readonly context: LabContext;
  /** A token as `lab.token()` gives it: the id_token of the password grant through mlflow-cli (default user alice). */
  token(options?: TokenOptions): Promise<string>;
  /**
   * The environment the stock MLflow SDK needs, for `user` (default alice). `basic: true` (oidc-auth stack): Basic
   * credentials with a new access token from the plugin's API instead of a bearer token.
   */
  env(options?: { user?: string; workspace?: string; basic?: boolean }): Promise<Record<string, string>>;
  /** oidc-auth stack: a new access token for `user` from the plugin's API (the previous one stops working). */
  accessToken(options?: { user?: string } & AccessTokenOptions): Promise<AccessToken>;
  /** Headers for a direct REST call: `Authorization: Bearer …` and the workspace. */
  headers(options?: { user?: string; workspace?: string }): Promise<Record<string, string>>;
  fixtures: {
    tokenWithTrailingNewline(user?: string): Promise<string>;
    wrongAudienceToken(user?: string): Promise<string>;
    /** A token whose exp has passed (a 1 s lifetime; resolves once it expired, about a second). */
    expiredToken(user?: string): Promise<string>;
    wrongIssuerToken(user?: string): Promise<string>;
  };
}

export function labClient(context: LabContext): LabClient {
  const fetch = fetchTrusting(
    context.caFile === undefined ? undefined : readFileSync(context.caFile, 'utf8'),
  );
  const token = async (options: TokenOptions = {}) => {
    const grant = options.grant ?? 'password';
    const clientId = options.client ?? (grant === 'password' ? 'mlflow-cli' : 'mlflow');
    const client = context.clients.find((c) => c.id === clientId);
    const name = options.user ?? 'alice';
    const user = context.users.find((u) => u.name === name || u.email === name);
    if (grant === 'password' && !user && options.password === undefined) {
      throw new AuthlabError('AUTHLAB_UNKNOWN_USER', `no user "${name}" in the lab`, {
        hint: `Use one of: ${context.users.map((u) => u.name).join(', ')}.`,
      });
    }
    return pickToken(
      await requestToken(
        context.tokenEndpoint,
        undefined,
        {
          ...options,
          user: user?.email ?? name,
          ...(grant === 'password' &&
            options.password === undefined &&
            user?.password !== undefined && { password: user.password }),
          ...(options.clientSecret === undefined &&
            client?.secret !== undefined && { clientSecret: client.secret }),
        },
        fetch,
      ),
      grant,
    );
  };
  const workspaceOf = (w?: string) => w ?? context.workspace;
  const accessToken = async ({ user, ...o }: { user?: string } & AccessTokenOptions = {}) => {
    if (context.auth !== 'oidc-auth')
      throw new AuthlabError('AUTHLAB_NOT_SUPPORTED', "access tokens are the mlflow-oidc-auth plugin's", {
        hint: 'Start the lab with auth: "oidc-auth" (mlflow-authlab.config.json: {"auth": "oidc-auth"}).',
      });
    return createAccessToken(context.trackingUri, await token({ user: user ?? 'alice' }), o, fetch);
  };
  return {
    context,
    token,
    accessToken,
    async env(o = {}) {
      const workspace = workspaceOf(o.workspace);
      const basic = o.basic ? await accessToken({ user: o.user ?? 'alice' }) : undefined;
      return labEnv({
        trackingUri: context.trackingUri,
        issuer: context.issuer,
        kubeApiUrl: context.kubeApiUrl,
        ...(basic
          ? { basic: { username: basic.username, password: basic.token } }
          : { token: await token({ user: o.user ?? 'alice' }) }),
        ...(workspace !== undefined && { workspace }),
        ...(context.caFile !== undefined && { caFile: context.caFile }),
      });
    },
    async headers(o = {}) {
      const workspace = workspaceOf(o.workspace);
      return {
        authorization: `Bearer ${await token({ user: o.user ?? 'alice' })}`,
        ...(workspace !== undefined && { 'x-mlflow-workspace': workspace }),
      };
    },
    fixtures: {
      tokenWithTrailingNewline: async (user) => `${await token({ ...(user && { user }) })}\n`,
      wrongAudienceToken: (user) => token({ ...(user && { user }), client: 'admin-cli' }),
      async expiredToken(user) {
        const t = await token({ ...(user && { user }), expiresIn: '1s' });
        const exp = decodeJwt(t).exp! * 1000;
        // The lab clock runs in the lab's process, with real time unless a test there moved it.
        while (Date.now() <= exp + 50)
          await new Promise((r) => setTimeout(r, Math.max(20, exp + 60 - Date.now())));
        return t;
      },
      async wrongIssuerToken(user) {
        const claims = decodeJwt(await token({ ...(user && { user }) }));
        const { privateKey } = await generateKeyPair('RS256');
        return new SignJWT({ ...claims, iss: 'https://other-issuer.invalid/dex' })
          .setProtectedHeader({ alg: 'RS256', kid: randomBytes(8).toString('hex') })
          .sign(privateKey);
      },
    },
  };
}

/** The lab the global setup started, from `process.env.AUTHLAB_CONTEXT` (jest workers, `exec` children). */
export function labFromEnv(env: NodeJS.ProcessEnv = process.env): LabClient {
  const raw = env[CONTEXT_ENV];
  if (!raw) {
    throw new AuthlabError(
      'AUTHLAB_LAB_NOT_RUNNING',
      `${CONTEXT_ENV} is not set: no lab was started for these tests`,
      {
        hint: 'Add the global setup: jest globalSetup "mlflow-authlab/jest/global-setup" (vitest: inject("authlab")).',
      },
    );
  }
  return labClient(JSON.parse(raw) as LabContext);
}
