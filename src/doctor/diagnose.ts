// `doctor`: ordered checks of a token and a tracking URI, each with its evidence and a one-line fix (DESIGN.md
// "CLI" doctor). Nothing here assumes the lab: it speaks plain OIDC discovery, TLS and MLflow's REST API, so it
// diagnoses any deployment. It never prints a whole token. Behind the mlflow-oidc-auth plugin (recognised by its
// front door) it also checks the user's row, Basic credentials and the OTLP route (./oidc-auth.ts).
import { isIP } from 'node:net';
import tls from 'node:tls';
import { AuthlabError } from '../errors.js';
import { jsonObject, request, type Answer } from './http.js';
import {
  basicCheck,
  basicHeader,
  explainBearerRefusal,
  isAuthRequired,
  isFastapiDenied,
  isFlaskDenied,
  isPluginFrontDoor,
  isPluginLoginRedirect,
  otlpCheck,
  pluginLoginCheck,
  pluginUsername,
  USERS_CURRENT,
  userRowCheck,
  type BasicCredentials,
} from './oidc-auth.js';
import { span } from './span.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface DoctorCheck {
  id: string;
  title: string;
  status: CheckStatus;
  evidence: string;
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DiagnoseInput {
  /**
   * The bearer token exactly as the client has it (a file's content, an env var), whitespace included. Optional
   * when `basic` is given.
   */
  token?: string;
  trackingUri: string;
  /** The issuer the proxy trusts (`--oidc-issuer-url`); default: the token's own `iss`. */
  issuer?: string;
  /** A CA bundle (PEM) the client uses; default: the system trust store. */
  caPem?: string;
  workspace?: string;
  /** The client id the proxy accepts as audience, when known. */
  audience?: string;
  /**
   * Basic credentials (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD): with mlflow-oidc-auth, a user and an
   * access token from its API.
   */
  basic?: BasicCredentials;
  /** An experiment id: checks an OTLP export to `/v1/traces` with X-Mlflow-Experiment-Id, as a collector sends it. */
  otlpExperiment?: string;
  /** "Now" for the expiry check, epoch ms (default: the system clock). */
  now?: number;
}

/** Shows the start of a secret only. */
export const redact = (secret: string) => (secret.length <= 8 ? '…' : `${secret.slice(0, 8)}…`);

