import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { PROXY_DEFAULTS, type ProxyOptions } from '../../../src/proxy/options.js';
import {
  PROXY_FLAGS,
  compileGoRegExp,
  parseGoBool,
  parseProxyOptions,
  parseSkipAuthRoute,
  validateProxySection,
} from '../../../src/proxy/parse-options.js';
import { expectInlineInvalid, validLab } from '../config/helpers.js';

const SECRET = Buffer.alloc(32, 7).toString('base64url');

/** What the lab derives for its proxy (issuer, client secret, upstream, a generated cookie secret). */
const BASE: Partial<ProxyOptions> = {
  oidcIssuerUrl: 'http://127.0.0.1:5556/dex',
  clientSecret: 'oauth2-proxy-secret',
  upstreams: ['http://127.0.0.1:5000'],
  cookieSecret: SECRET,
};

/** The smallest section that, with BASE, gives no problem. */
const MINIMAL = { 'client-id': 'oauth2-proxy', 'email-domain': ['*'] };

function parse(config: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  return parseProxyOptions({ config: { ...MINIMAL, ...config }, env, base: BASE });
}

/** The problems of one change to the minimal valid setup. */
function problemsOf(config: Record<string, unknown>, env: Record<string, string> = {}) {
  return parse(config, env).problems;
}

describe('PROXY_FLAGS', () => {
  test('covers every field of ProxyOptions exactly once', () => {
    const keys = PROXY_FLAGS.map((f) => f.key).sort();
    const fields = Object.keys({ ...PROXY_DEFAULTS, ...BASE, clientId: '' }).sort();
    expect(keys).toStrictEqual(fields);
    expect(new Set(PROXY_FLAGS.map((f) => f.flag)).size).toBe(PROXY_FLAGS.length);
  });

  test('list flags have plural env names (§A6), the rest OAUTH2_PROXY_ + the flag in upper snake case', () => {
    const plural = Object.fromEntries(
      PROXY_FLAGS.filter((f) => f.env !== `OAUTH2_PROXY_${f.flag.replaceAll('-', '_').toUpperCase()}`).map(
        (f) => [f.flag, f.env],
      ),
    );
    expect(plural).toStrictEqual({
      'oidc-extra-audience': 'OAUTH2_PROXY_OIDC_EXTRA_AUDIENCES',
      'oidc-audience-claim': 'OAUTH2_PROXY_OIDC_AUDIENCE_CLAIMS',
      'cookie-domain': 'OAUTH2_PROXY_COOKIE_DOMAINS',
      'email-domain': 'OAUTH2_PROXY_EMAIL_DOMAINS',
      'allowed-group': 'OAUTH2_PROXY_ALLOWED_GROUPS',
      'api-route': 'OAUTH2_PROXY_API_ROUTES',
      'skip-auth-route': 'OAUTH2_PROXY_SKIP_AUTH_ROUTES',
      upstream: 'OAUTH2_PROXY_UPSTREAMS',
      'whitelist-domain': 'OAUTH2_PROXY_WHITELIST_DOMAINS',
    });
    expect(PROXY_FLAGS.find((f) => f.flag === 'extra-jwt-issuers')?.env).toBe(
      'OAUTH2_PROXY_EXTRA_JWT_ISSUERS',
    );
    expect(PROXY_FLAGS.find((f) => f.flag === 'skip-jwt-bearer-tokens')?.env).toBe(
      'OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS',
    );
  });
});

