// The failure catalog (DESIGN.md "Scenarios"): every entry reproduces its symptom against a throwaway lab with a
// real client, then applies its fix and checks that the same call works. The kubernetes-auth stack's entries are
// here; each other stack's come from their own module, joined into SCENARIOS tagged with their stack.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { requestToken } from '../lab/request-token.js';
import { sealSession } from '../proxy/session/cookie-codec.js';
import { sessionSetCookies } from '../proxy/session/cookie-chunks.js';
import {
  answerLine,
  API,
  defaultLabConfig,
  nodeRequest,
  pythonSays,
  requestError,
  searchAs,
  SEARCH,
  withLab,
  type LabRun,
} from './support.js';
import { OIDC_AUTH_SCENARIOS } from './oidc-auth.js';
import type { Scenario } from './types.js';

const COOKIE = '_oauth2_proxy';
const COOKIE_ATTRIBUTES = { path: '/', maxAge: 0, httpOnly: true, secure: false, sameSite: '' as const };

/** `name=value` pairs of Set-Cookie headers, for a Cookie request header. */
const cookiePairs = (headers: string[]) => headers.map((h) => h.split(';')[0]!);

/** A signed, encrypted `_oauth2_proxy` session for alice, sealed with the lab proxy's cookie secret. */
async function aliceSession(run: LabRun, secret: string, padding = 0): Promise<string> {
  const token = await run.lab.token({ user: 'alice' });
  return sealSession(
    {
      accessToken: token,
      idToken: token,
      email: 'alice@example.com',
      user: 'alice@example.com',
      groups: ['team-a-editors'],
      // A refresh token as long as a real one can get: it makes the session cookie split into chunks.
      ...(padding > 0 && { refreshToken: randomBytes(padding).toString('base64url') }),
    },
    { secret, now: run.lab.clock.now(), name: COOKIE },
  );
}

/** A lab whose proxy cookie secret is known, so the scenario can make real session cookies. */
function cookieLab<T>(fn: (run: LabRun, secret: string) => Promise<T>): Promise<T> {
  const secret = randomBytes(32).toString('base64url');
  return withLab({ env: { OAUTH2_PROXY_COOKIE_SECRET: secret } }, (run) => fn(run, secret));
}

const ok = (a: { status: number }) => a.status === 200;

/** A JWT in a message shown as its first 8 characters: the catalog never prints a whole token. */
const redactTokens = (text: string) => text.replace(/(ey[\w-]{6})[\w-]*\.[\w-]+\.[\w-]+/g, '$1…');

