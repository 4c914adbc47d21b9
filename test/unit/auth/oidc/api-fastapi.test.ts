import { describe, expect, test } from 'vitest';
import { decodePath, findRoute, route } from '../../../../src/mlflow/auth/oidc/api-fastapi.js';
import { regexProblem } from '../../../../src/mlflow/auth/oidc/api-patterns.js';
import { parseTimeDelta } from '../../../../src/mlflow/auth/oidc/api-trash.js';
import { parsePythonIsoDatetime, pythonIsoformat } from '../../../../src/mlflow/auth/oidc/api-users.js';

const answer = async () => ({ status: 200, body: '', contentType: 'application/json' });

describe("the plugin API's FastAPI pieces (mlflow-oidc-auth.md §4.8)", () => {
  test('routes match in registration order on the decoded path; `:path` spans segments, HEAD is GET', () => {
    const routes = [
      route('GET', '/g/{group_name:path}/users', answer),
      route('GET', '/g/{group_name:path}/experiments/{experiment_id}', answer),
      route('PATCH', '/u/access-token', answer),
      route('GET', '/u/{username}', answer),
    ];
    expect(findRoute(routes, 'GET', decodePath('/g/a%2Fb/experiments/7'))?.params).toEqual({
      group_name: 'a/b',
      experiment_id: '7',
    });
    // The first route wins even where a later one would also match.
    expect(findRoute(routes, 'GET', '/g/x/experiments/users')?.route).toBe(routes[0]);
    expect(findRoute(routes, 'GET', '/u/access-token')?.route).toBe(routes[3]);
    expect(findRoute(routes, 'HEAD', '/u/bob')?.params).toEqual({ username: 'bob' });
    expect(findRoute(routes, 'DELETE', '/u/bob')).toBeUndefined();
    expect(findRoute(routes, 'GET', '/u/a/b')).toBeUndefined();
  });

  test("decodePath is uvicorn's unquote: UTF-8 runs, bad escapes left alone", () => {
    expect(decodePath('/users/bob%40example.com')).toBe('/users/bob@example.com');
    expect(decodePath('/m/caf%C3%A9')).toBe('/m/café');
    expect(decodePath('/m/100%zz')).toBe('/m/100%zz');
  });

  test('datetime.fromisoformat: forms it accepts, the offset apart, µs kept; isoformat back', () => {
    const utc = Date.UTC(2026, 11, 7, 19, 59, 47);
    expect(parsePythonIsoDatetime('2026-12-07T19:59:47.916139+00:00')).toEqual({
      wallMs: utc + 916.139,
      offsetMs: 0,
    });
    expect(parsePythonIsoDatetime('2026-12-07 19:59:47')).toEqual({ wallMs: utc, offsetMs: undefined });
    expect(parsePythonIsoDatetime('20261207T195947-0130')).toEqual({ wallMs: utc, offsetMs: -5_400_000 });
    expect(parsePythonIsoDatetime('2026-12-07')).toEqual({
      wallMs: Date.UTC(2026, 11, 7),
      offsetMs: undefined,
    });
    expect(parsePythonIsoDatetime('2024-02-29T00:00Z')?.offsetMs).toBe(0);
    for (const bad of [
      '2026-02-29',
      '2026-13-01',
      '2026-12-07T24:00',
      'tomorrow',
      '2026-12-07T',
      '2026-1207',
    ])
      expect([bad, parsePythonIsoDatetime(bad)]).toEqual([bad, undefined]);
    expect(pythonIsoformat(utc + 916.139)).toBe('2026-12-07T19:59:47.916139');
    expect(pythonIsoformat(utc)).toBe('2026-12-07T19:59:47');
    expect(pythonIsoformat(utc + 5)).toBe('2026-12-07T19:59:47.005000');
  });

  test("the trash's time deltas and validate_regex's refusals", () => {
    expect(parseTimeDelta('1d2h3m4s')).toBe(((24 + 2) * 3600 + 3 * 60 + 4) * 1000);
    expect(parseTimeDelta('1.5h')).toBe(5_400_000);
    expect(parseTimeDelta('7x')).toBeUndefined();
    expect(regexProblem('')).toBe('Regex pattern cannot be empty');
    expect(regexProblem('x'.repeat(1025))).toBe(
      'Regex pattern exceeds maximum length of 1024 characters (got 1025)',
    );
    expect(regexProblem('(a*)*')).toMatch(/^Regex pattern rejected: nested quantifiers/);
    expect(regexProblem('([a-z]')).toMatch(/^Invalid regex pattern: \(\[a-z\]\. Error: /);
    expect(regexProblem('^shared-')).toBeUndefined();
  });
});