export async function diagnose(input: DiagnoseInput): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const add = (c: DoctorCheck) => checks.push(c);
  const now = input.now ?? Date.now();
  const trackingUri = input.trackingUri.replace(/\/+$/, '');
  const { basic, otlpExperiment } = input;
  if (input.token === undefined && basic === undefined)
    throw new AuthlabError(
      'AUTHLAB_INVALID_ARGUMENT',
      'nothing to diagnose: no token and no Basic credentials',
      {
        hint: 'Pass a token (MLFLOW_TRACKING_TOKEN), or Basic credentials (MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD).',
      },
    );
  const hasToken = input.token !== undefined;

  // 1-6. The token: whitespace, then the JWT's claims when it is one.
  const token = (input.token ?? '').trim();
  let claims: Claims | string = 'no bearer token';
  if (hasToken) claims = await tokenChecks(input.token!, input, now, add);

  // 7. TLS of every https URL the client talks to.
  const issuerUrl = input.issuer ?? issuerOf(claims);
  const urls = [trackingUri, ...(issuerUrl !== undefined ? [issuerUrl] : [])];
  let trackingTlsOk = true;
  for (const url of [...new Set(urls)]) {
    if (!url.startsWith('https:')) continue;
    const c = await tlsCheck(url, input.caPem);
    if (url === trackingUri && c.status === 'fail') trackingTlsOk = false;
    add(c);
  }

  // What an authenticated call carries: the bearer token, else the Basic credentials.
  const authorization = hasToken ? `Bearer ${token}` : basicHeader(basic!);
  const later: Array<readonly [string, string]> = [
    ...(basic !== undefined ? [['basic-auth', `Basic credentials of ${basic.username} work`] as const] : []),
    ...(otlpExperiment !== undefined
      ? [['otlp', `an OTLP export to /v1/traces (experiment ${otlpExperiment}) is accepted`] as const]
      : []),
  ];

  // 8-10. The tracking server itself.
  if (!trackingTlsOk) {
    for (const [id, title] of [
      ['reachability', 'tracking server answers'],
      ...(hasToken ? [['mlflow-call', 'an authenticated MLflow call works'] as const] : []),
      ...(input.workspace !== undefined
        ? [['workspace', `workspace ${input.workspace} is usable`] as const]
        : []),
      ...later,
    ] as const)
      add({ id, title, status: 'skip', evidence: 'the TLS handshake with the tracking URI failed' });
    return report(checks);
  }
  const began = Date.now();
  let health = await request(`${trackingUri}/health`, {}, input.caPem);
  if (typeof health !== 'string' && health.status === 404)
    health = await request(`${trackingUri}/ping`, {}, input.caPem);
  const reachable = typeof health !== 'string';
  const answeredIn = Date.now() - began;
  // mlflow-oidc-auth's front door: its own checks join in, and the token's groups mean something else there.
  const plugin = typeof health !== 'string' && (await isPluginFrontDoor(trackingUri, health, input.caPem));
  add({
    id: 'reachability',
    title: 'tracking server answers',
    status: reachable ? 'pass' : 'fail',
    evidence:
      typeof health === 'string'
        ? health
        : `${health.status} in ${answeredIn} ms${plugin ? "; the mlflow-oidc-auth plugin's front door (/oidc/ui/config.json answers)" : ''}`,
    ...(!reachable && { fix: 'Check MLFLOW_TRACKING_URI (scheme, host, port) and that the route is up.' }),
  });
  if (plugin) {
    pluginGroups(checks);
    add(await pluginLoginCheck(trackingUri, input.caPem));
  }
  if (!reachable) {
    for (const [id, title] of [
      ...(hasToken ? [['mlflow-call', 'an authenticated MLflow call works'] as const] : []),
      ...later,
    ])
      add({ id, title, status: 'skip', evidence: 'not reachable' });
    return report(checks);
  }
  const search = '/api/2.0/mlflow/experiments/search?max_results=1';
  const headers = { authorization, accept: 'application/json' };
  let bearerWorks = false;
  if (hasToken) {
    const answer = await request(`${trackingUri}${search}`, headers, input.caPem);
    const base = { id: 'mlflow-call', title: 'an authenticated MLflow call works' };
    bearerWorks = typeof answer !== 'string' && answer.status === 200;
    add(
      typeof answer !== 'string' && isAuthRequired(answer)
        ? await explainBearerRefusal(
            base,
            token,
            typeof claims === 'string' ? undefined : claims.payload,
            issuerUrl,
            input.caPem,
            now,
          )
        : classify(base.id, base.title, answer),
    );
  }
  if (input.workspace !== undefined) {
    add(
      classify(
        'workspace',
        `workspace ${input.workspace} is usable`,
        await request(
          `${trackingUri}${search}`,
          { ...headers, 'x-mlflow-workspace': input.workspace },
          input.caPem,
        ),
        input.workspace,
      ),
    );
  }
  const bearerUser = typeof claims === 'string' ? undefined : pluginUsername(claims.payload);
  if (plugin && bearerWorks)
    add(
      userRowCheck(
        await request(
          `${trackingUri}${USERS_CURRENT}`,
          { authorization: `Bearer ${token}`, accept: 'application/json' },
          input.caPem,
        ),
        bearerUser,
        trackingUri,
      ),
    );
  const generic = (id: string, title: string) => (answer: Answer | string) => classify(id, title, answer);
  if (basic !== undefined)
    add(
      await basicCheck({
        trackingUri,
        search,
        basic,
        ca: input.caPem,
        now,
        workingBearer: bearerWorks ? { token, username: bearerUser } : undefined,
        plugin,
        classify: generic('basic-auth', ''),
      }),
    );
  if (otlpExperiment !== undefined)
    add(
      await otlpCheck({
        trackingUri,
        experimentId: otlpExperiment,
        authorization,
        workspace: input.workspace,
        ca: input.caPem,
        classify: generic('otlp', ''),
      }),
    );
  return report(checks);
}