describe('parseProxyOptions: sources', () => {
  test('the minimal setup resolves to oauth2-proxy defaults plus the base, without problems', () => {
    const { options, problems } = parse();
    expect(problems).toStrictEqual([]);
    expect(options).toStrictEqual({
      ...PROXY_DEFAULTS,
      ...BASE,
      clientId: 'oauth2-proxy',
      emailDomains: ['*'],
    });
  });

  test('env beats the config section, which beats the base, which beats the default', () => {
    const at = (config: Record<string, unknown>, env: Record<string, string>, base: Partial<ProxyOptions>) =>
      parseProxyOptions({ config: { ...MINIMAL, ...config }, env, base: { ...BASE, ...base } }).options
        .cookieName;
    expect(at({}, {}, {})).toBe('_oauth2_proxy');
    expect(at({}, {}, { cookieName: 'base' })).toBe('base');
    expect(at({ 'cookie-name': 'config' }, {}, { cookieName: 'base' })).toBe('config');
    expect(at({ 'cookie-name': 'config' }, { OAUTH2_PROXY_COOKIE_NAME: 'env' }, { cookieName: 'base' })).toBe(
      'env',
    );
  });

  test('a config value overrides what the lab derives (upstream, issuer, cookie secret)', () => {
    const secret = 'abcdefghijklmnop';
    const { options } = parse({
      upstream: 'http://mlflow:5000',
      'oidc-issuer-url': 'http://dex:5556/dex',
      'cookie-secret': secret,
    });
    expect(options).toMatchObject({
      upstreams: ['http://mlflow:5000'],
      oidcIssuerUrl: 'http://dex:5556/dex',
      cookieSecret: secret,
    });
  });

  test('list flags are read from their plural env names, comma-separated, items trimmed', () => {
    const { options, problems } = parse(
      {},
      {
        OAUTH2_PROXY_OIDC_EXTRA_AUDIENCES: 'mlflow-cli, mlflow',
        OAUTH2_PROXY_OIDC_AUDIENCE_CLAIMS: 'aud,azp',
        OAUTH2_PROXY_EMAIL_DOMAINS: 'example.com,,example.org',
        OAUTH2_PROXY_ALLOWED_GROUPS: 'admins',
        OAUTH2_PROXY_COOKIE_DOMAINS: '.example.com',
        OAUTH2_PROXY_WHITELIST_DOMAINS: '.example.com,localhost:4180',
        OAUTH2_PROXY_UPSTREAMS: 'http://mlflow:5000/',
        OAUTH2_PROXY_API_ROUTES: '^/api/',
        OAUTH2_PROXY_SKIP_AUTH_ROUTES: 'GET=^/health$',
      },
    );
    expect(problems).toStrictEqual([]);
    expect(options).toMatchObject({
      oidcExtraAudiences: ['mlflow-cli', 'mlflow'],
      oidcAudienceClaims: ['aud', 'azp'],
      emailDomains: ['example.com', 'example.org'],
      allowedGroups: ['admins'],
      cookieDomains: ['.example.com'],
      whitelistDomains: ['.example.com', 'localhost:4180'],
      upstreams: ['http://mlflow:5000/'],
      apiRoutes: [/^\/api\//],
    });
    expect(options.skipAuthRoutes).toMatchObject([{ method: 'GET', negate: false, source: 'GET=^/health$' }]);
  });

  test('the singular flag names are not env names, and other OAUTH2_PROXY_* variables are ignored silently', () => {
    const { options, problems } = parse(
      {},
      {
        OAUTH2_PROXY_EMAIL_DOMAIN: 'example.com',
        OAUTH2_PROXY_UPSTREAM: 'http://elsewhere:1',
        OAUTH2_PROXY_HTTP_ADDRESS: '0.0.0.0:4180',
        OAUTH2_PROXY_NO_SUCH_THING: 'x',
      },
    );
    expect(problems).toStrictEqual([]);
    expect(options.emailDomains).toStrictEqual(['*']);
    expect(options.upstreams).toStrictEqual(BASE.upstreams);
  });

  test('an empty env variable counts as unset, as in viper', () => {
    expect(parse({ 'cookie-name': 'config' }, { OAUTH2_PROXY_COOKIE_NAME: '' }).options.cookieName).toBe(
      'config',
    );
  });

  test('a config list may be a single string', () => {
    expect(parse({ 'email-domain': 'example.com' }).options.emailDomains).toStrictEqual(['example.com']);
    expect(parse({ 'oidc-extra-audience': [] }).options.oidcExtraAudiences).toStrictEqual([]);
  });

  test('every spelling of Go strconv.ParseBool is a bool in env', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) {
      expect(parseGoBool(t)).toBe(true);
      expect(parse({}, { OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS: t }).options.skipJwtBearerTokens).toBe(true);
    }
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) {
      expect(parseGoBool(f)).toBe(false);
      expect(parse({}, { OAUTH2_PROXY_COOKIE_SECURE: f }).options.cookieSecure).toBe(false);
    }
    for (const x of ['yes', 'on', 'tRUE', ' true']) expect(parseGoBool(x)).toBeUndefined();
  });

  test('config bools are YAML bools', () => {
    expect(parse({ 'cookie-secure': false, 'pass-access-token': true }).options).toMatchObject({
      cookieSecure: false,
      passAccessToken: true,
    });
  });

  test('durations are Go durations, in config and env; a bare YAML 0 is 0', () => {
    const { options, problems } = parse(
      { 'cookie-expire': '1h30m', 'cookie-refresh': 0 },
      { OAUTH2_PROXY_COOKIE_CSRF_EXPIRE: '90s' },
    );
    expect(problems).toStrictEqual([]);
    expect(options).toMatchObject({
      cookieExpireMs: 5_400_000,
      cookieRefreshMs: 0,
      cookieCsrfExpireMs: 90_000,
    });
    expect(parse({ 'cookie-expire': '1.5h', 'cookie-refresh': '300ms' }).options).toMatchObject({
      cookieExpireMs: 5_400_000,
      cookieRefreshMs: 300,
    });
  });

  test('enums take their values', () => {
    expect(parse({ 'cookie-samesite': 'lax', 'code-challenge-method': 'S256' }).options).toMatchObject({
      cookieSameSite: 'lax',
      codeChallengeMethod: 'S256',
    });
    expect(parse({}, { OAUTH2_PROXY_CODE_CHALLENGE_METHOD: 'plain' }).options.codeChallengeMethod).toBe(
      'plain',
    );
  });

  test('extra-jwt-issuers split at the first =', () => {
    expect(
      parse({ 'skip-jwt-bearer-tokens': true, 'extra-jwt-issuers': ['http://idp/x=aud=1', 'https://b=c'] })
        .options.extraJwtIssuers,
    ).toStrictEqual([
      { issuer: 'http://idp/x', audience: 'aud=1' },
      { issuer: 'https://b', audience: 'c' },
    ]);
  });

  test('a config that is not a mapping is one problem', () => {
    const { problems } = parseProxyOptions({
      config: ['x'],
      base: BASE,
      env: { OAUTH2_PROXY_CLIENT_ID: 'a' },
    });
    expect(problems[0]).toStrictEqual({
      path: 'proxy',
      received: ['x'],
      rule: 'must be a mapping of oauth2-proxy options',
    });
  });
});

