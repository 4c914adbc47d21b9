import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../../../src/mlflow/emulator/errors.js';
import {
  type Clause,
  type SearchKind,
  parseSearch,
  parseSearchFilter,
} from '../../../../src/mlflow/emulator/search/index.js';

/**
 * Filter grammar beyond the golden corpus. Expected values come from running the same strings through the real
 * sqlparse 0.5.5 with MLflow's SearchUtils logic, except where a comment says MLflow 3.11 could not be checked.
 */
function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof MlflowError) return { code: error.errorCode, message: error.message };
    throw error;
  }
  throw new Error('expected an MlflowError');
}

const clause = (type: Clause['type'], key: string, comparator: string, value: Clause['value']): Clause => ({
  type,
  key,
  comparator,
  value,
});

describe('parseSearchFilter: accepted filters', () => {
  const cases: [SearchKind, string, Clause[]][] = [
    [
      'runs',
      "metrics.x > 1 and params.y = 'a'",
      [clause('metric', 'x', '>', '1'), clause('parameter', 'y', '=', 'a')],
    ],
    [
      'runs',
      'metrics.`rmse` <= 0.5 AND params."learning rate" = "0.01" AND tags.`mlflow.runName` LIKE \'r%\'',
      [
        clause('metric', 'rmse', '<=', '0.5'),
        clause('parameter', 'learning rate', '=', '0.01'),
        clause('tag', 'mlflow.runName', 'LIKE', 'r%'),
      ],
    ],
    // Without backticks the key keeps its dots: everything after the first '.' is the key.
    ['runs', "tags.mlflow.parentRunId = 'abc'", [clause('tag', 'mlflow.parentRunId', '=', 'abc')]],
    [
      'runs',
      "attributes.status = 'FAILED' AND attr.user_id != 'bob' AND run.run_name ILIKE '%Child%'",
      [
        clause('attribute', 'status', '=', 'FAILED'),
        clause('attribute', 'user_id', '!=', 'bob'),
        clause('attribute', 'run_name', 'ILIKE', '%Child%'),
      ],
    ],
    // IN lists drop every value that is not lower case (MLflow's guard for MySQL).
    [
      'runs',
      "attributes.run_id IN ('abc', 'DEF', 'ghi')",
      [clause('attribute', 'run_id', 'IN', ['abc', 'ghi'])],
    ],
    ['runs', "run_id NOT IN ('abc')", [clause('attribute', 'run_id', 'NOT IN', ['abc'])]],
    [
      'runs',
      'attributes.start_time >= 1700000000000 AND created < 1.5e12 AND end_time != 0',
      [
        clause('attribute', 'start_time', '>=', '1700000000000'),
        clause('attribute', 'created', '<', '1.5e12'),
        clause('attribute', 'end_time', '!=', '0'),
      ],
    ],
    ['runs', "attributes.`run name` = 'x'", [clause('attribute', 'run name', '=', 'x')]],
    [
      'runs',
      "datasets.name IN ('train', 'Eval') AND datasets.context = 'training'",
      [clause('dataset', 'name', 'IN', ['train']), clause('dataset', 'context', '=', 'training')],
    ],
    // MLflow 3.11 (mlflow#21283); the exact implementation was not available to check.
    [
      'runs',
      'params.a IS NULL AND tags.b IS NOT NULL',
      [clause('parameter', 'a', 'IS NULL', null), clause('tag', 'b', 'IS NOT NULL', null)],
    ],
    // A dangling AND is a lone keyword, which MLflow allows: the golden edge case answers 200.
    ['runs', "params.a = '1' AND", [clause('parameter', 'a', '=', '1')]],
    ['runs', 'AND', []],
    ['runs', 'params.a = "it\'s"', [clause('parameter', 'a', '=', "it's")]],
    // Doubled quotes are not unescaped.
    ['runs', "params.a = 'it''s'", [clause('parameter', 'a', '=', "it''s")]],
    ['runs', '', []],
    [
      'experiments',
      "name LIKE 'a%' AND tags.`k` = 'v' AND creation_time > 5",
      [
        clause('attribute', 'name', 'LIKE', 'a%'),
        clause('tag', 'k', '=', 'v'),
        clause('attribute', 'creation_time', '>', '5'),
      ],
    ],
    ['experiments', 'tags.k IS NULL', [clause('tag', 'k', 'IS NULL', null)]],
    [
      'registered_models',
      "name = 'm' AND tags.k LIKE 'v%'",
      [clause('attribute', 'name', '=', 'm'), clause('tag', 'k', 'LIKE', 'v%')],
    ],
    // The registry upper-cases comparators while parsing.
    ['registered_models', "name ilike 'M%'", [clause('attribute', 'name', 'ILIKE', 'M%')]],
    [
      'model_versions',
      "name = 'm' AND version_number >= 2 AND source_path LIKE 'runs:/%'",
      [
        clause('attribute', 'name', '=', 'm'),
        clause('attribute', 'version_number', '>=', 2),
        clause('attribute', 'source_path', 'LIKE', 'runs:/%'),
      ],
    ],
    ['model_versions', "run_id IN ('abc', 'def')", [clause('attribute', 'run_id', 'IN', ['abc', 'def'])]],
    ['model_versions', 'version_number = 1.5', [clause('attribute', 'version_number', '=', 1.5)]],
  ];

  it.each(cases)('%s: %s', (kind, filter, expected) => {
    expect(parseSearchFilter(filter, kind)).toEqual(expected);
  });

  it('treats a missing filter as no clauses', () => {
    expect(parseSearchFilter(undefined, 'runs')).toEqual([]);
  });

  it('upper-cases run comparators', () => {
    expect(parseSearchFilter("params.a like 'x%'", 'runs')).toEqual([clause('parameter', 'a', 'LIKE', 'x%')]);
  });
});

