// The oidc-auth hooks on the routes the lab's MLflow emulator does not serve (logged models, scorers, traces),
// with a scripted MLflow standing in for the backend: which lookups the validators make, and the logged models'
// own refill algorithm and token (mlflow-oidc-auth.md §4.4, §4.5; `hooks/*.py`, `validators/*.py` of 7.3.1).
import { describe, expect, test } from 'vitest';
import { afterRequest, beforeRequest } from '../../../../src/mlflow/auth/oidc/hooks.js';
import { flaskRequest, requestParam, anyParam } from '../../../../src/mlflow/auth/oidc/request-params.js';
import { pythonJsonDumps } from '../../../../src/mlflow/auth/oidc/python-json.js';
import { OIDC_AUTH_DEFAULTS, type OidcAuthSettings } from '../../../../src/mlflow/auth/oidc/settings.js';
import { OidcAuthStore } from '../../../../src/mlflow/auth/oidc/store.js';
import type {
  MlflowAnswer,
  MlflowReader,
  OidcAuthDeps,
  OidcIdentity,
  OidcRequest,
} from '../../../../src/mlflow/auth/oidc/types.js';
import { experimentIdFromArtifactPath } from '../../../../src/mlflow/auth/oidc/validators.js';

type Route = (o: { query?: Record<string, string>; json?: any; path: string }) => MlflowAnswer;

/** A scripted MLflow: answers by `METHOD path` (without the query), and records every call. */
function scripted(routes: Record<string, Route>) {
  const calls: string[] = [];
  const reader: MlflowReader = {
    call(method, target, o = {}) {
      calls.push(`${method} ${target}${o.query ? `?${new URLSearchParams(o.query)}` : ''}`);
      const path = target.split('?')[0]!;
      const route = routes[`${method} ${path}`];
      return Promise.resolve(
        route
          ? route({ ...o, path: target })
          : { status: 404, json: { error_code: 'RESOURCE_DOES_NOT_EXIST' } },
      );
    },
  };
  return { reader, calls };
}

async function setup(routes: Record<string, Route>, settings: Partial<OidcAuthSettings> = {}) {
  const store = new OidcAuthStore();
  const { user: bob } = await store.createOrUpdateUser({
    username: 'bob',
    displayName: 'Bob',
    isAdmin: false,
  });
  const { reader, calls } = scripted(routes);
  const deps: OidcAuthDeps = {
    store,
    settings: { ...OIDC_AUTH_DEFAULTS, DEFAULT_MLFLOW_PERMISSION: 'NO_PERMISSIONS', ...settings },
    mlflow: reader,
    now: () => 0,
  };
  const identity: OidcIdentity = { username: 'bob', isAdmin: false, user: bob, method: 'bearer' };
  return { store, bob, deps, identity, calls };
}

function request(
  method: string,
  target: string,
  json?: Record<string, unknown>,
  workspace?: string,
): OidcRequest {
  const url = new URL(target, 'http://x');
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    json,
    body: Buffer.from(json ? JSON.stringify(json) : ''),
    headers: json ? { 'content-type': 'application/json' } : {},
    workspace,
  };
}

const experiment =
  (id: string, name: string): Route =>
  () => ({
    status: 200,
    json: { experiment: { experiment_id: id, name } },
  });