describe('parseProxyOptions: skip-auth-route and api-route', () => {
  test('skip-auth-route specs split at the first = or !=, methods upper-cased (buildRoutesAllowlist)', () => {
    expect(parseSkipAuthRoute('GET=^/health$')).toStrictEqual({
      method: 'GET',
      negate: false,
      pattern: /^\/health$/,
      source: 'GET=^/health$',
    });
    expect(parseSkipAuthRoute('post!=^/api/')).toStrictEqual({
      method: 'POST',
      negate: true,
      pattern: /^\/api\//,
      source: 'post!=^/api/',
    });
    expect(parseSkipAuthRoute('^/static/')).toStrictEqual({
      negate: false,
      pattern: /^\/static\//,
      source: '^/static/',
    });
    // An empty method matches any method, as Go's `route.method == ""`.
    expect(parseSkipAuthRoute('=^/x')).toStrictEqual({ negate: false, pattern: /^\/x/, source: '=^/x' });
  });

  test('skip-auth-routes from config resolve in order', () => {
    const { options } = parse({ 'skip-auth-route': ['GET=^/health$', '^/static/'] });
    expect(options.skipAuthRoutes.map((r) => [r.method, r.negate, r.pattern.source])).toStrictEqual([
      ['GET', false, '^\\/health$'],
      [undefined, false, '^\\/static\\/'],
    ]);
  });

  test('a leading Go (?i) becomes a JS flag, (?P<name> a JS named group', () => {
    expect(compileGoRegExp('(?i)^/API')).toStrictEqual(/^\/API/i);
    expect({ ...compileGoRegExp('^/(?P<id>\\d+)').exec('/42')?.groups }).toStrictEqual({ id: '42' });
    const { options, problems } = parse({ 'api-route': ['(?i)^/api/'] });
    expect(problems).toStrictEqual([]);
    expect(options.apiRoutes[0]!.test('/API/2.0')).toBe(true);
  });
});

