// The oidc-auth stack's failures (mlflow-oidc-auth 7.3.1 in front of MLflow, behind Keycloak): each one reproduced
// against a throwaway lab of that stack with a real client, in the plugin's own words (mlflow-oidc-auth.md, the
// appendix's measured answers), then fixed and checked. Joined into the catalog by catalog.ts.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { pluginLogin } from './plugin-login.js';
import {
  AUTH_REQUIRED,
  basic,
  bearer,
  callAs,
  currentUser,
  outcome,
  pluginLog,
  withOidcLab,
} from './oidc-lab.js';
import { API, type Answer, type LabRun } from './support.js';
import type { Scenario } from './types.js';

const UP = 'npx mlflow-authlab up --auth oidc-auth';
const TRACKING = 'http://127.0.0.1:4180';
const SEARCH_URL = `"${TRACKING}/api/2.0/mlflow/experiments/search?max_results=1"`;

/** The login's last hop as users see it: the plugin's redirect after /callback. */
const landing = (a: Answer) => `${a.status} ${a.location ?? '(no Location)'}`;

/** An experiment created as `user` (who then holds MANAGE on it: creators get MANAGE, §4.3). */
async function createExperiment(run: LabRun, user: string): Promise<string> {
  const created = await callAs(run, bearer(await run.lab.token({ user })), {
    method: 'POST',
    path: `${API}/experiments/create`,
    body: JSON.stringify({ name: `scenario-${randomBytes(4).toString('hex')}` }),
  });
  if (created.status !== 200) throw new Error(`experiments/create as ${user}: ${outcome(created)}`);
  return (JSON.parse(created.body) as { experiment_id: string }).experiment_id;
}

/** An empty OTLP export, as a collector's exporter posts it. */
const exportTraces = (run: LabRun, authorization: string | undefined, experimentId?: string) =>
  callAs(run, authorization, {
    method: 'POST',
    path: '/v1/traces',
    headers: {
      'content-type': 'application/x-protobuf',
      ...(experimentId !== undefined && { 'x-mlflow-experiment-id': experimentId }),
    },
    body: '',
  });

/**
 * A request the plugin let through to MLflow's OTLP route. The lab's emulator has no OTLP endpoint yet and answers
 * Flask's 404 page (where MLflow answers 400 "no spans found" or 422): the plugin itself never answers HTML, so the
 * page proves the request passed it.
 */
const reachedMlflow = (a: Answer) => a.status === 404 && a.body.includes('<title>404 Not Found</title>');

/** A timestamp `ms` from the lab clock's now, as the plugin's API takes it (ISO 8601, UTC). */
const isoIn = (run: LabRun, ms: number) => new Date(run.lab.clock.now() + ms).toISOString();

