import { describe, expect, test } from 'vitest';
import {
  CSRF_ERROR_MESSAGE,
  DEFAULT_ERROR_MESSAGES,
  UPSTREAM_ERROR_MESSAGE,
  errorPage,
  errorPageMessage,
  goRedirectBody,
  goSprintfNoArgs,
  goStatusText,
  htmlEscape,
  idpErrorMessage,
  signInMessage,
  signInPage,
} from '../../../src/proxy/pages.js';

const FOOTER =
  'Secured with <a href="https://github.com/oauth2-proxy/oauth2-proxy#oauth2_proxy">OAuth2 Proxy</a> version v7.15.3';

const signIn = (over: Partial<Parameters<typeof signInPage>[0]> = {}) =>
  signInPage({
    proxyPrefix: '/oauth2',
    redirect: '/experiments',
    providerName: 'OpenID Connect',
    emailDomains: ['*'],
    ...over,
  });

const errorOf = (over: Partial<Parameters<typeof errorPage>[0]> = {}) =>
  errorPage({ status: 403, requestId: 'req-1', proxyPrefix: '/oauth2', redirect: '/x', ...over });

describe('htmlEscape and the redirect body', () => {
  test('html/template escapes & < > " \' and also + and NUL', () => {
    expect(htmlEscape(`a&b<c>d"e'f+g\0h`)).toBe('a&amp;b&lt;c&gt;d&#34;e&#39;f&#43;g\uFFFDh');
    expect(htmlEscape('plain /path?x=1')).toBe('plain /path?x=1');
  });

  test("http.Redirect's GET body: net/http's own five escapes, then two newlines", () => {
    expect(goRedirectBody('/x')).toBe('<a href="/x">Found</a>.\n\n');
    expect(goRedirectBody(`https://idp/auth?a=1&b="c'+`)).toBe(
      '<a href="https://idp/auth?a=1&amp;b=&#34;c&#39;+">Found</a>.\n\n',
    );
    expect(goRedirectBody('/x', 307)).toBe('<a href="/x">Temporary Redirect</a>.\n\n');
  });

  test('status texts are net/http’s', () => {
    expect(goStatusText(403)).toBe('Forbidden');
    expect(goStatusText(502)).toBe('Bad Gateway');
    expect(goStatusText(599)).toBe('');
  });
});

describe('sign-in page', () => {
  test('title, GET form to <prefix>/start with hidden rd, provider button, default footer', () => {
    const html = signIn();
    expect(html).toContain('<title>Sign In</title>');
    expect(html).toContain('<form method="GET" action="/oauth2/start">');
    expect(html).toContain('<input type="hidden" name="rd" value="/experiments">');
    expect(html).toContain('Sign in with OpenID Connect</button>');
    expect(html).toContain(FOOTER);
    expect(html).not.toContain('Authenticate using');
  });

  test('rd and provider name are escaped; the prefix is URL-normalised', () => {
    const html = signIn({ redirect: '/a?b=1&c="2"', providerName: 'Dex <lab>', proxyPrefix: '/my auth' });
    expect(html).toContain('value="/a?b=1&amp;c=&#34;2&#34;"');
    expect(html).toContain('Sign in with Dex &lt;lab&gt;</button>');
    expect(html).toContain('action="/my%20auth/start"');
  });

  test('banner: one non-* domain, the list for several (as buildSignInMessage), nothing for * alone', () => {
    expect(signInMessage(['example.com'])).toBe('Authenticate using example.com');
    expect(signInMessage(['*'])).toBe('');
    expect(signInMessage([])).toBe('');
    expect(signInMessage(['a.com', 'b.com'])).toBe(
      'Authenticate using one of the following domains: a.com, b.com',
    );
    expect(signIn({ emailDomains: ['example.com'] })).toContain('Authenticate using example.com');
  });

  test('footer: "-" hides it, other text is raw HTML', () => {
    expect(signIn({ footer: '-' })).not.toContain('Secured with');
    expect(signIn({ footer: '<b>Lab</b>' })).toContain('<p><b>Lab</b></p>');
  });

  test('a script keeps the browser-side #fragment in rd', () => {
    expect(signIn()).toContain('window.location.hash');
  });
});

