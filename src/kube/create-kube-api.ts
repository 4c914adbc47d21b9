// The lab's fake kube-apiserver: just the calls a real MLflow with the kubernetes-auth plugin makes
// (kubernetes-auth-observed.md §1) — namespaces list/watch/get, the MLflowConfig CRD probe (404), and the two
// access reviews — answered with kube's status codes and bodies, authenticated like kube-apiserver with OIDC
// against the lab's IdP, authorized by the lab's RBAC manifests (mlflow-workspaces-k8s-auth.md §3).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { createClock, type LabClock } from '../clock.js';
import { DEFAULT_HOST } from '../config/defaults.js';
import type { ResolvedLabConfig } from '../config/resolve.js';
import { AuthlabError } from '../errors.js';
import { goBadRequest, refuseAsGoDoes } from '../go-http.js';
import { listen } from '../listen.js';
import { childLogger, noopLogger, type Logger } from '../log.js';
import {
  bearerToken,
  createTokenAuthenticator,
  SERVICE_ACCOUNT_USER,
  type OidcOptions,
} from './authenticate.js';
import { DecisionLog, type KubeDecision } from './decision-log.js';
import {
  API_GROUP_LIST,
  apiVersions,
  AUTHORIZATION_API_GROUP,
  AUTHORIZATION_GROUP,
  AUTHORIZATION_V1_RESOURCES,
  CORE_V1_RESOURCES,
  VERSION_INFO,
} from './discovery.js';
import { namespacesOf, parseLabelSelector, type Namespace } from './namespaces.js';
import {
  badRequest,
  forbidden,
  goJsonSyntaxError,
  goJsonType,
  invalid,
  methodNotAllowed,
  notFound,
  pathNotFound,
  summarizeData,
  unauthorized,
  unsupportedMediaType,
  type FieldInvalid,
  type KubeError,
  type RequestAttributes,
} from './status.js';
import type {
  NonResourceAttributes,
  PolicyRule,
  RbacAuthorizer,
  RbacDecision,
  RbacSubject,
  ResourceAttributes,
  UserInfo,
} from './types.js';

export type { KubeDecision } from './decision-log.js';

export interface KubeApiOptions {
  config: ResolvedLabConfig;
  /** The lab IdP's issuer (exact match, like `--oidc-issuer-url`). */
  issuer: string;
  jwksUri: string;
  clock?: LabClock;
  log?: Logger;
  host?: string;
  /** Default `config.ports.kube` (6443); 0 picks a free port. */
  port?: number;
  authorizer: RbacAuthorizer;
  /** kube-apiserver's `--oidc-*` settings. */
  oidc?: OidcOptions;
  /** Serve HTTPS with this key and certificate chain (PEM), as a real kube-apiserver does. */
  tls?: { key: string; cert: string };
  /** How the IdP's JWKS is fetched (a fetch that trusts the lab CA under TLS). */
  fetch?: typeof fetch;
}

export type ReviewInput = {
  token?: string;
  user?: string;
  groups?: string[];
  attributes: ResourceAttributes;
};
export type ReviewOutcome =
  | { status: 200; allowed: boolean; reason: string; decision: RbacDecision }
  | { status: 401 | 403; body: object };

