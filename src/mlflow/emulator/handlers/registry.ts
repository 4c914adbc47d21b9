import { MlflowError, invalidParameter } from '../errors.js';
import { readJsonBody, type ApiRequest, type ApiResponse } from '../http.js';
import {
  ACTIVE_STAGES,
  IS_PROMPT_TAG,
  ModelRegistry,
  STAGES,
  aliasesOf,
  canonicalStage,
  latestVersions,
  parseVersion,
  type ModelVersion,
} from '../registry/model-registry.js';
import { modelVersionJson, registeredModelJson } from '../registry/registry-json.js';
import { searchModelVersions, searchRegisteredModels } from '../registry/registry-search.js';
import {
  parseModelsUri,
  unresolvableModelSource,
  uriScheme,
  validateAlias,
  validateRegistryTag,
  validateSource,
  validateTagKey,
} from '../registry/validation.js';
import { pyInt } from '../python-values.js';
import { assert, pb, requestMessage, type Parsed } from '../request-message.js';
import type { Router } from '../router.js';
import type { TrackingStore } from '../tracking-store.js';

// `_assert_less_than_or_equal` in the search handlers (golden README "Limits" 6).
const MAX_MODELS_PER_SEARCH = 1000;
const MAX_VERSIONS_PER_SEARCH = 200_000;
// The proto defaults of max_results.
const DEFAULT_MODELS_PER_SEARCH = 100;
const DEFAULT_VERSIONS_PER_SEARCH = 200_000;

/** The model registry routes: registered models, model versions, their tags and aliases. */
export function registryRoutes(router: Router, store: TrackingStore, registry: ModelRegistry): void {
  const h = registryHandlers(store, registry);
  const rm = '/2.0/mlflow/registered-models';
  const mv = '/2.0/mlflow/model-versions';
  router
    .api('POST', `${rm}/create`, h.createModel)
    .api('GET', `${rm}/get`, h.getModel)
    .api('GET', `${rm}/search`, h.searchModels)
    .api('PATCH', `${rm}/update`, h.updateModel)
    .api('POST', `${rm}/rename`, h.renameModel)
    .api('DELETE', `${rm}/delete`, h.deleteModel)
    .api('POST', `${rm}/set-tag`, h.setModelTag)
    .api('DELETE', `${rm}/delete-tag`, h.deleteModelTag)
    .api('POST', `${rm}/get-latest-versions`, h.getLatestVersions)
    .api('GET', `${rm}/get-latest-versions`, h.getLatestVersions)
    .api('POST', `${rm}/alias`, h.setAlias)
    .api('GET', `${rm}/alias`, h.getByAlias)
    .api('DELETE', `${rm}/alias`, h.deleteAlias)
    .api('POST', `${mv}/create`, h.createVersion)
    .api('GET', `${mv}/get`, h.getVersion)
    .api('GET', `${mv}/search`, h.searchVersions)
    .api('PATCH', `${mv}/update`, h.updateVersion)
    .api('POST', `${mv}/transition-stage`, h.transition)
    .api('DELETE', `${mv}/delete`, h.deleteVersion)
    .api('GET', `${mv}/get-download-uri`, h.downloadUri)
    .api('POST', `${mv}/set-tag`, h.setVersionTag)
    .api('DELETE', `${mv}/delete-tag`, h.deleteVersionTag);
}

// The request messages of model_registry.proto and the schemas of mlflow/server/handlers.py, field for field.
const TAG = pb.messageOf({ key: pb.string, value: pb.string });
const NAME = { name: pb.string };
const VERSION_REF = { name: pb.string, version: pb.string };
const SEARCH = {
  filter: pb.string,
  max_results: pb.int64,
  order_by: pb.repeated(pb.string),
  page_token: pb.string,
};
const CREATE_MODEL = {
  name: pb.string,
  tags: pb.repeated(TAG),
  description: pb.string,
  deployment_job_id: pb.string,
};
const UPDATE_MODEL = { name: pb.string, description: pb.string, deployment_job_id: pb.string };
const CREATE_VERSION = {
  name: pb.string,
  source: pb.string,
  run_id: pb.string,
  tags: pb.repeated(TAG),
  run_link: pb.string,
  description: pb.string,
  model_id: pb.string,
};
const TRANSITION = { ...VERSION_REF, stage: pb.string, archive_existing_versions: pb.bool };

