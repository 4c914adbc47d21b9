import { parseSearchFilter } from '../search/filter.js';
import { compareCodePoints, matchesFilter } from '../search/match.js';
import { parseOrderBy } from '../search/order-by.js';
import {
  dictOf,
  type ModelVersionRecord,
  type OrderKey,
  type RegisteredModelRecord,
} from '../search/types.js';
import { decodeOffset, page } from '../serialize.js';
import { IS_PROMPT_TAG, liveVersions, type ModelVersion, type RegisteredModel } from './model-registry.js';

export interface RegistrySearch {
  filter: string | undefined;
  orderBy: readonly string[];
  maxResults: number;
  pageToken: string | undefined;
}

export interface Page<T> {
  items: T[];
  next?: string;
}

/** `search_registered_models` of the SQL store: filter, then order_by, then the page token are checked. */
export function searchRegisteredModels(
  models: readonly RegisteredModel[],
  search: RegistrySearch,
): Page<RegisteredModel> {
  const clauses = parseSearchFilter(search.filter, 'registered_models');
  const order = parseOrderBy(search.orderBy, 'registered_models');
  const offset = decodeOffset(search.pageToken);
  const hits = models.filter((m) => matchesFilter('registered_models', modelRecord(m), clauses));
  hits.sort(byKeys(order.keys, (m, key) => (key === 'name' ? m.name : m.lastUpdatedTime)));
  return page(hits, search.maxResults, offset);
}

/** `search_model_versions` of the SQL store; deleted versions are never found. */
export function searchModelVersions(
  models: readonly RegisteredModel[],
  search: RegistrySearch,
): Page<ModelVersion> {
  const clauses = parseSearchFilter(search.filter, 'model_versions');
  const order = parseOrderBy(search.orderBy, 'model_versions');
  const offset = decodeOffset(search.pageToken);
  const hits: ModelVersion[] = [];
  for (const m of models) {
    // A model is a prompt when any of its versions, deleted ones included, says so: all its versions hide.
    const isPrompt = m.versions.some((v) => v.tags.get(IS_PROMPT_TAG) === 'true');
    for (const v of liveVersions(m)) {
      if (matchesFilter('model_versions', versionRecord(v, isPrompt), clauses)) hits.push(v);
    }
  }
  hits.sort(byKeys(order.keys, versionSortValue));
  return page(hits, search.maxResults, offset);
}

const modelRecord = (m: RegisteredModel): RegisteredModelRecord => ({
  name: m.name,
  creation_timestamp: m.creationTime,
  last_updated_timestamp: m.lastUpdatedTime,
  tags: dictOf(m.tags),
});

const versionRecord = (v: ModelVersion, isPrompt: boolean): ModelVersionRecord => ({
  name: v.model.name,
  version: v.version,
  creation_timestamp: v.creationTime,
  last_updated_timestamp: v.lastUpdatedTime,
  source: v.source,
  run_id: v.runId,
  current_stage: v.stage,
  tags: dictOf(v.tags),
  is_prompt: isPrompt,
});

function versionSortValue(v: ModelVersion, key: string): string | number {
  switch (key) {
    case 'name':
      return v.model.name;
    case 'version_number':
      return v.version;
    case 'creation_timestamp':
      return v.creationTime;
    default:
      return v.lastUpdatedTime;
  }
}

/** SQL ORDER BY over the keys from `parseOrderBy`: text by code point (BINARY collation), numbers by value. */
function byKeys<T>(keys: readonly OrderKey[], value: (item: T, key: string) => string | number) {
  return (a: T, b: T): number => {
    for (const { key, ascending } of keys) {
      const left = value(a, key);
      const right = value(b, key);
      const order =
        typeof left === 'number' && typeof right === 'number'
          ? Math.sign(left - right)
          : compareCodePoints(String(left), String(right));
      if (order !== 0) return ascending ? order : -order;
    }
    return 0;
  };
}
