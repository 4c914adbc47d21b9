import { createHash } from 'node:crypto';
import type { TlsFault } from '../tls/faults.js';
import path from 'node:path';
import type { z } from 'zod';
import { AuthlabError } from '../errors.js';
import { DEFAULT_ISSUER_PATH, type AuthStack, type Flavour, type GrantType } from './defaults.js';
import { formatProblem, problemsFromZod, type ConfigProblem } from './issues.js';
import { validateProxySection } from '../proxy/parse-options.js';
import { parseOidcAuthSettings } from '../mlflow/auth/oidc/settings.js';
import type { ImportedEntities, ImportedEntry } from './dex.js';
import {
  clientSchema,
  userSchema,
  labConfigSchema,
  rbacManifestSchema,
  type ParsedLabConfig,
  type RbacManifest,
} from './schema.js';

export interface ResolvedUser {
  name: string;
  email: string;
  userId: string;
  password?: string;
  hash?: string;
  displayName: string;
  preferredUsername: string;
  emailVerified: boolean;
  groups: string[];
}

export interface ResolvedClient {
  id: string;
  secret?: string;
  public: boolean;
  name: string;
  grantTypes: GrantType[];
  redirectURIs: string[];
  trustedPeers: string[];
  groups: string[];
}

export interface ResolvedLabConfig {
  /** Where the config came from, for messages. */
  source: string;
  idp: {
    flavour: Flavour;
    issuerPath: string;
    groupsClaim: string;
    grantTypes: GrantType[];
    /** Lifetimes in milliseconds. */
    expiry: ParsedLabConfig['idp']['expiry'];
    signingKeys?: Array<Record<string, unknown>>;
  };
  users: ResolvedUser[];
  clients: ResolvedClient[];
  workspaces: { default?: string; items: Array<{ name: string; description?: string }> };
  rbac: RbacManifest[];
  ports: { idp: number; proxy: number; kube: number; mlflow: number };
  /** The raw `proxy:` section (oauth2-proxy flag names); `parseProxyOptions()` resolves it when the lab starts. */
  proxy: Record<string, unknown>;
  /** The kubernetes-auth gate's switches by the plugin's variable names (mlflow-workspaces-k8s-auth.md §8). */
  gate: Record<string, string | number | undefined>;
  /** The auth stack in front of MLflow. */
  auth: AuthStack;
  /** The raw `oidcAuth:` section; `parseOidcAuthSettings()` resolves it with the environment when the lab starts. */
  oidcAuth: Record<string, unknown>;
  tls: { enabled: boolean; faults: TlsFault[] };
}

/** A document read from a file that the config points to (Dex config, RBAC manifests). */
export interface ExternalDocument {
  /** Label for messages, e.g. `rbac[0] (fixtures/rbac/default-lab.yaml, document 2)`. */
  label: string;
  value: unknown;
}

export interface ResolveInputs {
  source: string;
  /** Users and clients imported from a Dex config, already in lab shape. */
  imported?: ImportedEntities;
  /** RBAC manifests from files, in order. */
  rbacDocuments?: ExternalDocument[];
}

const BUILT_IN_CLUSTER_ROLES = new Set(['cluster-admin', 'admin', 'edit', 'view']);

