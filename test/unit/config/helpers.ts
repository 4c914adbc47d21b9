import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { resolveObject } from '../../../src/config/load.js';
import { isAuthlabError, type AuthlabError } from '../../../src/errors.js';

/** Absolute paths, for messages that quote the file system's own error (`ENOENT: …, stat '/…'`). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = path.join(REPO_ROOT, 'fixtures');

/** bcrypt of "password" (cost 10), as in fixtures/dex/config.yaml. */
export const PASSWORD_HASH = '$2b$10$WLxxKuR/P5wUOP5MsXfkfe8h2iuZdeagiWMpfteKbHPQeamLUfu9C';

export const RBAC_API_VERSION = 'rbac.authorization.k8s.io/v1';
export const RBAC_API_GROUP = 'rbac.authorization.k8s.io';

/**
 * A small lab that is valid in every rule, so that a test changing one thing in it gets exactly one problem.
 * "resolves as written" in validation.test.ts keeps it valid.
 */
export function validLab() {
  return {
    idp: { grantTypes: ['authorization_code', 'refresh_token', 'password', 'client_credentials'] },
    users: [
      { name: 'alice', email: 'alice@example.com', password: 'alice-password', userId: 'user-alice' },
      { name: 'bob', email: 'bob@example.com', hash: PASSWORD_HASH, userId: 'user-bob' },
    ],
    clients: [
      {
        id: 'portal',
        secret: 'portal-secret',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectURIs: ['http://127.0.0.1:8080/callback'],
        trustedPeers: ['cli'],
      },
      { id: 'cli', public: true, grantTypes: ['password', 'refresh_token'] },
      { id: 'pipeline', secret: 'pipeline-secret', grantTypes: ['client_credentials'] },
    ],
    workspaces: { default: 'team-a', items: [{ name: 'team-a' }, { name: 'team-b' }] },
    rbac: [
      role('reader', 'team-a'),
      roleBinding('readers', 'team-a', { kind: 'Role', name: 'reader' }),
      clusterRole('mlflow-edit'),
      clusterRoleBinding('editors', 'mlflow-edit'),
    ],
    ports: { idp: 5556, proxy: 4180, kube: 6443 },
  };
}

export function role(name: string, namespace?: string) {
  return {
    apiVersion: RBAC_API_VERSION,
    kind: 'Role',
    metadata: { name, ...(namespace !== undefined && { namespace }) },
    rules: [{ apiGroups: ['mlflow.kubeflow.org'], resources: ['experiments'], verbs: ['get', 'list'] }],
  };
}

export function clusterRole(name: string) {
  return {
    apiVersion: RBAC_API_VERSION,
    kind: 'ClusterRole',
    metadata: { name },
    rules: [
      { apiGroups: ['mlflow.kubeflow.org'], resources: ['experiments'], verbs: ['get', 'list', 'create'] },
    ],
  };
}

export function roleBinding(
  name: string,
  namespace: string | undefined,
  roleRef: { kind: string; name: string },
) {
  return {
    apiVersion: RBAC_API_VERSION,
    kind: 'RoleBinding',
    metadata: { name, ...(namespace !== undefined && { namespace }) },
    subjects: [{ kind: 'Group', apiGroup: RBAC_API_GROUP, name: 'team-a-readers' }],
    roleRef: { apiGroup: RBAC_API_GROUP, ...roleRef },
  };
}

export function clusterRoleBinding(name: string, clusterRole: string) {
  return {
    apiVersion: RBAC_API_VERSION,
    kind: 'ClusterRoleBinding',
    metadata: { name },
    subjects: [{ kind: 'Group', apiGroup: RBAC_API_GROUP, name: 'mlflow-admins' }],
    roleRef: { apiGroup: RBAC_API_GROUP, kind: 'ClusterRole', name: clusterRole },
  };
}

/** Awaits a promise that must reject with an AuthlabError (checked by brand, not instanceof) and returns it. */
export async function rejectionOf(promise: Promise<unknown>): Promise<AuthlabError> {
  const outcome = await promise.then(
    (value: unknown) => ({ rejected: false as const, value }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  if (!outcome.rejected) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  expect(isAuthlabError(outcome.error), String(outcome.error)).toBe(true);
  return outcome.error as AuthlabError;
}

/** The text of an AUTHLAB_CONFIG_INVALID message: a heading, then one indented line per problem. */
export function invalidConfigMessage(source: string, ...problems: string[]): string {
  return [`invalid configuration (${source}):`, ...problems.map((p) => `  ${p}`)].join('\n');
}

/** Asserts the promise rejects with AUTHLAB_CONFIG_INVALID listing exactly these problems, in this order. */
export async function expectConfigInvalid(
  promise: Promise<unknown>,
  source: string,
  ...problems: string[]
): Promise<void> {
  const error = await rejectionOf(promise);
  expect(error.code).toBe('AUTHLAB_CONFIG_INVALID');
  expect(error.message).toBe(invalidConfigMessage(source, ...problems));
}

/** resolveObject() of an inline config (file paths relative to fixtures/), which must fail with these problems. */
export function expectInlineInvalid(config: unknown, ...problems: string[]): Promise<void> {
  return expectConfigInvalid(resolveObject(config, { baseDir: FIXTURES }), '<inline config>', ...problems);
}
