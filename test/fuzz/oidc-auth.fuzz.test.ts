// The oidc-auth stack's front door (mlflow-oidc-auth 7.3.1 in front of MLflow) as users run it: a real
// `mlflow-authlab up --auth oidc-auth --mlflow emulator` process, fuzzed over real HTTP on loopback on every surface a
// client reaches (mlflow-oidc-auth.md §1-§4): generated Authorization headers, raw header bytes Node's client cannot
// send (CR, LF, NUL, latin-1, folded and repeated lines), `session` cookies, the plugin's REST API as non-admins and
// as the admin, and the front door's own paths and methods (/login, /callback, /logout, /oidc/ui/*, /v1/traces).
//
// Where the plugin's answer follows from its source (the scheme choice, Python's base64 for Basic, Starlette's cookie
// parsing and itsdangerous' signature), who a request is taken for is computed here and compared exactly; elsewhere
// every answer must be one of the plugin's documented shapes, with a 500 only where the plugin answers 500. Nobody
// gains: no forged or unauthenticated request gets MLflow data, mallory (no groups, no grants,
// DEFAULT_MLFLOW_PERMISSION NO_PERMISSIONS) never reads a workspace's secrets, no one but carol gets an
// administrator's answer, the lab process lives to answer /health after every batch, and afterwards every good
// user's everyday calls answer as they did before the fuzz.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { goRefusesRequestTarget } from '../../src/go-http.js';
import { pythonB64decode } from '../../src/mlflow/auth/oidc/python-base64.js';
import { pythonJsonDumps } from '../../src/mlflow/auth/oidc/python-json.js';
import { caseCounts, counted, fuzzParameters } from './support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'dist/cli/main.js');
const SECRET_KEY = 'fuzz-oidc-auth-secret-key-0123456789';
const USERS = ['alice', 'bob', 'carol', 'mallory'] as const;
type User = (typeof USERS)[number];
const WORKSPACES = ['team-a', 'team-b'] as const;
type Workspace = (typeof WORKSPACES)[number];
const email = (u: User) => `${u}@example.com`;
/** The user a username is, exactly as the plugin's store looks it up (no case folding there). */
const userOf = (name: string | undefined): User | undefined => USERS.find((u) => email(u) === name);
/** The plugin's database rows as the lab seeds them: every configured user, and the pipeline's service account. */
const ROWS = new Set<string>([...USERS.map(email), 'mlflow-pipeline']);
/** Where each identity may read (fixtures/rbac/default-lab.yaml mapped onto workspace grants; carol is an admin). */
const READS: Record<User, readonly Workspace[]> = {
  alice: ['team-a'],
  bob: ['team-b'],
  carol: ['team-a', 'team-b'],
  mallory: [],
};
const readsOf = (who: string | undefined): readonly Workspace[] => {
  const u = userOf(who);
  return u === undefined ? [] : READS[u];
};
const AUTH_REQUIRED = '{"detail":"Authentication required"}';
const ADMIN_REQUIRED = '{"detail":"Administrator privileges required for this operation"}';
const DENIED = '{"message":"Permission denied"}\n';
const NO_USER = '{"detail":"User not found"}';
/** Runs per property before AUTHLAB_FUZZ_SCALE: sized for CI, the whole file well under a minute on 2 cores. */
const BASE = { authorization: 700, raw: 200, sessions: 600, api: 900, paths: 600, admin: 500 };
/** The runs as scaled, for the tests' names. */
const RUNS = Object.fromEntries(
  Object.entries(BASE).map(([k, n]) => [k, fuzzParameters(n).numRuns!]),
) as Record<keyof typeof BASE, number>;

let dir: string;
let child: ChildProcess;
let info: Record<string, any>;
let port: number;
let exitedWith: string | undefined;
/** Lines the lab logged for an exception no handler expected (the front door's last-resort 500). */
const unexpected: string[] = [];
/** Unhandled rejections and exceptions in this process while the suite ran. */
const stray: string[] = [];
const onStray = (e: unknown) => void stray.push(String((e as Error)?.stack ?? e));
const idTokens = {} as Record<User, string>;
/** id tokens minted with a one-second lifetime: expired by the time they are sent. */
const expiredTokens = {} as Record<User, string>;
/** Each user's current access token: the REST fuzz may rotate one, and its answer says which. */
const accessTokens = {} as Record<User, string>;
/** Each user's first access token, replaced by the second one at start. */
const replacedTokens = {} as Record<User, string>;
/** A workspace's seeded values no request names: their leak is a reader's only (§4.4, §4.5). */
const secrets = {} as Record<Workspace, string[]>;
/**
 * Seeded values 7.3.1 lets anyone authenticated read through one documented hole each (§4.4 "Holes in 7.3.1"): a
 * run's tags through SearchRuns, which has no check, and an artifact through the `/ajax-api` artifact proxy, which
 * `_is_proxy_artifact_path` does not look at. Each may appear in that route's answers only.
 */
const holeSecrets = {} as Record<Workspace, Array<{ value: string; through: RegExp }>>;
/** Seeded ids and names, in the generators' pools so requests name them. */
const seeded = {} as Record<Workspace, { experimentId: string; runId: string; model: string }>;
/** MLflow's answer to `GET /` (the UI), for an authenticated document request. */
let rootStatus = 0;
let stateBefore = '';
/** The surface being fuzzed, and how often each status answered it: the summary printed at the end. */
let surface = 'setup';
const statuses = new Map<string, Map<number, number>>();
let everydayBefore: string[] = [];

// --- plain HTTP and raw sockets ------------------------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

interface Got {
  /** 0: the connection ended without an answer. */
  status: number;
  contentType: string;
  text: string;
  location: string | undefined;
  setCookies: string[];
}

type Headers = ReadonlyArray<readonly [string, string]>;

/**
 * One request as sent on the wire: headers in order and repeated as given (fetch would merge repeated ones), the
 * request target not normalized. Undefined when Node's client refuses the header or path (no request then).
 */
function send(
  method: string,
  target: string,
  headers: Headers = [],
  body?: string | Buffer,
): Promise<Got | undefined> {
  const flat: string[] = [];
  if (!headers.some(([k]) => k.toLowerCase() === 'host')) flat.push('host', `127.0.0.1:${port}`);
  for (const [k, v] of headers) flat.push(k, v);
  const payload = body === undefined ? undefined : Buffer.from(body);
  if (payload !== undefined) flat.push('content-length', String(payload.length));
  let req: http.ClientRequest;
  try {
    req = http.request({
      host: '127.0.0.1',
      port,
      method,
      path: target,
      headers: flat,
      setHost: false,
      agent,
    });
  } catch {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
          location: res.headers.location,
          setCookies: res.headers['set-cookie'] ?? [],
        }),
      );
      res.on('error', () => resolve({ ...NO_ANSWER }));
    });
    req.on('error', () => resolve({ ...NO_ANSWER }));
    req.end(payload);
  });
}

const NO_ANSWER: Got = { status: 0, contentType: '', text: '', location: undefined, setCookies: [] };

/** Bytes on a fresh connection (`Connection: close` in them), the answer read to the connection's end. */
function raw(bytes: Buffer): Promise<Got> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseAnswer(Buffer.concat(chunks)));
    };
    const timer = setTimeout(finish, 10_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
    socket.write(bytes);
  });
}

function parseAnswer(bytes: Buffer): Got {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return { ...NO_ANSWER };
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)?.[1] ?? 0);
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  let body = bytes.subarray(end + 4);
  if (headers.get('transfer-encoding')?.[0] === 'chunked') {
    const parts: Buffer[] = [];
    for (let at = 0; at < body.length;) {
      const eol = body.indexOf('\r\n', at);
      const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
      if (!(size > 0)) break;
      parts.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  return {
    status,
    contentType: headers.get('content-type')?.[0] ?? '',
    text: body.toString('utf8'),
    location: headers.get('location')?.[0],
    setCookies: headers.get('set-cookie') ?? [],
  };
}

async function must(method: string, target: string, headers: Headers, body?: unknown) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const withType: Headers = text === undefined ? headers : [...headers, ['content-type', 'application/json']];
  const got = await send(method, target, withType, text);
  if (!got || got.status === 0 || got.status >= 400)
    throw new Error(`${method} ${target}: ${got?.status} ${got?.text}`);
  return JSON.parse(got.text) as Record<string, any>;
}

const bearer = (u: User): [string, string] => ['authorization', `Bearer ${idTokens[u]}`];
const basic = (u: User): [string, string] => [
  'authorization',
  `Basic ${Buffer.from(`${email(u)}:${accessTokens[u]}`).toString('base64')}`,
];
const inWorkspace = (ws: string): [string, string] => ['x-mlflow-workspace', ws];
const JSON_ACCEPT: [string, string] = ['accept', 'application/json'];

async function healthy(): Promise<void> {
  const got = await send('GET', '/health');
  expect(exitedWith, 'the lab process ended').toBeUndefined();
  expect(got?.status, 'GET /health after a batch').toBe(200);
  expect(got?.text).toBe('{"status":"ok"}');
}

// --- Starlette's session, as the plugin reads and writes it (mlflow-oidc-auth.md §1.2) ----------------------------

/** itsdangerous' HMAC-SHA1 signature for TimestampSigner(key): the key derived django-concat style. */
function signature(value: string, key = SECRET_KEY): string {
  const derived = createHash('sha1').update(`itsdangerous.Signersigner${key}`).digest();
  return createHmac('sha1', derived).update(value).digest('base64url');
}

/** `int_to_bytes` then base64url: the timestamp part. */
function stamp(seconds: number): string {
  let hex = Math.max(0, Math.floor(seconds)).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
}

const nowSeconds = () => Date.now() / 1000;

/** A cookie value signed as Starlette signs one, over a payload given as its base64 text. */
function signedRaw(payload: string, seconds = nowSeconds(), key = SECRET_KEY): string {
  const value = `${payload}.${stamp(seconds)}`;
  return `${value}.${signature(value, key)}`;
}

/** A session cookie value as Starlette signs `session` at `seconds`. */
const sealed = (session: unknown, seconds = nowSeconds(), key = SECRET_KEY) =>
  signedRaw(Buffer.from(pythonJsonDumps(session)).toString('base64'), seconds, key);

/**
 * Starlette's `cookie_parser` over the Cookie header: split on `;`, the name before the first `=`, both stripped,
 * `http.cookies._unquote` on the value, and the last of a name wins.
 */