describe('error page', () => {
  test('title, big code, heading, More Info with default message and request ID, both buttons', () => {
    const html = errorOf();
    expect(html).toContain('<title>403 Forbidden</title>');
    expect(html).toContain('<div class="status-code">403</div>');
    expect(html).toContain('<h1 class="subtitle">Forbidden</h1>');
    expect(html).toContain('<summary>More Info</summary>');
    expect(html).toContain('You do not have permission to access this resource.');
    expect(html).toContain('Request ID: req-1');
    expect(html).toContain('<form method="GET" action="/x">');
    expect(html).toContain('Go back</button>');
    expect(html).toContain('<form method="GET" action="/oauth2/sign_in">');
    expect(html).toContain('<input type="hidden" name="rd" value="/x">');
    expect(html).toContain('Sign in</button>');
    expect(html).toContain(FOOTER);
  });

  test('default messages per status (§A2 table)', () => {
    const msg = (status: number) => errorPageMessage({ status });
    expect(msg(500)).toBe(
      'Oops! Something went wrong. For more information contact your server administrator.',
    );
    expect(msg(404)).toBe('We could not find the resource you were looking for.');
    expect(msg(403)).toBe('You do not have permission to access this resource.');
    expect(msg(401)).toBe('You need to be logged in to access this resource.');
    expect(msg(502)).toBe('Unknown error');
    expect(Object.keys(DEFAULT_ERROR_MESSAGES).sort()).toEqual(['401', '403', '404', '500']);
  });

  test('specific messages', () => {
    expect(UPSTREAM_ERROR_MESSAGE).toBe('There was a problem connecting to the upstream server.');
    expect(CSRF_ERROR_MESSAGE).toBe('Login Failed: Unable to find a valid CSRF token. Please try again.');
    expect(idpErrorMessage('access_denied')).toBe(
      'Login Failed: The upstream identity provider returned an error: access_denied',
    );
    const html = errorOf({ status: 502, message: UPSTREAM_ERROR_MESSAGE, redirect: '' });
    expect(html).toContain('<title>502 Bad Gateway</title>');
    expect(html).toContain('There was a problem connecting to the upstream server.');
  });

  test('show-debug: the app error replaces the message, even when empty', () => {
    const o = {
      status: 403,
      message: CSRF_ERROR_MESSAGE,
      debugMessage: 'CSRF token mismatch, potential attack',
    };
    expect(errorPageMessage(o)).toBe(CSRF_ERROR_MESSAGE);
    expect(errorPageMessage({ ...o, showDebug: true })).toBe('CSRF token mismatch, potential attack');
    expect(errorPageMessage({ status: 500, showDebug: true })).toBe('');
    expect(errorOf({ showDebug: true, debugMessage: 'The session failed authorization checks' })).toContain(
      'The session failed authorization checks',
    );
  });

  test('the message is a Go format string with no arguments', () => {
    expect(errorPageMessage({ status: 403, message: idpErrorMessage('50%off') })).toBe(
      'Login Failed: The upstream identity provider returned an error: 50%!o(MISSING)ff',
    );
    expect(errorPageMessage({ status: 403, message: '100%%' })).toBe('100%');
    // Debug mode shows the app error as is.
    expect(errorPageMessage({ status: 403, showDebug: true, debugMessage: '50%off' })).toBe('50%off');
  });

  test('no redirect: no buttons; nothing to say: no More Info card', () => {
    const html = errorOf({ redirect: '', requestId: '', showDebug: true });
    expect(html).not.toContain('Go back');
    expect(html).not.toContain('Sign in</button>');
    expect(html).not.toContain('More Info');
  });

  test('escaping: text and attributes escaped, the Go back target URL-normalised, unsafe schemes defanged', () => {
    const html = errorOf({ message: '<script>', requestId: 'a"b', redirect: '/p?q=a b&r="x"' });
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('Request ID: a&#34;b');
    expect(html).toContain('action="/p?q=a%20b&amp;r=%22x%22"');
    expect(html).toContain('value="/p?q=a b&amp;r=&#34;x&#34;"');
    expect(errorOf({ redirect: 'javascript:alert(1)' })).toContain('action="#ZgotmplZ"');
  });
});

describe('goSprintfNoArgs (fmt.Sprintf without operands)', () => {
  test.each([
    ['plain', 'plain'],
    ['100%%', '100%'],
    ['100%', '100%!(NOVERB)'],
    ['a%sb', 'a%!s(MISSING)b'],
    ['%-5.2f', '%!f(MISSING)'],
    ['%*d', '%!(BADWIDTH)%!d(MISSING)'],
    ['%.*d', '%!(BADPREC)%!d(MISSING)'],
    ['%[1]d', '%!d(BADINDEX)'],
    ['%é', '%!é(MISSING)'],
  ])('%s', (format, expected) => {
    expect(goSprintfNoArgs(format)).toBe(expected);
  });
});