/** Checks 1-6: the token's whitespace, its JWT shape and claims; returns the claims (or why there are none). */
async function tokenChecks(
  raw: string,
  input: DiagnoseInput,
  now: number,
  add: (c: DoctorCheck) => void,
): Promise<Claims | string> {
  // 1. Whitespace: the trailing newline of `echo`/editors is the classic (Node refuses the header; requests too).
  const token = raw.trim();
  const stray = whitespaceProblem(raw);
  add({
    id: 'token-whitespace',
    title: 'token has no whitespace or newline',
    status: stray ? 'fail' : token === '' ? 'fail' : 'pass',
    evidence:
      token === ''
        ? 'the token is empty'
        : stray
          ? `the token ${stray} (the checks below use it trimmed)`
          : `${token.length} characters, starts ${redact(token)}`,
    ...(stray && {
      fix: "Strip it: MLFLOW_TRACKING_TOKEN=$(tr -d '\\n' < token.txt), or write the file with printf '%s'.",
    }),
  });

  // 2-6. The JWT's claims, when it is one.
  const claims = decodeClaims(token);
  if (typeof claims === 'string') {
    add({ id: 'jwt-shape', title: 'token is a JWT', status: 'warn', evidence: claims });
    for (const [id, title] of [
      ['expiry', 'token is not expired'],
      ['issuer', 'issuer matches discovery'],
      ['audience', 'audience is accepted'],
      ['groups', 'groups claim present'],
    ] as const)
      add({ id, title, status: 'skip', evidence: 'not a JWT: its claims cannot be read' });
    return claims;
  }
  add({
    id: 'jwt-shape',
    title: 'token is a JWT',
    status: 'pass',
    evidence: `alg ${String(claims.header.alg)}, kid ${String(claims.header.kid ?? '(none)')}, sub ${String(claims.payload.sub)}`,
  });
  add(expiryCheck(claims.payload, now));
  add(await issuerCheck(claims.payload, input));
  add(audienceCheck(claims.payload, input.audience));
  const groups = claims.payload.groups;
  add(
    Array.isArray(groups) && groups.length > 0
      ? {
          id: 'groups',
          title: 'groups claim present',
          status: 'pass',
          evidence: `groups ${JSON.stringify(groups)}`,
        }
      : {
          id: 'groups',
          title: 'groups claim present',
          status: 'warn',
          evidence: Array.isArray(groups) ? 'groups is empty' : 'no groups claim in the token',
          fix: 'Request the groups scope (Dex: scope "groups"), or bind the user directly: RBAC on groups will deny.',
        },
  );
  return claims;
}

/**
 * mlflow-oidc-auth reads no groups from a bearer token: it authorizes with the groups stored at the user's last
 * browser login (§3.2), so the groups check says so instead of pointing at RBAC.
 */
function pluginGroups(checks: DoctorCheck[]): void {
  const groups = checks.find((c) => c.id === 'groups');
  if (!groups || groups.status === 'skip') return;
  groups.evidence +=
    "; mlflow-oidc-auth ignores a bearer token's groups (it uses those of the user's last browser login)";
  if (groups.status === 'warn')
    groups.fix =
      'Nothing to do for bearer calls; for the browser login the id_token needs the claim OIDC_GROUPS_ATTRIBUTE names (groups scope).';
}

