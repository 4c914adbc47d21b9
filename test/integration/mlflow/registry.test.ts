import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { LabClock } from '../../../src/clock.js';
import { createMlflowEmulator, type StartedEmulator } from '../../../src/mlflow/emulator/create-emulator.js';

/**
 * The model registry of the MLflow emulator, driven over HTTP as the Python client drives a real MLflow 3.11
 * server (golden/mlflow-3.11/client/registry.jsonl and the registry cases of errors.jsonl and
 * rest/edge-cases.jsonl). Bodies are compared as JSON text, so field order and omitted fields count. The
 * emulator's clock stands still unless a test moves it, so timestamps are exact.
 */

const T0 = 1_795_454_555_000;

/** A clock that only moves when told to. */
function frozenClock(start: number): LabClock {
  let now = start;
  return {
    now: () => now,
    nowSeconds: () => Math.floor(now / 1000),
    advance: (by) => {
      now += Number(by);
    },
    set: (to) => {
      now = +to;
    },
    get offsetMs() {
      return now - Date.now();
    },
  };
}

const clock = frozenClock(T0);
let emulator: StartedEmulator;

beforeAll(async () => {
  emulator = await createMlflowEmulator({ port: 0, clock, workspaces: [{ name: 'team-a' }] });
});
afterAll(() => emulator.dispose());
beforeEach(() => {
  emulator.reset();
  clock.set(T0);
});

interface Call {
  query?: Record<string, string | string[]>;
  body?: unknown;
  workspace?: string;
}

