import { MlflowError, invalidParameter } from '../errors.js';
import type { TrackingStore, Workspace } from '../tracking-store.js';

/** The stages a version can be in, in MLflow's order (`ALL_STAGES`). */
export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];
/** The stages `archive_existing_versions` may be used with (`DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS`). */
export const ACTIVE_STAGES: readonly Stage[] = ['Staging', 'Production'];
/** A deleted version keeps its row, and so its number, in this stage; it is never returned. */
export const STAGE_DELETED = 'Deleted_Internal';

export interface ModelVersion {
  readonly model: RegisteredModel;
  readonly version: number;
  readonly creationTime: number;
  lastUpdatedTime: number;
  /** Unset after a PATCH without a description, which omits the field; "" when created without one. */
  description?: string;
  stage: Stage | typeof STAGE_DELETED;
  /** The source as given. */
  source: string;
  /** What get-download-uri answers: the source, or for a `models:/name/N` source the version it names. */
  storageLocation: string;
  /** "" when the request had none, as the proto default is stored. */
  runId: string;
  runLink: string;
  readonly tags: Map<string, string>;
}

export interface RegisteredModel {
  name: string;
  readonly creationTime: number;
  lastUpdatedTime: number;
  /** "" means none: the field is then omitted. */
  description: string;
  readonly tags: Map<string, string>;
  /** alias → version number. */
  readonly aliases: Map<string, number>;
  /** Every version ever created, deleted ones included (they keep their numbers), in version order. */
  readonly versions: ModelVersion[];
}

/**
 * The model registry of the emulator, as MLflow's workspace-aware SQL registry store keeps it: registered
 * models by name within a workspace, each with its versions, tags and aliases.
 *
 * The models of a workspace hang off its `Workspace` object, so they share its lifetime: a reset of the
 * tracking store (new workspace objects) or a deleted and re-created workspace starts with none.
 */
export class ModelRegistry {
  readonly #models = new WeakMap<Workspace, Map<string, RegisteredModel>>();

  constructor(private readonly store: TrackingStore) {}

  /** The registered models of a workspace, by name. */
  models(workspace: string): Map<string, RegisteredModel> {
    const ws = this.store.workspaces.get(workspace);
    // The request layer has already refused unknown workspaces (404); this is a bug if it happens.
    if (!ws) throw new Error(`unknown workspace ${workspace}`);
    let models = this.#models.get(ws);
    if (!models) this.#models.set(ws, (models = new Map()));
    return models;
  }

  /** Every registered model with its workspace's name: workspaces in their order, models in theirs. */
  *allModels(): Generator<[string, RegisteredModel]> {
    for (const ws of this.store.workspaces.values()) {
      for (const model of this.#models.get(ws)?.values() ?? []) yield [ws.name, model];
    }
  }

  getModel(workspace: string, name: string): RegisteredModel {
    const model = this.models(workspace).get(name);
    if (!model)
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);
    return model;
  }

  /** A live version; `version` is the request's text, quoted as given in the not-found message. */
  getVersion(workspace: string, name: string, version: string): ModelVersion {
    const number = parseVersion(version);
    const found = this.models(workspace)
      .get(name)
      ?.versions.find((v) => v.version === number && v.stage !== STAGE_DELETED);
    if (!found) {
      throw new MlflowError(
        'RESOURCE_DOES_NOT_EXIST',
        `Model Version (name=${name}, version=${version}) not found`,
      );
    }
    return found;
  }

  createModel(
    workspace: string,
    fields: { name: string; description: string; tags: Map<string, string> },
  ): RegisteredModel {
    const models = this.models(workspace);
    const existing = models.get(fields.name);
    if (existing) throw alreadyExists(fields.name, isPrompt(existing.tags), isPrompt(fields.tags));
    const now = this.store.now();
    const model: RegisteredModel = {
      name: fields.name,
      creationTime: now,
      lastUpdatedTime: now,
      description: fields.description,
      tags: fields.tags,
      aliases: new Map(),
      versions: [],
    };
    models.set(model.name, model);
    return model;
  }

  describeModel(model: RegisteredModel, description: string): void {
    model.description = description;
    model.lastUpdatedTime = this.store.now();
  }

  renameModel(workspace: string, model: RegisteredModel, newName: string): void {
    const models = this.models(workspace);
    if (newName !== model.name && models.has(newName)) {
      // The SQL store reports the IntegrityError of the UPDATE after its message.
      throw new MlflowError(
        'RESOURCE_ALREADY_EXISTS',
        `Registered Model (name=${newName}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: registered_models.workspace, registered_models.name`,
      );
    }
    const now = this.store.now();
    models.delete(model.name);
    model.name = newName;
    model.lastUpdatedTime = now;
    for (const v of model.versions) v.lastUpdatedTime = now;
    models.set(newName, model);
  }

  deleteModel(workspace: string, model: RegisteredModel): void {
    this.models(workspace).delete(model.name);
  }