const required = [assert.string, assert.required];
const optional = [assert.string];
const NAME_SCHEMA = { name: required };
const VERSION_SCHEMA = { name: required, version: required };
/** `int(x)` of a value `_assert_intlike` let through. */
const pyIntOf = (v: unknown) => (typeof v === 'string' ? (pyInt(v) ?? NaN) : Math.trunc(Number(v)));
const searchSchema = (limit: number) => ({
  filter: optional,
  // `_assert_less_than_or_equal(int(x), limit)` fails without a message: the generic one, quoting x.
  max_results: [assert.intlike, assert.that((v) => pyIntOf(v) <= limit)],
  order_by: [assert.array, assert.itemTypeString],
  page_token: optional,
});

/**
 * MLflow's registry handlers over the SQL registry store, in the order they check things: the request message
 * and the handler's schema (`requestMessage`), then the store's validations, then the lookups.
 */
export function registryHandlers(store: TrackingStore, registry: ModelRegistry) {
  const version = (req: ApiRequest, m: Parsed) =>
    registry.getVersion(req.workspace, m.string('name'), m.string('version'));
  /** The answers about one version carry its aliases. */
  const versionJson = (v: ModelVersion) => modelVersionJson(v, aliasesOf(v));

  function tagsOf(m: Parsed): Map<string, string> {
    const tags = new Map<string, string>();
    for (const tag of m.messages('tags')) {
      validateRegistryTag(tag.string('key'), tag.string('value'));
      tags.set(tag.string('key'), tag.string('value'));
    }
    return tags;
  }

  return {
    createModel(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, CREATE_MODEL, {
        name: required,
        tags: [assert.array],
        description: optional,
      });
      const tags = tagsOf(m);
      const created = registry.createModel(req.workspace, {
        name: m.string('name'),
        tags,
        description: m.string('description'),
      });
      return { json: { registered_model: registeredModelJson(created) } };
    },

    getModel(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, NAME, NAME_SCHEMA);
      return {
        json: { registered_model: registeredModelJson(registry.getModel(req.workspace, m.string('name'))) },
      };
    },

    searchModels(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, SEARCH, searchSchema(MAX_MODELS_PER_SEARCH));
      const { items, next } = searchRegisteredModels([...registry.models(req.workspace).values()], {
        filter: m.string('filter'),
        orderBy: m.strings('order_by'),
        maxResults: m.has('max_results') ? m.int('max_results') : DEFAULT_MODELS_PER_SEARCH,
        pageToken: m.string('page_token'),
      });
      return {
        json: {
          ...(items.length > 0 && {
            registered_models: items.map((rm) => registeredModelJson(rm, 'newest-first')),
          }),
          ...(next && { next_page_token: next }),
        },
      };
    },

    /** A missing description clears it: the proto default "" is stored. */
    updateModel(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, UPDATE_MODEL, { name: required, description: optional });
      const model = registry.getModel(req.workspace, m.string('name'));
      registry.describeModel(model, m.string('description'));
      return { json: { registered_model: registeredModelJson(model) } };
    },

    renameModel(req: ApiRequest): ApiResponse {
      const m = requestMessage(
        req,
        { name: pb.string, new_name: pb.string },
        { name: required, new_name: required },
      );
      const model = registry.getModel(req.workspace, m.string('name'));
      registry.renameModel(req.workspace, model, m.string('new_name'));
      return { json: { registered_model: registeredModelJson(model) } };
    },

    deleteModel(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, NAME, NAME_SCHEMA);
      registry.deleteModel(req.workspace, registry.getModel(req.workspace, m.string('name')));
      return { json: {} };
    },

    setModelTag(req: ApiRequest): ApiResponse {
      const m = requestMessage(
        req,
        { name: pb.string, key: pb.string, value: pb.string },
        { name: required, key: required, value: optional },
      );
      validateRegistryTag(m.string('key'), m.string('value'));
      registry.getModel(req.workspace, m.string('name')).tags.set(m.string('key'), m.string('value'));
      return { json: {} };
    },

    /** Deleting a tag the model does not have is not an error. */
    deleteModelTag(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, { name: pb.string, key: pb.string }, { name: required, key: required });
      validateTagKey(m.string('key'));
      registry.getModel(req.workspace, m.string('name')).tags.delete(m.string('key'));
      return { json: {} };
    },

    getLatestVersions(req: ApiRequest): ApiResponse {
      const m = requestMessage(
        req,
        { name: pb.string, stages: pb.repeated(pb.string) },
        { name: required, stages: [assert.array, assert.itemTypeString] },
      );
      const model = registry.getModel(req.workspace, m.string('name'));
      const requested = m.strings('stages');
      const stages = new Set<string>(requested.length > 0 ? requested.map((s) => canonicalStage(s)) : STAGES);
      const versions = latestVersions(model, 'oldest-first').filter((v) => stages.has(v.stage));
      return { json: versions.length > 0 ? { model_versions: versions.map(versionJson) } : {} };
    },

    setAlias(req: ApiRequest): ApiResponse {
      const m = requestMessage(
        req,
        { name: pb.string, alias: pb.string, version: pb.string },
        { name: required, alias: required, version: required },
      );
      validateAlias(m.string('alias'));
      const v = version(req, m);
      v.model.aliases.set(m.string('alias'), v.version);
      return { json: {} };
    },

    /** A missing alias is a 400, not a 404 (golden README "Registry" 12). */
    getByAlias(req: ApiRequest): ApiResponse {
      const m = requestMessage(
        req,
        { name: pb.string, alias: pb.string },
        { name: required, alias: required },
      );
      const [name, alias] = [m.string('name'), m.string('alias')];
      validateAlias(alias);
      const number = registry.models(req.workspace).get(name)?.aliases.get(alias);
      if (number === undefined) throw invalidParameter(`Registered model alias ${alias} not found.`);
      return {
        json: { model_version: versionJson(registry.getVersion(req.workspace, name, String(number))) },
      };
    },

    deleteAlias(req: ApiRequest): ApiResponse {
      const m = requestMessage(
        req,
        { name: pb.string, alias: pb.string },
        { name: required, alias: required },
      );
      validateAlias(m.string('alias'));
      registry.getModel(req.workspace, m.string('name')).aliases.delete(m.string('alias'));
      return { json: {} };
    },

    createVersion(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, CREATE_VERSION, {
        name: required,
        source: required,
        run_id: optional,
        tags: [assert.array],
        run_link: optional,
        description: optional,
        model_id: optional,
      });
      const source = m.string('source');
      const runId = m.string('run_id');
      // Prompts skip the source checks.
      if (!m.messages('tags').some((t) => t.string('key') === IS_PROMPT_TAG)) {
        validateSource(source, { runId, modelId: m.string('model_id') });
      }
      const tags = tagsOf(m);
      const storageLocation = resolveSource(req.workspace, source);
      const model = registry.getModel(req.workspace, m.string('name'));
      // The run a version names must be one this workspace can see.
      if (runId) store.getRun(req.workspace, runId);
      const created = registry.createVersion(model, {
        description: m.string('description'),
        source,
        storageLocation,
        runId,
        runLink: m.string('run_link'),
        tags,
      });
      return { json: { model_version: versionJson(created) } };
    },

    getVersion(req: ApiRequest): ApiResponse {
      return {
        json: { model_version: versionJson(version(req, requestMessage(req, VERSION_REF, VERSION_SCHEMA))) },
      };
    },

    searchVersions(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, SEARCH, searchSchema(MAX_VERSIONS_PER_SEARCH));
      const max = m.has('max_results') ? m.int('max_results') : DEFAULT_VERSIONS_PER_SEARCH;
      if (max < 1) {
        throw invalidParameter(
          `Invalid value for max_results. It must be a positive integer, but got ${max}`,
        );
      }
      const { items, next } = searchModelVersions([...registry.models(req.workspace).values()], {
        filter: m.string('filter'),
        orderBy: m.strings('order_by'),
        maxResults: max,
        pageToken: m.string('page_token'),
      });
      return {
        json: {
          ...(items.length > 0 && { model_versions: items.map((v) => modelVersionJson(v)) }),
          ...(next && { next_page_token: next }),
        },
      };
    },

    /** Without a description the stored one is cleared, and the field then left out. */
    updateVersion(req: ApiRequest): ApiResponse {
      const m = requestMessage(
        req,
        { ...VERSION_REF, description: pb.string },
        { ...VERSION_SCHEMA, description: optional },
      );
      const v = version(req, m);
      registry.describeVersion(v, m.has('description') ? m.string('description') : undefined);
      return { json: { model_version: versionJson(v) } };
    },

    transition(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, TRANSITION, {
        ...VERSION_SCHEMA,
        stage: required,
        archive_existing_versions: [assert.bool],
      });
      const requested = m.string('stage');
      const stage = canonicalStage(requested);
      // Set only from a JSON boolean, which the parsed message has no reader for: read it from the body.
      const archive =
        m.has('archive_existing_versions') &&
        (readJsonBody(req) as Record<string, unknown>).archive_existing_versions === true;
      if (archive && !ACTIVE_STAGES.includes(stage)) {
        throw new MlflowError(
          'INTERNAL_ERROR',
          `Model version transition cannot archive existing model versions because '${requested}' is not an Active stage. Valid stages are ['Staging', 'Production']`,
        );
      }
      const v = version(req, m);
      registry.transition(v, stage, archive);
      return { json: { model_version: versionJson(v) } };
    },

    deleteVersion(req: ApiRequest): ApiResponse {
      registry.deleteVersion(version(req, requestMessage(req, VERSION_REF, VERSION_SCHEMA)));
      return { json: {} };
    },

    /** This handler declares no schema: a missing name fails in the store, without the API-docs hint. */
    downloadUri(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, VERSION_REF);
      if (!m.string('name')) throw invalidParameter("Missing value for required parameter 'name'.");
      const v = version(req, m);
      return { json: { artifact_uri: v.storageLocation || v.source } };
    },

    setVersionTag(req: ApiRequest): ApiResponse {
      const m = requestMessage(
        req,
        { ...VERSION_REF, key: pb.string, value: pb.string },
        { ...VERSION_SCHEMA, key: required, value: optional },
      );
      parseVersion(m.string('version'));
      validateRegistryTag(m.string('key'), m.string('value'));
      version(req, m).tags.set(m.string('key'), m.string('value'));
      return { json: {} };
    },

    deleteVersionTag(req: ApiRequest): ApiResponse {
      const m = requestMessage(req, { ...VERSION_REF, key: pb.string }, { ...VERSION_SCHEMA, key: required });
      parseVersion(m.string('version'));
      validateTagKey(m.string('key'));
      version(req, m).tags.delete(m.string('key'));
      return { json: {} };
    },
  };

  /**
   * `storage_location`: a `models:/name/N` source points at what version N points at; the other `models:/`
   * forms fail as the store fails to resolve them.
   */
  function resolveSource(workspace: string, source: string): string {
    if (uriScheme(source) !== 'models') return source;
    const parsed = parseModelsUri(source);
    if ('unresolvable' in parsed) throw unresolvableModelSource(source, parsed.unresolvable);
    try {
      const target = registry.getVersion(workspace, parsed.name, parsed.version);
      return target.storageLocation || target.source;
    } catch (error) {
      if (error instanceof MlflowError) throw unresolvableModelSource(source, error.message);
      throw error;
    }
  }
}