export interface StartedKubeApi {
  url: URL;
  /** The MLflow server's token (`system:serviceaccount:mlflow:mlflow`), random per lab. */
  serviceAccountToken: string;
  /** Who kube-apiserver takes this bearer token for; undefined where it would answer 401. */
  authenticate(token: string): Promise<UserInfo | undefined>;
  /**
   * A SelfSubjectAccessReview (`token` = the caller's) or SubjectAccessReview (`token` = the caller's, usually
   * the service account; `user`/`groups` = the subject), through the same code as the HTTP handlers.
   */
  review(kind: 'self' | 'subject', input: ReviewInput): Promise<ReviewOutcome>;
  /** Decisions made, newest first (the last 1000). */
  decisions(): KubeDecision[];
  /**
   * Serves the same API on another address of this machine, same port: the container bridge's gateway, which
   * containers reach as host.containers.internal / host.docker.internal (loopback is not reachable from there).
   */
  listenAlso(host: string): Promise<void>;
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** kube-apiserver's `--max-request-body-bytes`-style cap on review bodies (3 MiB, its default for JSON). */
const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** A watch without timeoutSeconds: kube picks 30–60 min (`--min-request-timeout` 1800 s); the lab takes 30. */
const DEFAULT_WATCH_SECONDS = 1800;
/** Readable without credentials (system:public-info-viewer; anonymous auth otherwise off, see §1). */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/livez', '/version']);
const REVIEW_PREFIX = `/apis/${AUTHORIZATION_GROUP}/v1/`;

/** One built-in ClusterRoleBinding of a real cluster (or of the MLflow server's installation). */
interface BuiltIn {
  binding: string;
  role: string;
  subject: RbacSubject;
  matches(user: UserInfo): boolean;
  rules: PolicyRule[];
}

const BUILT_INS: BuiltIn[] = [
  {
    // What the plugin's service account is given by its installation: read namespaces, create SARs, read
    // MLflowConfigs (§1: the calls it makes with the kubeconfig token).
    binding: 'mlflow-server',
    role: 'mlflow-server',
    subject: { kind: 'ServiceAccount', name: 'mlflow', namespace: 'mlflow' },
    matches: (u) => u.username === SERVICE_ACCOUNT_USER.username,
    rules: [
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [AUTHORIZATION_GROUP], resources: ['subjectaccessreviews'], verbs: ['create'] },
      { apiGroups: ['mlflow.kubeflow.org'], resources: ['mlflowconfigs'], verbs: ['get', 'list', 'watch'] },
    ],
  },
  {
    // kube's bootstrap policy: every authenticated user may ask what it may do.
    binding: 'system:basic-user',
    role: 'system:basic-user',
    subject: { kind: 'Group', name: 'system:authenticated' },
    matches: (u) => u.groups.includes('system:authenticated'),
    rules: [
      {
        apiGroups: [AUTHORIZATION_GROUP],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
        verbs: ['create'],
      },
    ],
  },
  {
    binding: 'system:discovery',
    role: 'system:discovery',
    subject: { kind: 'Group', name: 'system:authenticated' },
    matches: (u) => u.groups.includes('system:authenticated'),
    rules: [
      {
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/readyz',
          '/version',
          '/version/',
        ],
        verbs: ['get'],
      },
    ],
  },
];

type Attributes = { resource?: ResourceAttributes; nonResource?: NonResourceAttributes };

function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));
  if (a.resource) {
    const r = a.resource;
    const resource = r.subresource ? `${r.resource ?? ''}/${r.subresource}` : (r.resource ?? '');
    return (
      has(rule.verbs, r.verb ?? '') && has(rule.apiGroups, r.group ?? '') && has(rule.resources, resource)
    );
  }
  const path = a.nonResource?.path ?? '';
  return (
    has(rule.verbs, a.nonResource?.verb ?? '') &&
    !!rule.nonResourceURLs?.some((u) => u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))))
  );
}

/** What kube sees in a review spec (`authorization.k8s.io/v1` SelfSubjectAccessReviewSpec / SubjectAccessReviewSpec). */
interface ReviewSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: NonResourceAttributes;
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

const RESOURCE_FIELDS = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'] as const;
const NON_RESOURCE_FIELDS = ['path', 'verb'] as const;

/** The spec as kube encodes it back: Go field order, empty fields omitted. */
function echoSpec(spec: ReviewSpec): Record<string, unknown> {
  const pick = <K extends string>(obj: Partial<Record<K, string>>, keys: readonly K[]) =>
    Object.fromEntries(keys.filter((k) => obj[k]).map((k) => [k, obj[k]]));
  return {
    ...(spec.resourceAttributes && { resourceAttributes: pick(spec.resourceAttributes, RESOURCE_FIELDS) }),
    ...(spec.nonResourceAttributes && {
      nonResourceAttributes: pick(spec.nonResourceAttributes, NON_RESOURCE_FIELDS),
    }),
    ...(spec.user && { user: spec.user }),
    ...(spec.groups?.length && { groups: spec.groups }),
    ...(spec.extra && Object.keys(spec.extra).length > 0 && { extra: spec.extra }),
    ...(spec.uid && { uid: spec.uid }),
  };
}

type ReviewKind = 'SelfSubjectAccessReview' | 'SubjectAccessReview';