describe('parseProxyOptions: type problems', () => {
  test('an unknown key is an unknown option', () => {
    expect(problemsOf({ 'http-address': ':4180', 'oidc-issuer-uri': 'http://dex' })).toStrictEqual([
      { path: 'proxy.http-address', received: ':4180', rule: 'unknown option' },
      { path: 'proxy.oidc-issuer-uri', received: 'http://dex', rule: 'unknown option' },
    ]);
  });

  test('a misspelt secret is not echoed', () => {
    expect(problemsOf({ cookie_secret: 'hunter2hunter2hunter2', 'cookie-secrte': 'x' })).toStrictEqual([
      { path: 'proxy.cookie_secret', rule: 'unknown option' },
      { path: 'proxy.cookie-secrte', rule: 'unknown option' },
    ]);
  });

  test('each kind has its type rule', () => {
    expect(
      problemsOf({
        'cookie-secure': 'false',
        'cookie-name': 42,
        'allowed-group': [1],
        'cookie-expire': '7d',
        'cookie-refresh': 3600,
        'cookie-samesite': true,
        'skip-auth-route': { a: 1 },
      }),
    ).toStrictEqual([
      { path: 'proxy.cookie-secure', received: 'false', rule: 'must be true or false' },
      { path: 'proxy.cookie-name', received: 42, rule: 'must be a string' },
      { path: 'proxy.allowed-group', received: [1], rule: 'must be a list of strings' },
      { path: 'proxy.cookie-expire', received: '7d', rule: 'must be a Go duration such as 168h, 15m or 90s' },
      {
        path: 'proxy.cookie-refresh',
        received: 3600,
        rule: 'must be a Go duration such as 168h, 15m or 90s',
      },
      { path: 'proxy.cookie-samesite', received: true, rule: 'must be a string' },
      { path: 'proxy.skip-auth-route', received: { a: 1 }, rule: 'must be a list of strings' },
    ]);
  });

  test('env values are checked at the variable', () => {
    expect(
      problemsOf({}, { OAUTH2_PROXY_COOKIE_SECURE: 'yes', OAUTH2_PROXY_COOKIE_EXPIRE: '3600' }),
    ).toStrictEqual([
      {
        path: 'OAUTH2_PROXY_COOKIE_EXPIRE',
        received: '3600',
        rule: 'must be a Go duration such as 168h, 15m or 90s',
      },
      { path: 'OAUTH2_PROXY_COOKIE_SECURE', received: 'yes', rule: 'must be true or false' },
    ]);
  });

  test('a secret of the wrong type is not echoed', () => {
    expect(problemsOf({ 'client-secret': 1234 })).toStrictEqual([
      { path: 'proxy.client-secret', rule: 'must be a string' },
    ]);
  });
});

