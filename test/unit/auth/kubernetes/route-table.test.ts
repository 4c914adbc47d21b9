import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  compileRouteTable,
  compileTemplate,
  type RouteLookup,
} from '../../../../src/mlflow/auth/kubernetes/route-table.js';
import {
  COLLECTION_POLICIES,
  GATEWAY_BUDGET_WINDOWS_DENIED_MESSAGE,
  ROUTES,
  WORKSPACE_MUTATION_DENIED_MESSAGE,
  type AuthRule,
} from '../../../../src/mlflow/auth/kubernetes/rules.js';

const table = compileRouteTable();

/** `resource:verb` plus parsers / policy, the notation of §4.3. */
function describeRule(r: AuthRule): string {
  let s = `${r.resource}${r.subresource ? `/${r.subresource}` : ''}:${r.verb}`;
  if (r.nameParsers) s += ` [${r.nameParsers.join(',')}]`;
  if (r.collectionPolicy) s += ` policy=${r.collectionPolicy}`;
  return s;
}

function rulesOf(found: RouteLookup): string[] {
  if (found.kind !== 'rules') return [found.kind];
  return found.entry.rules.map(describeRule);
}

const lookup = (method: string, path: string) => table.lookup(method, path);

// ------------------------------------------------------------------------------------------------------------
// The emulator's routes, read from its router registrations (create-emulator.ts and the route modules). The
// router keeps no public table and `buildRouter` is not exported, so the calls are read from the source.

interface EmulatorRoute {
  kind: 'api' | 'apiPrefix' | 'plain';
  method: string;
  /** For `api*`, the path after `/api` or `/ajax-api`. */
  path: string;
}

