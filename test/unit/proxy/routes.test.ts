import { describe, expect, test } from 'vitest';
import type { SkipAuthRoute } from '../../../src/proxy/options.js';
import { isAjax, isApiRoute, isSkipAuthRoute, requestPath } from '../../../src/proxy/routes.js';

const route = (pattern: RegExp, method?: string, negate = false): SkipAuthRoute => ({
  ...(method !== undefined && { method }),
  negate,
  pattern,
  source: String(pattern),
});

describe('requestPath (GetRequestPath)', () => {
  test.each([
    ['/api/2.0/mlflow/experiments/list?max_results=10', '/api/2.0/mlflow/experiments/list'],
    ['/health#frag', '/health'],
    ['/health?x=1#frag', '/health'],
    ['/', '/'],
    ['', ''],
    // Percent-decoded like url.URL.Path; an encoded # is then dropped too (the v7.15.2 fix).
    ['/a%20b', '/a b'],
    ['/public%23/../secret', '/public'],
    ['/a+b', '/a+b'],
    ['/caf%C3%A9', '/café'],
    // url.Parse reads `//host/p` as an authority plus path; `///p` stays a path.
    ['//evil.com/health', '/health'],
    ['///health', '///health'],
    ['http://host:4180/health?x', '/health'],
    // Where url.Parse fails, only the query is stripped.
    ['/bad%zz?x=1', '/bad%zz'],
    ['/ctl\x01?x=1', '/ctl\x01'],
  ])('%j → %j', (uri, path) => {
    expect(requestPath(uri)).toBe(path);
  });
});

describe('--skip-auth-route', () => {
  test('method-less routes match any method; unanchored search, as Go MatchString', () => {
    const routes = [route(/^\/health$/), route(/static/)];
    expect(isSkipAuthRoute(routes, 'GET', '/health')).toBe(true);
    expect(isSkipAuthRoute(routes, 'POST', '/health')).toBe(true);
    expect(isSkipAuthRoute(routes, 'GET', '/x/static/y')).toBe(true);
    expect(isSkipAuthRoute(routes, 'GET', '/healthz')).toBe(false);
    expect(isSkipAuthRoute([], 'GET', '/')).toBe(false);
  });

  test('METHOD=regex needs that method', () => {
    const routes = [route(/^\/api\//, 'GET')];
    expect(isSkipAuthRoute(routes, 'GET', '/api/x')).toBe(true);
    expect(isSkipAuthRoute(routes, 'POST', '/api/x')).toBe(false);
  });

  test('METHOD!=regex negates the path, not the method (isAllowedPath)', () => {
    const routes = [route(/^\/api\//, 'GET', true)];
    expect(isSkipAuthRoute(routes, 'GET', '/ui')).toBe(true);
    expect(isSkipAuthRoute(routes, 'GET', '/api/x')).toBe(false);
    expect(isSkipAuthRoute(routes, 'POST', '/ui')).toBe(false);
    expect(isSkipAuthRoute([route(/^\/api\//, undefined, true)], 'DELETE', '/ui')).toBe(true);
  });

  test('a global regex does not carry lastIndex between calls', () => {
    const routes = [route(/health/g)];
    expect(isSkipAuthRoute(routes, 'GET', '/health')).toBe(true);
    expect(isSkipAuthRoute(routes, 'GET', '/health')).toBe(true);
  });
});

describe('--api-route', () => {
  test('matched against the full URI, query included', () => {
    expect(isApiRoute([/^\/api\//], '/api/2.0/x?y=1')).toBe(true);
    expect(isApiRoute([/format=json/], '/ui?format=json')).toBe(true);
    expect(isApiRoute([/^\/api\//], '/ui')).toBe(false);
    expect(isApiRoute([], '/api/x')).toBe(false);
  });
});

describe('isAjax', () => {
  test('some comma-split, trimmed value is exactly application/json', () => {
    expect(isAjax('application/json')).toBe(true);
    expect(isAjax('text/html, application/json;q=0.9')).toBe(false);
    expect(isAjax('text/plain ,  application/json , */*')).toBe(true);
    expect(isAjax('application/json; charset=utf-8')).toBe(false);
    expect(isAjax('Application/JSON')).toBe(false);
    expect(isAjax('*/*')).toBe(false);
    expect(isAjax('')).toBe(false);
    expect(isAjax(undefined)).toBe(false);
  });

  test('several Accept headers', () => {
    expect(isAjax(['text/html', 'application/json'])).toBe(true);
    expect(isAjax(['text/html', 'text/plain'])).toBe(false);
    expect(isAjax([])).toBe(false);
  });
});