describe('parseSearchFilter: MLflow error messages', () => {
  const INVALID = 'INVALID_PARAMETER_VALUE';
  const cases: [SearchKind, string, string][] = [
    ['runs', '   ', "Invalid filter '   '. Could not be parsed."],
    [
      'runs',
      "params.a = '1'; params.b = '2'",
      "Search filter contained multiple expression \"params.a = '1'; params.b = '2'\". Provide AND-ed expression list.",
    ],
    ['runs', "metrics.loss > 'a'", "Expected numeric value type for metric. Found 'a'"],
    [
      'runs',
      'metrics.loss LIKE 1',
      "Invalid comparator 'LIKE' not one of '{'>', '!=', '>=', '<=', '=', '<'}",
    ],
    [
      'runs',
      "params.a > '1'",
      "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}'",
    ],
    [
      'runs',
      "tags.a > '1'",
      "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}",
    ],
    [
      'runs',
      "attributes.status > 'A'",
      "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}'",
    ],
    // MLflow lists the string comparators for numeric attributes, and drops the closing quote.
    [
      'runs',
      'attributes.start_time LIKE 1',
      "Invalid comparator 'LIKE' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}",
    ],
    [
      'runs',
      "attributes.start_time = '1'",
      "Expected numeric value type for numeric attribute: start_time. Found '1'",
    ],
    [
      'runs',
      "attributes.status IN ('A')",
      "Only the 'run_id' attribute supports comparison with a list of quoted string values.",
    ],
    [
      'runs',
      "attributes.lifecycle_stage = 'active'",
      "Invalid attribute key 'lifecycle_stage' specified. Valid keys are '{'artifact_uri', 'end_time', 'run_id', " +
        "'run_name', 'start_time', 'status', 'user_id', 'created', 'Created', 'run name', 'Run name', 'Run Name'}'",
    ],
    [
      'runs',
      "datasets.foo = 'x'",
      "Invalid dataset key 'foo' specified. Valid keys are '{'name', 'digest', 'context'}'",
    ],
    [
      'runs',
      "datasets.name > 'x'",
      "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}",
    ],
    ['runs', 'metrics.a-b > 1', "Invalid comparison clause. Expected 'Identifier' found 'metrics.a-b'"],
    ['runs', "(params.a = '1')", "Invalid clause(s) in filter string: '(params.a = '1')'"],
    ['runs', "params.a = '1' AND params.b", "Invalid clause(s) in filter string: 'params.b'"],
    [
      'runs',
      "params.a NOT LIKE 'x'",
      "Invalid comparator 'NOT LIKE' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}'",
    ],
    [
      'runs',
      'params.a = `x`',
      'Parameter value is either not quoted or unidentified quote types used for string value `x`. Use either single or double quotes.',
    ],
    [
      'runs',
      'run_id IN ()',
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
    ],
    [
      'runs',
      "run_id IN (1, 'a')",
      "While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: (1, 'a')",
    ],
    ['runs', "run_id IN ('a' 'b'", "Invalid clause(s) in filter string: 'run_id', 'IN', '(', ''a'', ''b''"],
    // MLflow 3.11 restricts IS NULL to params and tags; this wording is inferred, not observed.
    [
      'runs',
      'metrics.x IS NULL',
      "Invalid comparator 'IS NULL' not one of '{'>', '!=', '>=', '<=', '=', '<'}",
    ],
    // Experiments keep the comparator as typed, so lower-case LIKE is rejected.
    [
      'experiments',
      "name like 'a%'",
      "Invalid comparator 'like' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}'",
    ],
    [
      'experiments',
      "name > 'a'",
      "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}'",
    ],
    [
      'experiments',
      'creation_time LIKE 5',
      "Invalid comparator 'LIKE' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}",
    ],
    ['experiments', "tags.k > 'a'", 'Invalid comparator for tag: >'],
    [
      'experiments',
      'metrics.a > 1',
      "Invalid entity type 'metrics'. Valid entity types are ('attribute', 'tag', 'tags')",
    ],
    [
      'experiments',
      "experiment_id = '1'",
      "Invalid attribute key 'experiment_id' specified. Valid keys are '{'name', 'creation_time', 'last_update_time'}'",
    ],
    // Runs quote each invalid clause; the other searches do not.
    ['experiments', "name = 'a' OR name = 'b'", 'Invalid clause(s) in filter string: OR'],
    ['registered_models', "name > 'm'", 'Invalid comparator for attribute: >'],
    // The registry checks the key before removing quotes.
    [
      'registered_models',
      '"name" = \'m\'',
      "Invalid attribute key '\"name\"' specified. Valid keys are '{'name'}'",
    ],
    [
      'registered_models',
      "run_id = 'x'",
      "Invalid attribute key 'run_id' specified. Valid keys are '{'name'}'",
    ],
    [
      'registered_models',
      'name = 5',
      'Expected a quoted string value or a list of quoted string values for attributes. Got value 5',
    ],
    ['model_versions', "run_id NOT IN ('abc')", 'Invalid comparator for attribute: NOT IN'],
    [
      'model_versions',
      "name IN ('abc')",
      "Only the 'run_id' attribute supports comparison with a list of quoted string values.",
    ],
    ['model_versions', "version_number LIKE '1%'", 'Invalid comparator for attribute version_number: LIKE'],
    [
      'model_versions',
      'run_id = 5',
      "Only the '{'version_number', 'creation_timestamp', 'last_updated_timestamp'}' attributes support comparison with numeric values.",
    ],
    ['model_versions', 'tags.k = 1', "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1"],
  ];

  it.each(cases)('%s: %s', (kind, filter, message) => {
    expect(errorOf(() => parseSearchFilter(filter, kind))).toEqual({ code: INVALID, message });
  });
});

describe('parseSearch: which error comes first', () => {
  it('runs check order_by between filter syntax and filter comparators', () => {
    expect(errorOf(() => parseSearch('runs', 'metrics.a ~ 1', ['bogus.x'])).message).toBe(
      "Invalid entity type 'bogus'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']",
    );
    expect(errorOf(() => parseSearch('runs', 'params.a = 1', ['bogus.x'])).message).toBe(
      "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 1",
    );
  });

  it('experiments and the registry check the whole filter first', () => {
    expect(errorOf(() => parseSearch('experiments', "name > 'a'", ['bogus'])).message).toBe(
      "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}'",
    );
    expect(errorOf(() => parseSearch('model_versions', "name > 'a'", ['bogus.x'])).message).toBe(
      'Invalid comparator for attribute: >',
    );
  });
});