function scanEmulatorRoutes(): EmulatorRoute[] {
  const files = [
    'src/mlflow/emulator/create-emulator.ts',
    'src/mlflow/emulator/handlers/registry.ts',
    'src/mlflow/emulator/handlers/artifacts.ts',
  ];
  const routes: EmulatorRoute[] = [];
  for (const file of files) {
    const source = readFileSync(new URL(`../../../../${file}`, import.meta.url), 'utf8');
    const consts = new Map<string, string>();
    for (const m of source.matchAll(/const (\w+) = '([^']*)';/g)) consts.set(m[1]!, m[2]!);
    for (const m of source.matchAll(/\.(api|apiPrefix|plain)\(\s*'(\w+)',\s*([^,]+),/g)) {
      const expr = m[3]!.trim();
      let path: string;
      if (/^['`]/.test(expr)) {
        path = expr.slice(1, -1).replace(/\$\{(\w+)\}/g, (_, name: string) => {
          const value = consts.get(name);
          if (value === undefined) throw new Error(`${file}: unknown constant ${name}`);
          return value;
        });
      } else {
        const value = consts.get(expr);
        if (value === undefined) throw new Error(`${file}: unknown path expression ${expr}`);
        path = value;
      }
      routes.push({ kind: m[1] as EmulatorRoute['kind'], method: m[2]!, path });
    }
  }
  return routes;
}

/** What the gate must answer for each emulator route (§4.3, §4.6, §5.3); key `METHOD path-after-root`. */
const EXPECTED: Record<string, string[]> = {
  'GET /health': ['unprotected'],
  'GET /version': ['unprotected'],
  'GET /3.0/mlflow/server-info': ['unprotected'],
  // Experiments
  'POST /2.0/mlflow/experiments/create': ['experiments:create'],
  'GET /2.0/mlflow/experiments/get': ['experiments:get [experiment_id_to_name]'],
  'GET /2.0/mlflow/experiments/get-by-name': ['experiments:get [experiment_name]'],
  'POST /2.0/mlflow/experiments/update': ['experiments:update [experiment_id_to_name,new_experiment_name]'],
  'POST /2.0/mlflow/experiments/delete': ['experiments:delete [experiment_id_to_name]'],
  'POST /2.0/mlflow/experiments/restore': ['experiments:update [experiment_id_to_name]'],
  'POST /2.0/mlflow/experiments/set-experiment-tag': ['experiments:update [experiment_id_to_name]'],
  'POST /2.0/mlflow/experiments/delete-experiment-tag': ['experiments:update [experiment_id_to_name]'],
  'POST /2.0/mlflow/experiments/search': ['experiments:list policy=response_filter_experiments'],
  'GET /2.0/mlflow/experiments/search': ['experiments:list policy=response_filter_experiments'],
  'POST /2.0/mlflow/runs/search': ['experiments:list policy=request_filter_experiment_ids'],
  // Runs
  'POST /2.0/mlflow/runs/create': ['experiments:update [experiment_id_to_name]'],
  'GET /2.0/mlflow/runs/get': ['experiments:get [run_id_to_experiment_name]'],
  'POST /2.0/mlflow/runs/update': ['experiments:update [run_id_to_experiment_name]'],
  'POST /2.0/mlflow/runs/delete': ['experiments:update [run_id_to_experiment_name]'],
  'POST /2.0/mlflow/runs/restore': ['experiments:update [run_id_to_experiment_name]'],
  'POST /2.0/mlflow/runs/log-parameter': ['experiments:update [run_id_to_experiment_name]'],
  'POST /2.0/mlflow/runs/log-metric': ['experiments:update [run_id_to_experiment_name]'],
  'POST /2.0/mlflow/runs/set-tag': ['experiments:update [run_id_to_experiment_name]'],
  'POST /2.0/mlflow/runs/delete-tag': ['experiments:update [run_id_to_experiment_name]'],
  'POST /2.0/mlflow/runs/log-batch': ['experiments:update [run_id_to_experiment_name]'],
  'POST /2.0/mlflow/runs/log-inputs': ['experiments:update [run_id_to_experiment_name]'],
  'GET /2.0/mlflow/metrics/get-history': ['experiments:get [run_id_to_experiment_name]'],
  'POST /2.0/mlflow/logged-models/search': ['experiments:list policy=request_filter_experiment_ids'],
  // Workspaces
  'GET /3.0/mlflow/workspaces': ['workspaces:list policy=response_filter_workspaces'],
  'POST /3.0/mlflow/workspaces': ['workspaces:create'],
  'GET /3.0/mlflow/workspaces/*': ['workspaces:get'],
  'PATCH /3.0/mlflow/workspaces/*': ['workspaces:update'],
  'DELETE /3.0/mlflow/workspaces/*': ['workspaces:delete'],
  // Registry
  'POST /2.0/mlflow/registered-models/create': ['registeredmodels:create'],
  'GET /2.0/mlflow/registered-models/get': ['registeredmodels:get [registered_model_name]'],
  'GET /2.0/mlflow/registered-models/search': [
    'registeredmodels:list policy=response_filter_registered_models',
  ],
  'PATCH /2.0/mlflow/registered-models/update': ['registeredmodels:update [registered_model_name]'],
  'POST /2.0/mlflow/registered-models/rename': [
    'registeredmodels:update [registered_model_name,new_registered_model_name]',
  ],
  'DELETE /2.0/mlflow/registered-models/delete': ['registeredmodels:delete [registered_model_name]'],
  'POST /2.0/mlflow/registered-models/set-tag': ['registeredmodels:update [registered_model_name]'],
  'DELETE /2.0/mlflow/registered-models/delete-tag': ['registeredmodels:update [registered_model_name]'],
  'POST /2.0/mlflow/registered-models/get-latest-versions': ['registeredmodels:list [registered_model_name]'],
  'GET /2.0/mlflow/registered-models/get-latest-versions': ['registeredmodels:list [registered_model_name]'],
  'POST /2.0/mlflow/registered-models/alias': ['registeredmodels:update [registered_model_name]'],
  'GET /2.0/mlflow/registered-models/alias': ['registeredmodels:get [registered_model_name]'],
  'DELETE /2.0/mlflow/registered-models/alias': ['registeredmodels:update [registered_model_name]'],
  'POST /2.0/mlflow/model-versions/create': ['registeredmodels:update [registered_model_name]'],
  'GET /2.0/mlflow/model-versions/get': ['registeredmodels:get [registered_model_name]'],
  'GET /2.0/mlflow/model-versions/search': ['registeredmodels:list policy=response_filter_model_versions'],
  'PATCH /2.0/mlflow/model-versions/update': ['registeredmodels:update [registered_model_name]'],
  'POST /2.0/mlflow/model-versions/transition-stage': ['registeredmodels:update [registered_model_name]'],
  'DELETE /2.0/mlflow/model-versions/delete': ['registeredmodels:update [registered_model_name]'],
  'GET /2.0/mlflow/model-versions/get-download-uri': ['registeredmodels:get [registered_model_name]'],
  'POST /2.0/mlflow/model-versions/set-tag': ['registeredmodels:update [registered_model_name]'],
  'DELETE /2.0/mlflow/model-versions/delete-tag': ['registeredmodels:update [registered_model_name]'],
  // Artifacts
  'GET /2.0/mlflow-artifacts/artifacts': ['experiments:get [artifact_experiment_id_to_name]'],
  'GET /2.0/mlflow-artifacts/artifacts/*': ['experiments:get [artifact_experiment_id_to_name]'],
  'PUT /2.0/mlflow-artifacts/artifacts/*': ['experiments:update [artifact_experiment_id_to_name]'],
  'DELETE /2.0/mlflow-artifacts/artifacts/*': ['experiments:update [artifact_experiment_id_to_name]'],
  'GET /2.0/mlflow/artifacts/list': ['experiments:get [run_id_to_experiment_name]'],
};

/** A concrete tail for prefix routes: nested artifact paths, a workspace name. */
const sampleTail = (path: string) =>
  path.includes('workspaces') ? '/team-a' : '/7/run-id/artifacts/dir/model.pkl';

describe('every route the emulator serves', () => {
  const routes = scanEmulatorRoutes();

  test('the scan finds the emulator routes', () => {
    expect(routes.length).toBeGreaterThanOrEqual(50);
  });

  test('each scanned route has an expectation here, and each expectation is served', () => {
    const keys = routes.map((r) => `${r.method} ${r.path}${r.kind === 'apiPrefix' ? '/*' : ''}`);
    expect(keys.filter((k) => !(k in EXPECTED))).toEqual([]);
    expect(Object.keys(EXPECTED).filter((k) => !keys.includes(k))).toEqual([]);
  });

  test.each(routes.map((r) => [`${r.method} ${r.path}${r.kind === 'apiPrefix' ? '/*' : ''}`, r] as const))(
    '%s resolves under /api and /ajax-api',
    (key, r) => {
      const tail = r.kind === 'apiPrefix' ? sampleTail(r.path) : '';
      const paths = r.kind === 'plain' ? [r.path] : [`/api${r.path}${tail}`, `/ajax-api${r.path}${tail}`];
      for (const path of paths) expect(rulesOf(lookup(r.method, path)), path).toEqual(EXPECTED[key]);
    },
  );
});

describe('§4.3 rows, verbatim', () => {
  // [method, path, rules] — ~30 rows across the table, spanning every group.
  const rows: Array<[string, string, string[]]> = [
    ['POST', '/api/2.0/mlflow/experiments/create', ['experiments:create']],
    ['GET', '/api/2.0/mlflow/experiments/get-by-name', ['experiments:get [experiment_name]']],
    [
      'POST',
      '/api/3.0/mlflow/datasets/d-1/add-experiments',
      ['datasets:update [dataset_id_to_name]', 'experiments:update [experiment_ids_to_names]'],
    ],
    ['DELETE', '/api/3.0/mlflow/datasets/d-1/tags/k', ['datasets:update [dataset_id_to_name]']],
    [
      'PATCH',
      '/api/3.0/mlflow/traces/tr-1/assessments/a-1',
      ['experiments:update [trace_id_to_experiment_name]'],
    ],
    [
      'DELETE',
      '/api/2.0/mlflow/logged-models/m-1/tags/key',
      ['experiments:update [model_id_to_experiment_name]'],
    ],
    [
      'POST',
      '/api/2.0/mlflow/logged-models/m-1/params',
      ['experiments:update [model_id_to_experiment_name]'],
    ],
    ['DELETE', '/api/3.0/mlflow/scorers/delete', ['experiments:update [experiment_id_to_name]']],
    ['PATCH', '/api/2.0/mlflow/traces/tr-1', ['experiments:update [trace_request_id_to_experiment_name]']],
    ['POST', '/api/3.0/mlflow/traces', ['experiments:update [trace_v3_experiment_id_to_name]']],
    ['POST', '/api/2.0/mlflow/runs/outputs', ['experiments:update [run_id_to_experiment_name]']],
    [
      'POST',
      '/api/2.0/mlflow-artifacts/mpu/complete/1/run/artifacts/x.bin',
      ['experiments:update [artifact_experiment_id_to_name]'],
    ],
    ['GET', '/api/2.0/mlflow/traces/tr-1/info', ['experiments:get [trace_request_id_to_experiment_name]']],
    ['GET', '/api/3.0/mlflow/traces/tr-1', ['experiments:get [trace_id_to_experiment_name]']],
    ['GET', '/api/3.0/mlflow/datasets/d-1/records', ['datasets:list [dataset_id_to_name]']],
    ['GET', '/api/3.0/mlflow/datasets/search', ['datasets:list policy=response_filter_dataset_summaries']],
    ['GET', '/api/3.0/mlflow/traces/batchGet', ['experiments:list policy=response_filter_traces']],
    ['POST', '/api/3.0/mlflow/traces/search', ['experiments:list policy=request_filter_trace_locations']],
    [
      'GET',
      '/api/2.0/mlflow/metrics/get-history-bulk-interval',
      ['experiments:list policy=request_filter_run_ids'],
    ],
    ['POST', '/api/2.0/mlflow/webhooks', ['registeredmodels:update [registered_model_name]']],
    [
      'POST',
      '/api/2.0/mlflow/webhooks/w-1/test',
      ['registeredmodels:update [webhook_id_to_registered_model_name]'],
    ],
    ['GET', '/api/2.0/mlflow/webhooks', ['registeredmodels:list policy=broad_only']],
    [
      'GET',
      '/api/3.0/mlflow/gateway/endpoints/get',
      ['gatewayendpoints:get [gateway_endpoint_selector_to_name]'],
    ],
    [
      'GET',
      '/api/3.0/mlflow/gateway/model-definitions/list',
      ['gatewaymodeldefinitions:list policy=broad_only'],
    ],
    ['GET', '/api/3.0/mlflow/prompt-optimization/jobs/j-1', ['experiments:get [job_id_to_experiment_name]']],
    [
      'POST',
      '/api/3.0/mlflow/prompt-optimization/jobs/search',
      ['experiments:list policy=request_filter_experiment_id'],
    ],
    ['POST', '/api/2.0/mlflow/gateway-proxy', ['gatewayendpoints/use:create [gateway_proxy_endpoint_name]']],
    ['GET', '/ajax-api/2.0/mlflow/gateway-proxy', ['gatewayendpoints/use:create']],
    [
      'POST',
      '/gateway/my-endpoint/mlflow/invocations',
      ['gatewayendpoints/use:create [gateway_proxy_endpoint_name]'],
    ],
    [
      'POST',
      '/gateway/gemini/v1beta/models/my-endpoint:streamGenerateContent',
      ['gatewayendpoints/use:create [gateway_proxy_endpoint_name]'],
    ],
    ['GET', '/get-artifact', ['experiments:get [run_id_to_experiment_name]']],
    ['GET', '/model-versions/get-artifact', ['registeredmodels:get [registered_model_name]']],
    ['POST', '/ajax-api/2.0/mlflow/upload-artifact', ['experiments:update [run_id_to_experiment_name]']],
    [
      'GET',
      '/ajax-api/2.0/mlflow/metrics/get-history-bulk',
      ['experiments:list policy=request_filter_run_ids'],
    ],
    [
      'POST',
      '/api/2.0/mlflow/experiments/search-datasets',
      ['datasets:list policy=request_filter_experiment_ids'],
    ],
    [
      'POST',
      '/api/2.0mlflow/experiments/search-datasets',
      ['datasets:list policy=request_filter_experiment_ids'],
    ],
    ['POST', '/v1/traces', ['experiments:update [otel_experiment_id_header_to_name]']],
    ['POST', '/ajax-api/3.0/jobs/', ['experiments:update']],
    ['PATCH', '/ajax-api/3.0/mlflow/jobs/cancel/j-1', ['experiments:update']],
    ['POST', '/ajax-api/3.0/jobs/search', ['experiments:list policy=request_filter_experiment_id']],
    ['GET', '/ajax-api/3.0/mlflow/assistant/providers/openai/health', ['assistants:get']],
    ['PUT', '/ajax-api/3.0/mlflow/assistant/config', ['assistants:update']],
    ['GET', '/ajax-api/3.0/mlflow/gateway/secrets/config', ['gatewaysecrets:get']],
    ['PUT', '/api/3.0/mlflow/scorers/online-config', ['experiments:update [experiment_id_to_name]']],
    [
      'POST',
      '/ajax-api/3.0/mlflow/demo/generate',
      ['experiments:create', 'datasets:create', 'registeredmodels:create'],
    ],
    // 3.11 deltas
    ['POST', '/api/3.0/mlflow/traces/batchGetInfos', ['experiments:list policy=response_filter_traces']],
    ['GET', '/api/3.0/mlflow/issues/i-1', ['experiments:get [issue_id_to_experiment_name]']],
    ['POST', '/api/3.0/mlflow/gateway/budgets/create', ['gatewaybudgets:create']],
    ['GET', '/api/3.0/mlflow/gateway/budgets/list', ['gatewaybudgets:list policy=broad_only']],
    [
      'GET',
      '/api/2.0/mlflow-artifacts/presigned/3/run/artifacts/f.txt',
      ['experiments:get [artifact_experiment_id_to_name]'],
    ],
    [
      'POST',
      '/ajax-api/3.0/mlflow/issues/invoke',
      [
        'experiments:update [experiment_id_to_name]',
        'experiments:get [optional_trace_ids_to_experiment_names]',
        'gatewaysecrets/use:create [optional_gateway_secret_id_to_name]',
        'gatewayendpoints/use:create [optional_gateway_endpoint_name]',
      ],
    ],
  ];
  test.each(rows)('%s %s', (method, path, expected) => {
    expect(rulesOf(lookup(method, path))).toEqual(expected);
  });

  test('flags: run owner override, optional references, broad only, budget windows deny', () => {
    const createRun = lookup('POST', '/api/2.0/mlflow/runs/create');
    expect(createRun.kind === 'rules' && createRun.entry.rules[0]!.overrideRunUser).toBe(true);
    expect(createRun.kind === 'rules' && createRun.entry.message).toBe('CreateRun');
    const invoke = lookup('POST', '/ajax-api/3.0/mlflow/issues/invoke/');
    expect(
      invoke.kind === 'rules' && invoke.entry.rules.map((r) => !!r.allowIfResourceReferenceMissing),
    ).toEqual([false, true, true, true]);
    const webhooks = lookup('GET', '/ajax-api/2.0/mlflow/webhooks');
    expect(webhooks.kind === 'rules' && webhooks.entry.rules[0]!.broadOnly).toBe(true);
    const windows = lookup('GET', '/api/3.0/mlflow/gateway/budgets/windows');
    expect(windows.kind === 'rules' && windows.entry.rules[0]!.deny).toBe(
      GATEWAY_BUDGET_WINDOWS_DENIED_MESSAGE,
    );
    const endpoint = lookup('POST', '/api/3.0/mlflow/gateway/endpoints/update');
    expect(endpoint.kind === 'rules' && endpoint.entry.rules[0]!.gatewayCheck).toBe(
      'endpoint_model_definitions_use',
    );
  });
});

describe('workspaces API (§5.3)', () => {
  test.each(['/api', '/ajax-api'])('%s: list is filtered and needs no workspace', (root) => {
    const found = lookup('GET', `${root}/3.0/mlflow/workspaces`);
    expect(found.kind).toBe('rules');
    if (found.kind !== 'rules') return;
    expect(found.entry.rules).toEqual([
      {
        resource: 'workspaces',
        verb: 'list',
        requiresWorkspace: false,
        collectionPolicy: 'response_filter_workspaces',
      },
    ]);
  });

  test('get is the workspace access check, with the name as a path param', () => {
    const found = lookup('GET', '/api/3.0/mlflow/workspaces/team-b');
    expect(found.kind === 'rules' && found.entry.rules[0]).toEqual({
      resource: 'workspaces',
      verb: 'get',
      requiresWorkspace: false,
      workspaceAccessCheck: true,
    });
    expect(found.kind === 'rules' && found.params).toEqual({ workspace_name: 'team-b' });
  });

  test.each([
    ['POST', '/api/3.0/mlflow/workspaces'],
    ['PATCH', '/api/3.0/mlflow/workspaces/team-a'],
    ['DELETE', '/ajax-api/3.0/mlflow/workspaces/team-a'],
  ])('%s %s is always denied with the exact message', (method, path) => {
    const found = lookup(method, path);
    expect(found.kind === 'rules' && found.entry.rules[0]!.deny).toBe(WORKSPACE_MUTATION_DENIED_MESSAGE);
    expect(found.kind === 'rules' && found.entry.rules[0]!.requiresWorkspace).toBe(false);
    expect(WORKSPACE_MUTATION_DENIED_MESSAGE).toBe(
      'Workspace create, update, and delete operations are not supported when MLflow workspaces map to Kubernetes namespaces.',
    );
  });
});

describe('unprotected paths (§4.6)', () => {
  test.each([
    ['GET', '/'],
    ['GET', '/health'],
    ['GET', '/healthz'],
    ['GET', '/version'],
    ['GET', '/server-info'],
    ['GET', '/metrics'],
    ['GET', '/api/3.0/mlflow/server-info'],
    ['GET', '/ajax-api/3.0/mlflow/server-info'],
    ['POST', '/ajax-api/3.0/mlflow/ui-telemetry'],
    ['GET', '/static-files/index.html'],
    ['GET', '/static/js/main.js'],
    ['GET', '/favicon.ico'],
    ['GET', '/build/bundle.js'],
  ])('%s %s', (method, path) => {
    expect(lookup(method, path)).toEqual({ kind: 'unprotected' });
  });

  test('only exact matches count for the non-prefix list', () => {
    expect(lookup('GET', '/version/x').kind).toBe('unmapped');
    expect(lookup('GET', '/api/3.0/mlflow/server-info/x').kind).toBe('unmapped');
  });
});

describe('unmapped', () => {
  test.each([
    ['GET', '/api/2.0/mlflow/experiments/create'],
    ['DELETE', '/api/2.0/mlflow/runs/get'],
    ['PATCH', '/api/3.0/mlflow/workspaces'],
    ['GET', '/api/2.0/mlflow/no-such-thing'],
    ['GET', '/api/2.0/mlflow-artifacts/artifacts/'],
    ['POST', '/api/2.0/mlflow-artifacts/artifacts/1/x'],
    ['HEAD', '/api/2.0/mlflow/runs/get'],
    ['OPTIONS', '/api/2.0/mlflow/runs/create'],
    ['GET', '/api/2.0/mlflow/experiments/get/extra'],
    ['POST', '/gateway/a/b/mlflow/invocations'],
  ])('%s %s', (method, path) => {
    expect(lookup(method, path)).toEqual({ kind: 'unmapped' });
  });
});

describe('templates', () => {
  test('artifact paths keep their nesting and are decoded', () => {
    const found = lookup('GET', '/ajax-api/2.0/mlflow-artifacts/artifacts/12/abc/artifacts/a%20b/c.txt');
    expect(found.kind === 'rules' && found.entry.message).toBe('DownloadArtifact');
    expect(found.kind === 'rules' && found.params).toEqual({ artifact_path: '12/abc/artifacts/a b/c.txt' });
    const put = lookup('PUT', '/api/2.0/mlflow-artifacts/artifacts/12/x');
    expect(put.kind === 'rules' && put.entry.message).toBe('UploadArtifact');
  });

  test('one-segment params stop at a slash; several params come back by name', () => {
    const found = lookup('PATCH', '/api/3.0/mlflow/traces/tr-9/assessments/as-3');
    expect(found.kind === 'rules' && found.params).toEqual({ trace_id: 'tr-9', assessment_id: 'as-3' });
    const gemini = lookup('POST', '/gateway/gemini/v1beta/models/chat-1:generateContent');
    expect(gemini.kind === 'rules' && gemini.params).toEqual({ endpoint_name: 'chat-1' });
  });

  test('compileTemplate escapes literals', () => {
    const re = compileTemplate('/a.b/<x>/<path:rest>');
    expect(re.test('/a.b/1/2/3')).toBe(true);
    expect(re.test('/aXb/1/2')).toBe(false);
  });
});

describe('exact paths win over templates (§4.1)', () => {
  test.each([
    ['GET', '/api/3.0/mlflow/traces/get', 'experiments:get [trace_id_to_experiment_name]', undefined],
    [
      'GET',
      '/api/3.0/mlflow/traces/batchGet',
      'experiments:list policy=response_filter_traces',
      'BatchGetTraces',
    ],
    [
      'POST',
      '/api/3.0/mlflow/datasets/search',
      'datasets:list policy=response_filter_dataset_summaries',
      undefined,
    ],
    [
      'GET',
      '/api/3.0/mlflow/prompt-optimization/jobs/search',
      'experiments:list policy=request_filter_experiment_id',
      undefined,
    ],
    [
      'POST',
      '/gateway/mlflow/v1/chat/completions',
      'gatewayendpoints/use:create [gateway_proxy_endpoint_name]',
      undefined,
    ],
  ])('%s %s', (method, path, rule, message) => {
    const found = lookup(method, path);
    expect(found.kind === 'rules' && found.params).toEqual({});
    expect(rulesOf(found)).toEqual([rule]);
    if (message) expect(found.kind === 'rules' && found.entry.message).toBe(message);
  });

  test('an exact path without the method falls through to a template of that method, like the plugin', () => {
    // POST …/logged-models/search is exact; GET on it matches GetLoggedModel's `<model_id>` template.
    const found = lookup('GET', '/api/2.0/mlflow/logged-models/search');
    expect(found.kind === 'rules' && found.entry.message).toBe('GetLoggedModel');
    expect(found.kind === 'rules' && found.params).toEqual({ model_id: 'search' });
  });
});

describe('versions and table hygiene', () => {
  test('3.12-only routes are absent for 3.11 and present for 3.12', () => {
    expect(lookup('POST', '/api/2.0/mlflow/artifacts/presigned-upload-url').kind).toBe('unmapped');
    expect(lookup('POST', '/api/3.0/mlflow/gateway/guardrails/create').kind).toBe('unmapped');
    const v12 = compileRouteTable('3.12.0');
    expect(rulesOf(v12.lookup('POST', '/api/2.0/mlflow/artifacts/presigned-upload-url'))).toEqual([
      'experiments:update [run_id_to_experiment_name]',
    ]);
    expect(rulesOf(v12.lookup('GET', '/ajax-api/3.0/mlflow/gateway/guardrails/list-for-endpoint'))).toEqual([
      'gatewayendpoints:get [gateway_endpoint_id_to_name]',
      'gatewayguardrails:list',
    ]);
  });

  test('3.11 deltas are absent for 3.10; dev versions count as their minor', () => {
    const v10 = compileRouteTable('3.10');
    expect(v10.lookup('GET', '/api/3.0/mlflow/issues/i-1').kind).toBe('unmapped');
    expect(compileRouteTable('3.11.2.dev0').lookup('GET', '/api/3.0/mlflow/issues/i-1').kind).toBe('rules');
  });

  test('every /api proto route has its /ajax-api twin with the same rules', () => {
    for (const e of ROUTES.filter((r) => r.message && r.path.startsWith('/api/'))) {
      const twin = ROUTES.find(
        (r) => r.method === e.method && r.path === e.path.replace(/^\/api\//, '/ajax-api/'),
      );
      expect(twin?.rules, `${e.method} ${e.path}`).toEqual(e.rules);
    }
  });

  test('duplicate (method, path) entries agree on their rules', () => {
    const seen = new Map<string, AuthRule[]>();
    for (const e of ROUTES) {
      const key = `${e.method} ${e.path}`;
      if (seen.has(key)) expect(e.rules, key).toEqual(seen.get(key));
      seen.set(key, e.rules);
    }
  });

  test('every collection policy used is documented, and every rule is well-formed', () => {
    for (const e of ROUTES)
      for (const r of e.rules) {
        if (r.collectionPolicy) expect(COLLECTION_POLICIES[r.collectionPolicy], e.path).toBeDefined();
        expect(['get', 'list', 'create', 'update', 'delete']).toContain(r.verb);
        expect(e.method).toMatch(/^(GET|POST|PUT|PATCH|DELETE)$/);
      }
  });

  test('the compiled 3.11 table holds no since-3.12 entry', () => {
    expect(table.entries.some((e) => e.since === '3.12')).toBe(false);
    expect(table.mlflowVersion).toBe('3.11');
  });
});
