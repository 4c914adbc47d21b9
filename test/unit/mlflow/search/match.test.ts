import { describe, expect, it } from 'vitest';
import {
  type ExperimentRecord,
  type ModelVersionRecord,
  type RegisteredModelRecord,
  type RunRecord,
  matchesFilter,
  parseSearchFilter,
} from '../../../../src/mlflow/emulator/search/index.js';

const run = (
  overrides: Omit<Partial<RunRecord>, 'info'> & { info?: Partial<RunRecord['info']> } = {},
): RunRecord => ({
  metrics: {},
  params: {},
  tags: {},
  ...overrides,
  info: {
    run_id: '0a1b2c',
    run_name: 'r1',
    status: 'FINISHED',
    user_id: 'golden-user',
    start_time: 1700000000000,
    end_time: 1700000001000,
    artifact_uri: 'mlflow-artifacts:/workspaces/default/1/0a1b2c/artifacts',
    lifecycle_stage: 'active',
    ...overrides.info,
  },
});

const runMatches = (filter: string, record: RunRecord) =>
  matchesFilter('runs', record, parseSearchFilter(filter, 'runs'));

describe('matchesFilter: runs', () => {
  const r = run({
    metrics: { x: 2, loss: 0.4, nan: Number.NaN, inf: Number.POSITIVE_INFINITY },
    params: { y: 'a', lr: '0.01' },
    tags: { 'mlflow.runName': 'r1', team: 'Golden', 'mlflow.parentRunId': 'p1' },
  });

  it('ANDs metric and param clauses', () => {
    expect(runMatches("metrics.x > 1 and params.y = 'a'", r)).toBe(true);
    expect(runMatches("metrics.x > 2 and params.y = 'a'", r)).toBe(false);
    expect(runMatches("metrics.x > 1 and params.y = 'b'", r)).toBe(false);
  });

  it('compares metrics numerically and params as text', () => {
    expect(runMatches('metrics.loss <= 0.4', r)).toBe(true);
    expect(runMatches('metrics.loss < .4', r)).toBe(false);
    expect(runMatches('metrics.x = 2.0', r)).toBe(true);
    expect(runMatches('metrics.x >= 1e0', r)).toBe(true);
    expect(runMatches("params.lr = '0.010'", r)).toBe(false);
  });

  it('never matches a missing metric, param or tag, not even with !=', () => {
    expect(runMatches('metrics.missing != 1', r)).toBe(false);
    expect(runMatches("params.missing != 'a'", r)).toBe(false);
    expect(runMatches("tags.missing != 'a'", r)).toBe(false);
  });

  it('sees a NaN metric as the 0 MLflow stores, and infinity as the largest double', () => {
    expect(runMatches('metrics.nan = 0', r)).toBe(true);
    expect(runMatches('metrics.nan > -1', r)).toBe(true);
    expect(runMatches('metrics.inf = 1.7976931348623157e308', r)).toBe(true);
    expect(runMatches('metrics.inf > 0', r)).toBe(true);
  });

  it('supports IS NULL and IS NOT NULL on params and tags', () => {
    expect(runMatches('params.missing IS NULL', r)).toBe(true);
    expect(runMatches('params.y IS NULL', r)).toBe(false);
    expect(runMatches('tags.team IS NOT NULL', r)).toBe(true);
    expect(runMatches('tags.missing IS NOT NULL', r)).toBe(false);
  });

  it('reads tags with dots, backticks and double quotes', () => {
    expect(runMatches("tags.mlflow.parentRunId = 'p1'", r)).toBe(true);
    expect(runMatches("tags.`mlflow.parentRunId` = 'p1'", r)).toBe(true);
    expect(runMatches('tags."mlflow.parentRunId" = "p1"', r)).toBe(true);
  });

  it('LIKE is case-sensitive with % and _ wildcards; ILIKE folds ASCII only', () => {
    expect(runMatches("tags.team LIKE 'Gold%'", r)).toBe(true);
    expect(runMatches("tags.team LIKE 'gold%'", r)).toBe(false);
    expect(runMatches("tags.team LIKE 'G_lden'", r)).toBe(true);
    expect(runMatches("tags.team LIKE 'G_den'", r)).toBe(false);
    expect(runMatches("tags.team LIKE 'Golden_'", r)).toBe(false);
    expect(runMatches("tags.team LIKE '%'", r)).toBe(true);
    expect(runMatches("tags.team ILIKE 'gOLDEN'", r)).toBe(true);
    expect(runMatches("params.lr LIKE '0.0_'", r)).toBe(true);
    // Regex characters in a pattern are literal.
    expect(runMatches("params.lr LIKE '0.0.'", r)).toBe(false);
    const umlaut = run({ tags: { k: 'ÄB' } });
    expect(runMatches("tags.k ILIKE 'Äb'", umlaut)).toBe(true);
    expect(runMatches("tags.k ILIKE 'äb'", umlaut)).toBe(false);
  });

  it('filters attributes, with run_name read from the mlflow.runName tag', () => {
    expect(runMatches("attributes.status = 'FINISHED'", r)).toBe(true);
    expect(runMatches("attributes.status = 'finished'", r)).toBe(false);
    expect(runMatches("attr.user_id LIKE 'golden%'", r)).toBe(true);
    expect(runMatches("run_name = 'r1'", r)).toBe(true);
    expect(runMatches("attributes.`Run name` = 'r1'", r)).toBe(true);
    const untagged = run({ info: { run_name: 'r1' } });
    expect(runMatches("attributes.run_name = 'r1'", untagged)).toBe(false);
  });

  it('compares start_time and end_time numerically; a running run has no end_time', () => {
    expect(runMatches('attributes.start_time >= 1700000000000', r)).toBe(true);
    expect(runMatches('created > 1.6e12', r)).toBe(true);
    expect(runMatches('created > 1.7e12', r)).toBe(false);
    expect(runMatches('end_time < 1700000000500', r)).toBe(false);
    const running = run({ info: { end_time: undefined } });
    expect(runMatches('end_time != 0', running)).toBe(false);
    expect(runMatches('end_time > 0', running)).toBe(false);
  });

  it('filters run ids with IN and NOT IN; upper-case ids never match', () => {
    expect(runMatches("run_id IN ('0a1b2c', 'ffff')", r)).toBe(true);
    expect(runMatches("run_id IN ('ffff')", r)).toBe(false);
    expect(runMatches("run_id NOT IN ('ffff')", r)).toBe(true);
    expect(runMatches("run_id NOT IN ('0a1b2c')", r)).toBe(false);
    expect(runMatches("run_id IN ('0A1B2C')", r)).toBe(false);
    // The upper-case value is dropped, leaving an empty NOT IN, which every run passes.
    expect(runMatches("run_id NOT IN ('0A1B2C')", r)).toBe(true);
  });

  it('matches a run when any of its dataset inputs matches', () => {
    const withData = run({
      datasets: [
        { name: 'train', digest: 'd1', context: 'training' },
        { name: 'eval', digest: 'd2' },
      ],
    });
    expect(runMatches("datasets.name = 'eval'", withData)).toBe(true);
    expect(runMatches("datasets.digest IN ('d2', 'd9')", withData)).toBe(true);
    expect(runMatches("datasets.context = 'training'", withData)).toBe(true);
    expect(runMatches("datasets.context = 'eval'", withData)).toBe(false);
    expect(runMatches("datasets.name = 'eval'", run())).toBe(false);
  });

  it('matches everything for an empty filter and for a lone AND', () => {
    expect(runMatches('', r)).toBe(true);
    expect(runMatches('AND', r)).toBe(true);
  });
});