function starletteCookie(header: string, name: string): string | undefined {
  const out = new Map<string, string>();
  for (const chunk of header.split(';')) {
    const eq = chunk.indexOf('=');
    const key = (eq < 0 ? '' : chunk.slice(0, eq)).trim();
    let value = (eq < 0 ? chunk : chunk.slice(eq + 1)).trim();
    if (key === '' && value === '') continue;
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value
        .slice(1, -1)
        .replace(/\\(?:([0-3][0-7][0-7])|(.))/gs, (_m, octal: string | undefined, c: string) =>
          octal !== undefined ? String.fromCharCode(parseInt(octal, 8)) : c,
        );
    out.set(key, value);
  }
  return out.get(name);
}

// --- who a request is taken for (mlflow-oidc-auth.md §3, auth_middleware.py) -------------------------------------

/**
 * `_authenticate_basic_auth`: `base64.b64decode` (non-strict: bytes outside the alphabet skipped, a complete pad
 * ends the input, a short quantum refused, a non-ASCII str refused), `.decode("utf-8")`, `split(":", 1)`, the
 * username lower-cased, then the user's current access token.
 */
function basicIdentity(credentials: string): string | undefined {
  const bytes = pythonB64decode(credentials);
  if (!bytes) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const u = userOf(text.slice(0, colon).toLowerCase());
  return u !== undefined && accessTokens[u] === text.slice(colon + 1) ? email(u) : undefined;
}

/** What the header's scheme picks (case-sensitive, no fallback): Basic, Bearer, else the session. */
function scheme(authorization: string | undefined): 'basic' | 'bearer' | 'session' {
  if (authorization?.startsWith('Basic ')) return 'basic';
  if (authorization?.startsWith('Bearer ')) return 'bearer';
  return 'session';
}

/** The header value as the server sees it: leading and trailing blanks are not part of a field value. */
const fieldValue = (v: string) => v.replace(/^[ \t]+|[ \t]+$/g, '');

/** The requests whose answer tells who the caller was taken for. */
type Probe = 'current' | 'get-b' | 'search-b' | 'root' | 'status';

function probeRequest(probe: Probe): { method: string; target: string; headers: Headers; body?: string } {
  switch (probe) {
    case 'current':
      return { method: 'GET', target: '/api/2.0/mlflow/users/current', headers: [JSON_ACCEPT] };
    case 'get-b':
      return {
        method: 'GET',
        target: `/api/2.0/mlflow/experiments/get?experiment_id=${seeded['team-b'].experimentId}`,
        headers: [JSON_ACCEPT, inWorkspace('team-b')],
      };
    case 'search-b':
      return {
        method: 'POST',
        target: '/api/2.0/mlflow/experiments/search',
        headers: [JSON_ACCEPT, inWorkspace('team-b'), ['content-type', 'application/json']],
        body: '{"max_results":100}',
      };
    case 'root':
      return { method: 'GET', target: '/', headers: [['accept', 'text/html,application/xhtml+xml']] };
    case 'status':
      return { method: 'GET', target: '/auth/status', headers: [JSON_ACCEPT] };
  }
}

/** Whether `got` is the answer to `probe` by `who` (an authenticated username, or nobody). */
function fits(probe: Probe, who: string | undefined, got: Got): boolean {
  const unauthenticated = got.status === 401 && got.text === AUTH_REQUIRED;
  switch (probe) {
    case 'current':
      if (who === undefined) return unauthenticated;
      if (ROWS.has(who)) return got.status === 200 && JSON.parse(got.text).username === who;
      return got.status === 404 && got.text === NO_USER;
    case 'get-b':
      if (who === undefined) return unauthenticated;
      return readsOf(who).includes('team-b') ? got.status === 200 : got.status === 403 && got.text === DENIED;
    case 'search-b':
      return who === undefined ? unauthenticated : got.status === 200;
    case 'root':
      return who === undefined
        ? got.status === 302 && got.location === '/oidc/ui'
        : got.status === rootStatus;
    case 'status':
      if (who === undefined) return unauthenticated;
      return got.status === 200 && JSON.parse(got.text).username === who;
  }
}

// --- the answers the plugin gives ----------------------------------------------------------------------------------

/** uvicorn's path: percent-decoded as UTF-8, undecodable bytes replaced. */
const decodedPath = (target: string) =>
  target
    .split('?')[0]!
    .replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString());

/** The plugin's own REST API (its routers' prefixes, §4.8) and admin trash. */
const pluginApi = (p: string) =>
  /^\/api\/2\.0\/mlflow\/(permissions\/|users(\/|$))|^\/api\/3\.0\/mlflow\/permissions\/|^\/oidc\/trash\//.test(
    p,
  );

/** The 500s the plugin itself answers (mlflow-oidc-auth.md §1.4, §3.3, §3.1; its routers' catch-alls). */
function documented500(method: string, target: string, got: Got, brokenSession: boolean): boolean {
  const type = got.contentType.split(';')[0]!.trim();
  const p = decodedPath(target);
  const artifacts = /\/mlflow-artifacts\/artifacts\/|\/get-artifact$/.test(p);
  // A HEAD answer has no body: its 500 is one the plugin (or MLflow) gives where the GET's is.
  if (method.toUpperCase() === 'HEAD' && got.text === '')
    return brokenSession || pluginApi(p) || p === '/login' || target.startsWith('/oidc/ui/') || artifacts;
  // Starlette's ServerErrorMiddleware: a session cookie signed with SECRET_KEY whose payload does not decode, on
  // any path; the UI's files without the UI bundle (U9b), which the lab's router matches on the raw path.
  if (type === 'text/plain' && got.text === 'Internal Server Error')
    return brokenSession || (/^(GET|HEAD)$/.test(method) && target.startsWith('/oidc/ui/'));
  // MLflow's own 500 behind the plugin (Werkzeug's page): an artifact path Python cannot open, such as one with a
  // NUL, a directory, or %-escapes past MLflow's ten decoding rounds (the emulator's artifacts/paths.ts).
  if (type === 'text/html' && got.text.includes('<title>500 Internal Server Error</title>')) return artifacts;
  if (type !== 'application/json') return false;
  const detail = (JSON.parse(got.text) as { detail?: unknown }).detail;
  if (typeof detail !== 'string') return false;
  // `/login` when the IdP's discovery fails or the client is not configured (§2.2 OIDC_DISCOVERY_URL).
  if (p === '/login' && /^(GET|HEAD)$/.test(method))
    return [
      'Failed to initiate OIDC login',
      'OIDC authentication not available - configuration error',
    ].includes(detail);
  // A naive expiration (a TypeError against an aware now) or an admin naming a missing user (T6b).
  if (method === 'PATCH' && p === '/api/2.0/mlflow/users/access-token')
    return detail === 'Failed to create access token';
  // The permission, users and trash routers turn every repository failure into their own 500 (`except Exception`).
  return pluginApi(p) && /^Failed to (create|update|delete|retrieve|get|restore) [a-z ]+$/.test(detail);
}

/**
 * The shapes the plugin's layers answer in (§3.4): FastAPI's `{"detail": …}` (a string, or 422's error list),
 * the Flask hooks' `{"message": …}`, MlflowException JSON (MLflow's and the plugin routers'), the trash router's
 * `{"error": …}`, the FastAPI-native `text/plain` denial, Flask/werkzeug's HTML pages, MLflow's own answers, and
 * Node's parser refusing a request it cannot read (400/431, no body). Returns why an answer is not one of them.
 */
function undocumented(got: Got, method: string, target: string): string | undefined {
  // A HEAD answer has the headers of the GET's and no body.
  if (method.toUpperCase() === 'HEAD' && got.text === '') return undefined;
  const type = got.contentType.split(';')[0]!.trim().toLowerCase();
  if (got.status >= 300 && got.status < 400 && got.status !== 304)
    return got.location ? undefined : 'a redirect without Location';
  // The lab's front door shares the proxy's refusal of a bad %-escape (Go's bare 400; README "The auth proxy").
  if (got.status === 400 && type === 'text/plain' && got.text === '400 Bad Request')
    return goRefusesRequestTarget(target) ? undefined : "Go's bare 400 for a target Go would parse";
  if (type === 'application/json') {
    let json: unknown;
    try {
      json = JSON.parse(got.text);
    } catch {
      return 'JSON that does not parse';
    }
    if (got.status < 300) return undefined;
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      return 'an error that is not an object';
    const o = json as Record<string, unknown>;
    if (typeof o.detail === 'string') return undefined;
    if (got.status === 422 && Array.isArray(o.detail))
      return o.detail.every(
        (e: any) => typeof e?.type === 'string' && Array.isArray(e?.loc) && typeof e?.msg === 'string',
      )
        ? undefined
        : "a 422 whose list is not pydantic's";
    if (typeof o.error_code === 'string' && typeof o.message === 'string') return undefined;
    if (got.text === DENIED && got.status === 403) return undefined;
    if (got.text === '{"message":"Authentication required"}\n' && got.status === 401) return undefined;
    if (typeof o.error === 'string' && Object.keys(o).length === 1) return undefined;
    return 'an error JSON of no documented shape';
  }
  if (type === 'text/plain')
    return ['Permission denied', 'Internal Server Error'].includes(got.text) || got.status < 400
      ? undefined
      : 'an undocumented text/plain answer';
  if (type === 'text/html')
    return got.text === '' || /^<!doctype html>/i.test(got.text) || got.status < 400
      ? undefined
      : 'an HTML answer that is no Flask page';
  return got.status < 400 || got.text === '' ? undefined : `an error as ${got.contentType || 'no type'}`;
}

/** The answer's body is `text`, or none at all for a HEAD. */
const bodyIs = (got: Got, method: string, text: string) =>
  got.text === text || (method.toUpperCase() === 'HEAD' && got.text === '');

/** A raw byte outside ASCII in the request target: Node's parser (as uvicorn's llhttp) refuses it with a bare 400. */
const parserRefuses = (target: string) => /[^\x21-\x7e]/.test(target);

/** Whether a redirect leaves both the host the client named and the IdP (WHATWG resolution, as a browser). */
function offHost(location: string, host: string): boolean {
  const resolved = new URL(location, `http://${host}/`);
  return resolved.host !== new URL(`http://${host}/`).host && resolved.host !== new URL(info.issuer).host;
}