describe('parseProxyOptions: validation, in oauth2-proxy words', () => {
  test('a missing cookie secret (pkg/validation/cookie.go)', () => {
    const { problems } = parseProxyOptions({ config: MINIMAL, base: { ...BASE, cookieSecret: undefined } });
    expect(problems).toStrictEqual([
      {
        path: 'proxy.cookie-secret',
        missing: true,
        rule: 'missing setting: cookie-secret or cookie-secret-file',
      },
    ]);
  });

  test('a cookie secret of the wrong length, without its value', () => {
    expect(problemsOf({ 'cookie-secret': 'too-short' })).toStrictEqual([
      {
        path: 'proxy.cookie-secret',
        rule: 'cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is 9 bytes',
      },
    ]);
    expect(problemsOf({}, { OAUTH2_PROXY_COOKIE_SECRET: 'x'.repeat(20) })).toStrictEqual([
      {
        path: 'OAUTH2_PROXY_COOKIE_SECRET',
        rule: 'cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is 20 bytes',
      },
    ]);
  });

  test('cookie-refresh must be less than cookie-expire, printed as Go durations', () => {
    expect(problemsOf({ 'cookie-refresh': '1h', 'cookie-expire': '30m' })).toStrictEqual([
      {
        path: 'proxy.cookie-refresh',
        received: '1h',
        rule: 'cookie_refresh ("1h0m0s") must be less than cookie_expire ("30m0s")',
      },
    ]);
    expect(problemsOf({ 'cookie-refresh': '168h' })).toStrictEqual([
      {
        path: 'proxy.cookie-refresh',
        received: '168h',
        rule: 'cookie_refresh ("168h0m0s") must be less than cookie_expire ("168h0m0s")',
      },
    ]);
    // cookie-expire 0 disables the check.
    expect(problemsOf({ 'cookie-refresh': '1h', 'cookie-expire': '0' })).toStrictEqual([]);
  });

  test('cookie-samesite must be one of the four, case-sensitively', () => {
    const { options, problems } = parse({ 'cookie-samesite': 'Lax' });
    expect(problems).toStrictEqual([
      {
        path: 'proxy.cookie-samesite',
        received: 'Lax',
        rule: `cookie_samesite ("Lax") must be one of ['', 'lax', 'strict', 'none']`,
      },
    ]);
    expect(options.cookieSameSite).toBe('');
  });

  test('a cookie name must be a token under 256 characters', () => {
    expect(problemsOf({ 'cookie-name': 'a b' })).toStrictEqual([
      { path: 'proxy.cookie-name', received: 'a b', rule: 'invalid cookie name: "a b"' },
    ]);
    const long = 'c'.repeat(257);
    expect(problemsOf({ 'cookie-name': long })).toStrictEqual([
      {
        path: 'proxy.cookie-name',
        received: long,
        rule: 'cookie name should be under 256 characters: cookie name is 257 characters',
      },
    ]);
  });

  test('client-id, client-secret and oidc-issuer-url are required (providers.go, provider_verifier.go)', () => {
    const { problems } = parseProxyOptions({
      config: { 'email-domain': '*' },
      base: { cookieSecret: SECRET, upstreams: ['http://127.0.0.1:5000'] },
    });
    expect(problems).toStrictEqual([
      { path: 'proxy.client-id', missing: true, rule: 'provider missing setting: client-id' },
      {
        path: 'proxy.client-secret',
        missing: true,
        rule: 'missing setting: client-secret or client-secret-file',
      },
      {
        path: 'proxy.oidc-issuer-url',
        missing: true,
        rule:
          'error initialising provider: error building OIDC ProviderVerifier: invalid provider verifier options: ' +
          'missing required setting: issuer-url',
      },
    ]);
  });

  test('an empty client-id is reported where it was written', () => {
    expect(problemsOf({ 'client-id': '' })).toStrictEqual([
      { path: 'proxy.client-id', received: '', rule: 'provider missing setting: client-id' },
    ]);
  });

  test('an e-mail domain is required (pkg/validation/options.go), with its second line', () => {
    const { problems } = parseProxyOptions({ config: { 'client-id': 'oauth2-proxy' }, base: BASE });
    expect(problems).toStrictEqual([
      {
        path: 'proxy.email-domain',
        missing: true,
        rule:
          'missing setting for email validation: email-domain or authenticated-emails-file required.\n' +
          '      use email-domain=* to authorize all email addresses',
      },
    ]);
  });

  test('code-challenge-method must be S256, plain or empty', () => {
    const { options, problems } = parse({ 'code-challenge-method': 's256' });
    expect(problems).toStrictEqual([
      {
        path: 'proxy.code-challenge-method',
        received: 's256',
        rule: `must be S256, plain or '' (oauth2-proxy only fails later, at /oauth2/start: "unknown challenge method: s256")`,
      },
    ]);
    expect(options.codeChallengeMethod).toBe('');
  });

  test('api-route and skip-auth-route regexes must compile (allowlist.go), JS reason after the colon', () => {
    const { options, problems } = parse({
      'api-route': ['^/ok', '(unclosed'],
      'skip-auth-route': ['GET=^/health$', 'POST!=[z-a]'],
    });
    expect(problems).toStrictEqual([
      {
        path: 'proxy.api-route[1]',
        received: '(unclosed',
        rule: 'error compiling regex /(unclosed/: Unterminated group',
      },
      {
        path: 'proxy.skip-auth-route[1]',
        received: 'POST!=[z-a]',
        rule: 'error compiling regex /[z-a]/: Range out of order in character class',
      },
    ]);
    expect(options.apiRoutes).toStrictEqual([/^\/ok/]);
    expect(options.skipAuthRoutes.map((r) => r.source)).toStrictEqual(['GET=^/health$']);
  });

  test('a bad regex from env is reported at the variable', () => {
    expect(problemsOf({}, { OAUTH2_PROXY_API_ROUTES: '^/a,(' })).toStrictEqual([
      {
        path: 'OAUTH2_PROXY_API_ROUTES',
        received: '(',
        rule: 'error compiling regex /(/: Unterminated group',
      },
    ]);
  });

  test('extra-jwt-issuers need issuer=audience, checked only with skip-jwt-bearer-tokens (options.go)', () => {
    expect(problemsOf({ 'skip-jwt-bearer-tokens': true, 'extra-jwt-issuers': 'http://idp' })).toStrictEqual([
      {
        path: 'proxy.extra-jwt-issuers',
        received: 'http://idp',
        rule: 'invalid jwt verifier uri=audience spec: http://idp',
      },
    ]);
    expect(problemsOf({ 'extra-jwt-issuers': ['http://idp'] })).toStrictEqual([]);
  });

  test('upstreams: Go parse errors and schemes in oauth2-proxy words, then the lab limits', () => {
    const cases: Array<[string, string]> = [
      [
        '127.0.0.1:5000',
        'could not parse upstream "127.0.0.1:5000": parse "127.0.0.1:5000": first path segment in URL cannot contain colon',
      ],
      [':5000', 'could not parse upstream ":5000": parse ":5000": missing protocol scheme'],
      ['mlflow:5000', 'upstream "/" has invalid scheme: "mlflow"'],
      ['ftp://host/files', 'upstream "/files" has invalid scheme: "ftp"'],
      ['static://202', 'not supported by the lab: only http:// and https:// upstreams'],
      ['http://', 'must be an absolute http(s) URL'],
      [
        'http://mlflow:5000/prefix',
        'not supported by the lab: one upstream, mapping "/" (a URL without a path)',
      ],
    ];
    for (const [upstream, rule] of cases)
      expect(problemsOf({ upstream }), upstream).toStrictEqual([
        { path: 'proxy.upstream', received: upstream, rule },
      ]);
    expect(problemsOf({ upstream: ['http://a:1', 'HTTPS://b'] })).toStrictEqual([
      {
        path: 'proxy.upstream[1]',
        received: 'HTTPS://b',
        rule: 'not supported by the lab: one upstream, mapping "/" (a URL without a path)',
      },
    ]);
  });

  test('every problem is reported at once, type problems first, then in Validate order', () => {
    const { problems } = parseProxyOptions({
      config: {
        'client-id': 'oauth2-proxy',
        'cookie-secure': 'no',
        'cookie-refresh': '2h',
        'cookie-expire': '1h',
        'cookie-samesite': 'LAX',
        'code-challenge-method': 'S512',
        'api-route': '(',
        'skip-jwt-bearer-tokens': true,
        'extra-jwt-issuers': ['nope'],
        upstream: 'ftp://x',
        'skip-auth-route': ['GET=)'],
        bogus: 1,
      },
      env: { OAUTH2_PROXY_PASS_ACCESS_TOKEN: 'maybe' },
      base: { clientSecret: 's' },
    });
    expect(problems.map((p) => `${p.path}: ${p.rule}`)).toStrictEqual([
      'proxy.cookie-secure: must be true or false',
      'proxy.bogus: unknown option',
      'OAUTH2_PROXY_PASS_ACCESS_TOKEN: must be true or false',
      'proxy.cookie-secret: missing setting: cookie-secret or cookie-secret-file',
      'proxy.cookie-refresh: cookie_refresh ("2h0m0s") must be less than cookie_expire ("1h0m0s")',
      `proxy.cookie-samesite: cookie_samesite ("LAX") must be one of ['', 'lax', 'strict', 'none']`,
      'proxy.oidc-issuer-url: error initialising provider: error building OIDC ProviderVerifier: invalid provider ' +
        'verifier options: missing required setting: issuer-url',
      `proxy.code-challenge-method: must be S256, plain or '' (oauth2-proxy only fails later, at /oauth2/start: "unknown challenge method: S512")`,
      'proxy.api-route: error compiling regex /(/: Unterminated group',
      'proxy.email-domain: missing setting for email validation: email-domain or authenticated-emails-file ' +
        'required.\n      use email-domain=* to authorize all email addresses',
      'proxy.extra-jwt-issuers[0]: invalid jwt verifier uri=audience spec: nope',
      'proxy.upstream: upstream "/" has invalid scheme: "ftp"',
      "proxy.skip-auth-route[0]: error compiling regex /)/: Unmatched ')'",
    ]);
  });
});

