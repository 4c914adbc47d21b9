import { MlflowError, invalidParameter } from '../errors.js';
import { Fields, readMessage, type ApiRequest, type ApiResponse } from '../http.js';
import { experimentJson } from '../serialize.js';
import type { TrackingStore } from '../tracking-store.js';

/** `'name' exceeds the maximum length of 500 characters` (README "Limits"). */
const MAX_EXPERIMENT_NAME = 500;

export function experimentHandlers(store: TrackingStore) {
  const fields = (req: ApiRequest) => new Fields(readMessage(req));
  const tagPairs = (f: Fields): Array<[string, string]> =>
    f.objects('tags').map((t) => [String(t.key ?? ''), String(t.value ?? '')]);

  return {
    create(req: ApiRequest): ApiResponse {
      const f = fields(req);
      const name = f.string('name', true);
      if (name.length > MAX_EXPERIMENT_NAME) {
        throw invalidParameter(`'name' exceeds the maximum length of ${MAX_EXPERIMENT_NAME} characters`);
      }
      const e = store.createExperiment(
        req.workspace,
        name,
        tagPairs(f),
        f.string('artifact_location') || undefined,
      );
      return { json: { experiment_id: e.id } };
    },

    get(req: ApiRequest): ApiResponse {
      const id = fields(req).string('experiment_id', true);
      return { json: { experiment: experimentJson(store.getExperiment(req.workspace, id)) } };
    },

    getByName(req: ApiRequest): ApiResponse {
      const name = fields(req).string('experiment_name', true);
      const e = store.experimentByName(req.workspace, name);
      if (!e)
        throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
      return { json: { experiment: experimentJson(e) } };
    },

    update(req: ApiRequest): ApiResponse {
      const f = fields(req);
      const e = store.getExperiment(req.workspace, f.string('experiment_id', true));
      const newName = f.string('new_name');
      if (newName) {
        if (e.lifecycleStage !== 'active') {
          throw invalidParameter('Cannot rename a non-active experiment.');
        }
        const clash = store.experimentByName(req.workspace, newName);
        if (clash && clash !== e) {
          throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Experiment(name=${newName}) already exists.`);
        }
        e.name = newName;
        store.touch(e);
      }
      return { json: {} };
    },

    delete(req: ApiRequest): ApiResponse {
      const e = store.getExperiment(req.workspace, fields(req).string('experiment_id', true));
      if (e.id === '0')
        throw invalidParameter(
          "Cannot delete the default experiment '0'. This is an internally reserved experiment.",
        );
      e.lifecycleStage = 'deleted';
      store.touch(e);
      for (const run of store.runsOf(new Set([e.id]))) run.lifecycleStage = 'deleted';
      return { json: {} };
    },

    restore(req: ApiRequest): ApiResponse {
      const e = store.getExperiment(req.workspace, fields(req).string('experiment_id', true));
      e.lifecycleStage = 'active';
      store.touch(e);
      for (const run of store.runsOf(new Set([e.id]))) run.lifecycleStage = 'active';
      return { json: {} };
    },

    setTag(req: ApiRequest): ApiResponse {
      const f = fields(req);
      const e = store.getExperiment(req.workspace, f.string('experiment_id', true));
      const key = f.string('key', true);
      e.tags.set(key, f.string('value') ?? '');
      return { json: {} };
    },

    deleteTag(req: ApiRequest): ApiResponse {
      const f = fields(req);
      const e = store.getExperiment(req.workspace, f.string('experiment_id', true));
      const key = f.string('key', true);
      if (!e.tags.delete(key)) {
        throw new MlflowError(
          'RESOURCE_DOES_NOT_EXIST',
          `No tag with name: ${key} in experiment with id ${e.id}`,
        );
      }
      return { json: {} };
    },
  };
}
