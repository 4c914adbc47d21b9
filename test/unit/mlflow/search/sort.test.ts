import { describe, expect, it } from 'vitest';
import {
  type ExperimentRecord,
  type ModelVersionRecord,
  type RegisteredModelRecord,
  type RunRecord,
  compareBy,
  parseOrderBy,
} from '../../../../src/mlflow/emulator/search/index.js';

const run = (id: string, start: number, extra: Partial<RunRecord> = {}): RunRecord => ({
  info: { run_id: id, run_name: id, status: 'FINISHED', start_time: start },
  metrics: {},
  params: {},
  tags: {},
  ...extra,
});

const sortRuns = (runs: RunRecord[], orderBy?: string[]) =>
  [...runs].sort(compareBy(parseOrderBy(orderBy, 'runs'))).map((r) => r.info.run_id);

describe('compareBy: runs', () => {
  it('defaults to start_time DESC, then run_id ASC', () => {
    const runs = [run('e5', 100), run('19', 100), run('aa', 300), run('bb', 200)];
    expect(sortRuns(runs)).toEqual(['aa', 'bb', '19', 'e5']);
  });

  it('puts runs without the metric last in both directions, and NaN just before them', () => {
    const runs = [
      run('none', 1),
      run('nan', 2, { metrics: { loss: Number.NaN } }),
      run('low', 3, { metrics: { loss: -5 } }),
      run('high', 4, { metrics: { loss: 7 } }),
      run('inf', 5, { metrics: { loss: Number.POSITIVE_INFINITY } }),
    ];
    expect(sortRuns(runs, ['metrics.loss ASC'])).toEqual(['low', 'high', 'inf', 'nan', 'none']);
    expect(sortRuns(runs, ['metrics.loss DESC'])).toEqual(['inf', 'high', 'low', 'nan', 'none']);
  });

  it('breaks metric ties, NaN groups and missing groups with the next key', () => {
    const runs = [
      run('a', 1, { metrics: { m: 1 } }),
      run('b', 2, { metrics: { m: 1 } }),
      run('c', 3, { metrics: { m: Number.NaN } }),
      run('d', 4, { metrics: { m: Number.NaN } }),
      run('e', 5),
      run('f', 6),
    ];
    expect(sortRuns(runs, ['metrics.m DESC'])).toEqual(['b', 'a', 'd', 'c', 'f', 'e']);
    expect(sortRuns(runs, ['metrics.m', 'start_time ASC'])).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('sorts params and tags as text, missing ones last in both directions', () => {
    const runs = [run('x', 1), run('y', 2, { params: { p: '10' } }), run('z', 3, { params: { p: '9' } })];
    expect(sortRuns(runs, ['params.p'])).toEqual(['y', 'z', 'x']);
    expect(sortRuns(runs, ['params.p DESC'])).toEqual(['z', 'y', 'x']);
  });

  it('sorts attributes, with runs lacking end_time last', () => {
    const runs = [
      run('r', 1, { info: { run_id: 'r', status: 'RUNNING', start_time: 1 } }),
      run('f', 2, { info: { run_id: 'f', status: 'FAILED', start_time: 2, end_time: 9 } }),
      run('k', 3, { info: { run_id: 'k', status: 'KILLED', start_time: 3, end_time: 5 } }),
    ];
    expect(sortRuns(runs, ['status'])).toEqual(['f', 'k', 'r']);
    expect(sortRuns(runs, ['end_time DESC'])).toEqual(['f', 'k', 'r']);
    expect(sortRuns(runs, ['end_time'])).toEqual(['k', 'f', 'r']);
    expect(sortRuns(runs, ['created'])).toEqual(['r', 'f', 'k']);
  });
});

describe('compareBy: experiments and the registry', () => {
  const experiments: ExperimentRecord[] = [
    { experiment_id: '0', name: 'Default', creation_time: 10, last_update_time: 10, tags: {} },
    { experiment_id: '10', name: 'b', creation_time: 30, last_update_time: 30, tags: {} },
    { experiment_id: '2', name: 'a', creation_time: 30, last_update_time: 40, tags: {} },
  ];
  const sortExperiments = (orderBy?: string[]) =>
    [...experiments].sort(compareBy(parseOrderBy(orderBy, 'experiments'))).map((e) => e.experiment_id);

  it('defaults to creation_time DESC then experiment_id ASC, ids compared as integers', () => {
    expect(sortExperiments()).toEqual(['2', '10', '0']);
  });

  it('adds experiment_id DESC as the tie-breaker of an explicit order', () => {
    expect(sortExperiments(['creation_time ASC'])).toEqual(['0', '10', '2']);
    // Names compare by code point: upper case before lower case.
    expect(sortExperiments(['name'])).toEqual(['0', '2', '10']);
  });

  it('sorts registered models by name unless asked otherwise', () => {
    const models: RegisteredModelRecord[] = [
      { name: 'b', last_updated_timestamp: 1, tags: {} },
      { name: 'a', last_updated_timestamp: 2, tags: {} },
      { name: 'C', last_updated_timestamp: 2, tags: {} },
    ];
    const sortModels = (orderBy?: string[]) =>
      [...models].sort(compareBy(parseOrderBy(orderBy, 'registered_models'))).map((m) => m.name);
    expect(sortModels()).toEqual(['C', 'a', 'b']);
    expect(sortModels(['timestamp DESC'])).toEqual(['C', 'a', 'b']);
    expect(sortModels(['last_updated_timestamp', 'name DESC'])).toEqual(['b', 'a', 'C']);
  });

  it('sorts model versions by last update, name, then version number (as a number)', () => {
    const versions: ModelVersionRecord[] = [
      { name: 'm', version: '2', last_updated_timestamp: 5, tags: {} },
      { name: 'm', version: '10', last_updated_timestamp: 5, tags: {} },
      { name: 'm', version: '1', last_updated_timestamp: 9, tags: {} },
      { name: 'l', version: '3', last_updated_timestamp: 5, tags: {} },
    ];
    const sortVersions = (orderBy?: string[]) =>
      [...versions]
        .sort(compareBy(parseOrderBy(orderBy, 'model_versions')))
        .map((v) => `${v.name}/${v.version}`);
    expect(sortVersions()).toEqual(['m/1', 'l/3', 'm/10', 'm/2']);
    expect(sortVersions(['version_number DESC'])).toEqual(['m/10', 'l/3', 'm/2', 'm/1']);
  });
});