  createVersion(
    model: RegisteredModel,
    fields: Pick<ModelVersion, 'description' | 'source' | 'storageLocation' | 'runId' | 'runLink' | 'tags'>,
  ): ModelVersion {
    const now = this.store.now();
    // Numbers are never reused: deleted versions still count.
    const version: ModelVersion = {
      model,
      version: (model.versions.at(-1)?.version ?? 0) + 1,
      creationTime: now,
      lastUpdatedTime: now,
      stage: 'None',
      ...fields,
    };
    model.versions.push(version);
    model.lastUpdatedTime = now;
    return version;
  }

  /** `undefined` clears the description: the field is then left out. */
  describeVersion(version: ModelVersion, description: string | undefined): void {
    if (description === undefined) delete version.description;
    else version.description = description;
    version.lastUpdatedTime = this.store.now();
  }

  /** Deletion keeps the row (its number stays taken) but redacts it and drops the aliases pointing at it. */
  deleteVersion(version: ModelVersion): void {
    const now = this.store.now();
    const { model } = version;
    model.lastUpdatedTime = now;
    for (const [alias, number] of model.aliases) if (number === version.version) model.aliases.delete(alias);
    version.stage = STAGE_DELETED;
    version.lastUpdatedTime = now;
    delete version.description;
    version.source = 'REDACTED-SOURCE-PATH';
    version.storageLocation = 'REDACTED-SOURCE-PATH';
    version.runId = 'REDACTED-RUN-ID';
    version.runLink = 'REDACTED-RUN-LINK';
  }

  transition(version: ModelVersion, stage: Stage, archiveExisting: boolean): void {
    const now = this.store.now();
    if (archiveExisting) {
      for (const other of version.model.versions) {
        if (other !== version && other.stage === stage) {
          other.stage = 'Archived';
          other.lastUpdatedTime = now;
        }
      }
    }
    version.stage = stage;
    version.lastUpdatedTime = now;
    version.model.lastUpdatedTime = now;
  }
}

export const liveVersions = (model: RegisteredModel): ModelVersion[] =>
  model.versions.filter((v) => v.stage !== STAGE_DELETED);

/**
 * `latest_versions`: the newest version of each stage, in the order the stages are first met while walking
 * the versions. A registered-model fetch walks them oldest first, a registered-model search newest first
 * (golden registry #47 and #91: the same model lists Staging v1, None v4 on get and None v4, Staging v1 in
 * search).
 */
export function latestVersions(
  model: RegisteredModel,
  walk: 'oldest-first' | 'newest-first',
): ModelVersion[] {
  const live = liveVersions(model);
  const latest = new Map<string, ModelVersion>();
  for (const v of walk === 'oldest-first' ? live : live.reverse()) {
    const current = latest.get(v.stage);
    if (!current || current.version < v.version) latest.set(v.stage, v);
  }
  return [...latest.values()];
}

/** The aliases of a model in the order the SQL store lists them (its primary key: by alias). */
export function sortedAliases(model: RegisteredModel): Array<[string, number]> {
  return [...model.aliases].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** The aliases pointing at one version, as the store fills them in on single-version answers. */
export const aliasesOf = (version: ModelVersion): string[] =>
  sortedAliases(version.model)
    .filter(([, number]) => number === version.version)
    .map(([alias]) => alias);

/** Python's `int(version)`, as `_validate_model_version` parses it. */
export function parseVersion(version: string): number {
  if (!/^\s*[+-]?\d+(?:_\d+)*\s*$/.test(version)) {
    throw invalidParameter(`Parameter 'version' must be an integer, got '${version}'.`);
  }
  return Number(version.replaceAll('_', ''));
}

/** Python's `get_canonical_stage`: case-insensitive, answered in MLflow's spelling. */
export function canonicalStage(stage: string): Stage {
  const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (!found) {
    throw invalidParameter(
      `Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`,
    );
  }
  return found;
}

/** The tag that marks a registered model (and its versions) as a prompt. */
export const IS_PROMPT_TAG = 'mlflow.prompt.is_prompt';

const isPrompt = (tags: Map<string, string>) => tags.get(IS_PROMPT_TAG)?.toLowerCase() === 'true';

/** `handle_resource_already_exist_error`: a model and a prompt may not share a name either. */
function alreadyExists(name: string, existingIsPrompt: boolean, newIsPrompt: boolean): MlflowError {
  const existing = existingIsPrompt ? 'Prompt' : 'Registered Model';
  const wanted = newIsPrompt ? 'Prompt' : 'Registered Model';
  if (existing !== wanted) {
    return new MlflowError(
      'RESOURCE_ALREADY_EXISTS',
      `Tried to create a ${wanted.toLowerCase()} with name '${name}', but the name is already taken by a ${existing.toLowerCase()}. MLflow does not allow creating a model and a prompt with the same name.`,
    );
  }
  return new MlflowError('RESOURCE_ALREADY_EXISTS', `${wanted} (name=${name}) already exists.`);
}