interface Checked {
  method: string;
  target: string;
  /** The strongest identity the request may honestly carry. */
  caller: string | undefined;
  host?: string;
  /** A session cookie signed with SECRET_KEY whose payload Starlette cannot decode: its 500 is documented. */
  brokenSession?: boolean;
  /** Oversized or unparsable bytes: the connection may end without an answer. */
  mayDrop?: boolean;
}

/**
 * The rules every answer keeps: an answer at all, a documented shape, a 500 only where the plugin gives one, no
 * lab failure, no redirect off the host the client named, no secret its caller may not read, the process alive.
 */
function check(got: Got, o: Checked): void {
  const tally = statuses.get(surface) ?? new Map<number, number>();
  statuses.set(surface, tally.set(got.status, (tally.get(got.status) ?? 0) + 1));
  const what = `${o.method} ${o.target.slice(0, 300)} → ${got.status} ${got.contentType} ${got.text.slice(0, 300)}`;
  if (parserRefuses(o.target) && got.status === 400)
    expect(got.text, `Node's parser refuses the target with a bare 400: ${what}`).toBe('');
  expect(exitedWith, 'the lab process ended').toBeUndefined();
  expect(unexpected, 'the lab logged an unexpected error').toEqual([]);
  if (got.status === 0) {
    // Go's bare 400 has a body even for a HEAD, which Node's client then cannot read as an answer.
    const goHead = o.method.toUpperCase() === 'HEAD' && goRefusesRequestTarget(o.target);
    // Refused with a body still being sent: the socket may close before the 400 is read.
    expect(o.mayDrop === true || goHead || parserRefuses(o.target), `no answer: ${what}`).toBe(true);
    return;
  }
  expect(undocumented(got, o.method, o.target), what).toBeUndefined();
  if (got.status >= 500)
    expect(
      documented500(o.method, o.target, got, o.brokenSession ?? false),
      `undocumented 5xx: ${what}`,
    ).toBe(true);
  if (got.location !== undefined)
    expect(offHost(got.location, o.host ?? `127.0.0.1:${port}`), `${what} Location ${got.location}`).toBe(
      false,
    );
  const reads = readsOf(o.caller);
  const p = decodedPath(o.target);
  for (const ws of WORKSPACES) {
    if (reads.includes(ws)) continue;
    for (const secret of secrets[ws])
      if (!o.target.includes(secret))
        expect(
          got.text.includes(secret),
          `${ws}'s ${secret} leaked to ${o.caller ?? 'nobody'}: ${what}`,
        ).toBe(false);
    for (const { value, through } of holeSecrets[ws])
      if (o.caller === undefined || !through.test(p))
        expect(got.text.includes(value), `${ws}'s ${value} leaked to ${o.caller ?? 'nobody'}: ${what}`).toBe(
          false,
        );
  }
}

/** Tracks a rotated access token, and refuses one minted for someone else than its (non-admin) caller. */
function noteAccessToken(got: Got, caller: User): void {
  if (got.status !== 200) return;
  let json: { token?: unknown; message?: unknown };
  try {
    json = JSON.parse(got.text);
  } catch {
    return;
  }
  if (typeof json.token !== 'string' || typeof json.message !== 'string') return;
  const owner = /^Token for (.*) has been created$/.exec(json.message)?.[1];
  if (caller !== 'carol')
    expect(owner, `an access token for someone else than ${caller}: ${got.text}`).toBe(email(caller));
  const u = userOf(owner);
  if (u !== undefined) accessTokens[u] = json.token;
}

// --- the state nobody fuzzed may change ----------------------------------------------------------------------------

/** carol's view: each workspace's MLflow data, and the plugin's users, groups and rules. */
async function state(): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const ws of WORKSPACES) {
    const as: Headers = [bearer('carol'), inWorkspace(ws)];
    const experiments = await must('POST', '/api/2.0/mlflow/experiments/search', as, {
      max_results: 1000,
      view_type: 'ALL',
    });
    const ids = (experiments.experiments ?? []).map((e: { experiment_id: string }) => e.experiment_id);
    out[`${ws} experiments`] = experiments;
    out[`${ws} runs`] = await must('POST', '/api/2.0/mlflow/runs/search', as, {
      experiment_ids: ids,
      max_results: 1000,
      run_view_type: 'ALL',
    });
    out[`${ws} models`] = await must('GET', '/api/2.0/mlflow/registered-models/search?max_results=1000', as);
    out[`${ws} artifacts`] = (await send('GET', '/api/2.0/mlflow-artifacts/artifacts?path=', as))?.text;
  }
  const users = (await must('GET', '/api/2.0/mlflow/users', [bearer('carol')])) as unknown as string[];
  for (const name of users) {
    // The expiry is left out: a non-admin may give their own token one.
    const { password_expiration: _, ...profile } = await must(
      'GET',
      `/api/2.0/mlflow/users/${encodeURIComponent(name)}`,
      [bearer('carol')],
    );
    out[`user ${name}`] = profile;
  }
  for (const ws of WORKSPACES) {
    const w: Headers = [bearer('carol'), inWorkspace(ws)];
    const { experimentId, model } = seeded[ws];
    for (const target of [
      `/api/2.0/mlflow/permissions/experiments/${experimentId}/users`,
      `/api/2.0/mlflow/permissions/experiments/${experimentId}/groups`,
      `/api/2.0/mlflow/permissions/registered-models/${model}/users`,
      `/api/2.0/mlflow/permissions/registered-models/${model}/groups`,
      `/api/3.0/mlflow/permissions/workspaces/${ws}/users`,
      `/api/3.0/mlflow/permissions/workspaces/${ws}/groups`,
      ...users.map((u) => `/api/2.0/mlflow/permissions/users/${encodeURIComponent(u)}/experiments`),
    ])
      out[`${ws} ${target}`] = await must('GET', target, w);
  }
  for (const target of [
    '/api/3.0/mlflow/permissions/workspaces/regex/user',
    '/api/3.0/mlflow/permissions/workspaces/regex/group',
    '/api/2.0/mlflow/permissions/groups',
    ...GROUPS.flatMap((g) => [
      `/api/2.0/mlflow/permissions/groups/${g}/experiment-patterns`,
      `/api/2.0/mlflow/permissions/groups/${g}/registered-models-patterns`,
      `/api/2.0/mlflow/permissions/groups/${g}/prompts-patterns`,
      `/api/2.0/mlflow/permissions/groups/${g}/users`,
    ]),
    ...USERS.flatMap((u) => [
      `/api/2.0/mlflow/permissions/users/${email(u)}/experiment-patterns`,
      `/api/2.0/mlflow/permissions/users/${email(u)}/registered-models-patterns`,
    ]),
  ])
    out[target] = await must('GET', target, [bearer('carol')]);
  return JSON.stringify(out, null, 1);
}

/**
 * Every user's everyday calls, by bearer and by Basic (the current token): who they are, what they read in each
 * workspace, what they may not. The answers, timestamps left in (nothing fuzzed may touch these resources).
 */
async function everyday(): Promise<string[]> {
  const out: string[] = [];
  for (const u of USERS)
    for (const how of [bearer, basic]) {
      const current = await send('GET', '/api/2.0/mlflow/users/current', [how(u)]);
      const profile =
        current?.status === 200 ? { ...JSON.parse(current.text), password_expiration: '-' } : current;
      out.push(`${u} ${how.name} current ${current?.status} ${JSON.stringify(profile)}`);
      for (const ws of WORKSPACES) {
        const as: Headers = [how(u), inWorkspace(ws), JSON_ACCEPT];
        const { experimentId, model } = seeded[ws];
        for (const target of [
          `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`,
          `/api/2.0/mlflow/registered-models/get?name=${model}`,
          '/api/2.0/mlflow/registered-models/search?max_results=100',
        ]) {
          const got = await send('GET', target, as);
          out.push(`${u} ${how.name} ${ws} ${target} ${got?.status} ${got?.text}`);
        }
        const search = await send(
          'POST',
          '/api/2.0/mlflow/experiments/search',
          [...as, ['content-type', 'application/json']],
          '{"max_results":100}',
        );
        out.push(`${u} ${how.name} ${ws} search ${search?.status} ${search?.text}`);
      }
    }
  return out;
}