/**
 * Decodes a review body the way kube's create handler does: Go's JSON syntax check, apiVersion/kind sniffing
 * (both optional, §3.1: the plugin sends neither), then typed decoding into the v1 struct (null = unset).
 */
function decodeReview(
  kind: ReviewKind,
  body: Buffer,
  contentType: string | undefined,
): ReviewSpec | KubeError {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let data = body;
  if (media === 'application/yaml') {
    try {
      // No library warnings on the lab's console for what a client sent (an unknown tag, say).
      data = Buffer.from(JSON.stringify(parseYaml(body.toString('utf8'), { logLevel: 'error' }) ?? null));
    } catch (error) {
      return badRequest(`error converting YAML to JSON: ${(error as Error).message}`);
    }
  } else if (media !== '' && media !== 'application/json' && media !== '*/*') return unsupportedMediaType();
  const unrecognized = (why: string) =>
    badRequest(
      `the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: ${why} (${summarizeData(data)})`,
    );
  const syntax = goJsonSyntaxError(data);
  if (syntax) return unrecognized(syntax);
  const value: unknown = JSON.parse(data.toString('utf8'));
  if (value !== null && goJsonType(value) !== 'object')
    return unrecognized(
      `json: cannot unmarshal ${goJsonType(value)} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`,
    );
  const root = (value ?? {}) as Record<string, unknown>;
  for (const key of ['apiVersion', 'kind']) {
    const v = root[key];
    if (v !== undefined && v !== null && typeof v !== 'string')
      return unrecognized(
        `json: cannot unmarshal ${goJsonType(v)} into Go struct field .${key} of type string`,
      );
  }
  const apiVersion = (root.apiVersion as string | undefined) || `${AUTHORIZATION_GROUP}/v1`;
  const dataKind = (root.kind as string | undefined) || kind;
  const version = apiVersion.split('/').pop()!;
  const typed = (error: string) =>
    badRequest(`${dataKind} in version "${version}" cannot be handled as a ${kind}: ${error}`);
  if (dataKind !== kind)
    return typed(
      `no kind "${dataKind}" is registered for version "${apiVersion}" in scheme "pkg/api/legacyscheme/scheme.go:30"`,
    );
  if (apiVersion !== `${AUTHORIZATION_GROUP}/v1`)
    return badRequest(
      `the API version in the data (${apiVersion}) does not match the expected API version (${AUTHORIZATION_GROUP}/v1)`,
    );

  const wrong = (v: unknown, struct: string, path: string, goType: string) =>
    typed(`json: cannot unmarshal ${goJsonType(v)} into Go struct field ${struct}.${path} of type ${goType}`);
  const specType = `v1.${kind}Spec`;
  const rawSpec = root.spec;
  if (rawSpec === undefined || rawSpec === null) return {};
  if (goJsonType(rawSpec) !== 'object') return wrong(rawSpec, kind, 'spec', specType);
  const s = rawSpec as Record<string, unknown>;
  const spec: ReviewSpec = {};
  const strings = <K extends string>(
    raw: unknown,
    keys: readonly K[],
    struct: string,
    path: string,
    goType: string,
    parentStruct: string,
  ): Partial<Record<K, string>> | KubeError | undefined => {
    if (raw === undefined || raw === null) return undefined;
    if (goJsonType(raw) !== 'object') return wrong(raw, parentStruct, path, goType);
    const out: Partial<Record<K, string>> = {};
    for (const k of keys) {
      const v = (raw as Record<string, unknown>)[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') return wrong(v, struct, `${path}.${k}`, 'string');
      out[k] = v;
    }
    return out;
  };
  const ra = strings(
    s.resourceAttributes,
    RESOURCE_FIELDS,
    'ResourceAttributes',
    'spec.resourceAttributes',
    'v1.ResourceAttributes',
    `${kind}Spec`,
  );
  if (ra && 'code' in ra) return ra as KubeError;
  if (ra) spec.resourceAttributes = ra as ResourceAttributes;
  const nra = strings(
    s.nonResourceAttributes,
    NON_RESOURCE_FIELDS,
    'NonResourceAttributes',
    'spec.nonResourceAttributes',
    'v1.NonResourceAttributes',
    `${kind}Spec`,
  );
  if (nra && 'code' in nra) return nra as KubeError;
  if (nra) spec.nonResourceAttributes = nra as NonResourceAttributes;
  if (kind === 'SubjectAccessReview') {
    const struct = 'SubjectAccessReviewSpec';
    for (const k of ['user', 'uid'] as const) {
      const v = s[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') return wrong(v, struct, `spec.${k}`, 'string');
      spec[k] = v;
    }
    if (s.groups !== undefined && s.groups !== null) {
      if (!Array.isArray(s.groups)) return wrong(s.groups, struct, 'spec.groups', '[]string');
      const bad = s.groups.find((g) => g !== null && typeof g !== 'string');
      if (bad !== undefined) return wrong(bad, struct, 'spec.groups', 'string');
      spec.groups = s.groups.map((g) => (g === null ? '' : (g as string)));
    }
    if (s.extra !== undefined && s.extra !== null) {
      if (goJsonType(s.extra) !== 'object')
        return wrong(s.extra, struct, 'spec.extra', 'map[string]v1.ExtraValue');
      spec.extra = {};
      for (const [k, v] of Object.entries(s.extra as Record<string, unknown>)) {
        if (v === null) continue;
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
          return wrong(
            Array.isArray(v) ? v.find((x) => typeof x !== 'string') : v,
            struct,
            `spec.extra`,
            'v1.ExtraValue',
          );
        spec.extra[k] = v as string[];
      }
    }
  }
  return spec;
}

/** pkg/apis/authorization/validation: exactly one kind of attributes; a SAR needs a user or a group. */
function validateReview(kind: ReviewKind, spec: ReviewSpec): KubeError | undefined {
  const errors: FieldInvalid[] = [];
  if (spec.resourceAttributes && spec.nonResourceAttributes)
    errors.push({
      field: 'spec.nonResourceAttributes',
      // field.Error prints a struct with %#v.
      value: `authorization.NonResourceAttributes{Path:${JSON.stringify(spec.nonResourceAttributes.path ?? '')}, Verb:${JSON.stringify(spec.nonResourceAttributes.verb ?? '')}}`,
      detail: 'cannot be specified in combination with resourceAttributes',
    });
  if (!spec.resourceAttributes && !spec.nonResourceAttributes)
    errors.push({
      field: 'spec.resourceAttributes',
      value: '"null"',
      detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified',
    });
  if (kind === 'SubjectAccessReview' && !spec.user && !spec.groups?.length)
    errors.push({
      field: 'spec.user',
      value: JSON.stringify(spec.user ?? ''),
      detail: 'at least one of user or group must be specified',
    });
  return errors.length > 0 ? invalid(AUTHORIZATION_GROUP, errors) : undefined;
}

/** Starts the fake kube-apiserver on `config.ports.kube` (or `port`). */
export async function createKubeApi(options: KubeApiOptions): Promise<StartedKubeApi> {
  const { config } = options;
  const clock = options.clock ?? createClock();
  const log = childLogger(options.log ?? noopLogger, 'kube');
  const host = options.host ?? DEFAULT_HOST;
  const serviceAccountToken = randomBytes(32).toString('base64url');
  const oidc = options.oidc ?? {};
  const authn = createTokenAuthenticator({
    issuer: options.issuer,
    jwksUri: options.jwksUri,
    clock,
    serviceAccountToken,
    usernameClaim: oidc.usernameClaim ?? 'email',
    usernamePrefix: oidc.usernamePrefix ?? '',
    groupsClaim: oidc.groupsClaim ?? config.idp.groupsClaim,
    groupsPrefix: oidc.groupsPrefix ?? '',
    clientIds: oidc.clientIds ?? config.clients.map((c) => c.id),
    requiredClaims: oidc.requiredClaims ?? {},
    ...(options.fetch && { fetch: options.fetch }),
  });
  const namespaces = namespacesOf(config, clock.now());
  const decisionLog = new DecisionLog(1000);
  const watches = new Set<http.ServerResponse>();

  /** The cluster's authorizer chain: the built-in bindings, then the lab's RBAC manifests. */
  function authorize(user: UserInfo, attributes: Attributes): RbacDecision {
    for (const b of BUILT_INS) {
      if (!b.matches(user)) continue;
      const rule = b.rules.find((r) => ruleAllows(r, attributes));
      if (!rule) continue;
      const subject =
        b.subject.kind === 'ServiceAccount' ? `${b.subject.namespace}/${b.subject.name}` : b.subject.name;
      return {
        allowed: true,
        reason: `RBAC: allowed by ClusterRoleBinding "${b.binding}" of ClusterRole "${b.role}" to ${b.subject.kind} "${subject}"`,
        explanation: {
          allowedBy: {
            binding: { kind: 'ClusterRoleBinding', name: b.binding },
            role: { kind: 'ClusterRole', name: b.role },
            subject: b.subject,
            rule,
          },
          considered: [],
        },
      };
    }
    return options.authorizer.authorize(user, attributes);
  }

  function record(
    source: KubeDecision['source'],
    identity: UserInfo,
    attributes: Attributes,
    decision: RbacDecision,
    caller?: string,
  ): void {
    decisionLog.add({
      time: new Date(clock.now()).toISOString(),
      source,
      identity,
      ...(caller !== undefined && { caller }),
      attributes,
      allowed: decision.allowed,
      reason: decision.reason,
      explanation: decision.explanation,
    });
  }

  /** kube's authorization filter for the server's own resources: 403 with RBAC's reason, if any. */
  function authorizeRequest(user: UserInfo, a: RequestAttributes): KubeError | undefined {
    const resource: ResourceAttributes = {
      verb: a.verb,
      group: a.group,
      resource: a.resource,
      ...(a.name && { name: a.name }),
      ...(a.namespace && { namespace: a.namespace }),
    };
    const decision = authorize(user, { resource });
    record('request', user, { resource }, decision);
    return decision.allowed ? undefined : forbidden(user.username, a, decision.reason);
  }

  /** The review itself (registry/authorization/{self,}subjectaccessreview/rest.go), after decoding. */
  function decide(
    kind: ReviewKind,
    caller: UserInfo,
    spec: ReviewSpec,
  ): { allowed: boolean; reason: string; decision: RbacDecision } | KubeError {
    if (kind === 'SubjectAccessReview') {
      const denied = authorizeRequest(caller, {
        verb: 'create',
        group: AUTHORIZATION_GROUP,
        resource: 'subjectaccessreviews',
      });
      if (denied) return denied;
    }
    const problem = validateReview(kind, spec);
    if (problem) return problem;
    // A SAR is about exactly the user and groups given: no system:authenticated added.
    const subject: UserInfo =
      kind === 'SelfSubjectAccessReview'
        ? caller
        : { username: spec.user ?? '', groups: spec.groups ?? [], ...(spec.uid && { uid: spec.uid }) };
    const attributes: Attributes = spec.resourceAttributes
      ? { resource: spec.resourceAttributes }
      : { nonResource: spec.nonResourceAttributes! };
    const decision = authorize(subject, attributes);
    record(
      kind === 'SelfSubjectAccessReview' ? 'selfsubjectaccessreview' : 'subjectaccessreview',
      subject,
      attributes,
      decision,
      kind === 'SubjectAccessReview' ? caller.username : undefined,
    );
    return { allowed: decision.allowed, reason: decision.reason, decision };
  }

  const send = (res: http.ServerResponse, code: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const fail = (res: http.ServerResponse, e: KubeError) => send(res, e.code, e.body);

  const readBody = (req: http.IncomingMessage) =>
    new Promise<Buffer | undefined>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY_BYTES) chunks.push(c);
      });
      req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined));
      req.on('error', reject);
    });

  async function handleReview(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    kind: ReviewKind,
    user: UserInfo,
  ) {
    const body = await readBody(req);
    if (!body)
      return fail(res, {
        code: 413,
        body: {
          ...badRequest(`limit is ${MAX_BODY_BYTES}`).body,
          reason: 'RequestEntityTooLarge',
          code: 413,
        },
      });
    const spec = decodeReview(kind, body, req.headers['content-type']);
    if ('code' in spec) return fail(res, spec as KubeError);
    const result = decide(kind, user, spec);
    if ('code' in result) return fail(res, result as KubeError);
    // status.denied and an empty reason are omitted (omitempty); RBAC never denies, it has "no opinion".
    send(res, 201, {
      kind,
      apiVersion: `${AUTHORIZATION_GROUP}/v1`,
      metadata: { creationTimestamp: null },
      spec: echoSpec(spec),
      status: { allowed: result.allowed, ...(result.reason && { reason: result.reason }) },
    });
  }

  const withKind = (ns: Namespace) => ({ kind: 'Namespace', apiVersion: 'v1', ...ns });

  function handleNamespaces(req: http.IncomingMessage, res: http.ServerResponse, url: URL, user: UserInfo) {
    // runtime.Convert_Slice_string_To_bool: anything but "0"/"false" (any case) is true, even "".
    const w = url.searchParams.get('watch');
    const watch = w !== null && w !== '0' && w.toLowerCase() !== 'false';
    const denied = authorizeRequest(user, {
      verb: watch ? 'watch' : 'list',
      group: '',
      resource: 'namespaces',
    });
    if (denied) return fail(res, denied);
    const selectorText = url.searchParams.get('labelSelector') ?? '';
    const selector = parseLabelSelector(selectorText);
    if ('error' in selector) return fail(res, badRequest(selector.error));
    const items = namespaces.items.filter((n) => selector(n.metadata.labels));
    if (!watch)
      return send(res, 200, {
        kind: 'NamespaceList',
        apiVersion: 'v1',
        metadata: { resourceVersion: namespaces.resourceVersion },
        items,
      });

    // A watch from resourceVersion R sends only what changed after R; none given (or "0") replays everything
    // as ADDED. The namespaces never change, so the stream then stays quiet until its timeout.
    const from = Number(url.searchParams.get('resourceVersion') || '0');
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? DEFAULT_WATCH_SECONDS);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
    res.flushHeaders();
    for (const n of items)
      if (!(from > 0) || Number(n.metadata.resourceVersion) > from)
        res.write(`${JSON.stringify({ type: 'ADDED', object: withKind(n) })}\n`);
    watches.add(res);
    const timer = setTimeout(
      () => res.end(),
      Math.max(0, Number.isFinite(timeout) ? timeout : DEFAULT_WATCH_SECONDS) * 1000,
    );
    const done = () => {
      clearTimeout(timer);
      watches.delete(res);
    };
    res.on('close', done);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Appended, not resolved against a base: `//x` is a path here, not a protocol-relative URL (a 500 before).
    // Any other form Go would parse (`http://host/path`); what it would not is its bare 400.
    const target = req.url ?? '/';
    let url: URL;
    try {
      url = new URL(target.startsWith('/') ? `http://kube.invalid${target}` : target);
    } catch {
      return goBadRequest(res);
    }
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const method = req.method ?? 'GET';
    const token = bearerToken(req.headers.authorization);
    const what = `${method} ${url.pathname}${url.search}`;

    if (token === undefined && PUBLIC_PATHS.has(path) && method === 'GET') return servePublic(res, path);
    let user: UserInfo;
    if (token === undefined) {
      log.debug(`401 for ${what}: no bearer token`);
      return fail(res, unauthorized());
    } else {
      const who = await authn.authenticate(token);
      if ('error' in who) {
        log.debug(`401 for ${what}: ${who.error}`);
        return fail(res, unauthorized());
      }
      user = who.user;
    }
    if (PUBLIC_PATHS.has(path) && method === 'GET') return servePublic(res, path);

    const get = (body: unknown) => (method === 'GET' ? send(res, 200, body) : fail(res, methodNotAllowed()));
    switch (path) {
      case '/api':
        return get(apiVersions(`${host}:${(server.address() as AddressInfo).port}`));
      case '/apis':
        return get(API_GROUP_LIST);
      case `/apis/${AUTHORIZATION_GROUP}`:
        return get(AUTHORIZATION_API_GROUP);
      case '/api/v1':
        return get(CORE_V1_RESOURCES);
      case `/apis/${AUTHORIZATION_GROUP}/v1`:
        return get(AUTHORIZATION_V1_RESOURCES);
      case `${REVIEW_PREFIX}selfsubjectaccessreviews`:
        if (method !== 'POST') return fail(res, methodNotAllowed());
        return handleReview(req, res, 'SelfSubjectAccessReview', user);
      case `${REVIEW_PREFIX}subjectaccessreviews`:
        if (method !== 'POST') return fail(res, methodNotAllowed());
        return handleReview(req, res, 'SubjectAccessReview', user);
      case '/api/v1/namespaces':
        if (method !== 'GET') return fail(res, methodNotAllowed());
        return handleNamespaces(req, res, url, user);
    }
    const one = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(path);
    if (one && method === 'GET') {
      const name = decodeURIComponent(one[1]!);
      const denied = authorizeRequest(user, { verb: 'get', group: '', resource: 'namespaces', name });
      if (denied) return fail(res, denied);
      const ns = namespaces.get(name);
      return ns
        ? send(res, 200, withKind(ns))
        : fail(res, notFound({ group: '', resource: 'namespaces' }, name));
    }
    // The MLflowConfig CRD is absent, as in the observed deployment; the plugin asks twice per MLflow request,
    // so it is not worth an info line each time.
    if (path.startsWith('/apis/mlflow.kubeflow.org/')) log.debug(`404 for ${what} (no MLflowConfig CRD)`);
    else log.info(`404 for ${what} from ${user.username}: the lab's Kubernetes API does not serve this`);
    return fail(res, pathNotFound());
  }

  function servePublic(res: http.ServerResponse, path: string) {
    if (path === '/version') return send(res, 200, VERSION_INFO);
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
    res.end('ok');
  }

  const serve: http.RequestListener = (req, res) => {
    // kube-apiserver is a Go server: a target url.ParseRequestURI refuses (`/api/v1/namespaces/%zz`) is its bare 400.
    if (refuseAsGoDoes(req, res)) return;
    handle(req, res).catch((error: unknown) => {
      log.error(`${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent)
        send(res, 500, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `Internal error occurred: ${(error as Error).message}`,
          reason: 'InternalError',
          code: 500,
        });
      else res.destroy();
    });
  };
  const servers: http.Server[] = [];
  const newServer = () => {
    const s = options.tls ? https.createServer(options.tls, serve) : http.createServer(serve);
    s.keepAliveTimeout = 65_000;
    servers.push(s);
    return s;
  };
  const server = newServer();
  await listen(server, host, options.port ?? config.ports.kube, 'Kubernetes API', '--kube-port');
  const port = (server.address() as AddressInfo).port;
  const url = new URL(`${options.tls ? 'https' : 'http'}://${host}:${port}`);
  log.info(`Kubernetes API on ${url.href} (OIDC issuer ${options.issuer})`);

  let disposed: Promise<void> | undefined;
  const dispose = () =>
    (disposed ??= new Promise<void>((resolve) => {
      for (const w of watches) w.end();
      let open = servers.length;
      for (const s of servers) {
        s.close(() => --open === 0 && resolve());
        s.closeIdleConnections();
        setTimeout(() => s.closeAllConnections(), 100).unref();
      }
    }));

  return {
    url,
    serviceAccountToken,
    async authenticate(token) {
      const who = await authn.authenticate(token);
      return 'user' in who ? who.user : undefined;
    },
    async review(kind, input) {
      const who = input.token === undefined ? undefined : await authn.authenticate(input.token);
      if (!who || 'error' in who) return { status: 401, body: unauthorized().body };
      const reviewKind: ReviewKind = kind === 'self' ? 'SelfSubjectAccessReview' : 'SubjectAccessReview';
      const spec: ReviewSpec =
        kind === 'self'
          ? { resourceAttributes: input.attributes }
          : {
              resourceAttributes: input.attributes,
              ...(input.user !== undefined && { user: input.user }),
              ...(input.groups !== undefined && { groups: input.groups }),
            };
      const result = decide(reviewKind, who.user, spec);
      if (!('code' in result)) return { status: 200, ...result };
      const error = result as KubeError;
      if (error.code === 401 || error.code === 403) return { status: error.code, body: error.body };
      throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', `kube review(${kind}): ${error.body.message}`, {
        hint: 'A SubjectAccessReview needs a user or at least one group.',
      });
    },
    decisions: () => decisionLog.list(),
    async listenAlso(extraHost) {
      const extra = newServer();
      try {
        await listen(extra, extraHost, port, 'Kubernetes API', '--kube-port');
      } catch (error) {
        servers.pop();
        throw error;
      }
      log.info(`Kubernetes API also on ${extraHost}:${port}, for containers`);
    },
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
