// The group listings of the plugin's REST API (mlflow-oidc-auth.md §4.8, appendix L6; `routers/group_permissions.py`
// `list_groups`, `get_group_users`): every group, for any authenticated caller; a group's members, for admins.
import { json, requireAdmin, route, type RouteContext } from './api-fastapi.js';
import { detailError } from './errors.js';

const GROUPS = '/api/2.0/mlflow/permissions/groups';

export const groupListRoutes = [route('GET', GROUPS, listGroups)];

/** Registered right after the listing, before every other `{group_name:path}` route. */
export const groupMemberRoutes = [route('GET', `${GROUPS}/{group_name:path}/users`, groupUsers)];

/** `GET /permissions/groups`: the names in the order the groups were first seen (L6); no DB row needed. */
async function listGroups({ deps }: RouteContext) {
  return json(deps.store.groups().map((g) => g.name));
}

/** `GET /permissions/groups/{g}/users` (admin): `[{"username", "is_admin"}]`; an unknown group 404. */
async function groupUsers({ deps, identity, params }: RouteContext) {
  requireAdmin(identity);
  const group = deps.store.group(params.group_name);
  if (!group) throw detailError(404, 'Group not found or error retrieving users');
  return json(
    deps.store
      .users()
      .filter((u) => u.groupIds.includes(group.id))
      .map((u) => ({ username: u.username, is_admin: u.isAdmin })),
  );
}