function report(checks: DoctorCheck[]): DoctorReport {
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

function whitespaceProblem(raw: string): string | undefined {
  if (raw.endsWith('\r\n')) return 'ends with \\r\\n (a Windows line ending)';
  if (raw.endsWith('\n')) return 'ends with \\n (a trailing newline, as echo or a file editor adds)';
  if (/\s$/.test(raw)) return 'ends with whitespace';
  if (/^\s/.test(raw)) return 'starts with whitespace';
  if (/\s/.test(raw.trim())) return 'has whitespace inside';
  return undefined;
}

type Claims = { header: Record<string, unknown>; payload: Record<string, unknown> };

function decodeClaims(token: string): Claims | string {
  const parts = token.split('.');
  if (parts.length !== 3) return `not a JWT (${parts.length} dot-separated parts, not 3): an opaque token`;
  try {
    const json = (p: string) =>
      JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    return { header: json(parts[0]!), payload: json(parts[1]!) };
  } catch {
    return 'three parts, but the header or payload is not base64url JSON';
  }
}

function issuerOf(claims: Claims | string): string | undefined {
  return typeof claims === 'string' || typeof claims.payload.iss !== 'string'
    ? undefined
    : claims.payload.iss;
}

function expiryCheck(payload: Record<string, unknown>, now: number): DoctorCheck {
  const base = { id: 'expiry', title: 'token is not expired' };
  if (typeof payload.exp !== 'number') return { ...base, status: 'warn', evidence: 'no exp claim' };
  const exp = payload.exp * 1000;
  if (typeof payload.nbf === 'number' && payload.nbf * 1000 > now) {
    return {
      ...base,
      status: 'fail',
      evidence: `not valid before ${new Date(payload.nbf * 1000).toISOString()} (in ${span(payload.nbf * 1000 - now)}): a clock skew?`,
      fix: 'Sync the clocks (NTP) of the machine that minted the token and this one.',
    };
  }
  return exp > now
    ? { ...base, status: 'pass', evidence: `expires in ${span(exp - now)} (${new Date(exp).toISOString()})` }
    : {
        ...base,
        status: 'fail',
        evidence: `expired ${span(now - exp)} ago (${new Date(exp).toISOString()})`,
        fix: 'Mint a new token (or refresh it before it expires).',
      };
}

async function issuerCheck(payload: Record<string, unknown>, input: DiagnoseInput): Promise<DoctorCheck> {
  const base = { id: 'issuer', title: 'issuer matches discovery' };
  const iss = payload.iss;
  if (typeof iss !== 'string')
    return { ...base, status: 'fail', evidence: 'no iss claim', fix: 'Use an OIDC token.' };
  if (input.issuer !== undefined && input.issuer !== iss) {
    return {
      ...base,
      status: 'fail',
      evidence: `the token's iss is ${JSON.stringify(iss)}, the expected issuer ${JSON.stringify(input.issuer)} (compared exactly: scheme, host, port, path, trailing slash)`,
      fix: 'Mint the token through the issuer URL the proxy is configured with (or configure that one).',
    };
  }
  const url = `${iss.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const doc = await request(url, { accept: 'application/json' }, input.caPem);
  if (typeof doc === 'string' || doc.status !== 200) {
    return {
      ...base,
      status: 'warn',
      evidence: `could not read ${url}: ${typeof doc === 'string' ? doc : `${doc.status}`}`,
    };
  }
  let discovered: unknown;
  try {
    discovered = (JSON.parse(doc.body) as { issuer?: unknown }).issuer;
  } catch {
    return { ...base, status: 'warn', evidence: `${url} is not JSON` };
  }
  return discovered === iss
    ? { ...base, status: 'pass', evidence: `iss ${JSON.stringify(iss)} = discovery's issuer` }
    : {
        ...base,
        status: 'fail',
        evidence: `iss ${JSON.stringify(iss)}, but ${url} says issuer ${JSON.stringify(discovered)}`,
        fix: "Make the IdP's issuer setting match the URL clients and the proxy use.",
      };
}

function audienceCheck(payload: Record<string, unknown>, expected: string | undefined): DoctorCheck {
  const base = { id: 'audience', title: 'audience is accepted' };
  const aud = Array.isArray(payload.aud)
    ? payload.aud.map(String)
    : payload.aud === undefined
      ? []
      : [String(payload.aud)];
  if (expected === undefined)
    return {
      ...base,
      status: 'pass',
      evidence: `aud ${JSON.stringify(aud)} (no --audience to compare with)`,
    };
  return aud.includes(expected)
    ? { ...base, status: 'pass', evidence: `aud ${JSON.stringify(aud)} includes ${expected}` }
    : {
        ...base,
        status: 'fail',
        evidence: `aud ${JSON.stringify(aud)} does not include ${expected}`,
        fix: `Mint the token through ${expected} (or a client the proxy lists in oidc-extra-audience).`,
      };
}

/** A TLS handshake that reports instead of refusing: authorized or not, why, and the chain the server sent. */
function tlsCheck(url: string, ca: string | undefined): Promise<DoctorCheck> {
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, '');
  const base = { id: 'tls', title: `TLS trust of ${new URL(url).host}` };
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port: Number(port || 443),
      ...(isIP(host) === 0 && { servername: host }),
      ...(ca !== undefined && { ca }),
      rejectUnauthorized: false,
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
    socket.once('secureConnect', () => {
      const chain = peerChainLength(socket.getPeerCertificate(true));
      const error = socket.authorizationError as unknown as string | Error | null;
      const code =
        error === null
          ? undefined
          : typeof error === 'string'
            ? error
            : ((error as NodeJS.ErrnoException).code ?? error.message);
      const identity =
        code === undefined ? tls.checkServerIdentity(host, socket.getPeerCertificate()) : undefined;
      socket.end();
      const trust = ca !== undefined ? 'the given CA bundle' : 'the system trust store';
      if (code === undefined && identity === undefined)
        return resolve({
          ...base,
          status: 'pass',
          evidence: `trusted by ${trust}; the server sent ${chain} certificate(s)`,
        });
      const why = identity ? ((identity as NodeJS.ErrnoException).code ?? identity.message) : code!;
      resolve({
        ...base,
        status: 'fail',
        evidence: `${why} with ${trust}; the server sent ${chain} certificate(s)`,
        fix: tlsFix(why, chain, ca !== undefined),
      });
    });
    socket.once('error', (e: NodeJS.ErrnoException) =>
      resolve({
        ...base,
        status: 'fail',
        evidence: `${e.code ?? e.message}`,
        fix: 'Check the URL and that the server speaks TLS there.',
      }),
    );
  });
}

