import { describe, expect, test } from 'vitest';
import { appRedirect, isValidRedirect } from '../../../src/proxy/redirect.js';

// The whitelist shapes validator_test.go exercises.
const ALLOWED = [
  'foo.bar',
  '.bar.foo',
  'port.bar:8080',
  '.sub.port.bar:8080',
  'anyport.bar:*',
  '*.wildcard.bar',
  '*.wildcard.sub.anyport.bar:*',
];
const valid = (rd: string) => isValidRedirect(rd, ALLOWED);

describe('isValidRedirect: relative paths', () => {
  test('a single leading slash is fine, query and all', () => {
    expect(valid('/')).toBe(true);
    expect(valid('/experiments?id=1&x=//y')).toBe(false); // `//` anywhere is refused
    expect(valid('/experiments?id=1')).toBe(true);
    expect(valid('/a.b/c..d/')).toBe(true);
  });

  test.each([
    ['empty', ''],
    ['protocol-relative', '//evil.com'],
    ['backslash', '/\\evil.com'],
    ['space between slashes', '/ /evil.com'],
    ['space then backslash', '/ \\evil.com'],
    ['tab', '/\t/evil.com'],
    ['vertical tab', '/\v\\evil.com'],
    ['newline', '/\n/evil.com'],
    ['carriage return', '/\r/evil.com'],
    ['dot segment', '/./\\evil.com'],
    ['dot-dot segments', '/./../../\\evil.com'],
    ['later double slash', '/a//b'],
    ['no leading slash', 'evil.com/x'],
    ['scheme-less host', 'foo.bar/redirect'],
    ['javascript', 'javascript:alert(1)'],
    ['upper-case scheme', 'HTTPS://foo.bar/'],
  ])('refuses %s', (_name, rd) => {
    expect(valid(rd)).toBe(false);
  });

  test("Go's \\s is ASCII: a no-break space between slashes is not whitespace to it", () => {
    expect(valid('/\u00a0/evil.com')).toBe(true);
  });
});

describe('isValidRedirect: absolute URLs and --whitelist-domain', () => {
  test.each([
    ['http://foo.bar/redirect', true],
    ['https://foo.bar/redirect', true],
    ['https://evil.com/', false],
    ['http://baz.foo.bar/redirect', false],
    ['http://baz.bar.foo/redirect', true],
    ['http://bar.foo/redirect', true],
    ['http://foo.bar.evil.corp/redirect', false],
    ['https://evil.corp/redirect?rd=foo.bar', false],
    ['http://foo.bar:3838/redirect', false],
    ['http://port.bar:8080/redirect', true],
    ['http://port.bar/redirect', false],
    ['http://port.bar:3838/redirect', false],
    ['http://foo.sub.port.bar:8080/redirect', true],
    ['http://anyport.bar:8081/redirect', true],
    ['http://anyport.bar/redirect', true],
    ['https://foo.wildcard.bar/redirect', true],
    ['https://wildcard.bar/redirect', true],
    ['https://notwildcard.bar/redirect', false],
    ['http://a.wildcard.sub.anyport.bar:4242/x', true],
  ])('%s → %s', (rd, expected) => {
    expect(valid(rd)).toBe(expected);
  });

  test('host compare is case-sensitive, as Go does not lower-case it', () => {
    expect(valid('https://FOO.bar/')).toBe(false);
  });

  test('userinfo and backslash tricks: the host is after the last @, and Go refuses a backslash', () => {
    expect(valid('https://evil.com@foo.bar/')).toBe(true);
    expect(valid('https://foo.bar@evil.com/')).toBe(false);
    expect(valid('https://evil.com\\@foo.bar/')).toBe(false);
    expect(valid('https://foo.bar\\.evil.com/')).toBe(false);
  });

  test('strings Go cannot parse are refused', () => {
    expect(valid('https://foo.bar/%zz')).toBe(false);
    expect(valid('https://foo.bar:80a/')).toBe(false);
    expect(valid('https://foo.bar/\n')).toBe(false);
    expect(valid('https://foo%2ebar/')).toBe(false);
  });

  test('no whitelist: only relative paths', () => {
    expect(isValidRedirect('https://foo.bar/', [])).toBe(false);
    expect(isValidRedirect('/ok', [])).toBe(true);
  });

  test('rejections are logged as oauth2-proxy does', () => {
    const lines: string[] = [];
    const log = (l: { file: string; level: string; message: string }) => lines.push(`${l.file} ${l.message}`);
    isValidRedirect('https://evil.com/', ALLOWED, log);
    isValidRedirect('//evil.com', ALLOWED, log);
    isValidRedirect('https://foo.bar/%zz', ALLOWED, log);
    expect(lines).toEqual([
      'validator.go:60 Rejecting invalid redirect "https://evil.com/": domain / port not in whitelist',
      'validator.go:63 Rejecting invalid redirect "//evil.com": not an absolute or relative URL',
      'validator.go:52 Rejecting invalid redirect "https://foo.bar/%zz": scheme unsupported or missing',
    ]);
  });
});

describe('appRedirect (GetRedirect order)', () => {
  const base = { requestUri: '/oauth2/start', whitelistDomains: ['foo.bar'], proxyPrefix: '/oauth2' };

  test('rd first, then X-Auth-Request-Redirect, then the request URI, then /', () => {
    expect(appRedirect({ ...base, rd: '/a', header: '/b' })).toBe('/a');
    expect(appRedirect({ ...base, rd: '//evil.com', header: '/b' })).toBe('/b');
    expect(appRedirect({ ...base, rd: '', header: 'https://foo.bar/x' })).toBe('https://foo.bar/x');
    expect(appRedirect({ ...base, requestUri: '/experiments?id=1' })).toBe('/experiments?id=1');
    expect(appRedirect({ ...base, rd: 'https://evil.com/', header: 'https://evil.com/' })).toBe('/');
  });

  test('the proxy’s own paths become /, but only under prefix + "/"', () => {
    expect(appRedirect({ ...base, requestUri: '/oauth2/sign_in?x=1' })).toBe('/');
    expect(appRedirect({ ...base, requestUri: '/oauth2x' })).toBe('/oauth2x');
    expect(appRedirect({ ...base, requestUri: '/auth/start', proxyPrefix: '/auth/' })).toBe('/');
  });

  test('an invalid request URI falls back to /', () => {
    expect(appRedirect({ ...base, requestUri: '/a//b' })).toBe('/');
  });

  test('logs each rejected candidate like validateRedirect and the final check', () => {
    const lines: string[] = [];
    appRedirect({
      ...base,
      rd: 'https://evil.com/',
      requestUri: '/a//b',
      log: (l) => lines.push(`${l.level} ${l.file} ${l.message}`),
    });
    expect(lines).toEqual([
      'info validator.go:60 Rejecting invalid redirect "https://evil.com/": domain / port not in whitelist',
      'error director.go:85 Invalid redirect provided in rd querystring parameter: https://evil.com/',
      'info validator.go:63 Rejecting invalid redirect "/a//b": not an absolute or relative URL',
      'error director.go:85 Invalid redirect generated from X-Forwarded-Uri header: /a//b',
      'info validator.go:63 Rejecting invalid redirect "/a//b": not an absolute or relative URL',
    ]);
  });
});