async function api(method: string, path: string, { query, body, workspace }: Call = {}) {
  const url = new URL(`/api/2.0/mlflow/${path}`, emulator.url);
  for (const [key, value] of Object.entries(query ?? {})) {
    for (const v of [value].flat()) url.searchParams.append(key, v);
  }
  const res = await fetch(url, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(workspace && { 'x-mlflow-workspace': workspace }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

/** The exact answer: status, JSON Content-Type and the body as JSON text (field order included). */
async function expectAnswer(reply: Promise<Awaited<ReturnType<typeof api>>>, status: number, body: unknown) {
  const r = await reply;
  expect({ status: r.status, contentType: r.contentType, body: r.text }).toEqual({
    status,
    contentType: 'application/json',
    body: JSON.stringify(body),
  });
}

const json = async (reply: Promise<Awaited<ReturnType<typeof api>>>) => JSON.parse((await reply).text);

const error = (code: string, message: string) => {
  const errorClass: Record<string, string> = {
    INVALID_PARAMETER_VALUE: 'INVALID_PARAMETER_VALUE',
    RESOURCE_ALREADY_EXISTS: 'RESOURCE_ALREADY_EXISTS',
    RESOURCE_DOES_NOT_EXIST: 'RESOURCE_NOT_FOUND',
    INTERNAL_ERROR: 'INTERNAL_ERROR',
  };
  const internal = code === 'INTERNAL_ERROR';
  return { error_code: code, message, sqlstate: internal ? 'XXM00' : 'KAM00', error_class: errorClass[code] };
};

/** An experiment and a finished run in it, as the registry flow starts; returns the run id and artifact URI. */
async function trainingRun(workspace?: string) {
  const { experiment_id } = await json(
    api('POST', 'experiments/create', { body: { name: 'reg-exp' }, workspace }),
  );
  const { run } = await json(
    api('POST', 'runs/create', { body: { experiment_id, run_name: 'train', start_time: T0 }, workspace }),
  );
  return { runId: run.info.run_id as string, artifactUri: run.info.artifact_uri as string };
}

/** Model version JSON as the server writes it; `extra` fields go where the proto puts them. */
function mv(
  name: string,
  version: number,
  f: {
    created: number;
    updated?: number;
    stage?: string;
    description?: string | null;
    source: string;
    runId?: string;
    tags?: Record<string, string>;
    aliases?: string[];
  },
) {
  return {
    name,
    version: String(version),
    creation_timestamp: f.created,
    last_updated_timestamp: f.updated ?? f.created,
    current_stage: f.stage ?? 'None',
    ...(f.description !== null && { description: f.description ?? '' }),
    source: f.source,
    run_id: f.runId ?? '',
    status: 'READY',
    ...(f.tags && { tags: Object.entries(f.tags).map(([key, value]) => ({ key, value })) }),
    run_link: '',
    ...(f.aliases && { aliases: f.aliases }),
  };
}

describe('registered models', () => {
  test('create with tags and description, get, duplicate and missing names', async () => {
    await expectAnswer(
      api('POST', 'registered-models/create', {
        body: {
          name: 'golden-model',
          tags: [{ key: 'team', value: 'golden' }],
          description: 'A golden model',
        },
      }),
      200,
      {
        registered_model: {
          name: 'golden-model',
          creation_timestamp: T0,
          last_updated_timestamp: T0,
          description: 'A golden model',
          tags: [{ key: 'team', value: 'golden' }],
        },
      },
    );
    // Without tags or description both fields are left out (golden errors #59).
    await expectAnswer(api('POST', 'registered-models/create', { body: { name: 'plain' } }), 200, {
      registered_model: { name: 'plain', creation_timestamp: T0, last_updated_timestamp: T0 },
    });
    await expectAnswer(
      api('POST', 'registered-models/create', { body: { name: 'golden-model' } }),
      400,
      error('RESOURCE_ALREADY_EXISTS', 'Registered Model (name=golden-model) already exists.'),
    );
    await expectAnswer(
      api('GET', 'registered-models/get', { query: { name: 'no-such-model' } }),
      404,
      error('RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=no-such-model not found'),
    );
    await expectAnswer(
      api('POST', 'registered-models/create', { body: {} }),
      400,
      error(
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'name'. See the API docs for more information about request parameters.",
      ),
    );
  });

  test('tags, update, rename and delete', async () => {
    await api('POST', 'registered-models/create', {
      body: { name: 'm', tags: [{ key: 'team', value: 'golden' }], description: 'first' },
    });
    clock.advance(100);
    await expectAnswer(
      api('POST', 'registered-models/set-tag', { body: { name: 'm', key: 'owner', value: 'ml' } }),
      200,
      {},
    );
    await expectAnswer(
      api('DELETE', 'registered-models/delete-tag', { body: { name: 'm', key: 'team' } }),
      200,
      {},
    );
    // Deleting an absent tag is fine; tags do not move last_updated_timestamp.
    await expectAnswer(
      api('DELETE', 'registered-models/delete-tag', { body: { name: 'm', key: 'nope' } }),
      200,
      {},
    );
    await expectAnswer(
      api('PATCH', 'registered-models/update', { body: { name: 'm', description: 'updated' } }),
      200,
      {
        registered_model: {
          name: 'm',
          creation_timestamp: T0,
          last_updated_timestamp: T0 + 100,
          description: 'updated',
          tags: [{ key: 'owner', value: 'ml' }],
        },
      },
    );
    clock.advance(100);
    await expectAnswer(
      api('POST', 'registered-models/rename', { body: { name: 'm', new_name: 'm2' } }),
      200,
      {
        registered_model: {
          name: 'm2',
          creation_timestamp: T0,
          last_updated_timestamp: T0 + 200,
          description: 'updated',
          tags: [{ key: 'owner', value: 'ml' }],
        },
      },
    );
    await expectAnswer(
      api('GET', 'registered-models/get', { query: { name: 'm' } }),
      404,
      error('RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=m not found'),
    );
    // PATCH without a description clears it.
    expect(
      (await json(api('PATCH', 'registered-models/update', { body: { name: 'm2' } }))).registered_model,
    ).not.toHaveProperty('description');
    await expectAnswer(api('DELETE', 'registered-models/delete', { body: { name: 'm2' } }), 200, {});
    await expectAnswer(
      api('DELETE', 'registered-models/delete', { body: { name: 'm2' } }),
      404,
      error('RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=m2 not found'),
    );
  });

  test('tag keys are checked as MLflow checks them', async () => {
    await api('POST', 'registered-models/create', { body: { name: 'm' } });
    await expectAnswer(
      api('POST', 'registered-models/set-tag', { body: { name: 'm', key: 'bad!key', value: 'v' } }),
      400,
      error(
        'INVALID_PARAMETER_VALUE',
        `Invalid value "bad!key" for parameter 'key' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
      ),
    );
    await expectAnswer(
      api('POST', 'registered-models/set-tag', { body: { name: 'm', key: 'a/../b', value: 'v' } }),
      400,
      error(
        'INVALID_PARAMETER_VALUE',
        `Invalid value "a/../b" for parameter 'key' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to 'b'`,
      ),
    );
    await expectAnswer(
      api('POST', 'registered-models/set-tag', { body: { name: 'm', key: 'k', value: 'x'.repeat(5001) } }),
      400,
      error('INVALID_PARAMETER_VALUE', "'value' exceeds the maximum length of 5000 characters"),
    );
    // The tag is checked before the model is looked up.
    await expectAnswer(
      api('POST', 'registered-models/set-tag', { body: { name: 'nope', key: 'ok', value: 'v' } }),
      404,
      error('RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=nope not found'),
    );
  });
});

describe('model versions', () => {
  test('the corpus flow: three kinds of source, numbering, latest versions and download URIs', async () => {
    const { runId, artifactUri } = await trainingRun();
    await api('POST', 'registered-models/create', { body: { name: 'golden-model' } });
    clock.advance(10);
    const v1 = mv('golden-model', 1, {
      created: T0 + 10,
      description: 'v1',
      source: `runs:/${runId}/model`,
      runId,
      tags: { v: 'one' },
    });
    await expectAnswer(
      api('POST', 'model-versions/create', {
        body: {
          name: 'golden-model',
          source: `runs:/${runId}/model`,
          run_id: runId,
          tags: [{ key: 'v', value: 'one' }],
          description: 'v1',
        },
      }),
      200,
      { model_version: v1 },
    );
    clock.advance(10);
    const v2 = mv('golden-model', 2, { created: T0 + 20, source: `${artifactUri}/model`, runId });
    await expectAnswer(
      api('POST', 'model-versions/create', {
        body: { name: 'golden-model', source: `${artifactUri}/model`, run_id: runId },
      }),
      200,
      { model_version: v2 },
    );
    clock.advance(10);
    const v3 = mv('golden-model', 3, { created: T0 + 30, source: 'models:/golden-model/1' });
    await expectAnswer(
      api('POST', 'model-versions/create', {
        body: { name: 'golden-model', source: 'models:/golden-model/1' },
      }),
      200,
      { model_version: v3 },
    );

    // Creating a version moves the model's last_updated_timestamp; latest_versions holds one per stage.
    await expectAnswer(api('GET', 'registered-models/get', { query: { name: 'golden-model' } }), 200, {
      registered_model: {
        name: 'golden-model',
        creation_timestamp: T0,
        last_updated_timestamp: T0 + 30,
        latest_versions: [v3],
      },
    });
    await expectAnswer(
      api('GET', 'model-versions/get', { query: { name: 'golden-model', version: '1' } }),
      200,
      {
        model_version: v1,
      },
    );
    // The download URI is the source as given; a models:/ source points where the version it names points.
    await expectAnswer(
      api('GET', 'model-versions/get-download-uri', { query: { name: 'golden-model', version: '1' } }),
      200,
      { artifact_uri: `runs:/${runId}/model` },
    );
    await expectAnswer(
      api('GET', 'model-versions/get-download-uri', { query: { name: 'golden-model', version: '3' } }),
      200,
      { artifact_uri: `runs:/${runId}/model` },
    );

    // Search: newest first by default; by run id with an explicit order.
    await expectAnswer(
      api('GET', 'model-versions/search', { query: { filter: "name='golden-model'", max_results: '10000' } }),
      200,
      { model_versions: [v3, v2, v1] },
    );
    await expectAnswer(
      api('GET', 'model-versions/search', {
        query: { filter: `run_id='${runId}'`, max_results: '10000', order_by: 'version_number DESC' },
      }),
      200,
      { model_versions: [v2, v1] },
    );
  });

  test('update, transition with and without archiving, latest versions per stage', async () => {
    await api('POST', 'registered-models/create', { body: { name: 'm' } });
    for (let i = 0; i < 3; i++)
      await api('POST', 'model-versions/create', { body: { name: 'm', source: 's3://b/m' } });
    const base = { source: 's3://b/m', created: T0 };

    clock.advance(5);
    await expectAnswer(
      api('PATCH', 'model-versions/update', { body: { name: 'm', version: '1', description: 'v1 updated' } }),
      200,
      { model_version: mv('m', 1, { ...base, updated: T0 + 5, description: 'v1 updated' }) },
    );
    clock.advance(5);
    await expectAnswer(
      api('POST', 'model-versions/transition-stage', {
        body: { name: 'm', version: '1', stage: 'production', archive_existing_versions: false },
      }),
      200,
      {
        model_version: mv('m', 1, {
          ...base,
          updated: T0 + 10,
          description: 'v1 updated',
          stage: 'Production',
        }),
      },
    );
    clock.advance(5);
    // Moving version 2 to Production archives version 1.
    await api('POST', 'model-versions/transition-stage', {
      body: { name: 'm', version: '2', stage: 'Production', archive_existing_versions: true },
    });
    await expectAnswer(api('POST', 'registered-models/get-latest-versions', { body: { name: 'm' } }), 200, {
      model_versions: [
        mv('m', 1, { ...base, updated: T0 + 15, description: 'v1 updated', stage: 'Archived' }),
        mv('m', 2, { ...base, updated: T0 + 15, stage: 'Production' }),
        mv('m', 3, base),
      ],
    });
    await expectAnswer(
      api('POST', 'registered-models/get-latest-versions', { body: { name: 'm', stages: ['Staging'] } }),
      200,
      {},
    );
    // A PATCH without a description leaves the field out.
    await expectAnswer(api('PATCH', 'model-versions/update', { body: { name: 'm', version: '3' } }), 200, {
      model_version: mv('m', 3, { ...base, updated: T0 + 15, description: null }),
    });

    await expectAnswer(
      api('POST', 'model-versions/transition-stage', {
        body: { name: 'm', version: '1', stage: 'Shipping' },
      }),
      400,
      error(
        'INVALID_PARAMETER_VALUE',
        'Invalid Model Version stage: Shipping. Value must be one of None, Staging, Production, Archived.',
      ),
    );
    await expectAnswer(
      api('POST', 'model-versions/transition-stage', {
        body: { name: 'm', version: '1', stage: 'None', archive_existing_versions: true },
      }),
      500,
      error(
        'INTERNAL_ERROR',
        "Model version transition cannot archive existing model versions because 'None' is not an Active stage. Valid stages are ['Staging', 'Production']",
      ),
    );
  });

  test('version tags, deletion, and numbers that are never reused', async () => {
    await api('POST', 'registered-models/create', { body: { name: 'm' } });
    await api('POST', 'model-versions/create', { body: { name: 'm', source: 's3://b/1' } });
    await api('POST', 'model-versions/create', { body: { name: 'm', source: 's3://b/2' } });
    await expectAnswer(
      api('POST', 'model-versions/set-tag', {
        body: { name: 'm', version: '1', key: 'validated', value: 'true' },
      }),
      200,
      {},
    );
    await expectAnswer(
      api('DELETE', 'model-versions/delete-tag', { body: { name: 'm', version: '1', key: 'validated' } }),
      200,
      {},
    );
    clock.advance(7);
    await expectAnswer(
      api('DELETE', 'model-versions/delete', { body: { name: 'm', version: '2' } }),
      200,
      {},
    );
    await expectAnswer(
      api('GET', 'model-versions/get', { query: { name: 'm', version: '2' } }),
      404,
      error('RESOURCE_DOES_NOT_EXIST', 'Model Version (name=m, version=2) not found'),
    );
    await expectAnswer(
      api('POST', 'model-versions/set-tag', { body: { name: 'm', version: '2', key: 'k', value: 'v' } }),
      404,
      error('RESOURCE_DOES_NOT_EXIST', 'Model Version (name=m, version=2) not found'),
    );
    // Deleting a version moves the model's timestamp; the next version is 3, not 2.
    expect(
      (await json(api('GET', 'registered-models/get', { query: { name: 'm' } }))).registered_model,
    ).toMatchObject({
      last_updated_timestamp: T0 + 7,
      latest_versions: [{ version: '1' }],
    });
    expect(
      (await json(api('POST', 'model-versions/create', { body: { name: 'm', source: 's3://b/3' } })))
        .model_version,
    ).toMatchObject({ version: '3' });
    await expectAnswer(
      api('GET', 'model-versions/get', { query: { name: 'm', version: 'one' } }),
      400,
      error('INVALID_PARAMETER_VALUE', "Parameter 'version' must be an integer, got 'one'."),
    );
  });

  test('sources MLflow refuses, and a version for a model that does not exist', async () => {
    await api('POST', 'registered-models/create', { body: { name: 'm' } });
    await expectAnswer(
      api('POST', 'model-versions/create', { body: { name: 'm', source: '/tmp/model' } }),
      400,
      error(
        'INVALID_PARAMETER_VALUE',
        "Invalid model version source: '/tmp/model'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.",
      ),
    );
    await expectAnswer(
      api('POST', 'model-versions/create', { body: { name: 'm', source: 's3://bucket/a/../../etc' } }),
      400,
      error(
        'INVALID_PARAMETER_VALUE',
        "Invalid model version source: 's3://bucket/a/../../etc'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.",
      ),
    );
    await expectAnswer(
      api('POST', 'model-versions/create', { body: { name: 'm', source: 'models:/m/9' } }),
      500,
      error(
        'INTERNAL_ERROR',
        "Unable to fetch model from model URI source artifact location 'models:/m/9'.Error: Model Version (name=m, version=9) not found",
      ),
    );
    await expectAnswer(
      api('POST', 'model-versions/create', { body: { name: 'nope', source: 's3://b/m' } }),
      404,
      error('RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=nope not found'),
    );
  });
});

describe('aliases', () => {
  test('set, get by alias, list on the model, delete; a missing alias is a 400', async () => {
    await api('POST', 'registered-models/create', { body: { name: 'm' } });
    await api('POST', 'model-versions/create', { body: { name: 'm', source: 's3://b/m' } });
    await api('POST', 'model-versions/create', { body: { name: 'm', source: 's3://b/m' } });
    await expectAnswer(
      api('POST', 'registered-models/alias', { body: { name: 'm', alias: 'champion', version: '1' } }),
      200,
      {},
    );
    await api('POST', 'registered-models/alias', { body: { name: 'm', alias: 'baseline', version: '1' } });
    // Setting an alias moves no timestamp.
    await expectAnswer(
      api('GET', 'registered-models/alias', { query: { name: 'm', alias: 'champion' } }),
      200,
      {
        model_version: mv('m', 1, { created: T0, source: 's3://b/m', aliases: ['baseline', 'champion'] }),
      },
    );
    // The model lists its aliases; its latest_versions do not repeat them.
    await expectAnswer(api('GET', 'registered-models/get', { query: { name: 'm' } }), 200, {
      registered_model: {
        name: 'm',
        creation_timestamp: T0,
        last_updated_timestamp: T0,
        latest_versions: [mv('m', 2, { created: T0, source: 's3://b/m' })],
        aliases: [
          { alias: 'baseline', version: '1' },
          { alias: 'champion', version: '1' },
        ],
      },
    });
    await expectAnswer(
      api('DELETE', 'registered-models/alias', { body: { name: 'm', alias: 'champion' } }),
      200,
      {},
    );
    await expectAnswer(
      api('GET', 'registered-models/alias', { query: { name: 'm', alias: 'champion' } }),
      400,
      error('INVALID_PARAMETER_VALUE', 'Registered model alias champion not found.'),
    );
    // Deleting the version drops the aliases pointing at it.
    await api('DELETE', 'model-versions/delete', { body: { name: 'm', version: '1' } });
    await expectAnswer(
      api('GET', 'registered-models/alias', { query: { name: 'm', alias: 'baseline' } }),
      400,
      error('INVALID_PARAMETER_VALUE', 'Registered model alias baseline not found.'),
    );
  });

  test('alias names MLflow reserves or refuses, and aliases to missing versions', async () => {
    await api('POST', 'registered-models/create', { body: { name: 'm' } });
    await api('POST', 'model-versions/create', { body: { name: 'm', source: 's3://b/m' } });
    const set = (alias: string, version = '1') =>
      api('POST', 'registered-models/alias', { body: { name: 'm', alias, version } });
    await expectAnswer(
      set('Latest'),
      400,
      error('INVALID_PARAMETER_VALUE', "'latest' alias name (case insensitive) is reserved."),
    );
    await expectAnswer(
      set('v2'),
      400,
      error('INVALID_PARAMETER_VALUE', "Version alias name 'v2' is reserved."),
    );
    await expectAnswer(
      set('no way'),
      400,
      error(
        'INVALID_PARAMETER_VALUE',
        "Invalid alias name: 'no way'. Names may only contain alphanumerics, underscores (_), and dashes (-).",
      ),
    );
    await expectAnswer(
      set('ok', '5'),
      404,
      error('RESOURCE_DOES_NOT_EXIST', 'Model Version (name=m, version=5) not found'),
    );
  });
});

describe('search', () => {
  beforeEach(async () => {
    for (const name of ['golden-b', 'golden-a', 'other']) {
      await api('POST', 'registered-models/create', { body: { name } });
      clock.advance(10);
    }
    // A prompt: hidden from model searches unless asked for.
    await api('POST', 'registered-models/create', {
      body: { name: 'golden-prompt', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] },
    });
  });

  const names = async (query: Record<string, string | string[]>) => {
    const body = await json(api('GET', 'registered-models/search', { query }));
    return {
      names: (body.registered_models ?? []).map((m: { name: string }) => m.name),
      token: body.next_page_token,
    };
  };
  const notPrompt = "tag.`mlflow.prompt.is_prompt` != 'true'";

  test('registered models: the client filter, order_by, paging', async () => {
    expect(await names({ filter: `name LIKE 'golden%' AND ${notPrompt}`, max_results: '100' })).toEqual({
      names: ['golden-a', 'golden-b'],
      token: undefined,
    });
    expect(await names({ filter: "tag.`mlflow.prompt.is_prompt` = 'true'", max_results: '100' })).toEqual({
      names: ['golden-prompt'],
      token: undefined,
    });
    expect(await names({ filter: notPrompt, max_results: '10', order_by: 'timestamp DESC' })).toEqual({
      names: ['other', 'golden-a', 'golden-b'],
      token: undefined,
    });
    const first = await names({ filter: notPrompt, max_results: '2' });
    expect(first).toEqual({ names: ['golden-a', 'golden-b'], token: expect.any(String) });
    expect(await names({ filter: notPrompt, max_results: '2', page_token: first.token })).toEqual({
      names: ['other'],
      token: undefined,
    });
    // No hits: an empty object.
    await expectAnswer(
      api('GET', 'registered-models/search', { query: { filter: "name = 'zzz'" } }),
      200,
      {},
    );
  });

  test('the limits and errors of the corpus', async () => {
    await expectAnswer(
      api('GET', 'registered-models/search', { query: { max_results: '1001' } }),
      400,
      error(
        'INVALID_PARAMETER_VALUE',
        `Invalid value "1001" for parameter 'max_results' supplied:  Hint: Value was of type 'str'. See the API docs for more information about request parameters.`,
      ),
    );
    await expectAnswer(
      api('GET', 'model-versions/search', { query: { max_results: '200001' } }),
      400,
      error(
        'INVALID_PARAMETER_VALUE',
        `Invalid value "200001" for parameter 'max_results' supplied:  Hint: Value was of type 'str'. See the API docs for more information about request parameters.`,
      ),
    );
    await expectAnswer(
      api('GET', 'model-versions/search', { query: { max_results: '0' } }),
      400,
      error(
        'INVALID_PARAMETER_VALUE',
        'Invalid value for max_results. It must be a positive integer, but got 0',
      ),
    );
    await expectAnswer(
      api('GET', 'registered-models/search', { query: { filter: "run_id = 'x'" } }),
      400,
      error('INVALID_PARAMETER_VALUE', "Invalid attribute key 'run_id' specified. Valid keys are '{'name'}'"),
    );
  });

  test('model versions of a prompt stay hidden', async () => {
    await api('POST', 'model-versions/create', {
      body: {
        name: 'golden-prompt',
        source: 'dummy-source',
        tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }],
      },
    });
    await api('POST', 'model-versions/create', { body: { name: 'golden-a', source: 's3://b/a' } });
    const body = await json(api('GET', 'model-versions/search', { query: { max_results: '100' } }));
    expect(body.model_versions.map((v: { name: string }) => v.name)).toEqual(['golden-a']);
  });
});

describe('workspaces', () => {
  test('models belong to the workspace they were created in', async () => {
    const teamA = 'team-a';
    await api('POST', 'registered-models/create', { body: { name: 'shared-name' }, workspace: teamA });
    await expectAnswer(
      api('GET', 'registered-models/get', { query: { name: 'shared-name' } }),
      404,
      error('RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=shared-name not found'),
    );
    // The same name is free in another workspace.
    expect((await api('POST', 'registered-models/create', { body: { name: 'shared-name' } })).status).toBe(
      200,
    );
    await expectAnswer(
      api('GET', 'registered-models/search', { query: { filter: "name = 'zzz'" }, workspace: teamA }),
      200,
      {},
    );
    expect(
      (await json(api('GET', 'registered-models/search', { query: {}, workspace: teamA }))).registered_models,
    ).toHaveLength(1);
  });

  test('a version can only name a run its workspace sees', async () => {
    const { runId } = await trainingRun('team-a');
    await api('POST', 'registered-models/create', { body: { name: 'm' } });
    await expectAnswer(
      api('POST', 'model-versions/create', {
        body: { name: 'm', source: `runs:/${runId}/model`, run_id: runId },
      }),
      404,
      error('RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`),
    );
    await api('POST', 'registered-models/create', { body: { name: 'm' }, workspace: 'team-a' });
    expect(
      (
        await api('POST', 'model-versions/create', {
          body: { name: 'm', source: `runs:/${runId}/model`, run_id: runId },
          workspace: 'team-a',
        })
      ).status,
    ).toBe(200);
  });

  test('a reset empties the registry', async () => {
    await api('POST', 'registered-models/create', { body: { name: 'm' } });
    emulator.reset();
    expect((await api('GET', 'registered-models/get', { query: { name: 'm' } })).status).toBe(404);
  });
});
