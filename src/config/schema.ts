import { z } from 'zod';
import { TLS_FAULTS } from '../tls/faults.js';
import { DURATION_RULE, parseDuration } from '../duration.js';
import { AUTH_STACKS, DEFAULT_EXPIRY, DEFAULT_PORTS, FLAVOURS, GRANT_TYPES } from './defaults.js';

/**
 * The lab config (fixtures/lab.yaml is the default lab of DESIGN.md). One schema is the single source of
 * truth; `resolveConfig()` adds the cross-field rules and reports every problem at once.
 */

const duration = z
  .union([z.string(), z.number()], { error: `must be ${DURATION_RULE}` })
  .refine((v) => parseDuration(v) !== undefined, { error: `must be ${DURATION_RULE}` })
  .transform((v) => parseDuration(v)!);

const port = z
  .number({ error: 'must be an integer in 0..65535' })
  .int({ error: 'must be an integer in 0..65535' })
  .min(0, { error: 'must be an integer in 0..65535' })
  .max(65535, { error: 'must be an integer in 0..65535' });

const name = z.string({ error: 'must be a string' }).regex(/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/, {
  error: 'must be lower-case letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
});

const grantType = z.enum(GRANT_TYPES, { error: `must be one of ${GRANT_TYPES.join(', ')}` });

export const userSchema = z
  .strictObject({
    /** Short name used by the CLI and the library (`--user alice`). */
    name,
    /** Login identifier, as in Dex's staticPasswords: the password grant's `username` is the email. */
    // Dex does not validate e-mails (admin@localhost is common in Dex configs): only name@domain is required.
    email: z
      .string({ error: 'must be an e-mail address' })
      .regex(/^[^@\s]+@[^@\s]+$/, { error: 'must be an e-mail address' }),
    /** Plain-text password (lab only). Give this or `hash`. */
    password: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).optional(),
    /** A bcrypt hash, as in Dex's staticPasswords (`$2a$10$…`, or its base64). */
    hash: z.string({ error: 'must be a string' }).optional(),
    /** Stable user id (Dex `userID`); the Dex `sub` encodes it. Defaults to a UUID derived from the name. */
    userId: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).optional(),
    /** Display name (`name` claim); defaults to the user name. */
    displayName: z.string({ error: 'must be a string' }).optional(),
    /** `preferred_username` claim; defaults to the user name. */
    preferredUsername: z.string({ error: 'must be a string' }).optional(),
    emailVerified: z.boolean({ error: 'must be true or false' }).default(true),
    groups: z
      .array(z.string({ error: 'must be a string' }), { error: 'must be a list of group names' })
      .default([]),
  })
  .refine((u) => (u.password === undefined) !== (u.hash === undefined), {
    error: 'needs exactly one of "password" or "hash"',
  });

export const clientSchema = z.strictObject({
  id: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  /** Client secret; a public client has none. */
  secret: z.string({ error: 'must be a string' }).optional(),
  public: z.boolean({ error: 'must be true or false' }).default(false),
  /** Display name; for client_credentials tokens also the `name`/`preferred_username` claims. */
  name: z.string({ error: 'must be a string' }).optional(),
  /** Grants this client may use (Dex has no per-client list; see README "Flavours"). */
  grantTypes: z
    .array(grantType, { error: 'must be a list of grant types' })
    .min(1, { error: 'must not be empty' }),
  redirectURIs: z.array(z.url({ error: 'must be an absolute URL' })).default([]),
  /** Dex `trustedPeers`: clients allowed to mint tokens with this client in `aud`. */
  trustedPeers: z.array(z.string()).default([]),
  /** Groups of the service identity in client_credentials tokens (Dex `clientCredentialsClaims.groups`). */
  groups: z.array(z.string({ error: 'must be a string' })).default([]),
});

const expirySchema = z
  .strictObject({
    idTokens: duration.default(parseDuration(DEFAULT_EXPIRY.idTokens)!),
    accessTokens: duration.default(parseDuration(DEFAULT_EXPIRY.accessTokens)!),
    refreshTokens: duration.default(parseDuration(DEFAULT_EXPIRY.refreshTokens)!),
    authRequests: duration.default(parseDuration(DEFAULT_EXPIRY.authRequests)!),
    signingKeys: duration.default(parseDuration(DEFAULT_EXPIRY.signingKeys)!),
  })
  .default({
    idTokens: parseDuration(DEFAULT_EXPIRY.idTokens)!,
    accessTokens: parseDuration(DEFAULT_EXPIRY.accessTokens)!,
    refreshTokens: parseDuration(DEFAULT_EXPIRY.refreshTokens)!,
    authRequests: parseDuration(DEFAULT_EXPIRY.authRequests)!,
    signingKeys: parseDuration(DEFAULT_EXPIRY.signingKeys)!,
  });