describe('validateProxySection', () => {
  test('leaves what the lab derives or env may supply to parseProxyOptions', () => {
    expect(validateProxySection({})).toStrictEqual([]);
    expect(validateProxySection({ 'client-id': '' })).toStrictEqual([]);
  });

  test('checks what the section alone decides', () => {
    expect(
      validateProxySection({
        'cookie-secret': 'short',
        'cookie-refresh': '1h',
        'cookie-expire': '1h',
        'cookie-samesite': 'x',
        'code-challenge-method': 'x',
        'api-route': ['('],
        'skip-jwt-bearer-tokens': true,
        'extra-jwt-issuers': ['nope'],
        upstream: 'mlflow:5000',
        'skip-auth-route': ['('],
        unknown: true,
        'cookie-httponly': 'yes',
      }).map((p) => `${p.path}: ${p.rule}`),
    ).toStrictEqual([
      'proxy.unknown: unknown option',
      'proxy.cookie-httponly: must be true or false',
      'proxy.cookie-secret: cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is 5 bytes',
      'proxy.cookie-refresh: cookie_refresh ("1h0m0s") must be less than cookie_expire ("1h0m0s")',
      `proxy.cookie-samesite: cookie_samesite ("x") must be one of ['', 'lax', 'strict', 'none']`,
      `proxy.code-challenge-method: must be S256, plain or '' (oauth2-proxy only fails later, at /oauth2/start: "unknown challenge method: x")`,
      'proxy.api-route[0]: error compiling regex /(/: Unterminated group',
      'proxy.extra-jwt-issuers[0]: invalid jwt verifier uri=audience spec: nope',
      'proxy.upstream: upstream "/" has invalid scheme: "mlflow"',
      'proxy.skip-auth-route[0]: error compiling regex /(/: Unterminated group',
    ]);
  });

  test('a section that is not a mapping is left to the schema', () => {
    expect(validateProxySection('x')).toStrictEqual([]);
    expect(validateProxySection(undefined)).toStrictEqual([]);
  });
});

