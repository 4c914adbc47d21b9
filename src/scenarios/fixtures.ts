// Broken credentials for downstream tests, made on a running lab so they are signed and shaped like the real thing
// (the failure catalog's fixtures, DESIGN.md "Scenarios"). TLS faults: `createTlsFixture` in `mlflow-authlab/tls`.
import { generateKeyPair, SignJWT, decodeJwt } from 'jose';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { AuthlabError } from '../errors.js';
import type { StartedLab } from '../lab/start-lab.js';
import { sessionSetCookies } from '../proxy/session/cookie-chunks.js';
import { sealSession } from '../proxy/session/cookie-codec.js';

export interface LabFixtures {
  /** A valid token for `user` (default alice) with a newline after it, as `echo` or an editor leaves it. */
  tokenWithTrailingNewline(user?: string): Promise<string>;
  /** That token written to `file`; returns the path. */
  tokenFileWithTrailingNewline(file: string, user?: string): Promise<string>;
  /** A token minted through admin-cli: valid, but for an audience the proxy does not accept. */
  wrongAudienceToken(user?: string): Promise<string>;
  /** A token of the lab's IdP whose `exp` has passed (minted with a 1 s lifetime; resolves once it expired). */
  expiredToken(user?: string): Promise<string>;
  /** The lab's token claims, signed by another key and issued by another issuer (`https://other-issuer.invalid/dex`). */
  wrongIssuerToken(user?: string): Promise<string>;
  /**
   * A `Cookie` header with a real `_oauth2_proxy` session for `user`, sealed with the lab proxy's secret:
   * `valid`; `expired` (issued longer ago than cookie-expire); `tampered` (a changed signature);
   * `first-chunk-only` (a session split in two chunks, only `_oauth2_proxy_0` sent).
   */
  sessionCookie(kind: 'valid' | 'expired' | 'tampered' | 'first-chunk-only', user?: string): Promise<string>;
}

const COOKIE_ATTRIBUTES = { path: '/', maxAge: 0, httpOnly: true, secure: false, sameSite: '' as const };

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
      const exp = decodeJwt(t).exp! * 1000;
      // The lab clock moves with real time unless a test advanced it; wait until exp is past on it.
      while (lab.clock.now() <= exp)
        await new Promise((r) => setTimeout(r, Math.max(20, exp - lab.clock.now() + 5)));
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
      const secret = lab.proxy?.options.cookieSecret;
      if (!lab.proxy || secret === undefined) {
        throw new AuthlabError('AUTHLAB_NOT_SUPPORTED', 'this lab has no proxy, so no session cookie', {
          hint: 'Start the lab with an MLflow backend (the proxy fronts it).',
        });
      }
      const name = lab.proxy.options.cookieName;
      const account = lab.config.users.find((u) => u.name === user || u.email === user);
      if (!account) {
        throw new AuthlabError('AUTHLAB_UNKNOWN_USER', `no user "${user}" in the lab config`, {
          hint: `Use one of ${lab.config.users.map((u) => u.name).join(', ')}.`,
        });
      }
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
  };
}
