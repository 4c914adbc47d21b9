// `doctor`: ordered checks of a token and a tracking URI, each with its evidence and a one-line fix (DESIGN.md
// "CLI" doctor). Nothing here assumes the lab: it speaks plain OIDC discovery, TLS and MLflow's REST API, so it
// diagnoses any deployment. It never prints a whole token.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';

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
  /** The token exactly as the client has it (a file's content, an env var), whitespace included. */
  token: string;
  trackingUri: string;
  /** The issuer the proxy trusts (`--oidc-issuer-url`); default: the token's own `iss`. */
  issuer?: string;
  /** A CA bundle (PEM) the client uses; default: the system trust store. */
  caPem?: string;
  workspace?: string;
  /** The client id the proxy accepts as audience, when known. */
  audience?: string;
  /** "Now" for the expiry check, epoch ms (default: the system clock). */
  now?: number;
}

interface Answer {
  status: number;
  contentType: string;
  location?: string;
  body: string;
}

/** Shows the start of a secret only. */
export const redact = (secret: string) => (secret.length <= 8 ? '…' : `${secret.slice(0, 8)}…`);

export async function diagnose(input: DiagnoseInput): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const add = (c: DoctorCheck) => checks.push(c);
  const now = input.now ?? Date.now();
  const trackingUri = input.trackingUri.replace(/\/+$/, '');

  // 1. Whitespace: the trailing newline of `echo`/editors is the classic (Node refuses the header; requests too).
  const token = input.token.trim();
  const stray = whitespaceProblem(input.token);
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
  } else {
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
  }

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

  // 8-10. The tracking server itself.
  if (!trackingTlsOk) {
    for (const [id, title] of [
      ['reachability', 'tracking server answers'],
      ['mlflow-call', 'an authenticated MLflow call works'],
      ...(input.workspace !== undefined
        ? [['workspace', `workspace ${input.workspace} is usable`] as const]
        : []),
    ] as const)
      add({ id, title, status: 'skip', evidence: 'the TLS handshake with the tracking URI failed' });
    return report(checks);
  }
  const began = Date.now();
  let health = await request(`${trackingUri}/health`, {}, input.caPem);
  if (typeof health !== 'string' && health.status === 404)
    health = await request(`${trackingUri}/ping`, {}, input.caPem);
  const reachable = typeof health !== 'string';
  add({
    id: 'reachability',
    title: 'tracking server answers',
    status: reachable ? 'pass' : 'fail',
    evidence: typeof health === 'string' ? health : `${health.status} in ${Date.now() - began} ms`,
    ...(!reachable && { fix: 'Check MLFLOW_TRACKING_URI (scheme, host, port) and that the route is up.' }),
  });
  if (!reachable) {
    add({
      id: 'mlflow-call',
      title: 'an authenticated MLflow call works',
      status: 'skip',
      evidence: 'not reachable',
    });
    return report(checks);
  }
  const search = '/api/2.0/mlflow/experiments/search?max_results=1';
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  add(
    classify(
      'mlflow-call',
      'an authenticated MLflow call works',
      await request(`${trackingUri}${search}`, headers, input.caPem),
    ),
  );
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
  return report(checks);
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

/** `23h 59m`, `5m 3s`. */
function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${sec}s` : `${sec}s`;
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

/** Recognises what came back: MLflow's JSON, the proxy's sign-in page, a login redirect, the plugin's errors. */
function classify(id: string, title: string, answer: Answer | string, workspace?: string): DoctorCheck {
  const base = { id, title };
  if (typeof answer === 'string') return { ...base, status: 'fail', evidence: answer };
  const first = answer.body.replace(/\s+/g, ' ').slice(0, 160);
  const evidence = `${answer.status} ${answer.contentType || '(no content type)'}: ${first}`;
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

/** One GET with Node's http/https (never fetch: it would hide header problems); errors become strings. */
function request(
  url: string,
  headers: Record<string, string>,
  ca: string | undefined,
): Promise<Answer | string> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve) => {
    try {
      const req = client.get(url, { headers, ...(ca !== undefined && { ca }), timeout: 15_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => body.length < 100_000 && (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body,
            ...(res.headers.location !== undefined && { location: res.headers.location }),
          }),
        );
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`${e.code ?? ''} ${e.message}`.trim()));
    } catch (e) {
      resolve(`${(e as NodeJS.ErrnoException).code ?? ''} ${(e as Error).message}`.trim());
    }
  });
}