export const OIDC_AUTH_SCENARIOS: Scenario[] = [
  {
    id: 'oidc-wrong-audience',
    stack: 'oidc-auth',
    title: 'A token minted through another client (admin-cli): accepted until OIDC_AUDIENCE is set',
    symptom:
      'OIDC_AUDIENCE unset (the default, and kagenti\'s setting): a token minted through admin-cli is accepted (200), like any token the IdP signed; with OIDC_AUDIENCE set: 401 {"detail":"Authentication required"}, no WWW-Authenticate, the reason only in the server log',
    cause:
      'mlflow-oidc-auth checks `aud` only when OIDC_AUDIENCE is set, and never `iss` or `azp`: without it every token the IdP signs passes, whichever client minted it. kagenti\'s advice ("use the mlflow client, not admin-cli") only holds once OIDC_AUDIENCE is set; then another client\'s token gets a bare 401.',
    fix: 'Set OIDC_AUDIENCE to the client tokens are minted for (here mlflow-cli) and mint through that client (npx mlflow-authlab token --client mlflow-cli). A Keycloak client-credentials token has aud "account": add an audience mapper for the client.',
    client:
      'Node http as an API client: an admin-cli token against OIDC_AUDIENCE unset, then mlflow-cli; then a mlflow-cli token',
    source: 'mlflow-oidc-auth.md §3.2 (the bearer matrix), appendix B3, A1, A2',
    byHand: [
      UP,
      `curl -s -H "Authorization: Bearer $(npx mlflow-authlab token --client admin-cli)" ${SEARCH_URL}   # 200: accepted`,
      `OIDC_AUDIENCE=mlflow-cli ${UP}   # the same curl: 401 {"detail":"Authentication required"}`,
      `curl -s -H "Authorization: Bearer $(npx mlflow-authlab token --client mlflow-cli)" ${SEARCH_URL}   # 200`,
    ],
    run: async () => {
      const adminCli = (run: LabRun) => run.lab.token({ user: 'alice', client: 'admin-cli' });
      const unset = await withOidcLab({}, async (run) => callAs(run, bearer(await adminCli(run))));
      return withOidcLab({ oidcAuth: { OIDC_AUDIENCE: 'mlflow-cli' } }, async (run) => {
        const refused = await callAs(run, bearer(await adminCli(run)));
        const line = pluginLog(run, 'Authentication failed for /api/2.0/mlflow/experiments/search');
        const after = await callAs(run, bearer(await run.lab.token({ user: 'alice', client: 'mlflow-cli' })));
        return {
          observed: `admin-cli token, OIDC_AUDIENCE unset: ${outcome(unset)}; OIDC_AUDIENCE=mlflow-cli: ${outcome(refused)}; server log: ${line ?? '(no line)'}`,
          reproduced: unset.status === 200 && refused.status === 401 && refused.body === AUTH_REQUIRED,
          afterFix: `OIDC_AUDIENCE=mlflow-cli, a token minted through mlflow-cli: ${outcome(after)}`,
          fixed: after.status === 200,
        };
      });
    },
  },
  {
    id: 'oidc-login-not-in-group',
    stack: 'oidc-auth',
    title: 'A user outside OIDC_GROUP_NAME: refused at the browser login, yet her token works',
    symptom:
      'the browser login ends at 302 …/oidc/ui/auth?error=User+is+not+allowed+to+login ("User is not allowed to login"), while the same user\'s bearer token is accepted (200)',
    cause:
      "The plugin gates only the browser login (/callback) on OIDC_GROUP_NAME and OIDC_ADMIN_GROUP_NAME, compared exactly with the id_token's groups claim (OIDC_GROUPS_ATTRIBUTE); mallory is in none of them. Bearer and Basic requests skip the gate, and a user without a row in the plugin's database gets DEFAULT_MLFLOW_PERMISSION (MANAGE by default).",
    fix: "To let her in: put her in one of OIDC_GROUP_NAME's groups at the IdP (or add her group to OIDC_GROUP_NAME; the id_token must carry the groups claim) and sign in again. To keep her out of the API too: DEFAULT_MLFLOW_PERMISSION=NO_PERMISSIONS and grants per group, since the gate never applies to tokens.",
    client:
      "fetch driving the real login over HTTP (/login → the IdP's login page → /callback), then Node http with her bearer token",
    source: 'mlflow-oidc-auth.md §3.1 (/callback errors), §3.2 (no group gate for Bearer), appendix L2',
    byHand: [
      UP,
      'Open http://127.0.0.1:4180/login and sign in as mallory@example.com / mallory-password: the browser lands on /oidc/ui/auth?error=User+is+not+allowed+to+login',
      `curl -s -H "Authorization: Bearer $(npx mlflow-authlab token --user mallory)" ${SEARCH_URL}   # 200`,
    ],
    run: async () => {
      const refused = await withOidcLab({}, async (run) => {
        const login = await pluginLogin(run.lab.trackingUri!, 'mallory@example.com', 'mallory-password');
        const token = await callAs(run, bearer(await run.lab.token({ user: 'mallory' })));
        return { login, token };
      });
      const allowed = await withOidcLab(
        {
          edit: (config) => {
            const mallory = config.users?.find((u) => u.name === 'mallory');
            if (mallory) mallory.groups = ['team-b-viewers'];
          },
        },
        async (run) => {
          const login = await pluginLogin(run.lab.trackingUri!, 'mallory@example.com', 'mallory-password');
          const session = await callAs(run, undefined, {
            path: '/api/2.0/mlflow/users/current',
            headers: { cookie: login.cookie },
          });
          return { login, session };
        },
      );
      const groups = (a: Answer) => {
        try {
          const json = JSON.parse(a.body) as { groups?: Array<{ group_name: string }> };
          return JSON.stringify((json.groups ?? []).map((g) => g.group_name));
        } catch {
          return '?';
        }
      };
      return {
        observed: `login: ${landing(refused.login.callback)}; her bearer token: ${outcome(refused.token)}`,
        reproduced:
          refused.login.callback.status === 302 &&
          (refused.login.callback.location ?? '').endsWith(
            '/oidc/ui/auth?error=User+is+not+allowed+to+login',
          ) &&
          refused.token.status === 200,
        afterFix: `mallory in team-b-viewers: login ${landing(allowed.login.callback)}; users/current with the session: ${allowed.session.status}, groups ${groups(allowed.session)}`,
        fixed:
          (allowed.login.callback.location ?? '').endsWith('/oidc/ui/user') && allowed.session.status === 200,
      };
    },
  },
  {
    id: 'oidc-comma-scope',
    stack: 'oidc-auth',
    title: "OIDC_SCOPE with commas (the plugin's default openid,email,profile)",
    symptom:
      'the browser login ends at 302 …/oidc/ui/auth?error=OIDC+provider+error ("OIDC provider error"): the authorize URL carries scope=openid%2Cemail%2Cprofile and no nonce, and the IdP answers the callback with error=access_denied',
    cause:
      "OIDC_SCOPE goes to the IdP verbatim. With commas it is one scope word, so authlib does not see openid (it sends no nonce) and the IdP grants nothing. The plugin's default (openid,email,profile) and its helm chart's (openid,profile,email,groups) have commas: whether they work depends on the IdP.",
    fix: 'Separate the scopes with spaces: OIDC_SCOPE="openid email profile groups" (as kagenti sets it); the login then carries a nonce and lands on /oidc/ui/user.',
    client: 'fetch driving the real login over HTTP as alice (/login → the IdP → /callback)',
    source:
      'mlflow-oidc-auth.md §2.2 (OIDC_SCOPE: measured against the lab IdP in its Dex flavour; the Keycloak flavour answers alike), §3.1 (/callback errors)',
    byHand: [
      `OIDC_SCOPE=openid,email,profile ${UP}`,
      `curl -si ${TRACKING}/login | grep -i '^location'   # scope=openid%2Cemail%2Cprofile, no nonce`,
      `Open ${TRACKING}/login and sign in as alice: the browser ends at /oidc/ui/auth?error=OIDC+provider+error`,
    ],
    run: async () => {
      const signIn = (scope: string) =>
        withOidcLab({ oidcAuth: { OIDC_SCOPE: scope } }, (run) =>
          pluginLogin(run.lab.trackingUri!, 'alice@example.com', 'alice-password'),
        );
      const comma = await signIn('openid,email,profile');
      const spaces = await signIn('openid email profile groups');
      const nonce = (login: { authorizeUrl: URL }) =>
        login.authorizeUrl.searchParams.has('nonce') ? 'a nonce' : 'no nonce';
      const scope = (login: { authorizeUrl: URL }) =>
        new URLSearchParams({ scope: login.authorizeUrl.searchParams.get('scope') ?? '' }).toString();
      const idpError = comma.idpRedirect.searchParams.get('error');
      return {
        observed: `authorize URL: ${scope(comma)}, ${nonce(comma)}; the IdP → /callback?error=${idpError ?? '(none)'}; the plugin → ${landing(comma.callback)}`,
        reproduced:
          !comma.authorizeUrl.searchParams.has('nonce') &&
          idpError === 'access_denied' &&
          comma.callback.status === 302 &&
          (comma.callback.location ?? '').endsWith('/oidc/ui/auth?error=OIDC+provider+error'),
        afterFix: `OIDC_SCOPE="openid email profile groups": ${nonce(spaces)}; the plugin → ${landing(spaces.callback)}`,
        fixed:
          spaces.authorizeUrl.searchParams.has('nonce') &&
          (spaces.callback.location ?? '').endsWith('/oidc/ui/user'),
      };
    },
  },
  {
    id: 'oidc-otlp-traces',
    stack: 'oidc-auth',
    title: "OTLP exports to /v1/traces refused by the plugin (without kagenti's patch)",
    symptom:
      'an OTel collector without credentials: 401 {"detail":"Authentication required"}; with a token but no X-Mlflow-Experiment-Id, or with READ only on the experiment: 403 text/plain "Permission denied"',
    cause:
      "Since 7.0.0 the plugin serves MLflow's OTLP route and guards it: authentication first (the route is not exempt), then its FastAPI permission check, which needs the X-Mlflow-Experiment-Id header and EDIT (or MANAGE) on that experiment. kagenti's patches exempt /v1/traces (and /version, /ping) from both.",
    fix: 'kagenti\'s patch (the lab: oidcAuth.kagentiPatch: true) opens /v1/traces without credentials. Unpatched: send the collector\'s token and X-Mlflow-Experiment-Id, and give its identity EDIT on the experiment (POST /api/2.0/mlflow/permissions/users/<user>/experiments/<id> {"permission":"EDIT"}).',
    client:
      "Node http posting an empty OTLP export as a collector does: without credentials, then with bob's token (READ through DEFAULT_MLFLOW_PERMISSION=READ) without and with the header",
    source: 'mlflow-oidc-auth.md §5 (what a client gets on /v1/traces), §4.6, appendix U8, D8b',
    byHand: [
      `DEFAULT_MLFLOW_PERMISSION=READ ${UP}`,
      `curl -si -X POST -H "Content-Type: application/x-protobuf" ${TRACKING}/v1/traces   # 401 {"detail":"Authentication required"}`,
      `curl -si -X POST -H "Authorization: Bearer $(npx mlflow-authlab token --user bob)" -H "X-Mlflow-Experiment-Id: 0" -H "Content-Type: application/x-protobuf" ${TRACKING}/v1/traces   # 403 Permission denied`,
      'With oidcAuth: { kagentiPatch: true } in a lab config (up --config F): both pass the plugin',
    ],
    run: async () => {
      // Workspaces off, as kagenti runs the plugin; READ for everyone without a rule, so bob has READ only.
      const oidcAuth = { DEFAULT_MLFLOW_PERMISSION: 'READ', MLFLOW_ENABLE_WORKSPACES: false };
      const three = async (run: LabRun, experimentId: string) => {
        const bob = bearer(await run.lab.token({ user: 'bob' }));
        return [
          await exportTraces(run, undefined, experimentId),
          await exportTraces(run, bob),
          await exportTraces(run, bob, experimentId),
        ] as const;
      };
      const unpatched = await withOidcLab({ oidcAuth }, async (run) => {
        const id = await createExperiment(run, 'alice');
        const answers = await three(run, id);
        // The other fix: alice holds MANAGE on her experiment and names it.
        const alice = await exportTraces(run, bearer(await run.lab.token({ user: 'alice' })), id);
        return { answers, alice };
      });
      const patched = await withOidcLab({ oidcAuth: { ...oidcAuth, kagentiPatch: true } }, async (run) =>
        three(run, await createExperiment(run, 'alice')),
      );
      const [none, noHeader, readOnly] = unpatched.answers;
      const deniedAsText = (a: Answer) =>
        a.status === 403 && a.contentType.startsWith('text/plain') && a.body === 'Permission denied';
      const passed = (a: Answer) => (reachedMlflow(a) ? 'passed the plugin' : outcome(a));
      return {
        observed: `no credentials: ${outcome(none)}; bob's token, no X-Mlflow-Experiment-Id: ${outcome(noHeader)}; with it, READ only: ${outcome(readOnly)}`,
        reproduced:
          none.status === 401 &&
          none.body === AUTH_REQUIRED &&
          deniedAsText(noHeader) &&
          deniedAsText(readOnly),
        afterFix: `kagentiPatch: ${patched.map(passed).join(', ')} (the lab's MLflow has no OTLP endpoint yet: Flask's 404 page, which the plugin never sends); unpatched, alice's token and header on her experiment (MANAGE): ${passed(unpatched.alice)}`,
        fixed: patched.every(reachedMlflow) && reachedMlflow(unpatched.alice),
      };
    },
  },
  {
    id: 'oidc-server-trust',
    stack: 'oidc-auth',
    title: "The MLflow server does not trust the IdP's CA (discovery and JWKS over TLS)",
    symptom:
      'bearer tokens: 401 {"detail":"Authentication required"}, and the server logs Bearer auth error: SSLError: HTTPSConnectionPool(host=…, port=…): Max retries exceeded with url: /realms/mlflow/.well-known/openid-configuration (Caused by SSLError(SSLCertVerificationError(1, \'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:1000)\'))); the browser login: /login answers 500 {"detail":"Failed to initiate OIDC login"}',
    cause:
      "The IdP serves TLS from a private CA and the plugin's Python process trusts certifi's bundle only: requests (discovery and JWKS for bearer tokens) reads REQUESTS_CA_BUNDLE, authlib's httpx client (the browser login) reads SSL_CERT_FILE, so each path fails on its own. The tokens and the client's own trust are fine.",
    fix: "On the MLflow server's process, point REQUESTS_CA_BUNDLE and SSL_CERT_FILE both at a bundle with the IdP's whole chain (root and intermediate). The lab: oidcAuth.serverTrust: [REQUESTS_CA_BUNDLE, SSL_CERT_FILE] (its default).",
    client:
      'Node https trusting the lab CA (the client side is fine): a bearer token on users/current, then /login',
    source:
      'mlflow-oidc-auth.md §3.2 (discovery and JWKS fetched with requests), §2.2 (OIDC_DISCOVERY_URL), §1.1 (the authlib client)',
    byHand: [
      `A lab config with auth: oidc-auth, tls: { enabled: true } and oidcAuth: { serverTrust: [] }: npx mlflow-authlab up --config F --verbose`,
      'curl -s --cacert "$(npx mlflow-authlab ca --path)" -H "Authorization: Bearer $(npx mlflow-authlab token)" https://127.0.0.1:4180/api/2.0/mlflow/users/current   # 401; the lab log: Bearer auth error: SSLError: …',
      'curl -si --cacert "$(npx mlflow-authlab ca --path)" https://127.0.0.1:4180/login   # 500 {"detail":"Failed to initiate OIDC login"}',
    ],
    run: async () => {
      const probe = (serverTrust: string[]) =>
        withOidcLab({ oidcAuth: { serverTrust }, tls: true }, async (run) => {
          const ca = await readFile(run.lab.tls!.caFile, 'utf8');
          const token = await currentUser(run, bearer(await run.lab.token({ user: 'alice' })), ca);
          const login = await callAs(run, undefined, { path: '/login', ca });
          return {
            token: token.answer,
            login,
            bearerLog: pluginLog(run, 'Bearer auth error: SSLError: '),
            loginLog: pluginLog(run, 'Failed to initiate OAuth redirect: [SSL: CERTIFICATE_VERIFY_FAILED]'),
          };
        });
      const bad = await probe([]);
      const good = await probe(['REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE']);
      return {
        observed: `bearer token: ${outcome(bad.token)}; server log: ${bad.bearerLog ?? '(no line)'}; /login: ${outcome(bad.login)}; server log: ${bad.loginLog ?? '(no line)'}`,
        reproduced:
          bad.token.status === 401 &&
          bad.token.body === AUTH_REQUIRED &&
          (bad.bearerLog ?? '').includes('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed') &&
          bad.login.status === 500 &&
          bad.login.body === '{"detail":"Failed to initiate OIDC login"}' &&
          bad.loginLog !== undefined,
        afterFix: `REQUESTS_CA_BUNDLE and SSL_CERT_FILE set: bearer token ${outcome(good.token)}; /login ${landing(good.login).replace(/\?.*$/, '?…')}`,
        fixed: good.token.status === 200 && good.login.status === 302,
      };
    },
  },
  {
    id: 'oidc-access-token-replaced',
    stack: 'oidc-auth',
    title: 'An access token replaced by a newer one',
    symptom:
      'Basic user:<access token> (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD) that worked: 401 {"detail":"Authentication required"} once a new token was created for that user',
    cause:
      "The plugin keeps one access token per user (it is the user's password hash): creating one (PATCH /api/2.0/mlflow/users/access-token, the UI's button, `env --basic`) replaces the previous one wherever it is used. users/current still shows no expiry: nothing expired.",
    fix: "Use the newest token (update MLFLOW_TRACKING_PASSWORD everywhere it is set), or give each job an identity of its own: an admin creates a service account (POST /api/2.0/mlflow/users with is_service_account) and mints its token. `npx mlflow-authlab doctor` with the same user's bearer token tells a replaced token from an expired one.",
    client: 'Node http with Basic credentials, as the MLflow client sends MLFLOW_TRACKING_USERNAME/PASSWORD',
    source: 'mlflow-oidc-auth.md §3.3 (one token per user), appendix T3, T3b, T3c',
    byHand: [
      UP,
      'eval "$(npx mlflow-authlab env --basic)"; OLD=$MLFLOW_TRACKING_PASSWORD',
      'npx mlflow-authlab env --basic > /dev/null   # a second token replaces the first',
      `curl -s -u "$MLFLOW_TRACKING_USERNAME:$OLD" ${SEARCH_URL}   # 401 {"detail":"Authentication required"}`,
    ],
    run: () =>
      withOidcLab({}, async (run) => {
        const first = await run.lab.accessToken({ user: 'alice' });
        const before = await callAs(run, basic(first.username, first.token));
        const second = await run.lab.accessToken({ user: 'alice' });
        const stale = await callAs(run, basic(first.username, first.token));
        const me = await currentUser(run, bearer(await run.lab.token({ user: 'alice' })));
        const after = await callAs(run, basic(second.username, second.token));
        return {
          observed: `the first token: ${outcome(before)}; after a second PATCH …/users/access-token: ${outcome(stale)}; users/current: password_expiration ${JSON.stringify(me.json?.password_expiration)}`,
          reproduced:
            before.status === 200 &&
            stale.status === 401 &&
            stale.body === AUTH_REQUIRED &&
            me.json?.password_expiration === null,
          afterFix: `the newest token: ${outcome(after)}`,
          fixed: after.status === 200,
        };
      }),
  },
  {
    id: 'oidc-access-token-expired',
    stack: 'oidc-auth',
    title: "An expired access token (and 7.3.1's rotation that keeps the expiry)",
    symptom:
      'Basic user:<access token> that worked: 401 {"detail":"Authentication required"} after its expiration, users/current showing the past password_expiration; in 7.3.1 a new token created without an expiration is refused at once too',
    cause:
      'The token was created with an expiration (users.password_expiration) that has passed. A bug in 7.3.1 (fixed in 7.7.3): a new token created without `expiration` keeps the previous expiry, so once a token expired every rotation without a date is dead on arrival (§3.3, T8).',
    fix: 'Create a new token with a future expiration, under a year away: PATCH /api/2.0/mlflow/users/access-token {"expiration":"<ISO 8601, UTC>"} (with 7.3.1 always pass one, or the old expiry sticks), then update MLFLOW_TRACKING_PASSWORD.',
    client: 'Node http with Basic credentials; the lab clock advanced 2h',
    source: 'mlflow-oidc-auth.md §3.3 (expiry, the 7.3.1 bug), appendix T7, T7b, T7c, T8, T8b, T8c',
    byHand: [
      UP,
      `T=$(npx mlflow-authlab token); curl -s -X PATCH -H "Authorization: Bearer $T" -H "Content-Type: application/json" -d "{\\"expiration\\":\\"$(date -u -d +1min +%FT%TZ)\\"}" ${TRACKING}/api/2.0/mlflow/users/access-token`,
      `A minute later: curl -s -u "alice@example.com:<token>" ${SEARCH_URL}   # 401 {"detail":"Authentication required"}`,
      `curl -s -H "Authorization: Bearer $T" ${TRACKING}/api/2.0/mlflow/users/current   # "password_expiration": the past`,
    ],
    run: () =>
      withOidcLab({}, async (run) => {
        const hour = await run.lab.accessToken({ user: 'alice', expiration: isoIn(run, 3600_000) });
        const before = await callAs(run, basic(hour.username, hour.token));
        run.lab.clock.advance('2h');
        const expired = await callAs(run, basic(hour.username, hour.token));
        const me = await currentUser(run, bearer(await run.lab.token({ user: 'alice' })));
        const expiration = me.json?.password_expiration;
        // 7.3.1: rotated without a date, the token inherits the expiry that has passed (T8).
        const undated = await run.lab.accessToken({ user: 'alice' });
        const inherited = await callAs(run, basic(undated.username, undated.token));
        const dated = await run.lab.accessToken({ user: 'alice', expiration: isoIn(run, 30 * 86400_000) });
        const after = await callAs(run, basic(dated.username, dated.token));
        const past = typeof expiration === 'string' && Date.parse(`${expiration}Z`) < run.lab.clock.now();
        return {
          observed: `a token expiring in 1h: ${outcome(before)}; 2h later: ${outcome(expired)}; users/current: password_expiration ${JSON.stringify(expiration)} (past); a new token without expiration (7.3.1): ${outcome(inherited)}`,
          reproduced:
            before.status === 200 &&
            expired.status === 401 &&
            expired.body === AUTH_REQUIRED &&
            past &&
            inherited.status === 401,
          afterFix: `a new token with an expiration 30 days ahead: ${outcome(after)}`,
          fixed: after.status === 200,
        };
      }),
  },
];
