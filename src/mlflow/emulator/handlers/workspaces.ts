import type { ModelRegistry } from '../registry/model-registry.js';
import { MlflowError, invalidParameter } from '../errors.js';
import type { ApiRequest, ApiResponse } from '../http.js';
import { assert, pb, requestMessage } from '../request-message.js';
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

/** Unset fields are omitted; a description set to "" is still set. */
const workspaceJson = (w: Workspace) => ({
  name: w.name,
  ...(w.description !== undefined && { description: w.description }),
  ...(w.defaultArtifactRoot !== undefined && { default_artifact_root: w.defaultArtifactRoot }),
});

const FIELDS = { description: pb.string, default_artifact_root: pb.string };
const DELETION_MODES = ['RESTRICT', 'CASCADE'];

/** The workspaces API of MLflow 3.10+ (`/api/3.0/mlflow/workspaces`), README "Workspaces" 17. */
export function workspaceHandlers(store: TrackingStore, registry: ModelRegistry) {
  /** Every route but list validates the name in the path; `default` always passes. */
  const named = (name: string) => {
    if (name !== DEFAULT_WORKSPACE) checkWorkspaceName(name);
    const w = store.workspaces.get(name);
    if (!w) throw workspaceNotFound(name);
    return w;
  };
  return {
    list(): ApiResponse {
      return { json: { workspaces: [...store.workspaces.values()].map(workspaceJson) } };
    },

    /** 201 on success. */
    create(req: ApiRequest): ApiResponse {
      const m = requestMessage(
        req,
        { name: pb.string, ...FIELDS },
        {
          name: [assert.required, assert.string],
          description: [assert.string],
          default_artifact_root: [assert.string],
        },
      );
      const name = m.string('name');
      if (name === DEFAULT_WORKSPACE) {
        throw invalidParameter(`The '${DEFAULT_WORKSPACE}' workspace is reserved and cannot be created`);
      }
      checkWorkspaceName(name);
      if (store.workspaces.has(name)) {
        throw new MlflowError(
          'RESOURCE_ALREADY_EXISTS',
          `Workspace '${name}' already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: workspaces.name`,
        );
      }
      const w: Workspace = { name };
      if (m.has('description')) w.description = m.string('description');
      if (m.has('default_artifact_root')) w.defaultArtifactRoot = m.string('default_artifact_root').trim();
      store.workspaces.set(name, w);
      return { status: 201, json: { workspace: workspaceJson(w) } };
    },

    get(req: ApiRequest): ApiResponse {
      return { json: { workspace: workspaceJson(named(req.tail)) } };
    },

    update(req: ApiRequest): ApiResponse {
      if (req.tail !== DEFAULT_WORKSPACE) checkWorkspaceName(req.tail);
      const m = requestMessage(req, FIELDS, {
        description: [assert.string],
        default_artifact_root: [assert.string],
      });
      if (!m.has('description') && !m.has('default_artifact_root')) {
        throw invalidParameter('Workspace update must have at least one key');
      }
      const w = named(req.tail);
      if (m.has('description')) w.description = m.string('description');
      if (m.has('default_artifact_root')) w.defaultArtifactRoot = m.string('default_artifact_root').trim();
      return { json: { workspace: workspaceJson(w) } };
    },

    /**
     * 204 with an empty body. RESTRICT (the default) refuses a workspace that still holds experiments with a
     * 500 INVALID_STATE; `?mode=CASCADE` deletes them.
     */
    delete(req: ApiRequest): ApiResponse {
      const name = req.tail;
      if (name === DEFAULT_WORKSPACE) {
        throw invalidParameter(`The '${DEFAULT_WORKSPACE}' workspace is reserved and cannot be deleted`);
      }
      checkWorkspaceName(name);
      const mode = req.query.get('mode') ?? 'RESTRICT';
      if (!DELETION_MODES.includes(mode)) {
        throw invalidParameter(
          `Invalid deletion mode '${mode}'. Must be one of: ${DELETION_MODES.join(', ')}`,
        );
      }
      named(name);
      // RESTRICT refuses while any workspace-scoped table still holds rows: experiments, then registered models.
      const held: Array<[string, number]> = [
        ['experiments', store.experimentsIn(name).length],
        ['registered_models', registry.models(name).size],
      ];
      const [table, count] = held.find(([, n]) => n > 0) ?? ['', 0];
      if (count > 0 && mode === 'RESTRICT') {
        throw new MlflowError(
          'INVALID_STATE',
          `Cannot delete workspace '${name}': table '${table}' still contains ${count} resource(s). Remove or reassign them before deleting the workspace.`,
        );
      }
      store.dropWorkspaceData(name);
      store.workspaces.delete(name);
      return { status: 204, text: '' };
    },
  };
}