describe('logged models: the path regex, model_id from the path, the experiment behind it', () => {
  const routes = {
    'GET /api/2.0/mlflow/logged-models/m-1': () => ({
      status: 200,
      json: { model: { info: { experiment_id: '7' } } },
    }),
    'GET /api/2.0/mlflow/experiments/get': experiment('7', 'exp'),
  };

  test("read, update and delete follow the experiment; a missing model is MLflow's error", async () => {
    const { deps, identity, store, bob, calls } = await setup(routes);
    expect(
      (await beforeRequest(deps, request('GET', '/api/2.0/mlflow/logged-models/m-1'), identity))?.status,
    ).toBe(403);
    expect(calls).toEqual([
      'GET /api/2.0/mlflow/logged-models/m-1',
      // The regex sources need the experiment's name.
      'GET /api/2.0/mlflow/experiments/get?experiment_id=7',
    ]);
    store.addRule('experiment', '7', { user: bob.id }, 'EDIT');
    expect(
      await beforeRequest(deps, request('GET', '/ajax-api/2.0/mlflow/logged-models/m-1'), identity),
    ).toBeUndefined();
    const tags = request('PATCH', '/api/2.0/mlflow/logged-models/m-1/tags', { tags: [] });
    expect(await beforeRequest(deps, tags, identity)).toBeUndefined();
    const tag = request('DELETE', '/api/2.0/mlflow/logged-models/m-1/tags/k');
    expect((await beforeRequest(deps, tag, identity))?.status).toBe(403);
    const missing = await beforeRequest(deps, request('GET', '/api/2.0/mlflow/logged-models/m-2'), identity);
    expect([missing?.status, JSON.parse(missing!.body).error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    // CreateLoggedModel needs UPDATE on the body's experiment; search and artifact listings are not checked.
    const create = request('POST', '/api/2.0/mlflow/logged-models', { experiment_id: '7' });
    expect(await beforeRequest(deps, create, identity)).toBeUndefined();
    const search = request('POST', '/api/2.0/mlflow/logged-models/search', { experiment_ids: ['8'] });
    expect(await beforeRequest(deps, search, identity)).toBeUndefined();
  });

  test('SearchLoggedModels refetches whole pages and writes its own token, parameters included', async () => {
    // Five models in experiments 1 (readable) and 2 (not), pages of 2 from MLflow.
    const all = ['1', '2', '2', '1', '1'].map((e, i) => ({ info: { model_id: `m-${i}`, experiment_id: e } }));
    const tokenOf = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64');
    const { deps, identity, store, bob, calls } = await setup({
      'POST /api/2.0/mlflow/logged-models/search': ({ json }) => {
        const offset = json.page_token
          ? JSON.parse(Buffer.from(json.page_token, 'base64').toString()).offset
          : 0;
        const models = all.slice(offset, offset + json.max_results);
        const more = offset + json.max_results < all.length;
        return {
          status: 200,
          json: { models, ...(more && { next_page_token: tokenOf(offset + json.max_results) }) },
        };
      },
    });
    store.addRule('experiment', '1', { user: bob.id }, 'READ');
    const body = { experiment_ids: ['1', '2'], max_results: 2, order_by: [{ field_name: 'name' }] };
    const req = request('POST', '/api/2.0/mlflow/logged-models/search', body);
    const first = await afterRequest(deps, req, identity, {
      status: 200,
      json: { models: all.slice(0, 2), next_page_token: tokenOf(2) },
    });
    // Page 1 keeps m-0; the page at offset 2 (m-2, m-3) adds m-3 at index 1: the token points past it (offset 4).
    expect(first?.json?.models).toEqual([all[0], all[3]]);
    const token = JSON.parse(Buffer.from(first!.json!.next_page_token as string, 'base64').toString());
    expect(token).toEqual({
      experiment_ids: ['1', '2'],
      filter_string: null,
      order_by: [{ field_name: 'name', ascending: true, dataset_name: '', dataset_digest: '' }],
      offset: 4,
    });
    expect(calls.filter((c) => c.includes('logged-models/search'))).toHaveLength(1);
    // Nothing readable and no further page: `{}`.
    const none = await afterRequest(deps, req, identity, { status: 200, json: { models: [all[1]] } });
    expect(none).toEqual({ json: {} });
  });
});

describe('scorers: rules keyed by (experiment id, scorer name)', () => {
  test('GetScorer and DeleteScorer read the scorer rules; RegisterScorer grants MANAGE, once', async () => {
    const { deps, identity, store, bob } = await setup({});
    const get = request('GET', '/api/3.0/mlflow/scorers/get?experiment_id=1&name=s');
    expect((await beforeRequest(deps, get, identity))?.status).toBe(403);
    store.addRule('scorer', '1/s', { user: bob.id }, 'READ');
    expect(await beforeRequest(deps, get, identity)).toBeUndefined();
    const del = request('DELETE', '/api/3.0/mlflow/scorers/delete', { experiment_id: '1', name: 's' });
    expect((await beforeRequest(deps, del, identity))?.status).toBe(403);
    // After a successful delete the scorer's rules go.
    expect(await afterRequest(deps, del, identity, { status: 200, json: {} })).toBeUndefined();
    expect(store.rulesFor('scorer', '1/s')).toEqual([]);
    const register = request('POST', '/api/3.0/mlflow/scorers/register', { experiment_id: '1', name: 's' });
    const registered = { status: 200, json: { experiment_id: '1', name: 's', version: 1 } };
    expect(await afterRequest(deps, register, identity, registered)).toBeUndefined();
    expect(store.rule('scorer', '1/s', { user: bob.id })?.permission).toBe('MANAGE');
    // A second version by the same user: the UNIQUE constraint, answered 400 although registered.
    const again = await afterRequest(deps, register, identity, registered);
    expect(again?.error?.status).toBe(400);
    expect(JSON.parse(again!.error!.body).message).toMatch(
      /^Scorer permission already exists \(1, s, bob\): /,
    );
  });
});

describe('the artifact proxy and other details', () => {
  test('the experiment id from an artifact path (`_get_experiment_id_from_view_args`)', () => {
    expect(experimentIdFromArtifactPath('12/abc/artifacts/x')).toBe('12');
    expect(experimentIdFromArtifactPath('workspaces/team-a/3/abc/artifacts')).toBe('3');
    expect(experimentIdFromArtifactPath('12')).toBeUndefined();
    expect(experimentIdFromArtifactPath('abc/12/')).toBeUndefined();
    expect(experimentIdFromArtifactPath('workspaces/a.b/3/x')).toBeUndefined();
  });

  test('HEAD has no validator; other methods on a routed path read as a listing with the default', async () => {
    const { deps, identity } = await setup({}, { DEFAULT_MLFLOW_PERMISSION: 'READ' });
    const path = '/api/2.0/mlflow-artifacts/artifacts/x/y';
    expect(await beforeRequest(deps, request('HEAD', path), identity)).toBeUndefined();
    expect(await beforeRequest(deps, request('POST', path, {}), identity)).toBeUndefined();
    expect((await beforeRequest(deps, request('PUT', path), identity))?.status).toBe(403);
  });

  test('admin-only routes and the workspace gate (§4.7)', async () => {
    const { deps, identity, store, bob } = await setup({}, { MLFLOW_ENABLE_WORKSPACES: true });
    const provider = request('GET', '/ajax-api/2.0/mlflow/gateway/provider-config');
    expect((await beforeRequest(deps, provider, identity))?.status).toBe(403);
    expect(await beforeRequest(deps, provider, { ...identity, isAdmin: true })).toBeUndefined();
    const create = request('POST', '/api/2.0/mlflow/registered-models/create', { name: 'm' }, 'team-a');
    expect((await beforeRequest(deps, create, identity))?.status).toBe(403);
    store.addRule('workspace', 'team-a', { user: bob.id }, 'MANAGE');
    expect(await beforeRequest(deps, create, identity)).toBeUndefined();
    // No workspace on the request: no gate.
    expect(await beforeRequest(deps, { ...create, workspace: undefined }, identity)).toBeUndefined();
  });

  test('get_request_param and _extract_param_from_all_sources read what Flask would', () => {
    const post = flaskRequest(request('POST', '/x?run_id=q', { run_uuid: 'r', n: 0, blank: ' ' }), {});
    expect(requestParam(post, 'run_id')).toBe('r');
    expect(() => requestParam(post, 'n')).toThrow(/Empty value for required parameter 'n'/);
    expect(() => requestParam(post, 'blank')).toThrow(/Empty value/);
    expect(anyParam(post, 'run_id')).toBe('q');
    const put = flaskRequest(request('PUT', '/x', {}), {});
    expect(() => requestParam(put, 'a')).toThrow(/Unsupported HTTP method 'PUT'/);
    const viewArgs = flaskRequest(request('GET', '/x?model_id=q'), { model_id: 'p' });
    expect(anyParam(viewArgs, 'model_id')).toBe('p');
  });

  test("tokens are written as Python's json.dumps writes them", () => {
    expect(pythonJsonDumps({ offset: 3, f: null, l: ['a', true], s: 'é' })).toBe(
      '{"offset": 3, "f": null, "l": ["a", true], "s": "\\u00e9"}',
    );
  });
});