beforeAll(async () => {
  process.on('unhandledRejection', onStray);
  process.on('uncaughtException', onStray);
  dir = await mkdtemp(path.join(tmpdir(), 'authlab-oidc-fuzz-'));
  // The fuzz run's plugin settings: a SECRET_KEY the test signs sessions with, and no fallback permission, so an
  // identity without grants (mallory) reads and changes nothing (run 2 of the measurements, §8).
  const lab = (await readFile(path.join(ROOT, 'fixtures/lab.yaml'), 'utf8')).replace(
    '  - rbac/default-lab.yaml',
    `  - ${path.join(ROOT, 'fixtures/rbac/default-lab.yaml')}`,
  );
  await writeFile(
    path.join(dir, 'lab.yaml'),
    `${lab}\noidcAuth:\n  SECRET_KEY: ${SECRET_KEY}\n  DEFAULT_MLFLOW_PERMISSION: NO_PERMISSIONS\n`,
  );
  const ports = ['--port', '0', '--idp-port', '0', '--kube-port', '0', '--mlflow-port', '0'];
  child = spawn(
    process.execPath,
    [BIN, 'up', '--auth', 'oidc-auth', '--mlflow', 'emulator', '--config', 'lab.yaml', '--json', ...ports],
    {
      cwd: dir,
      env: { ...process.env, AUTHLAB_HOME: path.join(dir, 'home'), DOCKER_HOST: 'unix:///nonexistent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    // The front door's handler of last resort (create-oidc-auth.ts): an exception nothing in the plugin expects.
    for (const line of stderr.split('\n').slice(0, -1)) {
      if (line.includes('unexpected error on')) unexpected.push(line.slice(0, 2000));
      tail = `${tail}${line.slice(0, 500)}\n`.slice(-20_000);
    }
    stderr = stderr.slice(stderr.lastIndexOf('\n') + 1);
  });
  child.once('exit', (code, signal) => (exitedWith = `exit ${code} ${signal ?? ''}\n${tail}${stderr}`));
  info = await new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0]!));
    });
    child.once('exit', () => reject(new Error(`up ended before it was ready: ${exitedWith}`)));
  });
  port = Number(new URL(info.trackingUri).port);
  const token = async (u: User, lifetime?: string) => {
    const res = await fetch(info.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('mlflow-cli:mlflow-cli-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'password',
        username: email(u),
        password: `${u}-password`,
        scope: 'openid email groups',
        ...(lifetime !== undefined && { authlab_expires_in: lifetime }),
      }),
    });
    return ((await res.json()) as { id_token: string }).id_token;
  };
  for (const u of USERS) {
    idTokens[u] = await token(u);
    expiredTokens[u] = await token(u, '1s');
    const mint = async () =>
      (await must('PATCH', '/api/2.0/mlflow/users/access-token', [bearer(u)], {})).token as string;
    replacedTokens[u] = await mint();
    accessTokens[u] = await mint();
  }
  // carol (an admin) seeds each workspace.
  for (const ws of WORKSPACES) {
    const as: Headers = [bearer('carol'), inWorkspace(ws)];
    const tag = `canary${Math.random().toString(36).slice(2, 10)}${ws.replace('-', '')}`;
    const { experiment_id: experimentId } = await must('POST', '/api/2.0/mlflow/experiments/create', as, {
      name: `${tag}-experiment`,
      tags: [{ key: 'secret', value: `${tag}-exptag` }],
    });
    const run = await must('POST', '/api/2.0/mlflow/runs/create', as, {
      experiment_id: experimentId,
      tags: [{ key: 'secret', value: `${tag}-runtag` }],
    });
    const runId = run.run.info.run_id as string;
    await must('POST', '/api/2.0/mlflow/registered-models/create', as, {
      name: `${tag}-model`,
      description: `${tag}-modeldesc`,
    });
    await must('POST', '/api/2.0/mlflow/experiments/create', as, { name: `${tag}-unnamed` });
    const put = await send(
      'PUT',
      `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/${tag}-file.txt`,
      as,
      `${tag}-content`,
    );
    expect(put?.status).toBe(200);
    seeded[ws] = { experimentId: String(experimentId), runId, model: `${tag}-model` };
    secrets[ws] = [`${tag}-exptag`, `${tag}-modeldesc`, `${tag}-unnamed`];
    holeSecrets[ws] = [
      { value: `${tag}-runtag`, through: /^\/(api|ajax-api)\/2\.0\/mlflow\/runs\/search$/ },
      { value: `${tag}-content`, through: /^\/ajax-api\/2\.0\/mlflow-artifacts\/artifacts\// },
    ];
  }
  rootStatus = (await send('GET', '/', [bearer('carol'), ['accept', 'text/html']]))!.status;
  stateBefore = await state();
  everydayBefore = await everyday();
}, 60_000);

afterAll(async () => {
  agent.destroy();
  if (child && child.exitCode === null) {
    // Closing its stdin is how the lab learns its starter is done.
    child.stdin!.end();
    await new Promise((r) => child.once('exit', r));
  }
  process.off('unhandledRejection', onStray);
  process.off('uncaughtException', onStray);
  const counts = [...caseCounts].map(([surface, n]) => `${surface}: ${n}`).join(', ');
  process.stdout.write(`fuzz cases (oidc-auth): ${counts}\n`);
  for (const [name, tally] of statuses)
    process.stdout.write(
      `  ${name}: ${[...tally]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status || 'no answer'}×${n}`)
        .join(' ')}\n`,
    );
  await rm(dir, { recursive: true, force: true });
});

// --- generators ----------------------------------------------------------------------------------------------------

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');
/** Characters Python's and Node's base64 decoders read differently; latin-1 and a pad among them. */
const junk = fc.constantFrom('!', '.', '-', '_', ' ', 'é', '*', '\t', '\u00ff', '~');
const spliced = (text: string, chars: fc.Arbitrary<string> = junk) =>
  fc.tuple(fc.nat({ max: text.length }), chars).map(([i, c]) => text.slice(0, i) + c + text.slice(i));

/** A foreign RSA key: a well-formed RS256 signature the IdP's key does not verify. */
const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A token and whom it may be taken for: `exact` when the plugin's answer is certain, else that user or nobody. */
interface Credential {
  value: string;
  who: string | undefined;
  exact: boolean;
}

/** A JWT made from a user's id token: as is, damaged, re-signed, unsigned, expired, huge. */
function jwtVariants(u: User): fc.Arbitrary<Credential> {
  const token = idTokens[u];
  const [head, payload, sig] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const kid = (JSON.parse(Buffer.from(head, 'base64url').toString()) as { kid: string }).kid;
  // A "forgery" that comes out byte for byte as the token (carol's claims made carol's) is the token.
  const nobody = (value: string): Credential =>
    value === token ? { value, who: email(u), exact: true } : { value, who: undefined, exact: true };
  /** A change Python's lenient base64 may ignore (a byte outside the alphabet, a non-canonical last character). */
  const perhaps = (value: string): Credential => ({ value, who: email(u), exact: value === token });
  const body = `${b64url(JSON.stringify({ alg: 'RS256', kid, typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  const hsBody = `${b64url(JSON.stringify({ alg: 'HS256', kid, typ: 'JWT' }))}.${payload}`;
  const publicJwk = Buffer.from(JSON.stringify(foreign.publicKey.export({ format: 'jwk' })));
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant({ value: token, who: email(u), exact: true }) },
    fc.nat({ max: token.length - 1 }).map((i) => nobody(token.slice(0, i))),
    fc
      .tuple(fc.nat({ max: token.length - 1 }), fc.constantFrom('A', 'B', '-', '_', 'Q', 'g'))
      .map(([i, c]) => perhaps(token.slice(0, i) + c + token.slice(i + 1))),
    spliced(token).map(perhaps),
    fc.string({ maxLength: 20 }).map((s) => perhaps(token + s)),
    fc.constant(
      nobody(`${head}.${b64url(JSON.stringify({ ...claims, email: 'carol@example.com' }))}.${sig}`),
    ),
    fc.constant(nobody([payload, head, sig].join('.'))),
    // alg:none, with and without the IdP's kid (GHSA-g765-w658-6cr2; refused under Authlib 1.8, §3.2 B7).
    fc
      .constantFrom({ alg: 'none' }, { alg: 'none', kid }, { alg: 'None', kid }, { alg: 'NONE', typ: 'JWT' })
      .chain((h) =>
        fc.constantFrom('', sig).map((s) => nobody(`${b64url(JSON.stringify(h))}.${payload}.${s}`)),
      ),
    // The same claims signed by another key under the IdP's kid, and HS256 keyed with a public key (B6, §3.2).
    fc.constant(
      nobody(`${body}.${rsaSign('sha256', Buffer.from(body), foreign.privateKey).toString('base64url')}`),
    ),
    fc.constant(nobody(`${hsBody}.${createHmac('sha256', publicJwk).update(hsBody).digest('base64url')}`)),
    fc.constant(nobody(expiredTokens[u])),
    fc.constantFrom('not.a.jwt', '', 'a.b', '....', 'e30.e30.e30', 'null', '.', 'Bearer').map(nobody),
    fc.constantFrom(3_000, 12_000).map((n) => nobody(`${token}${'A'.repeat(n)}`)),
    fc.constantFrom('\u00e9', '\u00ff', '\u0080', '\u00a0x').map((c) => perhaps(`${token}${c}`)),
  );
}

/** Basic credentials and how they are encoded; whom they authenticate is Python's reading of the header. */
function basicCredentials(): fc.Arbitrary<string> {
  const text = fc.constantFrom(...USERS).chain((u) =>
    fc.oneof(
      // The user's current token; the name as the plugin lower-cases it.
      {
        weight: 6,
        arbitrary: fc.constantFrom(email(u), email(u).toUpperCase()).map((n) => `${n}:${accessTokens[u]}`),
      },
      // A replaced or wrong token: each costs the server one scrypt, so few of them.
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(replacedTokens[u], '', accessTokens[u].slice(1))
          .map((t) => `${email(u)}:${t}`),
      },
      {
        weight: 2,
        arbitrary: fc
          .constantFrom(
            `${email(u)} `,
            '',
            'ghost@example.com',
            '\u0142ukasz@example.com',
            '\u{1F600}',
            ' ',
            'mlflow-pipeline',
          )
          .map((n) => `${n}:${accessTokens[u]}`),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(email(u), accessTokens[u], `${accessTokens[u]}@${email(u)}`, ''),
      },
    ),
  );
  /** Splices that never shift the decoded bytes' alignment: skipped by Python, so the name and token stay. */
  const harmless = fc.constantFrom('!', '.', '-', '_', ' ', '*', '\t', '~');
  return text.chain((t) =>
    fc.oneof(
      { weight: 5, arbitrary: fc.constant(b64(t)) },
      { weight: 2, arbitrary: fc.constant(b64(t).replace(/=+$/, '')) },
      fc.constant(b64url(t)),
      spliced(b64(t), harmless),
      fc.constant(`${b64('x')}${b64(t)}`),
      fc.constantFrom('\u00e9', '\u00ff', '\u0085').chain((c) => spliced(b64(t), fc.constant(c))),
      fc.constant(t),
      fc.string({ maxLength: 30 }),
      fc.constant(b64(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t)]))),
      fc.constant(b64(`\ufeff${t}`)),
    ),
  );
}

const cookieFor = (u: User) => `session=${sealed({ username: email(u), authenticated: true })}`;

// --- the plugin's REST API (routers of §4.8) ----------------------------------------------------------------------

interface Template {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  /** `check_admin_permission` (or, for access tokens, another user's): a non-admin never succeeds. */
  admin: boolean;
}