const jwkSchema = z.looseObject({
  kty: z.literal('RSA', { error: 'must be "RSA" (the lab signs with RS256)' }),
  n: z.string(),
  e: z.string(),
  d: z.string({ error: 'must be a private key (the "d" member is missing)' }),
  kid: z.string().optional(),
});

export const idpSchema = z
  .strictObject({
    flavour: z.enum(FLAVOURS, { error: `must be one of ${FLAVOURS.join(', ')}` }).default('dex'),
    /** Path of the issuer URL; defaults to /dex (dex) or /realms/mlflow (keycloak). */
    issuerPath: z
      .string()
      .regex(/^\/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$/, { error: 'must start with "/" and not end with "/"' })
      .optional(),
    /** Name of the groups claim: `groups` (Dex) or e.g. `urn:mlflow:groups` (the Okta-style setup). */
    groupsClaim: z.string().min(1, { error: 'must not be empty' }).default('groups'),
    /** Grants the server supports at all (Dex `oauth2.grantTypes`). A grant outside this list is "unsupported". */
    grantTypes: z
      .array(grantType)
      .min(1, { error: 'must list at least one grant type' })
      .default([...GRANT_TYPES]),
    expiry: expirySchema,
    /** Private RSA JWKs to sign with (first = current). Without them a key is generated per lab. */
    signingKeys: z.array(jwkSchema).optional(),
  })
  .default({
    flavour: 'dex',
    groupsClaim: 'groups',
    grantTypes: [...GRANT_TYPES],
    expiry: {
      idTokens: parseDuration(DEFAULT_EXPIRY.idTokens)!,
      accessTokens: parseDuration(DEFAULT_EXPIRY.accessTokens)!,
      refreshTokens: parseDuration(DEFAULT_EXPIRY.refreshTokens)!,
      authRequests: parseDuration(DEFAULT_EXPIRY.authRequests)!,
      signingKeys: parseDuration(DEFAULT_EXPIRY.signingKeys)!,
    },
  });

export const workspacesSchema = z.strictObject({
  default: name.optional(),
  items: z
    .array(z.strictObject({ name, description: z.string().optional() }))
    .min(1, { error: 'must list at least one workspace' }),
});

const subjectSchema = z.looseObject({
  kind: z.enum(['User', 'Group', 'ServiceAccount'], { error: 'must be User, Group or ServiceAccount' }),
  name: z.string({ error: 'must be a string' }).min(1),
  namespace: z.string().optional(),
  apiGroup: z.string().optional(),
});

const ruleSchema = z.looseObject({
  apiGroups: z.array(z.string()).optional(),
  resources: z.array(z.string()).optional(),
  resourceNames: z.array(z.string()).optional(),
  nonResourceURLs: z.array(z.string()).optional(),
  verbs: z.array(z.string(), { error: 'must be a list of verbs' }).min(1, { error: 'must not be empty' }),
});