/** A stable UUID-shaped id derived from the user name, so users without `userId` keep theirs across labs. */
export function derivedUserId(name: string): string {
  const h = createHash('sha256').update(`mlflow-authlab:user:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Validates a raw config object once, collecting every problem (schema and cross-field) before throwing one
 * AUTHLAB_CONFIG_INVALID (aesthetics.md, "Config validation").
 */
export function resolveConfig(raw: unknown, inputs: ResolveInputs): ResolvedLabConfig {
  const problems: ConfigProblem[] = [...(inputs.imported?.problems ?? [])];
  const parsed = labConfigSchema.safeParse(raw ?? {}, { reportInput: true });
  if (!parsed.success) problems.push(...problemsFromZod(parsed.error.issues));
  problems.push(...validateProxySection((raw as { proxy?: unknown } | null | undefined)?.proxy));
  const oidcAuth = (raw as { oidcAuth?: unknown } | null | undefined)?.oidcAuth;
  if (oidcAuth && typeof oidcAuth === 'object' && !Array.isArray(oidcAuth))
    problems.push(...parseOidcAuthSettings({ config: oidcAuth as Record<string, unknown> }).problems);

  const rbac: RbacManifest[] = [];
  const rbacLabels: string[] = [];
  const inline = Array.isArray((raw as { rbac?: unknown })?.rbac) ? (raw as { rbac: unknown[] }).rbac : [];
  const documents: ExternalDocument[] = [
    ...inline.flatMap((entry, i) =>
      typeof entry === 'object' && entry !== null ? [{ label: `rbac[${i}]`, value: entry }] : [],
    ),
    ...(inputs.rbacDocuments ?? []),
  ];
  for (const doc of documents) {
    const m = rbacManifestSchema.safeParse(doc.value, { reportInput: true });
    if (m.success) {
      rbac.push(m.data);
      rbacLabels.push(doc.label);
    } else problems.push(...problemsFromZod(m.error.issues, doc.label));
  }

  const importedUsers = parseEach(inputs.imported?.users ?? [], userSchema, problems);
  const importedClients = parseEach(inputs.imported?.clients ?? [], clientSchema, problems);

  if (!parsed.success) throw configError(inputs.source, problems);
  const cfg = parsed.data;
  const origins = {
    users: [...cfg.users.map((_, i) => ({ label: `users[${i}]` })), ...importedUsers.map((u) => u.origin)],
    clients: [
      ...cfg.clients.map((_, i) => ({ label: `clients[${i}]` })),
      ...importedClients.map((c) => c.origin),
    ],
  };

  const users: ResolvedUser[] = [...cfg.users, ...importedUsers.map((u) => u.data)].map((u) => ({
    name: u.name,
    email: u.email,
    userId: u.userId ?? derivedUserId(u.name),
    ...(u.password !== undefined && { password: u.password }),
    ...(u.hash !== undefined && { hash: u.hash }),
    displayName: u.displayName ?? u.name,
    preferredUsername: u.preferredUsername ?? u.name,
    emailVerified: u.emailVerified,
    groups: u.groups,
  }));
  const clients: ResolvedClient[] = [...cfg.clients, ...importedClients.map((c) => c.data)].map((c) => ({
    id: c.id,
    ...(c.secret !== undefined && { secret: c.secret }),
    public: c.public,
    name: c.name ?? c.id,
    grantTypes: [...new Set(c.grantTypes)],
    redirectURIs: c.redirectURIs,
    trustedPeers: c.trustedPeers,
    groups: c.groups,
  }));

  problems.push(...crossFieldProblems(cfg, users, clients, rbac, rbacLabels, origins));
  if (problems.length > 0) throw configError(inputs.source, problems);

  return {
    source: inputs.source,
    idp: {
      flavour: cfg.idp.flavour,
      issuerPath: cfg.idp.issuerPath ?? DEFAULT_ISSUER_PATH[cfg.idp.flavour],
      groupsClaim: cfg.idp.groupsClaim,
      grantTypes: [...new Set(cfg.idp.grantTypes)],
      expiry: cfg.idp.expiry,
      ...(cfg.idp.signingKeys && { signingKeys: cfg.idp.signingKeys }),
    },
    users,
    clients,
    workspaces: cfg.workspaces,
    rbac,
    ports: cfg.ports,
    proxy: cfg.proxy,
    gate: cfg.gate,
    auth: cfg.auth,
    oidcAuth: cfg.oidcAuth,
    tls: cfg.tls,
  };
}

/** Where a user or client is written: `users[0]`, or an imported entry with its file's key names. */
type Origin = Pick<ImportedEntry, 'label' | 'fields'>;

function field(origin: Origin, key: string): string {
  return `${origin.label}.${origin.fields?.[key] ?? key}`;
}

function parseEach<S extends z.ZodType>(
  entries: ImportedEntry[],
  schema: S,
  problems: ConfigProblem[],
): Array<{ data: z.output<S>; origin: Origin }> {
  // The importer has already reported some paths in its own words (`must be a string (or idEnv …)`).
  const reported = new Set(problems.map((p) => p.path));
  return entries.flatMap((entry) => {
    const r = schema.safeParse(entry.value, { reportInput: true });
    if (r.success) return [{ data: r.data, origin: entry }];
    const issues = r.error.issues.map((issue) => ({
      ...issue,
      path: issue.path.map((k, i) => (i === 0 && typeof k === 'string' ? (entry.fields?.[k] ?? k) : k)),
    }));
    problems.push(...problemsFromZod(issues, entry.label).filter((p) => !reported.has(p.path)));
    return [];
  });
}

function crossFieldProblems(
  cfg: ParsedLabConfig,
  users: ResolvedUser[],
  clients: ResolvedClient[],
  rbac: RbacManifest[],
  rbacLabels: string[],
  origins: { users: Origin[]; clients: Origin[] },
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const dup = (
    list: string[],
    what: string,
    at: (i: number) => string,
    { key = (v: string) => v, skip = (_i: number): boolean => false } = {},
  ) => {
    const seen = new Set<string>();
    list.forEach((v, i) => {
      if (seen.has(key(v)) && !skip(i))
        problems.push({ path: at(i), received: v, rule: `duplicate ${what}` });
      seen.add(key(v));
    });
  };
  dup(
    users.map((u) => u.name),
    'user name',
    (i) => field(origins.users[i]!, 'name'),
  );
  // Dex looks users up by e-mail, case-insensitively (oauth2-proxy-and-dex.md §B1, "Config").
  dup(
    users.map((u) => u.email),
    'e-mail (Dex logs users in by e-mail, case-insensitively)',
    (i) => field(origins.users[i]!, 'email'),
    { key: (v) => v.toLowerCase() },
  );
  // The same name twice derives the same userId; the duplicate name is the problem to report.
  dup(
    users.map((u) => u.userId),
    'userId',
    (i) => field(origins.users[i]!, 'userId'),
    {
      skip: (i) => users.slice(0, i).some((u) => u.name === users[i]!.name && u.userId === users[i]!.userId),
    },
  );
  dup(
    clients.map((c) => c.id),
    'client id',
    (i) => field(origins.clients[i]!, 'id'),
  );

  const enabled = new Set(cfg.idp.grantTypes);
  const ids = new Set(clients.map((c) => c.id));
  clients.forEach((c, i) => {
    c.grantTypes.forEach((g, j) => {
      if (!enabled.has(g))
        problems.push({
          path: `${field(origins.clients[i]!, 'grantTypes')}[${j}]`,
          received: g,
          rule: `is not enabled in idp.grantTypes (${cfg.idp.grantTypes.join(', ')})`,
        });
    });
    if (c.grantTypes.includes('authorization_code') && c.redirectURIs.length === 0)
      problems.push({
        path: field(origins.clients[i]!, 'redirectURIs'),
        received: [],
        rule: 'must list at least one URL when the client may use authorization_code',
      });
    if (!c.public && c.secret === undefined)
      problems.push({
        path: field(origins.clients[i]!, 'secret'),
        missing: true,
        rule: 'is required unless the client is public',
      });
    if (c.public && c.secret !== undefined)
      problems.push({
        path: field(origins.clients[i]!, 'secret'),
        received: c.secret,
        rule: 'has no effect on a public client',
      });
    c.trustedPeers.forEach((p, j) => {
      if (!ids.has(p))
        problems.push({
          path: `${field(origins.clients[i]!, 'trustedPeers')}[${j}]`,
          received: p,
          rule: 'is not a client id of this lab',
        });
    });
  });

  const workspaces = cfg.workspaces.items.map((w) => w.name);
  dup(workspaces, 'workspace', (i) => `workspaces.items[${i}].name`);
  if (cfg.workspaces.default !== undefined && !workspaces.includes(cfg.workspaces.default))
    problems.push({
      path: 'workspaces.default',
      received: cfg.workspaces.default,
      rule: `must be one of workspaces.items (${workspaces.join(', ')})`,
    });

  const ports = Object.entries(cfg.ports).filter(([, p]) => p !== 0);
  ports.forEach(([k, p], i) => {
    const other = ports.slice(0, i).find(([, q]) => q === p);
    if (other)
      problems.push({ path: `ports.${k}`, received: p, rule: `is already used by ports.${other[0]}` });
  });

  const roles = new Set(
    rbac.filter((m) => m.kind === 'Role').map((m) => `${m.metadata.namespace}/${m.metadata.name}`),
  );
  const clusterRoles = new Set([
    ...BUILT_IN_CLUSTER_ROLES,
    ...rbac.filter((m) => m.kind === 'ClusterRole').map((m) => m.metadata.name),
  ]);
  rbac.forEach((m, i) => {
    const at = rbacLabels[i]!;
    const namespaced = m.kind === 'Role' || m.kind === 'RoleBinding';
    const ns = m.metadata.namespace;
    if (namespaced && ns === undefined)
      problems.push({ path: `${at}.metadata.namespace`, missing: true, rule: `is required for a ${m.kind}` });
    if (namespaced && ns !== undefined && !workspaces.includes(ns))
      problems.push({
        path: `${at}.metadata.namespace`,
        received: ns,
        rule: `must be a workspace of this lab (${workspaces.join(', ')}); workspaces map 1:1 to namespaces`,
      });
    if (!namespaced && ns !== undefined)
      problems.push({ path: `${at}.metadata.namespace`, received: ns, rule: `has no effect on a ${m.kind}` });
    if (m.kind === 'RoleBinding' || m.kind === 'ClusterRoleBinding') {
      const ref = m.roleRef;
      const found = ref.kind === 'Role' ? roles.has(`${ns}/${ref.name}`) : clusterRoles.has(ref.name);
      if (!found)
        problems.push({
          path: `${at}.roleRef.name`,
          received: ref.name,
          rule:
            ref.kind === 'Role'
              ? `no Role with this name in namespace ${ns ?? '(none)'}`
              : 'no ClusterRole with this name (built-in: cluster-admin, admin, edit, view)',
        });
    }
  });
  return problems;
}

export function configError(source: string, problems: ConfigProblem[]): AuthlabError {
  // Shaped like oauth2-proxy's "invalid configuration:" list (oauth2-proxy-and-dex.md §A6): one line per problem.
  const lines = problems.map((p) => `  ${formatProblem(p)}`);
  return new AuthlabError(
    'AUTHLAB_CONFIG_INVALID',
    [`invalid configuration (${source}):`, ...lines].join('\n'),
    {
      hint: 'Fix the options listed above; fixtures/lab.yaml is a complete example.',
    },
  );
}

export function relativeTo(baseDir: string, file: string): string {
  return path.isAbsolute(file) ? file : path.resolve(baseDir, file);
}
