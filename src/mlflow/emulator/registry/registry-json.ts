import { latestVersions, sortedAliases, type ModelVersion, type RegisteredModel } from './model-registry.js';

/**
 * Registry entities as MLflow's protobuf JSON writes them: fields in proto order, unset fields and empty
 * repeated fields omitted (golden README, "Serialisation" 1). `user_id` and `status_message` are never set
 * through the REST API, so they never appear.
 */
const tagList = (tags: Map<string, string>) => [...tags].map(([key, value]) => ({ key, value }));

/**
 * A model version. `aliases` is only filled in where the SQL store fills it in: the answers about one version
 * (get, create, update, transition, get-by-alias, get-latest-versions); lists leave it out.
 */
export function modelVersionJson(v: ModelVersion, aliases: readonly string[] = []): Record<string, unknown> {
  return {
    name: v.model.name,
    version: String(v.version),
    creation_timestamp: v.creationTime,
    last_updated_timestamp: v.lastUpdatedTime,
    current_stage: v.stage,
    ...(v.description !== undefined && { description: v.description }),
    source: v.source,
    run_id: v.runId,
    status: 'READY',
    ...(v.tags.size > 0 && { tags: tagList(v.tags) }),
    run_link: v.runLink,
    ...(aliases.length > 0 && { aliases }),
  };
}

/** A registered model; see `latestVersions` for the walk. */
export function registeredModelJson(
  m: RegisteredModel,
  walk: 'oldest-first' | 'newest-first' = 'oldest-first',
): Record<string, unknown> {
  const latest = latestVersions(m, walk);
  return {
    name: m.name,
    creation_timestamp: m.creationTime,
    last_updated_timestamp: m.lastUpdatedTime,
    ...(m.description && { description: m.description }),
    ...(latest.length > 0 && { latest_versions: latest.map((v) => modelVersionJson(v)) }),
    ...(m.tags.size > 0 && { tags: tagList(m.tags) }),
    ...(m.aliases.size > 0 && {
      aliases: sortedAliases(m).map(([alias, version]) => ({ alias, version: String(version) })),
    }),
  };
}