function peerChainLength(cert: tls.DetailedPeerCertificate): number {
  let n = 0;
  const seen = new Set<string>();
  for (
    let c: tls.DetailedPeerCertificate | undefined = cert;
    c && c.raw && !seen.has(c.fingerprint256);
    c = c.issuerCertificate
  ) {
    seen.add(c.fingerprint256);
    n++;
  }
  return n;
}

function tlsFix(code: string, chain: number, hasCa: boolean): string {
  if (code === 'CERT_HAS_EXPIRED') return 'The server certificate expired: renew it.';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return 'The certificate is for other names: use the name it was issued for, or reissue it.';
  if (code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' && chain === 1)
    return 'Incomplete chain: the server sent only its leaf. Bundle root and intermediate (SSL_CERT_FILE and REQUESTS_CA_BUNDLE), or make the server send its chain.';
  return hasCa
    ? 'The bundle does not hold the CA that signed this server: get the right bundle.'
    : 'A private CA: set MLFLOW_TRACKING_SERVER_CERT_PATH (and REQUESTS_CA_BUNDLE/SSL_CERT_FILE) to its bundle (--ca-file here).';
}

/**
 * Recognises what came back: MLflow's JSON, the proxy's sign-in page, a login redirect, the kubernetes-auth plugin's
 * errors, and mlflow-oidc-auth's (each of its shapes is its own, so no other stack's answer is taken for one).
 */
function classify(id: string, title: string, answer: Answer | string, workspace?: string): DoctorCheck {
  const base = { id, title };
  if (typeof answer === 'string') return { ...base, status: 'fail', evidence: answer };
  const first = answer.body.replace(/\s+/g, ' ').slice(0, 160);
  const evidence = `${answer.status} ${answer.contentType || '(no content type)'}: ${first}`;
  const plugin = pluginAnswer(answer);
  if (plugin) return { ...base, status: 'fail', ...plugin };
  if (answer.status >= 300 && answer.status < 400) {
    return {
      ...base,
      status: 'fail',
      evidence: `${answer.status} redirect to ${answer.location ?? '?'}: a login redirect, the token was not used`,
      fix: 'Send the token as Authorization: Bearer, and make the proxy accept bearer tokens (skip-jwt-bearer-tokens).',
    };
  }
  if (answer.contentType.includes('text/html')) {
    return {
      ...base,
      status: 'fail',
      evidence: /Sign in|oauth2/i.test(answer.body)
        ? `${answer.status}: the oauth2-proxy sign-in page: the proxy did not accept the token`
        : `${answer.status}: HTML instead of JSON (${first.slice(0, 80)})`,
      fix: 'Fix the checks above (expiry, issuer, audience); the proxy log says which check refused the token.',
    };
  }
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    return { ...base, status: 'fail', evidence: `${evidence} (not JSON)` };
  }
  const nested = (json.error as { code?: string; message?: string } | undefined) ?? undefined;
  if (answer.status === 200) return { ...base, status: 'pass', evidence: `200 ${first}` };
  if (answer.status === 401 && Object.keys(json).length === 0)
    return {
      ...base,
      status: 'fail',
      evidence: '401 {}: the proxy refused the token',
      fix: 'Fix the checks above; the proxy log says which check refused it.',
    };
  if (nested?.code === 'PERMISSION_DENIED')
    return {
      ...base,
      status: 'fail',
      evidence: `403 PERMISSION_DENIED: ${nested.message ?? ''}`,
      fix: `Ask for a role in the namespace${workspace ? ` ${workspace}` : ''} (kubectl auth can-i list experiments.mlflow.kubeflow.org -n <ns>).`,
    };
  if (nested?.code === 'UNAUTHENTICATED')
    return {
      ...base,
      status: 'fail',
      evidence: `401 UNAUTHENTICATED: ${nested.message ?? ''}`,
      fix: 'The Kubernetes API did not accept the token: check issuer and audience.',
    };
  const message = String(json.message ?? '');
  if (json.error_code === 'RESOURCE_DOES_NOT_EXIST' && message.startsWith('Workspace'))
    return {
      ...base,
      status: 'fail',
      evidence: `404 ${message}`,
      fix: 'Use an existing workspace (GET /api/3.0/mlflow/workspaces lists them).',
    };
  if (message.includes('Workspace context is required'))
    return {
      ...base,
      status: 'fail',
      evidence: `${answer.status} ${message}`,
      fix: 'export MLFLOW_WORKSPACE=<namespace> (or set a default workspace on the server).',
    };
  return { ...base, status: 'fail', evidence };
}

