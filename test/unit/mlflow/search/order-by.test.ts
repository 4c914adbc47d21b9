import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../../../src/mlflow/emulator/errors.js';
import {
  type OrderKey,
  type SearchKind,
  parseOrderBy,
} from '../../../../src/mlflow/emulator/search/index.js';

const key = (type: OrderKey['type'], name: string, ascending: boolean): OrderKey => ({
  type,
  key: name,
  ascending,
});
const START_DESC = key('attribute', 'start_time', false);
const RUN_ID_ASC = key('attribute', 'run_id', true);

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof MlflowError) return { code: error.errorCode, message: error.message };
    throw error;
  }
  throw new Error('expected an MlflowError');
}

describe('parseOrderBy: accepted lists, with the implicit keys MLflow appends', () => {
  const cases: [SearchKind, string[] | undefined, OrderKey[]][] = [
    ['runs', undefined, [START_DESC, RUN_ID_ASC]],
    [
      'runs',
      ['metrics.`rmse` DESC', 'params.a', 'tags."t t" asc'],
      [
        key('metric', 'rmse', false),
        key('parameter', 'a', true),
        key('tag', 't t', true),
        START_DESC,
        RUN_ID_ASC,
      ],
    ],
    // `created` is start_time, so the default start_time key is not added again.
    ['runs', ['created ASC'], [key('attribute', 'start_time', true), RUN_ID_ASC]],
    ['runs', ['attributes.start_time DESC'], [START_DESC, RUN_ID_ASC]],
    [
      'runs',
      ['metrics.loss DESC', 'attributes.start_time ASC'],
      [key('metric', 'loss', false), key('attribute', 'start_time', true), RUN_ID_ASC],
    ],
    [
      'experiments',
      undefined,
      [key('attribute', 'creation_time', false), key('attribute', 'experiment_id', true)],
    ],
    ['experiments', [], [key('attribute', 'creation_time', false), key('attribute', 'experiment_id', true)]],
    [
      'experiments',
      ['name DESC'],
      [key('attribute', 'name', false), key('attribute', 'experiment_id', false)],
    ],
    ['experiments', ['experiment_id ASC'], [key('attribute', 'experiment_id', true)]],
    ['registered_models', undefined, [key('attribute', 'name', true)]],
    // `timestamp` is a builtin type to sqlparse and is special-cased by MLflow.
    [
      'registered_models',
      ['timestamp DESC'],
      [key('attribute', 'last_updated_timestamp', false), key('attribute', 'name', true)],
    ],
    ['registered_models', ['name DESC'], [key('attribute', 'name', false)]],
    [
      'model_versions',
      undefined,
      [
        key('attribute', 'last_updated_timestamp', false),
        key('attribute', 'name', true),
        key('attribute', 'version_number', false),
      ],
    ],
    [
      'model_versions',
      ['version_number DESC'],
      [key('attribute', 'version_number', false), key('attribute', 'name', true)],
    ],
    // The model-version store ignores the prefix: tags.name sorts by name.
    [
      'model_versions',
      ['tags.name DESC'],
      [key('attribute', 'name', false), key('attribute', 'version_number', false)],
    ],
  ];

  it.each(cases)('%s: %j', (kind, orderBy, keys) => {
    expect(parseOrderBy(orderBy, kind)).toEqual({ kind, keys });
  });
});

describe('parseOrderBy: MLflow error messages', () => {
  const cases: [SearchKind, string[], string, string][] = [
    [
      'runs',
      ['metrics.loss SIDEWAYS'],
      'INVALID_PARAMETER_VALUE',
      "Invalid ordering key in order_by clause 'metrics.loss SIDEWAYS'.",
    ],
    [
      'runs',
      ['bogus.loss DESC'],
      'INVALID_PARAMETER_VALUE',
      "Invalid entity type 'bogus'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']",
    ],
    // A repeated field is a plain MlflowException in MLflow, hence INTERNAL_ERROR (HTTP 500).
    [
      'runs',
      ['metrics.a', 'metrics.a DESC'],
      'INTERNAL_ERROR',
      "`order_by` contains duplicate fields: ['metrics.a', 'metrics.a DESC']",
    ],
    ['runs', ['datasets.name'], 'INVALID_PARAMETER_VALUE', "Invalid identifier type 'dataset'"],
    [
      'runs',
      ['metrics.a desc nulls last'],
      'INVALID_PARAMETER_VALUE',
      "Invalid order_by clause 'metrics.a desc nulls last'. Could not be parsed.",
    ],
    [
      'runs',
      ['metrics.a, metrics.b'],
      'INVALID_PARAMETER_VALUE',
      "Invalid order_by clause 'metrics.a, metrics.b'. Could not be parsed.",
    ],
    ['runs', [''], 'INVALID_PARAMETER_VALUE', "Invalid order_by clause ''. Could not be parsed."],
    [
      'runs',
      ['lifecycle_stage'],
      'INVALID_PARAMETER_VALUE',
      "Invalid attribute key 'lifecycle_stage' specified. Valid keys are '{'artifact_uri', 'end_time', 'run_id', " +
        "'run_name', 'start_time', 'status', 'user_id', 'created', 'Created'}'",
    ],
    [
      'experiments',
      ['bogus DESC'],
      'INVALID_PARAMETER_VALUE',
      "Invalid attribute key 'bogus' specified. Valid keys are '{'experiment_id', 'name', 'creation_time', 'last_update_time'}'",
    ],
    ['experiments', ['tags.k'], 'INVALID_PARAMETER_VALUE', 'Invalid order_by entity: tag'],
    [
      'registered_models',
      ['creation_timestamp'],
      'INVALID_PARAMETER_VALUE',
      "Invalid order by key 'creation_timestamp' specified. Valid keys are '{'name', 'timestamp'}'",
    ],
    [
      'registered_models',
      ['attribute.name'],
      'INVALID_PARAMETER_VALUE',
      "Invalid order by key 'attribute.name' specified. Valid keys are '{'name', 'timestamp'}'",
    ],
    [
      'registered_models',
      ['timestamp', 'last_updated_timestamp'],
      'INTERNAL_ERROR',
      "`order_by` contains duplicate fields: ['timestamp', 'last_updated_timestamp']",
    ],
    [
      'model_versions',
      ['tags.foo'],
      'INVALID_PARAMETER_VALUE',
      "Invalid order by key 'foo' specified. Valid keys are {'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}",
    ],
    [
      'model_versions',
      ['bogus.x'],
      'INVALID_PARAMETER_VALUE',
      "Invalid entity type 'bogus'. Valid entity types are ('attribute', 'tag', 'tags')",
    ],
  ];

  it.each(cases)('%s: %j', (kind, orderBy, code, message) => {
    expect(errorOf(() => parseOrderBy(orderBy, kind))).toEqual({ code, message });
  });
});
