import { MlflowError, invalidParameter } from '../errors.js';
import { Fields, readMessage, type ApiRequest, type ApiResponse } from '../http.js';
import { DEFAULT_WORKSPACE, type TrackingStore, type Workspace } from '../tracking-store.js';

/** MLflow's workspace-name rule and its message (golden README, "Workspaces" 15). */
const WORKSPACE_NAME = /^(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function checkWorkspaceName(name: string): void {
  if (!WORKSPACE_NAME.test(name)) {
    throw invalidParameter(
      `Workspace name '${name}' must match the pattern ^(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$ (lowercase alphanumeric with optional internal hyphens).`,
    );
  }
}

export const workspaceNotFound = (name: string) =>
  new MlflowError('RESOURCE_DOES_NOT_EXIST', `Workspace '${name}' not found`);

const workspaceJson = (w: Workspace) => ({
  name: w.name,
  ...(w.description && { description: w.description }),
});

/** The workspaces API of MLflow 3.10+ (`/api/3.0/mlflow/workspaces`), README "Workspaces" 17. */
export function workspaceHandlers(store: TrackingStore) {
  const get = (name: string) => {
    const w = store.workspaces.get(name);
    if (!w) throw workspaceNotFound(name);
    return w;
  };
  return {
    list(): ApiResponse {
      return { json: { workspaces: [...store.workspaces.values()].map(workspaceJson) } };
    },
    create(req: ApiRequest): ApiResponse {
      const f = new Fields(readMessage(req));
      const name = f.string('name', true);
      checkWorkspaceName(name);
      if (store.workspaces.has(name)) {
        throw new MlflowError(
          'RESOURCE_ALREADY_EXISTS',
          `Workspace '${name}' already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: workspaces.name`,
        );
      }
      const w: Workspace = {
        name,
        ...(f.string('description') && { description: f.string('description')! }),
      };
      store.workspaces.set(name, w);
      return { status: 201, json: { workspace: workspaceJson(w) } };
    },
    get(req: ApiRequest): ApiResponse {
      return { json: { workspace: workspaceJson(get(req.tail)) } };
    },
    update(req: ApiRequest): ApiResponse {
      const w = get(req.tail);
      const description = new Fields(readMessage(req)).string('description');
      if (description !== undefined) w.description = description;
      return { json: { workspace: workspaceJson(w) } };
    },
    delete(req: ApiRequest): ApiResponse {
      const name = req.tail;
      if (name === DEFAULT_WORKSPACE) {
        throw invalidParameter("The 'default' workspace is reserved and cannot be deleted");
      }
      get(name);
      const experiments = store.experimentsIn(name);
      if (experiments.length > 0 && req.query.get('mode') !== 'CASCADE') {
        throw new MlflowError(
          'INVALID_STATE',
          `Cannot delete workspace '${name}': table 'experiments' still contains ${experiments.length} resource(s). Remove or reassign them before deleting the workspace.`,
        );
      }
      for (const e of experiments) {
        for (const run of store.runsOf(new Set([e.id]))) store.runs.delete(run.id);
        store.experiments.delete(e.id);
      }
      store.workspaces.delete(name);
      return { status: 204, text: '' };
    },
  };
}