const P = '/api/2.0/mlflow/permissions';
const W = '/api/3.0/mlflow/permissions/workspaces';
const GROUPS = ['team-a-editors', 'team-b-viewers', 'mlflow-admins', 'team-a-pipelines'];
const TEMPLATES: Template[] = [
  ...(['GET', 'POST', 'PATCH', 'DELETE'] as const).flatMap((m) =>
    ['experiments/{experiment_id}', 'registered-models/{name}', 'prompts/{name}'].flatMap((r) => [
      { method: m, path: `${P}/users/{username}/${r}`, admin: false },
      ...(m === 'GET' ? [] : [{ method: m, path: `${P}/groups/{group_name}/${r}`, admin: false }]),
    ]),
  ),
  ...['experiments', 'registered-models', 'prompts'].flatMap((r) => [
    { method: 'GET' as const, path: `${P}/${r}`, admin: false },
    { method: 'GET' as const, path: `${P}/users/{username}/${r}`, admin: false },
    { method: 'GET' as const, path: `${P}/groups/{group_name}/${r}`, admin: false },
    {
      method: 'GET' as const,
      path: `${P}/${r}/{${r === 'experiments' ? 'experiment_id' : 'name'}}/users`,
      admin: false,
    },
    {
      method: 'GET' as const,
      path: `${P}/${r}/{${r === 'experiments' ? 'experiment_id' : 'name'}}/groups`,
      admin: false,
    },
  ]),
  ...['experiment-patterns', 'registered-models-patterns', 'prompts-patterns'].flatMap((r) =>
    ['users/{username}', 'groups/{group_name}'].flatMap((who) => [
      { method: 'GET' as const, path: `${P}/${who}/${r}`, admin: true },
      { method: 'POST' as const, path: `${P}/${who}/${r}`, admin: true },
      { method: 'GET' as const, path: `${P}/${who}/${r}/{id}`, admin: true },
      { method: 'PATCH' as const, path: `${P}/${who}/${r}/{id}`, admin: true },
      { method: 'DELETE' as const, path: `${P}/${who}/${r}/{id}`, admin: true },
    ]),
  ),
  { method: 'GET', path: `${P}/groups`, admin: false },
  { method: 'GET', path: `${P}/groups/{group_name}/users`, admin: true },
  { method: 'GET', path: '/oidc/trash/experiments', admin: true },
  { method: 'GET', path: '/oidc/trash/runs', admin: true },
  { method: 'POST', path: '/oidc/trash/experiments/{experiment_id}/restore', admin: true },
  { method: 'POST', path: '/oidc/trash/runs/{run_id}/restore', admin: true },
  { method: 'PATCH', path: '/api/2.0/mlflow/users/access-token', admin: false },
  { method: 'PATCH', path: '/api/2.0/mlflow/users/access-token', admin: false },
  { method: 'GET', path: '/api/2.0/mlflow/users', admin: false },
  { method: 'POST', path: '/api/2.0/mlflow/users', admin: true },
  { method: 'DELETE', path: '/api/2.0/mlflow/users', admin: true },
  { method: 'GET', path: '/api/2.0/mlflow/users/current', admin: false },
  { method: 'GET', path: '/api/2.0/mlflow/users/{username}', admin: true },
  { method: 'GET', path: `${W}/{workspace}/users`, admin: false },
  { method: 'GET', path: `${W}/{workspace}/groups`, admin: false },
  { method: 'POST', path: `${W}/{workspace}/users`, admin: false },
  { method: 'POST', path: `${W}/{workspace}/groups`, admin: false },
  { method: 'PATCH', path: `${W}/{workspace}/users/{username}`, admin: false },
  { method: 'PATCH', path: `${W}/{workspace}/groups/{group_name}`, admin: false },
  { method: 'DELETE', path: `${W}/{workspace}/users/{username}`, admin: false },
  { method: 'DELETE', path: `${W}/{workspace}/groups/{group_name}`, admin: false },
  ...(['user', 'group'] as const).flatMap((k) => [
    { method: 'GET' as const, path: `${W}/regex/${k}`, admin: true },
    { method: 'POST' as const, path: `${W}/regex/${k}`, admin: true },
    { method: 'PATCH' as const, path: `${W}/regex/${k}/{permission_id}`, admin: true },
    { method: 'DELETE' as const, path: `${W}/regex/${k}/{permission_id}`, admin: true },
  ]),
  // Not served by 7.3.1's routers (the scorer and gateway permissions): MLflow's 404.
  { method: 'GET', path: '/api/3.0/mlflow/permissions/scorers/{experiment_id}/{name}', admin: false },
  { method: 'POST', path: `${P}/gateways/endpoints/{name}/users`, admin: false },
];

/** Path parameters a client may send: the wire form (ASCII, %-escapes as given; `é` goes as a latin-1 byte). */
const ODD = [
  '',
  '%2F',
  'a%2Fb',
  '..',
  '.',
  '%2e%2e',
  '%2E%2E%2F%2E%2E',
  '%C5%82ukasz',
  '%F0%9F%98%80',
  '\u00e9',
  '%00',
  '%zz',
  '%',
  '%20',
  '-1',
  '0',
  '99999999999999999999',
  '1e3',
  'null',
  '%5B%5D',
  '%3Cscript%3E',
  '*',
  '%25',
  ';x',
  'a%3Fb%3D1',
  'a%23b',
  'x'.repeat(3000),
];
/** Principals nobody's state depends on: what an admin's (or alice's) writes name, so no grant of the lab moves. */
const FUZZ_USERS = ['ghost@example.com', 'fuzz-user', 'FUZZ-USER', 'svc-fuzz'];
const FUZZ_GROUPS = ['ghost-group', 'fuzz-group', 'a%2Fb'];
const isMutation = (method: string) => method !== 'GET' && method !== 'HEAD';

interface Pools {
  /** Real principals too (reads, and writes by those who may change nothing). */
  real: boolean;
}

function paramValue(name: string, pools: Pools): fc.Arbitrary<string> {
  const real = (values: string[]) => (pools.real ? values : []);
  const pick = (values: string[]) =>
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...values) }, fc.constantFrom(...ODD));
  switch (name) {
    case 'username':
      return pick([...real([...USERS.map(email), 'ALICE@EXAMPLE.COM', 'mlflow-pipeline']), ...FUZZ_USERS]);
    case 'group_name':
      return pick([...real(GROUPS), ...FUZZ_GROUPS, 'team-a-editors%2Fusers']);
    case 'experiment_id':
      return pick([...WORKSPACES.map((w) => seeded[w].experimentId), '0', '999999']);
    case 'name':
      return pick([...WORKSPACES.map((w) => seeded[w].model), 'ghost-model', 'a%2Fb']);
    case 'run_id':
      return pick([...WORKSPACES.map((w) => seeded[w].runId), 'ghost-run']);
    case 'workspace':
      return pick(['team-a', 'team-b', 'default', 'ghost', 'regex']);
    default:
      return pick(['1', '2', '3', '0', 'abc', '1.5']);
  }
}

const PERMISSIONS = [
  'READ',
  'USE',
  'EDIT',
  'MANAGE',
  'NO_PERMISSIONS',
  'read',
  'WRITE',
  'ADMIN',
  '',
  ' READ',
];

function bodyValue(field: string, pools: Pools): fc.Arbitrary<unknown> {
  const typed = (() => {
    switch (field) {
      case 'permission':
        return fc.constantFrom<unknown>(...PERMISSIONS);
      case 'regex':
        return fc.constantFrom<unknown>(
          '.*',
          '^team-',
          '(',
          '[a-',
          '\\',
          '',
          '(a+)+$',
          'a{99999999}',
          '.*'.repeat(50),
        );
      case 'priority':
        return fc.constantFrom<unknown>(0, 1, -1, 2 ** 31, 2 ** 63, 1.5, '1', 'high', 1e308, -0);
      case 'username':
        return fc.constantFrom<unknown>(
          ...(pools.real ? USERS.map(email) : []),
          ...FUZZ_USERS,
          '',
          ' ',
          'ÅÄÖ',
          7,
        );
      case 'group_name':
        return fc.constantFrom<unknown>(...(pools.real ? GROUPS : []), ...FUZZ_GROUPS, '', 7);
      case 'expiration':
        // Invalid, or at least a day ahead: a valid near expiry would end a good user's token during the run.
        return fc.constantFrom<unknown>(
          '2000-01-01T00:00:00Z',
          '9999-12-31T23:59:59Z',
          'tomorrow',
          '2026-13-45',
          new Date(Date.now() + 86_400_000 * 30).toISOString(),
          new Date(Date.now() + 86_400_000 * 30).toISOString().replace('Z', ''),
          new Date(Date.now() + 86_400_000 * 30).toISOString().replace('Z', '+05:30'),
          '',
          0,
        );
      case 'is_admin':
      case 'is_service_account':
        return fc.constantFrom<unknown>(true, false, 'true', 1, 0, 'yes', null);
      default:
        return fc.constantFrom<unknown>('x', 'team-a', 'team-b', '', 'ghost');
    }
  })();
  return fc.oneof(
    { weight: 4, arbitrary: typed },
    fc.jsonValue({ maxDepth: 2 }),
    fc.string({ maxLength: 20 }),
    fc.constantFrom<unknown>(null, [], {}, 'x'.repeat(100_000), '\u0000', '\ud800'),
  );
}

const FIELDS = [
  'permission',
  'regex',
  'priority',
  'username',
  'group_name',
  'display_name',
  'is_admin',
  'is_service_account',
  'expiration',
  'name',
  'workspace',
  'experiment_id',
];

function requestBody(pools: Pools): fc.Arbitrary<{ text: string | undefined; type: string | undefined }> {
  const object = fc
    .uniqueArray(fc.constantFrom(...FIELDS), { maxLength: 5 })
    .chain((keys) =>
      fc
        .tuple(...keys.map((k) => bodyValue(k, pools)))
        .map((vs) => Object.fromEntries(keys.map((k, i) => [k, vs[i]]))),
    );
  const text = fc.oneof(
    { weight: 6, arbitrary: object.map((o) => JSON.stringify(o)) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '{',
        '[',
        '{"permission":',
        'nul',
        '{"permission":"READ",}',
        "{'permission':'READ'}",
        '{"permission":"READ"}}',
        '1e999',
        '"\\ud800"',
        '\u0000',
        '{"permission":NaN}',
        '',
      ),
    },
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
    fc.constant('['.repeat(5000)),
    fc.constant(`{"regex":"${'a'.repeat(200_000)}"}`),
  );
  return fc.record({
    text: fc.option(text, { nil: undefined, freq: 6 }),
    type: fc.constantFrom<string | undefined>(
      'application/json',
      'application/json',
      'application/json',
      'text/plain',
      undefined,
      'application/json; charset=latin-1',
      'application/x-www-form-urlencoded',
      'APPLICATION/JSON',
    ),
  });
}

