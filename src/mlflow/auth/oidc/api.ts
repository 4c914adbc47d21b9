// mlflow-oidc-auth 7.3.1's own REST API (mlflow-oidc-auth.md §4.8 "Permission-management REST API", §3.3, §4.7):
// the routers `app.py` includes before mounting MLflow's Flask app at `/`, in their order. A path none of them
// serves (or serves with another method) is not answered here and goes on to MLflow; there are no `/ajax-api`
// twins. Not served: the scorer (`/api/3.0/mlflow/permissions/scorers…`, `…/users/{u}/scorers…`,
// `…/groups/{g}/scorers…`) and gateway (`…/gateways/…`) permission routes, the webhooks (`/oidc/webhook…`) and
// `POST /oidc/trash/cleanup`.
import { decodePath, findRoute, type ApiAnswer, type Route } from './api-fastapi.js';
import {
  experimentRouterRoutes,
  groupExperimentPatternRoutes,
  groupExperimentRoutes,
  userExperimentPatternRoutes,
  userExperimentRoutes,
} from './api-experiments.js';
import { groupListRoutes, groupMemberRoutes } from './api-groups.js';
import {
  groupPromptPatternRoutes,
  groupPromptRoutes,
  groupRegisteredModelPatternRoutes,
  groupRegisteredModelRoutes,
  promptRouterRoutes,
  registeredModelRouterRoutes,
  userPromptRoutes,
  userRegisteredModelPatternRoutes,
  userRegisteredModelRoutes,
} from './api-models.js';
import { trashRoutes } from './api-trash.js';
import { usersRoutes } from './api-users.js';
import { workspaceRoutes } from './api-workspaces.js';
import { OidcAuthError } from './errors.js';
import type { OidcAuthDeps, OidcIdentity, OidcRequest } from './types.js';

export type { ApiAnswer } from './api-fastapi.js';

/**
 * `get_all_routers()`'s order. Only the group router's `{group_name:path}` routes can overlap one another, and
 * within it the order is the file's.
 */
const ROUTES: readonly Route[] = [
  ...experimentRouterRoutes,
  ...groupListRoutes,
  ...groupMemberRoutes,
  ...groupExperimentRoutes,
  ...groupRegisteredModelRoutes,
  ...groupPromptRoutes,
  ...groupExperimentPatternRoutes,
  ...groupRegisteredModelPatternRoutes,
  ...groupPromptPatternRoutes,
  ...promptRouterRoutes,
  ...registeredModelRouterRoutes,
  ...trashRoutes,
  ...userExperimentRoutes,
  ...userExperimentPatternRoutes,
  ...userPromptRoutes,
  ...userRegisteredModelRoutes,
  ...userRegisteredModelPatternRoutes,
  ...usersRoutes,
];

/**
 * Answers a request for one of the plugin's REST routes, as the authenticated `identity`; undefined when the path
 * is not one (the front door then goes on to MLflow). The workspace routers exist only with
 * MLFLOW_ENABLE_WORKSPACES (`app.py`).
 */
export async function handleApi(
  deps: OidcAuthDeps,
  req: OidcRequest,
  identity: OidcIdentity,
): Promise<ApiAnswer | undefined> {
  const path = decodePath(req.path);
  const routes = deps.settings.MLFLOW_ENABLE_WORKSPACES ? [...ROUTES, ...workspaceRoutes] : ROUTES;
  const found = findRoute(routes, req.method, path);
  if (!found) return undefined;
  try {
    return await found.route.handle({ deps, req, identity, params: found.params });
  } catch (e) {
    if (e instanceof OidcAuthError) return { status: e.status, body: e.body, contentType: e.contentType };
    throw e;
  }
}