const metadataSchema = z.looseObject({
  name: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

const roleRefSchema = z.looseObject({
  apiGroup: z.literal('rbac.authorization.k8s.io', { error: 'must be "rbac.authorization.k8s.io"' }),
  kind: z.enum(['Role', 'ClusterRole'], { error: 'must be Role or ClusterRole' }),
  name: z.string().min(1),
});

const rbacApiVersion = z.literal('rbac.authorization.k8s.io/v1', {
  error: 'must be "rbac.authorization.k8s.io/v1"',
});

/** Kubernetes RBAC manifests, as `kubectl apply` takes them (mlflow-workspaces-k8s-auth.md §3.3, App. A). */
export const rbacManifestSchema = z.discriminatedUnion(
  'kind',
  [
    z.looseObject({
      apiVersion: rbacApiVersion,
      kind: z.literal('Role'),
      metadata: metadataSchema,
      rules: z.array(ruleSchema).default([]),
    }),
    z.looseObject({
      apiVersion: rbacApiVersion,
      kind: z.literal('ClusterRole'),
      metadata: metadataSchema,
      rules: z.array(ruleSchema).default([]),
      aggregationRule: z
        .looseObject({
          clusterRoleSelectors: z.array(z.looseObject({ matchLabels: z.record(z.string(), z.string()) })),
        })
        .optional(),
    }),
    z.looseObject({
      apiVersion: rbacApiVersion,
      kind: z.literal('RoleBinding'),
      metadata: metadataSchema,
      subjects: z.array(subjectSchema).default([]),
      roleRef: roleRefSchema,
    }),
    z.looseObject({
      apiVersion: rbacApiVersion,
      kind: z.literal('ClusterRoleBinding'),
      metadata: metadataSchema,
      subjects: z.array(subjectSchema).default([]),
      roleRef: roleRefSchema.extend({ kind: z.literal('ClusterRole', { error: 'must be ClusterRole' }) }),
    }),
  ],
  { error: 'must be a Role, ClusterRole, RoleBinding or ClusterRoleBinding' },
);

export const labConfigSchema = z.strictObject({
  idp: idpSchema,
  users: z.array(userSchema).default([]),
  clients: z.array(clientSchema).default([]),
  /** A Dex config file whose `staticPasswords` and `staticClients` are added to users and clients. */
  dexConfig: z.string().optional(),
  workspaces: workspacesSchema.default({ default: 'default', items: [{ name: 'default' }] }),
  /** RBAC manifests: inline objects, or paths of multi-document YAML files relative to the config file. */
  rbac: z
    .array(
      z.union([z.string(), z.record(z.string(), z.unknown())], {
        error: 'must be the path of a YAML file or an RBAC manifest',
      }),
    )
    .default([]),
  /**
   * oauth2-proxy options by flag name (`skip-jwt-bearer-tokens: true`), as the vendor guide's platform sets them.
   * Kept raw here: `validateProxySection()` checks them in oauth2-proxy's words, and `parseProxyOptions()`
   * merges them with `OAUTH2_PROXY_*` variables and what the lab derives (issuer, secrets, upstream).
   */
  proxy: z
    .record(z.string(), z.unknown(), { error: 'must be a mapping of oauth2-proxy options' })
    .default({}),
  /**
   * The kubernetes-auth gate's switches, by the plugin's environment variable names
   * (`MLFLOW_K8S_AUTH_AUTHORIZATION_MODE: subject_access_review`, `MLFLOW_K8S_AUTH_CACHE_TTL_SECONDS: 60`, …).
   */
  gate: z
    .strictObject({
      MLFLOW_K8S_AUTH_AUTHORIZATION_MODE: z
        .enum(['self_subject_access_review', 'subject_access_review'], {
          error: 'must be self_subject_access_review or subject_access_review',
        })
        .optional(),
      MLFLOW_K8S_AUTH_CACHE_TTL_SECONDS: z
        .number({ error: 'must be a number of seconds greater than 0' })
        .positive({ error: 'must be a number of seconds greater than 0' })
        .optional(),
      MLFLOW_K8S_AUTH_USERNAME_CLAIM: z.string().min(1, { error: 'must not be empty' }).optional(),
      MLFLOW_K8S_AUTH_REMOTE_USER_HEADER: z.string().min(1, { error: 'must not be empty' }).optional(),
      MLFLOW_K8S_AUTH_REMOTE_GROUPS_HEADER: z.string().min(1, { error: 'must not be empty' }).optional(),
      MLFLOW_K8S_AUTH_REMOTE_GROUPS_SEPARATOR: z.string().min(1, { error: 'must not be empty' }).optional(),
      MLFLOW_K8S_DEFAULT_WORKSPACE: z.string().optional(),
      MLFLOW_K8S_NAMESPACE_EXCLUDE_GLOBS: z.string().optional(),
    })
    .default({}),
  /**
   * Which auth stack fronts MLflow (DESIGN.md "Auth stacks"): `kubernetes-auth` (oauth2-proxy and the
   * kubernetes-auth plugin's rules) or `oidc-auth` (the mlflow-oidc-auth plugin's own front door).
   */
  auth: z.enum(AUTH_STACKS, { error: `must be one of ${AUTH_STACKS.join(', ')}` }).default('kubernetes-auth'),
  /**
   * The oidc-auth stack's settings by mlflow-oidc-auth's variable names (`OIDC_AUDIENCE: mlflow`,
   * `DEFAULT_MLFLOW_PERMISSION: NO_PERMISSIONS`, …), plus the lab's own lower-case switches. Kept raw here:
   * `parseOidcAuthSettings()` checks them with the plugin's rules and merges the environment's.
   */
  oidcAuth: z
    .record(z.string(), z.unknown(), { error: 'must be a mapping of mlflow-oidc-auth settings' })
    .default({}),
  /**
   * HTTPS on the proxy, the IdP and the Kubernetes API with a lab CA (`up --tls`), and the certificate faults the
   * proxy's route presents (`faults: [expired-leaf]`, …; see src/tls/lab-tls.ts).
   */
  tls: z
    .strictObject({
      enabled: z.boolean({ error: 'must be true or false' }).default(false),
      faults: z.array(z.enum(TLS_FAULTS, { error: `must be one of ${TLS_FAULTS.join(', ')}` })).default([]),
    })
    .default({ enabled: false, faults: [] }),
  ports: z
    .strictObject({
      idp: port.default(DEFAULT_PORTS.idp),
      proxy: port.default(DEFAULT_PORTS.proxy),
      kube: port.default(DEFAULT_PORTS.kube),
      mlflow: port.default(DEFAULT_PORTS.mlflow),
    })
    .default({ ...DEFAULT_PORTS }),
});

export type LabConfigInput = z.input<typeof labConfigSchema>;
export type ParsedLabConfig = z.output<typeof labConfigSchema>;
export type UserConfig = z.output<typeof userSchema>;
export type ClientConfig = z.output<typeof clientSchema>;
export type RbacManifest = z.output<typeof rbacManifestSchema>;