/** A REST call: a template filled, a body; `unambiguous` when no parameter carries a `/` after decoding. */
function apiCall(pools: (method: string) => Pools) {
  return fc
    .constantFrom(...TEMPLATES)
    .chain((t) => {
      const names = [...t.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      const p = pools(t.method);
      return fc.record({
        template: fc.constant(t),
        method: fc.oneof(
          { weight: 12, arbitrary: fc.constant<string>(t.method) },
          fc.constantFrom('PUT', 'OPTIONS', 'HEAD'),
        ),
        values: fc.tuple(...names.map((n) => paramValue(n, p))),
        body: requestBody(p),
        workspace: fc.option(fc.constantFrom('team-a', 'team-b', 'default', 'ghost', ''), { nil: undefined }),
        query: fc.option(
          fc.constantFrom('?service=true', '?service=maybe', '?x=%zz', '?service=1&service=0'),
          {
            nil: undefined,
          },
        ),
      });
    })
    .map(({ template, method, values, body, workspace, query }) => {
      let i = 0;
      const filled = template.path.replace(/\{\w+\}/g, () => values[i++]!);
      const target = `${filled}${query ?? ''}`;
      return {
        template,
        method,
        target,
        unambiguous: values.every(
          (v) => !decodedPath(v).includes('/') && !v.includes('?') && !v.includes('#'),
        ),
        body,
        workspace,
      };
    });
}

// --- the suite -----------------------------------------------------------------------------------------------------

describe('the oidc-auth front door of a running lab, fuzzed', () => {
  test(`${RUNS.authorization} generated Authorization headers: Bearer, Basic, scheme case, repeats, with and without a session`, async () => {
    surface = 'authorization headers';
    // The one-second tokens must have expired (exp has second precision, no leeway).
    const exp = Math.max(
      ...USERS.map(
        (u) => JSON.parse(Buffer.from(expiredTokens[u].split('.')[1]!, 'base64url').toString()).exp as number,
      ),
    );
    const wait = (exp + 1.5) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const credential = fc.oneof(
      {
        weight: 3,
        arbitrary: fc
          .constantFrom(...USERS)
          .chain(jwtVariants)
          .chain((c) =>
            fc
              .constantFrom(
                'Bearer ',
                'Bearer ',
                'Bearer ',
                'bearer ',
                'BEARER ',
                'Bearer  ',
                'Bearer\t',
                'Bearer',
                'Token ',
                '',
              )
              .map((s) => ({ header: `${s}${c.value}`, credential: c })),
          ),
      },
      {
        weight: 3,
        arbitrary: basicCredentials().chain((value) =>
          fc.constantFrom('Basic ', 'Basic ', 'Basic ', 'basic ', 'BASIC ', 'Basic  ', 'Basic').map((s) => ({
            header: `${s}${value}`,
            credential: undefined,
          })),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.string({ maxLength: 40 }).map((header) => ({ header, credential: undefined })),
      },
    );
    await fc.assert(
      fc
        .asyncProperty(
          credential,
          fc.option(credential, { nil: undefined, freq: 4 }),
          fc.constantFrom('authorization', 'Authorization', 'AUTHORIZATION'),
          fc.option(fc.constantFrom(...USERS), { nil: undefined }),
          fc.constantFrom<Probe>('current', 'current', 'current', 'get-b', 'search-b', 'root'),
          counted('authorization headers', async (first, second, name, cookieUser, probe) => {
            const request = probeRequest(probe);
            const headers: Array<readonly [string, string]> = [[name, first.header]];
            if (second) headers.push(['authorization', second.header]);
            if (cookieUser) headers.push(['cookie', cookieFor(cookieUser)]);
            const got = await send(
              request.method,
              request.target,
              [...request.headers, ...headers],
              request.body,
            );
            if (got === undefined) return; // a value Node's client refuses to send: the raw-socket property's
            // Node keeps the first Authorization, as Starlette's `headers.get` does.
            const value = fieldValue(first.header);
            const via = scheme(value);
            const session = cookieUser === undefined ? undefined : email(cookieUser);
            let allowed: Array<string | undefined>;
            if (via === 'basic') allowed = [basicIdentity(value.slice(6))];
            else if (via === 'session') allowed = [session];
            else if (first.credential && value === `Bearer ${first.credential.value}`)
              allowed = first.credential.exact ? [first.credential.who] : [first.credential.who, undefined];
            else allowed = [undefined, first.credential?.who];
            const tooBig = first.header.length + (second?.header.length ?? 0) > 15_000;
            if (!(tooBig && (got.status === 431 || got.status === 0)))
              expect(
                allowed.some((who) => fits(probe, who, got)),
                `${probe} as ${allowed.join(' or ')} (${via}; ${value.slice(0, 120)}): ${got.status} ${got.text.slice(0, 200)}`,
              ).toBe(true);
            check(got, {
              method: request.method,
              target: request.target,
              caller: allowed.find((w) => w !== undefined),
              mayDrop: tooBig,
            });
          }),
        )
        .afterEach(async () => {
          if ((caseCounts.get('authorization headers') ?? 0) % 200 === 0) await healthy();
        }),
      fuzzParameters(BASE.authorization),
    );
    await healthy();
  }, 120_000);

  test(`${RUNS.raw} raw requests Node's client cannot send: CR, LF, NUL, latin-1 and UTF-8 bytes, folded, repeated and oversized headers`, async () => {
    surface = 'raw requests';
    const injected = fc.constantFrom(
      '\r',
      '\n',
      '\r\n',
      '\r\nX-Injected: 1',
      '\r\nAuthorization: Bearer x',
      '\0',
      '\x7f',
      '\x0b',
      '\x0c',
      '\xe9',
      '\xff',
      '\u00c3\u00a9',
      '\r\n ',
      '\r\n\t',
      ' \r\n',
    );
    const line = fc
      .record({
        holder: fc.constantFrom<User | undefined>('alice', 'mallory', undefined),
        kind: fc.constantFrom('bearer', 'basic', 'cookie'),
        name: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION') },
          fc.constantFrom('Authorization ', 'Author ization', 'Authorization\0'),
        ),
        at: fc.nat(),
        // Clean lines too: what Node's parser accepts must still name only the holder.
        inject: fc.option(injected, { nil: undefined, freq: 1 }),
      })
      .map(({ holder, kind, name, at, inject }) => {
        const value =
          holder === undefined
            ? 'Bearer e30.e30.e30'
            : kind === 'bearer'
              ? `Bearer ${idTokens[holder]}`
              : kind === 'basic'
                ? `Basic ${b64(`${email(holder)}:${accessTokens[holder]}`)}`
                : cookieFor(holder);
        const header = kind === 'cookie' ? 'Cookie' : name;
        const i = at % (value.length + 1);
        const text = inject === undefined ? value : value.slice(0, i) + inject + value.slice(i);
        return { bytes: Buffer.from(`${header}: ${text}`, 'latin1'), holder };
      });
    const extra = fc.constantFrom(
      Buffer.from(`Cookie: session=${'A'.repeat(20_000)}`),
      Buffer.from(`Authorization: Bearer ${'A'.repeat(20_000)}`),
      Buffer.from('Authorization:'),
      Buffer.from('Authorization'),
      Buffer.from(': Bearer x'),
      Buffer.from('Authorization: Basic \u00e9\u00e9\u00e9=', 'latin1'),
      Buffer.from('Authorization: Basic 44GC44GE44GG', 'utf8'),
      Buffer.from('Authorization: Bearer \u3042', 'utf8'),
      Buffer.from('Content-Length: -1'),
      Buffer.from('Content-Length: 0'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 3 }),
        fc.option(extra, { nil: undefined, freq: 3 }),
        fc.constantFrom<Probe>('current', 'get-b'),
        // A method in lower case is one Node's parser refuses.
        fc.boolean(),
        counted('raw requests', async (lines, more, probe, lowerCase) => {
          const request = probeRequest(probe);
          const method = lowerCase ? request.method.toLowerCase() : request.method;
          const head = Buffer.from(`${method} ${request.target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
          const parts = [
            ...lines.map((l) => l.bytes),
            ...(more ? [more] : []),
            Buffer.from('Connection: close'),
          ];
          if (probe === 'get-b') parts.unshift(Buffer.from('X-MLflow-Workspace: team-b'));
          const crlf = Buffer.from('\r\n');
          const bytes = Buffer.concat([head, ...parts.flatMap((p) => [p, crlf]), crlf]);
          const got = await raw(bytes);
          const holders = [...new Set(lines.map((l) => l.holder).filter((h) => h !== undefined))];
          const allowed = [undefined, ...holders.map(email)];
          const refused = got.status === 400 || got.status === 431;
          if (!refused)
            expect(
              got.status !== 0 && allowed.some((who) => fits(probe, who, got)),
              `${probe} as ${allowed.join(' or ')}: ${JSON.stringify(bytes.toString('latin1').slice(0, 400))} → ${got.status} ${got.text.slice(0, 200)}`,
            ).toBe(true);
          check(got, {
            method,
            target: request.target,
            // The strongest holder's reads bound what may come back.
            caller: holders.includes('alice')
              ? email('alice')
              : holders.length > 0
                ? email('mallory')
                : undefined,
          });
        }),
      ),
      fuzzParameters(BASE.raw),
    );
    await healthy();
  }, 120_000);

  test(`${RUNS.sessions} generated session cookies: sealed, expired, tampered, truncated, undecodable, not a dict, huge, several`, async () => {
    surface = 'session cookies';
    type Kind = { who: Array<string | undefined>; broken?: boolean };
    /** What each generated value is to Starlette and the plugin, by the exact value. */
    const kinds = new Map<string, Kind>();
    const remember = (value: string, kind: Kind) => {
      kinds.set(value, kind);
      return value;
    };
    const username = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...USERS.map(email)) },
      fc.constantFrom('ghost@example.com', 'ALICE@example.com', 'Carol@Example.com', 'mlflow-pipeline', ''),
    );
    const now = () => Math.floor(nowSeconds());
    const sealedSession = fc
      .record({
        who: username,
        expires: fc.constantFrom<'none' | 'future' | 'past' | 'leeway' | 'text' | 'bool'>(
          'none',
          'none',
          'future',
          'past',
          'leeway',
          'text',
          'bool',
        ),
        pad: fc.constantFrom(0, 0, 0, 2_000, 9_000),
        age: fc.constantFrom<'now' | 'old' | 'future'>('now', 'now', 'now', 'old', 'future'),
        key: fc.constantFrom(SECRET_KEY, SECRET_KEY, SECRET_KEY, 'another-key'),
      })
      .map(({ who: name, expires, pad, age, key }) => {
        const expiresAt = {
          none: undefined,
          future: now() + 3600,
          past: now() - 3600,
          leeway: now() + 10,
          text: `${now() + 3600}`,
          bool: true,
        }[expires];
        const session = {
          username: name,
          authenticated: true,
          ...(expiresAt !== undefined && { expires_at: expiresAt }),
          ...(pad > 0 && { pad: 'p'.repeat(pad) }),
        };
        const signedAt = { now: nowSeconds(), old: nowSeconds() - 15 * 86_400, future: nowSeconds() + 3600 }[
          age
        ];
        const value = sealed(session, signedAt, key);
        // The session middleware's checks: signature, max age; then the auth middleware's: a username, expiry.
        const valid = key === SECRET_KEY && age !== 'old';
        const live = expires !== 'past' && expires !== 'leeway';
        const who = valid && live && name !== '' ? name : undefined;
        // itsdangerous refuses a signature from the future; a `True` expiry is Python's 1 (expired).
        const uncertain = age === 'future' || expires === 'bool';
        return remember(value, { who: uncertain ? [who, undefined] : [who] });
      });
    const damaged = sealedSession.chain((value) => {
      const kind = kinds.get(value)!;
      const nobody: Kind = { who: [undefined] };
      const last = value.lastIndexOf('.');
      return fc.oneof(
        // A payload or timestamp character changed: the signature covers them.
        fc
          .tuple(fc.nat({ max: last - 1 }), fc.constantFrom('A', 'z', '0', '-', '='))
          .filter(([i, c]) => value[i] !== c)
          .map(([i, c]) => remember(value.slice(0, i) + c + value.slice(i + 1), nobody)),
        // A signature character changed; its last one may be non-canonical base64, which itsdangerous reads alike.
        fc
          .tuple(
            fc.integer({ min: last + 1, max: value.length - 1 }),
            fc.constantFrom('A', 'z', '0', '-', '_'),
          )
          .filter(([i, c]) => value[i] !== c)
          .map(([i, c]) =>
            remember(
              value.slice(0, i) + c + value.slice(i + 1),
              i === value.length - 1 ? { who: [...kind.who, undefined] } : nobody,
            ),
          ),
        fc.nat({ max: value.length - 1 }).map((i) => remember(value.slice(0, i), nobody)),
        fc.constant(remember(`${value}.`, nobody)),
        fc.constant(remember(value.split('.').reverse().join('.'), nobody)),
      );
    });
    /** Signed with SECRET_KEY, but not a JSON object once decoded: Starlette raises, or the plugin reads no user. */
    const undecodable = fc
      .constantFrom(
        '!!!not-base64',
        'eyJ1c2VybmFtZSI6',
        b64('not json'),
        b64('[]'),
        b64('"carol@example.com"'),
        b64('1'),
        b64('null'),
        b64('[["username","carol@example.com"]]'),
        b64('{"username":'),
        b64(Buffer.from([0xff, 0xfe, 0x7b, 0x7d])),
        b64('{"username": NaN}'),
        '',
      )
      .map((payload) => remember(signedRaw(payload), { who: [undefined], broken: true }));
    const value = fc.oneof(
      { weight: 4, arbitrary: sealedSession },
      { weight: 3, arbitrary: damaged },
      { weight: 2, arbitrary: undecodable },
      fc.string({ maxLength: 40 }).map((s) => s.replace(/[;\s"\\]/g, '')),
      fc.constantFrom('null', '""', '.', '..', 'a.b.c', '%00'),
    );
    const entry = fc.oneof(
      { weight: 5, arbitrary: value.map((v) => `session=${v}`) },
      value.map((v) => `session="${v}"`),
      value.map((v) => `session="${v}`),
      value.map((v) => ` session = ${v} `),
      fc
        .constantFrom('SESSION', 'session_', 'sessionx', 'other', '')
        .chain((n) => value.map((v) => `${n}=${v}`)),
      fc.constantFrom('session', 'x=1', '', '=', 'session=', 'session=a=b'),
    );
    await fc.assert(
      fc
        .asyncProperty(
          fc.array(entry, { minLength: 1, maxLength: 3 }),
          fc.constantFrom('; ', ';', ' ; '),
          fc.constantFrom<Probe>('current', 'current', 'status', 'get-b', 'search-b'),
          fc.option(fc.constantFrom('bearer x', 'Token y', 'Bearer', ''), { nil: undefined, freq: 6 }),
          counted('session cookies', async (entries, separator, probe, authorization) => {
            const header = entries.join(separator);
            const request = probeRequest(probe);
            const headers: Array<readonly [string, string]> = [...request.headers, ['cookie', header]];
            if (authorization !== undefined) headers.push(['authorization', authorization]);
            const got = await send(request.method, request.target, headers, request.body);
            if (got === undefined) return;
            const chosen = starletteCookie(header, 'session');
            const kind: Kind = (chosen !== undefined && kinds.get(chosen)) || { who: [undefined] };
            const tooBig = header.length > 15_000;
            if (!(tooBig && (got.status === 431 || got.status === 0))) {
              const brokenAnswer = kind.broken && got.status === 500;
              if (!brokenAnswer)
                expect(
                  kind.who.some((who) => fits(probe, who, got)),
                  `${probe} as ${kind.who.join(' or ')}: cookie ${header.slice(0, 300)} → ${got.status} ${got.text.slice(0, 200)}`,
                ).toBe(true);
            }
            check(got, {
              method: request.method,
              target: request.target,
              caller: kind.who.find((w) => w !== undefined),
              brokenSession: kind.broken ?? false,
              mayDrop: tooBig,
            });
          }),
        )
        .afterEach(async () => {
          if ((caseCounts.get('session cookies') ?? 0) % 200 === 0) await healthy();
        }),
      fuzzParameters(BASE.sessions),
    );
    await healthy();
  }, 120_000);

  test(`${RUNS.api} calls of the plugin's REST API by alice, bob, mallory and nobody: invalid JSON, wrong types, missing fields, odd path parameters`, async () => {
    surface = 'REST API (non-admin)';
    const caller = fc.constantFrom<User | undefined>('alice', 'bob', 'mallory', undefined);
    await fc.assert(
      fc
        .asyncProperty(
          caller.chain((who) =>
            fc.record({
              who: fc.constant(who),
              via: fc.constantFrom<'bearer' | 'basic'>('bearer', 'bearer', 'bearer', 'basic'),
              // alice may manage team-a: her writes name only principals nothing depends on.
              call: apiCall((method) => ({ real: who !== 'alice' || !isMutation(method) })),
            }),
          ),
          counted('REST API (non-admin)', async ({ who, via, call }) => {
            const headers: Array<readonly [string, string]> = [JSON_ACCEPT];
            if (who !== undefined) headers.push(via === 'bearer' ? bearer(who) : basic(who));
            if (call.workspace !== undefined) headers.push(inWorkspace(call.workspace));
            if (call.body.type !== undefined) headers.push(['content-type', call.body.type]);
            const got = await send(
              call.method,
              call.target,
              headers,
              call.method === 'GET' ? undefined : call.body.text,
            );
            if (got === undefined) return;
            const what = `${who ?? 'nobody'} ${call.method} ${call.target.slice(0, 200)} ${call.body.text?.slice(0, 200)} → ${got.status} ${got.text.slice(0, 300)}`;
            check(got, { method: call.method, target: call.target, caller: who && email(who) });
            if (goRefusesRequestTarget(call.target) || parserRefuses(call.target)) return;
            // Nobody: never an answer from behind the gate.
            if (who === undefined) expect(got.status >= 300, what).toBe(true);
            // No administrator's answer to a non-admin.
            if (
              who !== undefined &&
              call.template.admin &&
              call.unambiguous &&
              call.method === call.template.method
            )
              expect(got.status >= 300, `an admin route answered a non-admin: ${what}`).toBe(true);
            // bob and mallory may change nothing but their own access token.
            const ownToken =
              decodedPath(call.target) === '/api/2.0/mlflow/users/access-token' && call.method === 'PATCH';
            if (
              (who === 'bob' || who === 'mallory') &&
              isMutation(call.method) &&
              !ownToken &&
              pluginApi(decodedPath(call.target))
            )
              expect(got.status >= 300, `a change by ${who}: ${what}`).toBe(true);
            if (who !== undefined && ownToken) noteAccessToken(got, who);
          }),
        )
        .afterEach(async () => {
          if ((caseCounts.get('REST API (non-admin)') ?? 0) % 200 === 0) await healthy();
        }),
      fuzzParameters(BASE.api),
    );
    await healthy();
  }, 120_000);

  test(`${RUNS.paths} odd paths and methods on the front door: /login, /callback with junk queries, /logout, /oidc/ui/*, /v1/traces with junk headers`, async () => {
    surface = 'paths and methods';
    const PATHS = [
      '/login',
      '/login-x',
      '/login/../api/2.0/mlflow/users/current',
      '/callback',
      '/callbackX',
      '/logout',
      '/oidc/ui',
      '/oidc/ui/',
      '/oidc/ui/config.json',
      '/oidc/ui/auth',
      '/oidc/ui/../../api/2.0/mlflow/users/current',
      '/oidc/static/x.js',
      '/oidc/trash/experiments',
      '/v1/traces',
      '/v1/traces/x',
      '/v1/tracesX',
      '/health',
      '/health/ready',
      '/health/live',
      '/healthz',
      '/health/../api/2.0/mlflow/experiments/search',
      '/health%2F..%2Fapi%2F2.0%2Fmlflow%2Fexperiments%2Fsearch',
      '/static-files/../api/2.0/mlflow/registered-models/search',
      '/metrics',
      '/docs',
      '/openapi.json',
      '/static-files/x.js',
      '/',
      '//',
      '/version',
      '/ping',
      '/graphql',
      '/auth/status',
      '/api',
      '/api/',
      '/ajax-api/2.0/mlflow/experiments/search',
      '/api/2.0/mlflow/experiments/search',
      '/api/2.0/mlflow-artifacts/artifacts',
      '/ajax-api/2.0/mlflow-artifacts/artifacts',
      '/gateway/x/mlflow/invocations',
      '/ajax-api/3.0/jobs/1',
      '/favicon.ico',
    ];
    const suffix = fc.constantFrom(
      '',
      '',
      '',
      '/',
      '/x',
      '/..',
      '%2F..%2F',
      '/%00',
      '/%C5%82',
      '/%F0%9F%98%80',
      '/\u00e9',
      `/${'a'.repeat(4000)}`,
      `/${'a'.repeat(20_000)}`,
      '/%2e%2e/api/2.0/mlflow/users/current',
      ';x',
      '%zz',
      '//x',
    );
    const stateValue = 'fuzz-state-0123456789';
    const query = fc.oneof(
      { weight: 3, arbitrary: fc.constant('') },
      fc.constantFrom(
        '?next=/%23/experiments',
        '?next=//evil.example/x',
        '?next=https://evil.example/',
        '?next=/%0D%0ASet-Cookie:x=1',
        '?next=%5Cevil.example',
        `?state=${stateValue}&code=junk`,
        `?state=${stateValue}`,
        '?state=other&code=junk',
        '?code=x',
        '?error=access_denied',
        '?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C/script%3E',
        '?error=&error_description=%C5%82',
        '?%zz',
        '?a=1&a=2&a',
        `?code=${'c'.repeat(3000)}&state=${stateValue}`,
      ),
      fc.string({ maxLength: 30 }).map((s) => `?next=${encodeURIComponent(s)}&code=${encodeURIComponent(s)}`),
    );
    const junkHeaders = fc.array(
      fc.oneof(
        fc
          .constantFrom('', '0', '-1', '1e2', '../1', 'x'.repeat(5000), '\u00e9')
          .map((v) => ['x-mlflow-experiment-id', v] as [string, string]),
        fc
          .constantFrom(...WORKSPACES)
          .map((ws) => ['x-mlflow-experiment-id', seeded[ws].experimentId] as [string, string]),
        fc
          .constantFrom('application/x-protobuf', 'application/json', 'text/plain', '')
          .map((v) => ['content-type', v] as [string, string]),
        fc
          .constantFrom('document', 'empty', 'DOCUMENT', '')
          .map((v) => ['sec-fetch-dest', v] as [string, string]),
        fc.constantFrom('text/html', 'application/json', '*/*').map((v) => ['accept', v] as [string, string]),
        fc
          .constantFrom('team-a', 'team-b', 'ghost')
          .map((v) => ['x-mlflow-workspace', v] as [string, string]),
      ),
      { maxLength: 3 },
    );
    await fc.assert(
      fc
        .asyncProperty(
          fc.constantFrom(...PATHS),
          suffix,
          query,
          fc.constantFrom(
            'GET',
            'GET',
            'GET',
            'HEAD',
            'POST',
            'PUT',
            'DELETE',
            'PATCH',
            'OPTIONS',
            'TRACE',
            'PROPFIND',
            'FOO',
          ),
          fc.constantFrom<'nobody' | 'mallory' | 'alice' | 'login-session'>(
            'nobody',
            'nobody',
            'mallory',
            'alice',
            'login-session',
          ),
          junkHeaders,
          fc.constantFrom(`127.0.0.1:${port}`, `localhost:${port}`, 'evil.example', 'evil.example:8443'),
          fc.option(fc.constantFrom('{}', '{', 'x'.repeat(10_000), '\u0000'), { nil: undefined }),
          counted('paths and methods', async (base, tail, q, asked, askedBy, extra, host, body) => {
            // alice may write in team-a: her calls here only read, so what she may change stays as it was.
            const reads = ['GET', 'HEAD', 'OPTIONS'].includes(asked);
            const who = askedBy === 'alice' && !reads ? 'mallory' : askedBy;
            const target = `${base}${tail}${q}`;
            // 7.3.1 checks the artifact proxy under /api only (`_is_proxy_artifact_path`, hooks/before_request.py):
            // through /ajax-api anyone signed in may write any workspace's artifacts, as the lab does too. Such a
            // write would move the state compared below, so it is sent as a read.
            const hole =
              who !== 'nobody' && decodedPath(target).startsWith('/ajax-api/2.0/mlflow-artifacts/');
            const method = hole && !reads ? 'GET' : asked;
            const headers: Array<readonly [string, string]> = [['host', host], ...extra];
            if (who === 'mallory' || who === 'alice') headers.push(bearer(who));
            // A login under way: the state and nonce /login stored, signed as Starlette signs them.
            if (who === 'login-session')
              headers.push([
                'cookie',
                `session=${sealed({
                  oauth_state: stateValue,
                  [`_state_oidc_${stateValue}`]: {
                    data: { redirect_uri: `http://127.0.0.1:${port}/callback`, nonce: 'n' },
                  },
                })}`,
              ]);
            const got = await send(method, target, headers, body);
            if (got === undefined) return;
            const caller = who === 'mallory' || who === 'alice' ? email(who) : undefined;
            const big = target.length > 15_000 || (body?.length ?? 0) > 9_000;
            const what = `${who} ${method} ${target.slice(0, 200)} → ${got.status} ${got.contentType} ${got.text.slice(0, 200)} ${got.location ?? ''}`;
            check(got, { method, target, caller, host, mayDrop: big });
            if (
              got.status === 0 ||
              got.status === 431 ||
              goRefusesRequestTarget(target) ||
              parserRefuses(target)
            )
              return;
            // Node's parser refuses a method it does not know (FOO): a bare 400 before any handler.
            if (method === 'FOO') return void expect(got.status, what).toBe(400);
            const rawPath = target.split('?')[0]!;
            const open = [
              '/health',
              '/login',
              '/callback',
              '/oidc/static',
              '/metrics',
              '/docs',
              '/redoc',
              '/openapi.json',
              '/oidc/ui',
              '/static-files',
            ].some((prefix) => rawPath.startsWith(prefix));
            // An unknown workspace is MLflow's error, before authentication (§1.2); Node joins a repeated header
            // with ", " where Starlette reads the first, so two of them are one unknown name to the lab.
            const workspaces = extra.filter(([k]) => k === 'x-mlflow-workspace').map(([, v]) => v);
            const unknownWorkspace = workspaces.includes('ghost') || workspaces.length > 1;
            // Without credentials, behind the gate: the plugin's 401, its trash 403, or a document's redirect.
            if (caller === undefined && !open && !unknownWorkspace) {
              expect([302, 401, 403].includes(got.status), what).toBe(true);
              if (got.status === 403)
                expect(rawPath.startsWith('/oidc/trash') && bodyIs(got, method, ADMIN_REQUIRED), what).toBe(
                  true,
                );
            }
            // mallory may update no experiment: /v1/traces is the FastAPI permission middleware's plain 403.
            if (caller === email('mallory') && rawPath.startsWith('/v1/traces') && !unknownWorkspace)
              expect(got.status === 403 && bodyIs(got, method, 'Permission denied'), what).toBe(true);
            if (unknownWorkspace || got.status >= 400) return;
            if (rawPath === '/login' && /^(GET|HEAD)$/.test(method)) {
              expect(got.status, what).toBe(302);
              expect(got.location!.startsWith(`${info.issuer}/auth?`), what).toBe(true);
            }
            if (rawPath === '/callback' && /^(GET|HEAD)$/.test(method)) {
              expect(got.status, what).toBe(302);
              expect(new URL(got.location!).host, what).toBe(host);
              expect(new URL(got.location!).pathname, what).toBe('/oidc/ui/auth');
            }
            if (rawPath === '/logout' && /^(GET|HEAD)$/.test(method) && caller !== undefined) {
              expect(got.status, what).toBe(302);
              expect(
                got.location!.startsWith(`${info.issuer}/`) || new URL(got.location!).host === host,
                what,
              ).toBe(true);
            }
          }),
        )
        .afterEach(async () => {
          if ((caseCounts.get('paths and methods') ?? 0) % 200 === 0) await healthy();
        }),
      fuzzParameters(BASE.paths),
    );
    await healthy();
  }, 120_000);

  test('what non-admins were fuzzed against is unchanged: MLflow data, users, groups, grants and regex rules', async () => {
    expect(exitedWith).toBeUndefined();
    const before = stateBefore.split('\n');
    const after = (await state()).split('\n');
    const changed = after.flatMap((line, i) => (line === before[i] ? [] : [`${i}: ${before[i]} → ${line}`]));
    expect(changed, 'state lines that changed').toEqual([]);
    expect(after.length).toBe(before.length);
  });

  test(`${RUNS.admin} calls of the plugin's REST API by carol (an admin), with junk bodies and odd path parameters`, async () => {
    surface = 'REST API (admin)';
    await fc.assert(
      fc
        .asyncProperty(
          // carol's writes name only principals nothing depends on; her reads name anyone.
          apiCall((method) => ({ real: !isMutation(method) })),
          counted('REST API (admin)', async (call) => {
            const headers: Array<readonly [string, string]> = [JSON_ACCEPT, bearer('carol')];
            if (call.workspace !== undefined) headers.push(inWorkspace(call.workspace));
            if (call.body.type !== undefined) headers.push(['content-type', call.body.type]);
            // A restore of a seeded experiment or run would change what the others read: its id is not one.
            if (
              /\/restore$/.test(call.target) &&
              WORKSPACES.some(
                (w) =>
                  call.target.includes(`/${seeded[w].experimentId}/`) ||
                  call.target.includes(seeded[w].runId),
              )
            )
              return;
            const got = await send(
              call.method,
              call.target,
              headers,
              call.method === 'GET' ? undefined : call.body.text,
            );
            if (got === undefined) return;
            check(got, { method: call.method, target: call.target, caller: email('carol') });
            if (decodedPath(call.target) === '/api/2.0/mlflow/users/access-token' && call.method === 'PATCH')
              noteAccessToken(got, 'carol');
          }),
        )
        .afterEach(async () => {
          if ((caseCounts.get('REST API (admin)') ?? 0) % 200 === 0) await healthy();
        }),
      fuzzParameters(BASE.admin),
    );
    await healthy();
  }, 120_000);

  test('afterwards: every good user answers as before, the lab lives, and nothing was unhandled', async () => {
    expect(exitedWith).toBeUndefined();
    const after = await everyday();
    const changed = after.flatMap((line, i) =>
      line === everydayBefore[i] ? [] : [{ before: everydayBefore[i], after: line }],
    );
    expect(changed, 'everyday calls that answer differently after the fuzz').toEqual([]);
    await healthy();
    expect(unexpected).toEqual([]);
    expect(stray).toEqual([]);
  });
});