describe('matchesFilter: experiments', () => {
  const exp: ExperimentRecord = {
    experiment_id: '3',
    name: 'golden-exp-2',
    creation_time: 1795454552711,
    last_update_time: 1795454552711,
    lifecycle_stage: 'active',
    tags: { owner: 'golden' },
  };
  const expMatches = (filter: string, record = exp) =>
    matchesFilter('experiments', record, parseSearchFilter(filter, 'experiments'));

  it('filters on name, times and tags', () => {
    expect(expMatches("name LIKE 'golden%'")).toBe(true);
    expect(expMatches("name ILIKE 'GOLDEN%'")).toBe(true);
    expect(expMatches("name = 'golden-exp'")).toBe(false);
    expect(expMatches('creation_time > 1795454552710 AND last_update_time <= 1795454552711')).toBe(true);
    expect(expMatches("tags.owner = 'golden'")).toBe(true);
    expect(expMatches("tags.owner != 'golden'")).toBe(false);
    expect(expMatches("tags.purpose != 'x'")).toBe(false);
    expect(expMatches('tags.purpose IS NULL')).toBe(true);
    expect(expMatches('tags.owner IS NOT NULL')).toBe(true);
  });
});

describe('matchesFilter: registered models and prompts', () => {
  const model: RegisteredModelRecord = { name: 'golden-model', tags: { team: 'golden' } };
  const prompt: RegisteredModelRecord = {
    name: 'golden-prompt',
    tags: { 'mlflow.prompt.is_prompt': 'true' },
  };
  const rmMatches = (filter: string, record: RegisteredModelRecord) =>
    matchesFilter('registered_models', record, parseSearchFilter(filter, 'registered_models'));
  const CLIENT_FILTER = "tag.`mlflow.prompt.is_prompt` != 'true'";

  it('keeps models without the prompt tag for the filter the client appends', () => {
    expect(rmMatches(CLIENT_FILTER, model)).toBe(true);
    expect(rmMatches(`name LIKE 'golden%' AND ${CLIENT_FILTER}`, model)).toBe(true);
    expect(rmMatches(`name LIKE 'other%' AND ${CLIENT_FILTER}`, model)).toBe(false);
  });

  it('hides prompts unless the filter asks for them', () => {
    expect(rmMatches(CLIENT_FILTER, prompt)).toBe(false);
    expect(rmMatches("name LIKE 'golden%'", prompt)).toBe(false);
    expect(rmMatches('', prompt)).toBe(false);
    expect(rmMatches("tags.`mlflow.prompt.is_prompt` = 'true'", prompt)).toBe(true);
    // 'TRUE' asks for prompts (MLflow lower-cases to decide) but then compares the tag case-sensitively.
    expect(rmMatches("tags.`mlflow.prompt.is_prompt` = 'TRUE'", prompt)).toBe(false);
    expect(rmMatches("tags.`mlflow.prompt.is_prompt` = 'true'", model)).toBe(false);
    expect(rmMatches("tags.`mlflow.prompt.is_prompt` != 'false'", prompt)).toBe(true);
  });

  it('requires the tag for ordinary tag clauses', () => {
    expect(rmMatches("tags.team = 'golden'", model)).toBe(true);
    expect(rmMatches("tags.team != 'x'", model)).toBe(true);
    expect(rmMatches("tags.other != 'x'", model)).toBe(false);
  });
});

