// The lab's users, groups, workspaces and RBAC, mapped onto mlflow-oidc-auth's model, so `up --auth oidc-auth` gives
// everyone the access the kubernetes-auth stack gives them (issue 19, "with the same users, groups and workspaces"):
// a group that may create MLflow resources in a namespace gets MANAGE on that workspace (the plugin gates creation
// on workspace MANAGE, mlflow-oidc-auth.md §4.7), one that may only read them READ; a group allowed everything
// everywhere is an admin group. The answers come from the lab's own RBAC authorizer, so a custom lab maps too.
import type { ResolvedLabConfig } from '../../../config/resolve.js';
import type { RbacAuthorizer } from '../../../kube/types.js';
import type { PermissionName } from './permissions.js';
import type { OidcAuthSettings } from './settings.js';
import type { OidcAuthStore } from './store.js';

const GROUP = 'mlflow.kubeflow.org';

export interface LabMapping {
  /** OIDC_GROUP_NAME: every group with access to some workspace. */
  groupNames: string[];
  /** OIDC_ADMIN_GROUP_NAME: groups allowed everything in every namespace. */
  adminGroupNames: string[];
  /** Workspace permissions per group. */
  workspaceGrants: Array<{ group: string; workspace: string; permission: PermissionName }>;
}

/** The groups the lab's users and clients carry, and what RBAC lets each do. */
export function mapLabOntoPlugin(config: ResolvedLabConfig, authorizer: RbacAuthorizer): LabMapping {
  const groups = [
    ...new Set([...config.users.flatMap((u) => u.groups), ...config.clients.flatMap((c) => c.groups)]),
  ];
  const can = (group: string, verb: string, namespace: string) =>
    authorizer.authorize(
      { username: `authlab:group:${group}`, groups: [group] },
      { resource: { group: GROUP, resource: 'experiments', verb, ...(namespace !== '' && { namespace }) } },
    ).allowed;
  const adminGroupNames = groups.filter((g) => can(g, 'delete', '') && can(g, 'create', ''));
  const workspaceGrants: LabMapping['workspaceGrants'] = [];
  for (const group of groups) {
    if (adminGroupNames.includes(group)) continue;
    for (const { name: workspace } of config.workspaces.items) {
      if (can(group, 'create', workspace)) workspaceGrants.push({ group, workspace, permission: 'MANAGE' });
      else if (can(group, 'get', workspace)) workspaceGrants.push({ group, workspace, permission: 'READ' });
    }
  }
  const groupNames = [...new Set(workspaceGrants.map((g) => g.group))];
  return { groupNames, adminGroupNames, workspaceGrants };
}

/**
 * Seeds the plugin's database for the lab: the workspace grants; a row per client with groups, named as the IdP names
 * its service account (kagenti pre-inserts `service-account-mlflow` the same way, §3.2); and, with
 * `provisionUsers`, a row per user as if each had signed in once in a browser (else a bearer or Basic identity has no
 * row, hence no groups, and only the fallback permission, which is the plugin's behaviour).
 */
export async function seedStore(
  store: OidcAuthStore,
  config: ResolvedLabConfig,
  settings: OidcAuthSettings,
  mapping: LabMapping,
  o: { provisionUsers: boolean; serviceAccountName: (clientId: string, clientName: string) => string },
): Promise<void> {
  for (const grant of mapping.workspaceGrants) {
    const [group] = store.ensureGroups([grant.group]);
    store.putRule('workspace', grant.workspace, { group: group!.id }, grant.permission);
  }
  for (const client of config.clients) {
    if (client.groups.length === 0 || !client.grantTypes.includes('client_credentials')) continue;
    const { user } = await store.createOrUpdateUser({
      // Lower-cased, as the plugin lower-cases a bearer token's username before looking it up.
      username: o.serviceAccountName(client.id, client.name).toLowerCase(),
      displayName: client.name,
      isAdmin: client.groups.some((g) => settings.OIDC_ADMIN_GROUP_NAME.includes(g)),
      isServiceAccount: true,
      unusablePassword: true,
    });
    store.setUserGroups(user, client.groups);
  }
  if (!o.provisionUsers) return;
  for (const u of config.users) {
    const { user } = await store.createOrUpdateUser({
      username: u.email.toLowerCase(),
      displayName: u.displayName,
      isAdmin: u.groups.some((g) => settings.OIDC_ADMIN_GROUP_NAME.includes(g)),
      unusablePassword: true,
    });
    store.setUserGroups(user, u.groups);
  }
}
