import { MlflowError } from '../errors.js';
import type { ApiRequest, ApiResponse } from '../http.js';
import { assert, pb, requestMessage, type Parsed } from '../request-message.js';
import { experimentJson } from '../serialize.js';
import type { TrackingStore } from '../tracking-store.js';
import {
  validateArtifactLocation,
  validateExperimentName,
  validateExperimentTag,
  validateTag,
} from '../validation.js';

// The request messages of service.proto and the schemas of mlflow/server/handlers.py, field for field.
const TAG = pb.messageOf({ key: pb.string, value: pb.string });
const EXPERIMENT_ID = { experiment_id: pb.string };
const ID_SCHEMA = { experiment_id: [assert.required, assert.string] };

const CREATE = { name: pb.string, artifact_location: pb.string, tags: pb.repeated(TAG) };
const GET_BY_NAME = { experiment_name: pb.string };
const UPDATE = { ...EXPERIMENT_ID, new_name: pb.string };
const SET_TAG = { ...EXPERIMENT_ID, key: pb.string, value: pb.string };
const DELETE_TAG = { ...EXPERIMENT_ID, key: pb.string };

const tagPairs = (m: Parsed): Array<[string, string]> =>
  m.messages('tags').map((t) => [t.string('key'), t.string('value')]);

export function experimentHandlers(store: TrackingStore) {
  return {
    create(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, CREATE, {
        name: [assert.required, assert.string],
        artifact_location: [assert.string],
        tags: [assert.array],
      });
      // The store refuses a location before it looks at the name (workspace store, then SqlAlchemyStore).
      validateArtifactLocation(m.string('artifact_location'));
      validateExperimentName(m.string('name'));
      const e = store.createExperiment(req.workspace, m.string('name'), tagPairs(m));
      // Only the id (README "Workspaces" 18).
      return { json: { experiment_id: e.id } };
    },

    get(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, EXPERIMENT_ID, ID_SCHEMA);
      return {
        json: { experiment: experimentJson(store.getExperiment(req.workspace, m.string('experiment_id'))) },
      };
    },

    getByName(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, GET_BY_NAME, { experiment_name: [assert.required, assert.string] });
      const name = m.string('experiment_name');
      const e = store.experimentByName(req.workspace, name);
      if (!e)
        throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
      return { json: { experiment: experimentJson(e) } };
    },

    /** Renames only: `new_name` is required. A deleted experiment cannot be renamed (INVALID_STATE, 500). */
    update(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, UPDATE, {
        experiment_id: [assert.required, assert.string],
        new_name: [assert.string, assert.required],
      });
      store.renameExperiment(req.workspace, m.string('experiment_id'), m.string('new_name'));
      return { json: {} };
    },

    /** Only an active experiment can be deleted, only a deleted one restored; its runs follow. */
    delete(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, EXPERIMENT_ID, ID_SCHEMA);
      store.setExperimentStage(req.workspace, m.string('experiment_id'), 'deleted');
      return { json: {} };
    },

    restore(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, EXPERIMENT_ID, ID_SCHEMA);
      store.setExperimentStage(req.workspace, m.string('experiment_id'), 'active');
      return { json: {} };
    },

    setTag(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, SET_TAG, {
        experiment_id: [assert.required, assert.string],
        key: [assert.required, assert.string],
        value: [assert.string],
      });
      validateExperimentTag(m.string('key'), m.string('value'));
      const tag = validateTag(m.string('key'), m.string('value'));
      store.activeExperiment(req.workspace, m.string('experiment_id')).tags.set(tag.key, tag.value);
      return { json: {} };
    },

    deleteTag(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, DELETE_TAG, {
        experiment_id: [assert.required, assert.string],
        key: [assert.required, assert.string],
      });
      const id = m.string('experiment_id');
      const key = m.string('key');
      if (!store.activeExperiment(req.workspace, id).tags.delete(key)) {
        throw new MlflowError(
          'RESOURCE_DOES_NOT_EXIST',
          `No tag with name: ${key} in experiment with id ${id}`,
        );
      }
      return { json: {} };
    },
  };
}
