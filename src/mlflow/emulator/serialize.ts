import type { Experiment, Metric, Run } from './tracking-store.js';

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

export const metricJson = (m: Metric) => ({
  key: m.key,
  value: m.value,
  timestamp: m.timestamp,
  step: m.step,
});

/** `runs/create` answers without `outputs`; `runs/get` and `runs/search` carry both (README 1). */
export function runJson(r: Run, { outputs = true } = {}): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  if (r.latest.size > 0) data.metrics = [...r.latest.values()].map(metricJson);
  if (r.params.size > 0) data.params = tagList(r.params);
  if (r.tags.size > 0) data.tags = tagList(r.tags);
  return { info: runInfoJson(r), data, inputs: {}, ...(outputs && { outputs: {} }) };
}

/** MLflow's page token: base64 of `{"offset": N}` written by Python's json.dumps. */
export function pageToken(offset: number): string {
  return Buffer.from(`{"offset": ${offset}}`).toString('base64');
}