describe('the lab config', () => {
  test('fixtures/lab.yaml loads, and its proxy section with the lab-derived base has no problem', async () => {
    const lab = await loadConfig();
    const { options, problems } = parseProxyOptions({ config: lab.proxy, base: BASE });
    expect(problems).toStrictEqual([]);
    expect(options).toMatchObject({
      clientId: 'oauth2-proxy',
      skipJwtBearerTokens: true,
      oidcExtraAudiences: ['mlflow-cli', 'mlflow'],
      passAccessToken: true,
      emailDomains: ['*'],
      codeChallengeMethod: 'S256',
      cookieSecure: false,
    });
  });

  test('proxy problems are listed with the others, as `path (received X): rule`', async () => {
    await expectInlineInvalid(
      {
        ...validLab(),
        ports: { idp: 'x' },
        proxy: { 'cookie-samesite': 'Strict', 'cookie-secret': 'short', 'cookie-secure': 'no', typo: 1 },
      },
      'ports.idp (received "x"): must be an integer in 0..65535',
      'proxy.cookie-secure (received "no"): must be true or false',
      'proxy.typo (received 1 (number)): unknown option',
      'proxy.cookie-secret: cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is 5 bytes',
      `proxy.cookie-samesite (received "Strict"): cookie_samesite ("Strict") must be one of ['', 'lax', 'strict', 'none']`,
    );
  });

  test('a proxy section that is not a mapping is a schema problem', async () => {
    await expectInlineInvalid(
      { ...validLab(), proxy: ['client-id'] },
      'proxy (received a list of 1): must be a mapping of oauth2-proxy options',
    );
  });
});