/** mlflow-oidc-auth's refusals (mlflow-oidc-auth.md §3.4): what each means and its fix; undefined for any other. */
function pluginAnswer(answer: Answer): { evidence: string; fix: string } | undefined {
  if (isPluginLoginRedirect(answer))
    return {
      evidence: `${answer.status} redirect to ${answer.location ?? '?'}: mlflow-oidc-auth sent a browser page to its login UI: the credentials were not used (or were refused)`,
      fix: 'An API client must not ask for HTML (Accept: application/json, no Sec-Fetch-Dest: document) and must send Authorization: Bearer <token> or Basic <user>:<access token>.',
    };
  if (isAuthRequired(answer))
    return {
      evidence:
        '401 {"detail":"Authentication required"}: mlflow-oidc-auth refused the credentials (it never says why)',
      fix: "Check the token's expiry, its signature against the IdP's JWKS and its aud against OIDC_AUDIENCE (an access token: expired or replaced); the server log names the reason.",
    };
  if (isFlaskDenied(answer))
    return {
      evidence:
        '403 {"message":"Permission denied"}: mlflow-oidc-auth\'s permission hook: no permission on the resource',
      fix: 'Grant one through the plugin\'s API (POST /api/2.0/mlflow/permissions/users/<user>/experiments/<id> {"permission":"READ"}, or for a group), or set DEFAULT_MLFLOW_PERMISSION.',
    };
  if (isFastapiDenied(answer))
    return {
      evidence:
        "403 text/plain Permission denied: mlflow-oidc-auth's FastAPI permission check (/v1/traces, /gateway): no permission, or no X-Mlflow-Experiment-Id",
      fix: "Send X-Mlflow-Experiment-Id and grant EDIT on that experiment through the plugin's API (or DEFAULT_MLFLOW_PERMISSION).",
    };
  const json = jsonObject(answer);
  if (answer.status === 404 && json?.detail === 'User not found')
    return {
      evidence:
        '404 {"detail":"User not found"}: mlflow-oidc-auth has no row for the user (never signed in through the browser)',
      fix: 'Sign in once in a browser (<tracking URI>/login), or have an admin create the user (POST /api/2.0/mlflow/users).',
    };
  return undefined;
}