/** oauth2-proxy in front of MLflow with the kubernetes-auth plugin's rules: the lab's default stack. */
const KUBERNETES_AUTH_SCENARIOS: Array<Omit<Scenario, 'stack'>> = [
  {
    id: 'trailing-newline-token',
    title: 'A token with a trailing newline',
    symptom:
      'Node http: ERR_INVALID_CHAR "Invalid character in header content [\\"authorization\\"]"; Python requests >= 2.32: InvalidHeader "Invalid leading whitespace, reserved character(s), or return character(s) in header value"; fetch strips the newline and works',
    cause:
      'The token was read from a file or `echo` output that ends with a newline, and the newline went into the Authorization header.',
    fix: "Strip it: MLFLOW_TRACKING_TOKEN=$(tr -d '\\n' < token.txt), or write the file with printf '%s'.",
    client:
      'Node http (the header is refused before anything is sent); fetch for the "works anyway" contrast',
    source: 'DESIGN.md failure catalog; Node http validateHeaderValue; requests 2.32 check_header_validity',
    byHand: [
      'printf \'%s\\n\' "$(npx mlflow-authlab token)" > token.txt',
      "node -e \"require('http').get('http://127.0.0.1:4180/ping', {headers: {authorization: 'Bearer ' + require('fs').readFileSync('token.txt', 'utf8')}})\"",
    ],
    run: () =>
      withLab({}, async ({ lab }) => {
        const token = await lab.token({ user: 'alice' });
        const observed = (await requestError(searchAs(lab, `${token}\n`))) ?? 'no error';
        const viaFetch = await fetch(`${lab.trackingUri}${SEARCH}`, {
          headers: { authorization: `Bearer ${token}\n`, accept: 'application/json' },
        });
        const after = await searchAs(lab, `${token}\n`.trim());
        const py = await pythonSays(`${lab.trackingUri}${SEARCH}`, {
          headers: { authorization: `Bearer ${token}\n` },
        });
        return {
          observed: `${observed} (fetch with the same header: ${viaFetch.status}, it strips the newline)${py ? `; Python requests: ${redactTokens(py)}` : ''}`,
          reproduced: observed.startsWith(
            'ERR_INVALID_CHAR: Invalid character in header content ["authorization"]',
          ),
          afterFix: answerLine(after),
          fixed: ok(after),
        };
      }),
  },
  {
    id: 'wrong-audience',
    title: 'A token minted for a client the proxy does not accept',
    symptom:
      'proxy log: "audience from claim aud with value [admin-cli] does not match with any of allowed audiences"; the client gets 401 {} (JSON) or the 403 sign-in page',
    cause:
      "The token's `aud` is a client the proxy does not list in --client-id / --oidc-extra-audience (here admin-cli).",
    fix: 'Mint the token through a client the proxy accepts (mlflow-cli), or add the client to proxy.oidc-extra-audience.',
    client: 'Node http as an API client (Accept: application/json)',
    source: 'oauth2-proxy-and-dex.md §A3 (go-oidc audience check)',
    byHand: [
      'curl -si -H "Authorization: Bearer $(npx mlflow-authlab token --client admin-cli)" -H "Accept: application/json" http://127.0.0.1:4180/api/2.0/mlflow/experiments/search',
    ],
    run: () =>
      withLab({}, async (run) => {
        const bad = await searchAs(run.lab, await run.lab.token({ user: 'alice', client: 'admin-cli' }));
        const line = run.logLine('audience from claim aud with value [admin-cli] does not match');
        const after = await searchAs(run.lab, await run.lab.token({ user: 'alice' }));
        return {
          observed: `${answerLine(bad)}; proxy log: ${line ?? '(no audience line)'}`,
          reproduced: bad.status === 401 && line !== undefined,
          afterFix: answerLine(after),
          fixed: ok(after),
        };
      }),
  },
  {
    id: 'expired-token',
    title: 'An expired token',
    symptom:
      'proxy log: "oidc: token is expired (Token Expiry: …)"; the client gets 401 {} or the sign-in page',
    cause: "The ID token's exp has passed (Dex: 24h); CI jobs that cache a token hit it on long runs.",
    fix: 'Mint a new token (npx mlflow-authlab token), or refresh it with the refresh token before it expires.',
    client: 'Node http as an API client; the lab clock advanced 25h',
    source: 'oauth2-proxy-and-dex.md §A3 (go-oidc expiry check)',
    byHand: [
      'Start the lab, keep a token for 24h (or use lab.clock.advance("25h") in the library), then call the proxy.',
    ],
    run: () =>
      withLab({}, async (run) => {
        const token = await run.lab.token({ user: 'alice' });
        run.lab.clock.advance('25h');
        const bad = await searchAs(run.lab, token);
        const line = run.logLine('oidc: token is expired (Token Expiry: ');
        const after = await searchAs(run.lab, await run.lab.token({ user: 'alice' }));
        return {
          observed: `${answerLine(bad)}; proxy log: ${line ?? '(no expiry line)'}`,
          reproduced: bad.status === 401 && line !== undefined,
          afterFix: answerLine(after),
          fixed: ok(after),
        };
      }),
  },
  {
    id: 'expired-cookie',
    title: 'A session cookie older than cookie-expire',
    symptom:
      'proxy log: "Error loading cookied session: cookie signature not valid, removing session"; the cookie is cleared and the browser sent to sign in',
    cause: 'The `_oauth2_proxy` cookie was issued longer ago than --cookie-expire (168h by default).',
    fix: 'Sign in again (or set a longer cookie-expire / a cookie-refresh so sessions renew).',
    client: 'Node http with a real, sealed `_oauth2_proxy` cookie; the lab clock advanced 169h',
    source: 'oauth2-proxy-and-dex.md §A1 (failure matrix for a presented session cookie)',
    byHand: ['Sign in at http://127.0.0.1:4180/ in a browser, wait 7 days (or advance lab.clock), reload.'],
    run: () =>
      cookieLab(async (run, secret) => {
        const value = await aliceSession(run, secret);
        run.lab.clock.advance('169h');
        const cookie = `${COOKIE}=${value}`;
        const bad = await searchAs(run.lab, undefined, { cookie });
        const line = run.logLine(
          'Error loading cookied session: cookie signature not valid, removing session',
        );
        const fresh = await aliceSession(run, secret);
        const after = await searchAs(run.lab, undefined, { cookie: `${COOKIE}=${fresh}` });
        return {
          observed: `${answerLine(bad)}; proxy log: ${line ?? '(no cookie line)'}`,
          reproduced: bad.status === 401 && line !== undefined,
          afterFix: answerLine(after),
          fixed: ok(after),
        };
      }),
  },
  {
    id: 'missing-cookie-chunk',
    title: 'Only the first chunk of a split session cookie',
    symptom: 'the session is rejected: proxy log "Error loading cookied session: …", 401 / sign-in page',
    cause:
      'Sessions over 4 KB are split into `_oauth2_proxy_0`, `_oauth2_proxy_1`…; a client or gateway that forwards only some of them breaks the session.',
    fix: 'Forward every `_oauth2_proxy_N` cookie (check cookie size limits and path/domain on the gateway), or use a session store (redis) to keep cookies small.',
    client: 'Node http with real chunked cookies, one of them left out',
    source: 'oauth2-proxy-and-dex.md §A1 (splitCookie, joining chunks)',
    byHand: [
      'Sign in with a user that has many groups, then drop `_oauth2_proxy_1` from the browser and reload.',
    ],
    run: () =>
      cookieLab(async (run, secret) => {
        const value = await aliceSession(run, secret, 3000);
        const { headers, split } = sessionSetCookies(COOKIE, value, COOKIE_ATTRIBUTES);
        const pairs = cookiePairs(headers);
        const bad = await searchAs(run.lab, undefined, { cookie: pairs[0]! });
        const line = run.logLine('Error loading cookied session');
        const after = await searchAs(run.lab, undefined, { cookie: pairs.join('; ') });
        return {
          observed: `${pairs.length} chunks, only ${pairs[0]!.split('=')[0]} sent: ${answerLine(bad)}; proxy log: ${line ?? '(none)'}`,
          reproduced: split && bad.status === 401 && line !== undefined,
          afterFix: answerLine(after),
          fixed: ok(after),
        };
      }),
  },
  {
    id: 'untrusted-tls',
    title: 'A tracking server signed by a private CA the client does not trust',
    symptom:
      'Python: SSLCertVerificationError "certificate verify failed: self-signed certificate in certificate chain"; Node: SELF_SIGNED_CERT_IN_CHAIN; curl: (60) SSL certificate problem: self-signed certificate in certificate chain',
    cause:
      "The route's certificate chains to the platform's private CA, which is not in the client's trust store.",
    fix: 'MLFLOW_TRACKING_SERVER_CERT_PATH=<ca bundle> (or REQUESTS_CA_BUNDLE/SSL_CERT_FILE); MLFLOW_TRACKING_INSECURE_TLS=true only for a quick test, never both (the client refuses).',
    client: 'Node https without and with the CA bundle; Python requests where installed',
    source: 'DESIGN.md failure catalog; README "TLS" (measured texts)',
    byHand: [
      'npx mlflow-authlab up --tls',
      'curl https://127.0.0.1:4180/ping',
      'curl --cacert "$(npx mlflow-authlab ca --path)" https://127.0.0.1:4180/ping',
    ],
    run: () =>
      withLab({ tls: true }, async ({ lab }) => {
        const node = (await requestError(nodeRequest(`${lab.trackingUri}/ping`))) ?? 'no error';
        const py = await pythonSays(`${lab.trackingUri}/ping`);
        const observed = `${node}${py ? `; Python requests: ${py}` : ''}`;
        const ca = await readFile(lab.tls!.caFile, 'utf8');
        const after = await nodeRequest(`${lab.trackingUri}/ping`, { ca });
        return {
          observed,
          reproduced: observed.startsWith('SELF_SIGNED_CERT_IN_CHAIN'),
          afterFix: answerLine(after),
          fixed: ok(after),
        };
      }),
  },
  {
    id: 'incomplete-ca-chain',
    title: 'The server omits its intermediate and the bundle holds only the root',
    symptom:
      'Python: "certificate verify failed: unable to get local issuer certificate" (CERTIFICATE_VERIFY_FAILED); Node: UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    cause:
      'The server presents only its leaf, and the client bundle has the root but not the intermediate that signed the leaf.',
    fix: 'Bundle root and intermediate in one file and point SSL_CERT_FILE and REQUESTS_CA_BUNDLE at it (or fix the server to send its chain).',
    client:
      'Node https with the root-only bundle, then with root + intermediate; Python requests where installed',
    source: 'DESIGN.md failure catalog; README "TLS" (measured texts)',
    byHand: [
      'npx mlflow-authlab up --tls-fault leaf-only --tls-fault root-only-bundle',
      'curl --cacert "$(npx mlflow-authlab ca --path)" https://127.0.0.1:4180/ping',
    ],
    run: () =>
      withLab({ tls: { faults: ['leaf-only', 'root-only-bundle'] } }, async ({ lab }) => {
        const rootOnly = await readFile(lab.tls!.caFile, 'utf8');
        const node =
          (await requestError(nodeRequest(`${lab.trackingUri}/ping`, { ca: rootOnly }))) ?? 'no error';
        const py = await pythonSays(`${lab.trackingUri}/ping`, { verify: lab.tls!.caFile });
        const observed = `${node}${py ? `; Python requests: ${py}` : ''}`;
        const after = await nodeRequest(`${lab.trackingUri}/ping`, { ca: lab.tls!.trustPem });
        return {
          observed,
          reproduced: observed.startsWith('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
          afterFix: answerLine(after),
          fixed: ok(after),
        };
      }),
  },
  {
    id: 'wrong-issuer',
    title: 'A token from another issuer than the one the proxy trusts',
    symptom:
      'proxy log: "oidc: id token issued by a different provider, expected \\"<proxy issuer>\\" got \\"<token iss>\\""; 401 / sign-in page',
    cause:
      'The token was minted through a different issuer URL (an internal service URL, another realm or IdP) than --oidc-issuer-url.',
    fix: 'Mint tokens through the exact issuer the proxy is configured with (scheme, host, port, path, trailing slash), or add it to extra-jwt-issuers.',
    client: 'Node http; the token comes from a second lab with its own IdP',
    source: 'oauth2-proxy-and-dex.md §A3 (go-oidc issuer check)',
    byHand: [
      "Start two labs (AUTHLAB_HOME=a and b, --idp-port 0), mint a token in one and call the other's proxy.",
    ],
    run: () =>
      withLab({}, async (run) => {
        const foreign = await withLab({}, ({ lab }) => lab.token({ user: 'alice' }));
        const bad = await searchAs(run.lab, foreign);
        const line = run.logLine('oidc: id token issued by a different provider, expected');
        const after = await searchAs(run.lab, await run.lab.token({ user: 'alice' }));
        return {
          observed: `${answerLine(bad)}; proxy log: ${line ?? '(no issuer line)'}`,
          reproduced: bad.status === 401 && line !== undefined,
          afterFix: answerLine(after),
          fixed: ok(after),
        };
      }),
  },
  {
    id: 'password-grant-not-allowed',
    title: 'The password grant through a client that may not use it',
    symptom:
      'Dex: 400 {"error":"invalid_grant","error_description":"Connector not allowed for this client."} from the token endpoint (Dex never answers unauthorized_client for the password grant)',
    cause: 'The client (here oauth2-proxy, a browser client) is not allowed the password grant.',
    fix: 'Use a client that has the password grant (mlflow-cli), or enable it for the client (Dex: staticClients[].grantTypes / passwordConnector).',
    client: 'fetch against the token endpoint',
    source: 'oauth2-proxy-and-dex.md (Dex token endpoint errors)',
    byHand: ['npx mlflow-authlab token --client oauth2-proxy'],
    run: () =>
      withLab({}, async ({ lab }) => {
        const bad = await requestToken(lab.tokenEndpoint, lab.config, {
          user: 'alice',
          client: 'oauth2-proxy',
        }).then(
          () => 'a token',
          (e: Error) => e.message,
        );
        const after = await lab.token({ user: 'alice', client: 'mlflow-cli' }).then(
          (t) => `a token (${t.slice(0, 8)}…)`,
          (e: Error) => e.message,
        );
        return {
          observed: bad,
          reproduced: bad.endsWith('(400): invalid_grant: Connector not allowed for this client.'),
          afterFix: after,
          fixed: after.startsWith('a token'),
        };
      }),
  },
  {
    id: 'bearer-not-accepted',
    title: 'A proxy that ignores bearer tokens',
    symptom:
      'a valid token still gets the 403 sign-in page (HTML) or 401 {}: the proxy only looks at cookies',
    cause: 'oauth2-proxy runs without --skip-jwt-bearer-tokens, so Authorization: Bearer is not a session.',
    fix: 'Set skip-jwt-bearer-tokens: true (OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS=true) and list the token audiences in oidc-extra-audience.',
    client: 'Node http with a valid token',
    source: 'oauth2-proxy-and-dex.md §A3',
    byHand: [
      'OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS=false npx mlflow-authlab up',
      'curl -si -H "Authorization: Bearer $(npx mlflow-authlab token)" http://127.0.0.1:4180/api/2.0/mlflow/experiments/search',
    ],
    run: async () => {
      const bad = await withLab({ env: { OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS: 'false' } }, async ({ lab }) =>
        nodeRequest(`${lab.trackingUri}${SEARCH}`, {
          headers: { authorization: `Bearer ${await lab.token({ user: 'alice' })}` },
        }),
      );
      const after = await withLab({}, async ({ lab }) => searchAs(lab, await lab.token({ user: 'alice' })));
      return {
        observed: answerLine(bad),
        reproduced:
          bad.status === 403 && bad.contentType.startsWith('text/html') && bad.body.includes('Sign in'),
        afterFix: answerLine(after),
        fixed: ok(after),
      };
    },
  },
  {
    id: 'workspace-forbidden',
    title: 'Writing to a workspace the user has no role in',
    symptom:
      '403 {"error":{"code":"PERMISSION_DENIED","message":"Permission denied for requested operation."}}',
    cause:
      "The SelfSubjectAccessReview for the user's token in the workspace's namespace says no (bob only views team-b).",
    fix: 'Bind the user (or a group in the token) to a role that allows it in that namespace; `npx mlflow-authlab can-i --user bob create experiments -n team-a` explains.',
    client: 'Node http as bob, then as alice (who edits team-a)',
    source: 'kubernetes-auth-observed.md §2',
    byHand: [
      'curl -s -X POST -H "Authorization: Bearer $(npx mlflow-authlab token --user bob)" -H "X-MLFLOW-WORKSPACE: team-a" -H "Content-Type: application/json" -d \'{"name":"x"}\' http://127.0.0.1:4180/api/2.0/mlflow/experiments/create',
    ],
    run: () =>
      withLab({}, async ({ lab }) => {
        const create = async (user: string) =>
          nodeRequest(`${lab.trackingUri}${API}/experiments/create`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${await lab.token({ user })}`,
              'content-type': 'application/json',
              'x-mlflow-workspace': 'team-a',
            },
            body: JSON.stringify({ name: `scenario-${randomBytes(4).toString('hex')}` }),
          });
        const bad = await create('bob');
        const after = await create('alice');
        return {
          observed: answerLine(bad),
          reproduced:
            bad.status === 403 &&
            bad.body ===
              '{"error":{"code":"PERMISSION_DENIED","message":"Permission denied for requested operation."}}',
          afterFix: answerLine(after),
          fixed: ok(after),
        };
      }),
  },
  {
    id: 'workspace-missing',
    title: 'No workspace header and no default workspace',
    symptom: '400 "Workspace context is required for this request."',
    cause:
      'The client sent no X-MLFLOW-WORKSPACE (MLFLOW_WORKSPACE unset) and the server has no MLFLOW_K8S_DEFAULT_WORKSPACE.',
    fix: 'export MLFLOW_WORKSPACE=<namespace> (or mlflow.set_workspace()), or set MLFLOW_K8S_DEFAULT_WORKSPACE on the server.',
    client: 'Node http without, then with, the header',
    source: 'mlflow-workspaces-k8s-auth.md §5',
    byHand: [
      'A lab config without workspaces.default; curl -s -H "Authorization: Bearer $(npx mlflow-authlab token)" http://127.0.0.1:4180/api/2.0/mlflow/experiments/search',
    ],
    run: async () => {
      const config = await defaultLabConfig();
      const { default: _unused, ...workspaces } = config.workspaces as NonNullable<typeof config.workspaces>;
      return withLab({ config: { ...config, workspaces } }, async ({ lab }) => {
        const token = await lab.token({ user: 'alice' });
        const bad = await searchAs(lab, token);
        const after = await searchAs(lab, token, { 'x-mlflow-workspace': 'team-a' });
        return {
          observed: answerLine(bad),
          reproduced:
            bad.status === 400 && bad.body.includes('Workspace context is required for this request.'),
          afterFix: answerLine(after),
          fixed: ok(after),
        };
      });
    },
  },
  {
    id: 'workspace-unknown',
    title: 'A workspace that is not a namespace',
    symptom:
      '404 RESOURCE_DOES_NOT_EXIST "Workspace \'nope\' not found in the Kubernetes cluster. Each MLflow workspace maps 1:1 to a namespace."',
    cause: 'MLFLOW_WORKSPACE names a namespace that does not exist (a typo, or another cluster).',
    fix: 'Use an existing namespace: GET /api/3.0/mlflow/workspaces lists the ones you may use.',
    client: 'Node http',
    source: 'kubernetes-auth-observed.md §2',
    byHand: [
      'curl -s -H "Authorization: Bearer $(npx mlflow-authlab token)" -H "X-MLFLOW-WORKSPACE: nope" http://127.0.0.1:4180/api/2.0/mlflow/experiments/search',
    ],
    run: () =>
      withLab({}, async ({ lab }) => {
        const token = await lab.token({ user: 'alice' });
        const bad = await searchAs(lab, token, { 'x-mlflow-workspace': 'nope' });
        const after = await searchAs(lab, token, { 'x-mlflow-workspace': 'team-a' });
        return {
          observed: answerLine(bad),
          reproduced:
            bad.status === 404 &&
            bad.body.includes(
              "Workspace 'nope' not found in the Kubernetes cluster. Each MLflow workspace maps 1:1 to a namespace.",
            ),
          afterFix: answerLine(after),
          fixed: ok(after),
        };
      }),
  },
  {
    id: 'not-in-group',
    title: 'A user in none of the groups the RBAC binds',
    symptom:
      '403 {"error":{"code":"PERMISSION_DENIED","message":"Permission denied for requested operation."}}',
    cause:
      "The token's groups claim has no group bound to a role in the namespace (mallory has none), or the token lacks the groups claim.",
    fix: 'Add the user to a bound group in the IdP (and request the groups scope), or bind the user directly.',
    client: 'Node http: experiments/create as mallory, then as alice (a search answers 200 with nothing)',
    source: 'kubernetes-auth-observed.md §2; DESIGN.md failure catalog',
    byHand: [
      'curl -s -H "Authorization: Bearer $(npx mlflow-authlab token --user mallory)" -H "X-MLFLOW-WORKSPACE: team-a" http://127.0.0.1:4180/api/2.0/mlflow/experiments/search',
    ],
    run: () =>
      withLab({}, async ({ lab }) => {
        // A write: searches are filtered to what the caller may see (200 with nothing) rather than refused.
        const create = async (user: string) =>
          nodeRequest(`${lab.trackingUri}${API}/experiments/create`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${await lab.token({ user })}`,
              'content-type': 'application/json',
              'x-mlflow-workspace': 'team-a',
            },
            body: JSON.stringify({ name: `scenario-${randomBytes(4).toString('hex')}` }),
          });
        const bad = await create('mallory');
        const after = await create('alice');
        return {
          observed: answerLine(bad),
          reproduced: bad.status === 403 && bad.body.includes('"code":"PERMISSION_DENIED"'),
          afterFix: answerLine(after),
          fixed: ok(after),
        };
      }),
  },
  {
    id: 'direct-port',
    title: "Calling MLflow's own port instead of the proxy",
    symptom:
      'the call works without any token, and the run owner is whatever the client claims (user_id from the body)',
    cause:
      "MLflow's port has no authentication: the proxy and the plugin are skipped, so nobody checks or records the caller.",
    fix: "Point MLFLOW_TRACKING_URI at the proxy (the route), and keep MLflow's port off the network.",
    client:
      'Node http: runs/create with user_id "mallory" on MLflow\'s port, then through the proxy with alice\'s token',
    source: 'kubernetes-auth-observed.md §2 (user_id from the token)',
    byHand: [
      'curl -s -X POST -H "Content-Type: application/json" -d \'{"experiment_id":"0","user_id":"mallory"}\' http://127.0.0.1:5000/api/2.0/mlflow/runs/create',
    ],
    run: () =>
      withLab({}, async ({ lab }) => {
        const headers = { 'content-type': 'application/json', 'x-mlflow-workspace': 'team-a' };
        const alice = { ...headers, authorization: `Bearer ${await lab.token({ user: 'alice' })}` };
        const experiment = await nodeRequest(`${lab.trackingUri}${API}/experiments/create`, {
          method: 'POST',
          headers: alice,
          body: JSON.stringify({ name: `scenario-${randomBytes(4).toString('hex')}` }),
        });
        const { experiment_id } = JSON.parse(experiment.body) as { experiment_id: string };
        const body = JSON.stringify({ experiment_id, user_id: 'mallory' });
        const owner = (a: { body: string }) =>
          (JSON.parse(a.body) as { run?: { info?: { user_id?: string } } }).run?.info?.user_id;
        const direct = await nodeRequest(`${lab.mlflow!.url}${API}/runs/create`, {
          method: 'POST',
          headers,
          body,
        });
        const proxied = await nodeRequest(`${lab.trackingUri}${API}/runs/create`, {
          method: 'POST',
          headers: alice,
          body,
        });
        return {
          observed: `${direct.status} without a token; run owner ${JSON.stringify(direct.status === 200 ? owner(direct) : undefined)}`,
          reproduced: direct.status === 200 && owner(direct) === 'mallory',
          afterFix: `${proxied.status}; run owner ${JSON.stringify(proxied.status === 200 ? owner(proxied) : undefined)}`,
          fixed: proxied.status === 200 && owner(proxied) === 'alice@example.com',
        };
      }),
  },
  {
    id: 'key-rotation',
    title: 'A verifier that cached the JWKS before the IdP rotated its keys',
    symptom:
      'jose: ERR_JWKS_NO_MATCHING_KEY "no applicable key found in the JSON Web Key Set" until the JWKS is fetched again',
    cause:
      'The IdP signs with a new key; a verifier that keeps the old key set and never refetches cannot find the new kid.',
    fix: 'Refetch the JWKS when a token has an unknown kid (go-oidc and jose remote key sets do); do not pin a key set.',
    client: 'jose with a local key set fetched before the rotation, then with a fresh one',
    source: 'anchors.md (key rotation); DESIGN.md failure catalog',
    byHand: ['lab.rotateKeys() in the library, then verify a new token against a JWKS copy taken before.'],
    run: () =>
      withLab({}, async ({ lab }) => {
        const jwks = async () =>
          (await (await fetch(lab.jwksUri)).json()) as Parameters<typeof createLocalJWKSet>[0];
        const cached = createLocalJWKSet(await jwks());
        await lab.rotateKeys();
        const token = await lab.token({ user: 'alice' });
        const observed = await jwtVerify(token, cached).then(
          () => 'verified',
          (e: { code?: string; message: string }) => `${e.code}: ${e.message}`,
        );
        const afterFix = await jwtVerify(token, createLocalJWKSet(await jwks())).then(
          () => 'verified',
          (e: { code?: string; message: string }) => `${e.code}: ${e.message}`,
        );
        return {
          observed,
          reproduced: observed.startsWith('ERR_JWKS_NO_MATCHING_KEY'),
          afterFix,
          fixed: afterFix === 'verified',
        };
      }),
  },
  {
    id: 'html-instead-of-json',
    title: 'A client that gets a login page instead of JSON',
    symptom:
      'MLflow client: "… response body was not in a valid JSON format"; Node: SyntaxError "Unexpected token \'<\', \\"<!DOCTYPE \\"... is not valid JSON"',
    cause:
      'No (or no valid) token, and the request asked for HTML or followed the redirect to the login page, so HTML came back where JSON was expected.',
    fix: 'Send a valid bearer token (MLFLOW_TRACKING_TOKEN); check it with `npx mlflow-authlab doctor`.',
    client: 'fetch following redirects, as a browser-like client, without a token; then with one',
    source: 'DESIGN.md failure catalog; oauth2-proxy-and-dex.md §A2 (sign-in page)',
    byHand: ['curl -sL http://127.0.0.1:4180/api/2.0/mlflow/experiments/search | head -3'],
    run: () =>
      withLab({}, async ({ lab }) => {
        const res = await fetch(`${lab.trackingUri}${SEARCH}`, { headers: { accept: 'text/html' } });
        const text = await res.text();
        let observed: string;
        try {
          JSON.parse(text);
          observed = `${res.status}: valid JSON`;
        } catch (error) {
          observed = `${res.status} ${res.headers.get('content-type') ?? ''}: SyntaxError: ${(error as Error).message}`;
        }
        const after = await fetch(`${lab.trackingUri}${SEARCH}`, {
          headers: { authorization: `Bearer ${await lab.token({ user: 'alice' })}` },
        });
        const json = await after.json().then(
          () => 'valid JSON',
          () => 'not JSON',
        );
        return {
          observed,
          reproduced: observed.includes('is not valid JSON') && observed.includes('text/html'),
          afterFix: `${after.status}: ${json}`,
          fixed: after.status === 200 && json === 'valid JSON',
        };
      }),
  },
];

/** The whole catalog: the kubernetes-auth stack's entries first (their ids predate the tag), then oidc-auth's. */
export const SCENARIOS: Scenario[] = [
  ...KUBERNETES_AUTH_SCENARIOS.map((s): Scenario => ({ ...s, stack: 'kubernetes-auth' })),
  ...OIDC_AUTH_SCENARIOS,
];

/** Every scenario's id. */
export const SCENARIO_IDS = SCENARIOS.map((s) => s.id);
