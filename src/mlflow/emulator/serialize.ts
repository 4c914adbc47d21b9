import { invalidParameter } from './errors.js';
import { HtmlError } from './http.js';
import { pyRepr } from './search/python.js';
import type { DatasetInput, Experiment, Metric, Run } from './tracking-store.js';

/**
 * Entities as MLflow's protobuf JSON writes them: fields in proto order, unset and empty repeated fields
 * omitted (golden README, "Serialisation" 1).
 */
const tagList = (tags: Map<string, string>) => [...tags].map(([key, value]) => ({ key, value }));

export function experimentJson(e: Experiment): Record<string, unknown> {
  return {
    experiment_id: e.id,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime,
    creation_time: e.creationTime,
    ...(e.tags.size > 0 && { tags: tagList(e.tags) }),
  };
}

export function runInfoJson(r: Run): Record<string, unknown> {
  return {
    run_uuid: r.id,
    experiment_id: r.experimentId,
    run_name: r.name,
    user_id: r.userId,
    status: r.status,
    start_time: r.startTime,
    ...(r.endTime !== undefined && { end_time: r.endTime }),
    artifact_uri: r.artifactUri,
    lifecycle_stage: r.lifecycleStage,
    run_id: r.id,
  };
}

/** ±Infinity is stored clamped (run-data.ts); NaN is written as the string "NaN" (README "Serialisation" 5). */
export const metricJson = (m: Metric) => ({
  key: m.key,
  value: Number.isNaN(m.value) ? 'NaN' : m.value,
  timestamp: m.timestamp,
  step: m.step,
});

/** DatasetInput in proto order: tags, then the dataset (name, digest, source_type, source, schema, profile). */
export function datasetInputJson(input: DatasetInput): Record<string, unknown> {
  const d = input.dataset;
  return {
    ...(input.tags.length > 0 && { tags: input.tags.map(([key, value]) => ({ key, value })) }),
    dataset: {
      name: d.name,
      digest: d.digest,
      source_type: d.sourceType,
      source: d.source,
      ...(d.schema && { schema: d.schema }),
      ...(d.profile && { profile: d.profile }),
    },
  };
}

/** `runs/create` answers without `outputs`; `runs/get` and `runs/search` carry both (README 1). */
export function runJson(r: Run, { outputs = true } = {}): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  if (r.latest.size > 0) data.metrics = [...r.latest.values()].map(metricJson);
  if (r.params.size > 0) data.params = tagList(r.params);
  if (r.tags.size > 0) data.tags = tagList(r.tags);
  const inputs = r.inputs.length > 0 ? { dataset_inputs: r.inputs.map(datasetInputJson) } : {};
  return { info: runInfoJson(r), data, inputs, ...(outputs && { outputs: {} }) };
}

/** MLflow's page token: base64 of `{"offset": N}` written by Python's json.dumps. */
export function pageToken(offset: number): string {
  return Buffer.from(`{"offset": ${offset}}`).toString('base64');
}

/**
 * `SearchUtils.parse_start_offset_from_page_token`, with its messages. Note that the token for offset 0 is
 * refused: Python reads `{"offset": 0}` as "no offset".
 */
export function decodeOffset(token: string | undefined): number {
  if (!token) return 0;
  const decoded = pyB64decode(token);
  if (decoded === undefined) throw invalidParameter('Invalid page token, could not base64-decode');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(decoded));
  } catch {
    throw invalidParameter(`Invalid page token, decoded value=${pyBytesRepr(decoded)}`);
  }
  // `parsed_token.get(...)` on anything but a dict is an AttributeError: Werkzeug's 500 page.
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HtmlError(500);
  const offset = (parsed as Record<string, unknown>).offset;
  if (!offset) throw invalidParameter(`Invalid page token, parsed value=${pyDictRepr(parsed)}`);
  // SQLite reads a negative OFFSET as 0.
  if (typeof offset === 'number') return Math.max(0, Math.trunc(offset));
  if (typeof offset === 'boolean') return 1;
  if (typeof offset === 'string' && /^\s*[+-]?\d+\s*$/.test(offset)) return Math.max(0, Number(offset));
  if (typeof offset === 'string') throw invalidParameter(`Invalid page token, not stringable ${offset}`);
  throw new HtmlError(500);
}

/** Python's lenient `base64.b64decode`: characters outside the alphabet are dropped; padding must be right. */
function pyB64decode(token: string): Buffer | undefined {
  const data = token.replace(/[^A-Za-z0-9+/=]/g, '');
  const body = data.replace(/=.*$/s, '');
  const padding = data.length - body.length;
  const rest = body.length % 4;
  if (rest === 1 || (rest === 2 && padding < 2) || (rest === 3 && padding < 1)) return undefined;
  return Buffer.from(body, 'base64');
}

function pyBytesRepr(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (c === '\\' || c === quote) out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code >= 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return `b${quote}${out}${quote}`;
}

/** Python's repr() of a parsed JSON value. */
function pyDictRepr(value: unknown): string {
  if (typeof value === 'string') return pyRepr(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pyDictRepr).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `${pyRepr(k)}: ${pyDictRepr(v)}`,
  );
  return `{${entries.join(', ')}}`;
}

/**
 * The SQL stores' paging: fetch `max_results + 1` rows from the offset (SQLite reads a negative LIMIT as no
 * limit), answer a token when that extra row came back, and cut the rows with Python's slice `[:max_results]`.
 */
export function page<T>(
  sorted: readonly T[],
  maxResults: number,
  offset: number,
): { items: T[]; next?: string } {
  const limit = maxResults + 1;
  const fetched = limit < 0 ? sorted.slice(offset) : sorted.slice(offset, offset + limit);
  const next = fetched.length === limit ? pageToken(offset + maxResults) : undefined;
  return { items: fetched.slice(0, maxResults), ...(next !== undefined && { next }) };
}