describe('matchesFilter: model versions', () => {
  const version: ModelVersionRecord = {
    name: 'golden-model',
    version: '2',
    source: 'runs:/bac5b04a/model',
    run_id: 'bac5b04a',
    current_stage: 'None',
    tags: { v: 'two' },
  };
  const mvMatches = (filter: string, record = version) =>
    matchesFilter('model_versions', record, parseSearchFilter(filter, 'model_versions'));

  it('filters on name, run_id, source_path, version_number and tags', () => {
    expect(mvMatches("name='golden-model'")).toBe(true);
    expect(mvMatches("run_id IN ('bac5b04a')")).toBe(true);
    expect(mvMatches("source_path LIKE 'runs:/%'")).toBe(true);
    expect(mvMatches('version_number >= 2 AND version_number < 3')).toBe(true);
    expect(mvMatches('version_number = 2.5')).toBe(false);
    expect(mvMatches("tags.v = 'two'")).toBe(true);
  });

  it('compares a quoted version number with SQLite affinity: numeric text is a number, other text sorts after', () => {
    expect(mvMatches("version_number = '2'")).toBe(true);
    expect(mvMatches("version_number < 'abc'")).toBe(true);
    expect(mvMatches("version_number = 'abc'")).toBe(false);
  });

  it('never returns deleted versions or prompt versions', () => {
    expect(mvMatches("name='golden-model'", { ...version, current_stage: 'Deleted Internal' })).toBe(false);
    expect(mvMatches("name='golden-model'", { ...version, is_prompt: true })).toBe(false);
    expect(
      mvMatches("name='golden-model'", { ...version, tags: { 'mlflow.prompt.is_prompt': 'true' } }),
    ).toBe(false);
  });
});
