// oauth2-proxy's two HTML pages (sign-in and error) and Go's redirect body (oauth2-proxy-and-dex.md §A2 "Exact
// bodies and headers"). The markup is the lab's own; the visible texts, titles, form targets, buttons and the
// way each value is escaped follow pkg/app/pagewriter/{sign_in.html,error.html,error_page.go,sign_in_page.go}.

/** The release the lab imitates; oauth2-proxy prints it in the default footer (`version.VERSION`). */
export const OAUTH2_PROXY_VERSION = 'v7.15.3';

/** error_page.go `errorMessages`: what the page says when the caller gave no message (§A2 table). */
export const DEFAULT_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  500: 'Oops! Something went wrong. For more information contact your server administrator.',
  404: 'We could not find the resource you were looking for.',
  403: 'You do not have permission to access this resource.',
  401: 'You need to be logged in to access this resource.',
};

/** error_page.go `getMessage`: any other status without a message. */
export const UNKNOWN_ERROR_MESSAGE = 'Unknown error';

/** `ProxyErrorHandler` (error_page.go): the 502 page when the upstream cannot be reached. */
export const UPSTREAM_ERROR_MESSAGE = 'There was a problem connecting to the upstream server.';

/** OAuthCallback: CSRF cookie missing or state mismatch (§A2 "Specific messages"). */
export const CSRF_ERROR_MESSAGE = 'Login Failed: Unable to find a valid CSRF token. Please try again.';

/** OAuthCallback with `?error=x` (oauthproxy.go:900). The page shows it as a format string, see errorPage. */
export function idpErrorMessage(error: string): string {
  return `Login Failed: The upstream identity provider returned an error: ${error}`;
}

/** net/http `StatusText`, for the error page's title and heading; unknown codes give '' as in Go. */
const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  414: 'Request URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  417: 'Expectation Failed',
  418: "I'm a teapot",
  421: 'Misdirected Request',
  422: 'Unprocessable Entity',
  423: 'Locked',
  424: 'Failed Dependency',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  506: 'Variant Also Negotiates',
  507: 'Insufficient Storage',
  508: 'Loop Detected',
  510: 'Not Extended',
  511: 'Network Authentication Required',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
};

export function goStatusText(status: number): string {
  return STATUS_TEXT[status] ?? '';
}

// ---------------------------------------------------------------------------------------------------------------
// Escaping. oauth2-proxy renders with html/template, which escapes by context; net/http has its own, smaller set.

/** html/template `htmlReplacementTable`: text nodes, `<title>` and quoted attribute values. */
const TEMPLATE_ESCAPES: Readonly<Record<string, string>> = {
  '\0': '\uFFFD',
  '"': '&#34;',
  '&': '&amp;',
  "'": '&#39;',
  '+': '&#43;',
  '<': '&lt;',
  '>': '&gt;',
};

/** Go html/template escaping of a plain string in text or a quoted attribute (`+` and NUL included, as in Go). */
export function htmlEscape(s: string): string {
  return s.replace(/[\0"&'+<>]/g, (c) => TEMPLATE_ESCAPES[c]!);
}

/** net/http `htmlEscape` (`htmlReplacer`): only & < > " ', used by http.Redirect's body. */
function httpHtmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '"' ? '&#34;' : c === "'" ? '&#39;' : TEMPLATE_ESCAPES[c]!));
}

/** html/template `isSafeURL`: a scheme other than http, https or mailto is defanged to `#ZgotmplZ`. */
function urlFilter(s: string): string {
  const colon = s.indexOf(':');
  if (colon < 0) return s;
  const scheme = s.slice(0, colon);
  if (scheme.includes('/') || /^(?:https?|mailto)$/i.test(scheme)) return s;
  return '#ZgotmplZ';
}

/** html/template `urlNormalizer`: percent-encode (lower-case hex) every byte that is not legal in a URL. */
function urlNormalize(s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  const isHex = (b: number | undefined) => b !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(b));
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const c = String.fromCharCode(b);
    const keep =
      /[A-Za-z0-9\-._~!#$&*+,/:;=?@[\]]/.test(c) ||
      // Go keeps a valid escape while normalizing (its bound is `i+2 < len(s)`, one byte stricter than needed).
      (c === '%' && i + 2 < bytes.length && isHex(bytes[i + 1]) && isHex(bytes[i + 2]));
    out += keep ? c : `%${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** A value at the start of a URL attribute (`action="{{.X}}"`): filter, normalise, then attribute-escape. */
function urlAttr(s: string): string {
  return htmlEscape(urlNormalize(urlFilter(s)));
}

/**
 * The body Go's `http.Redirect` writes for a GET: `<a href="URL">Found</a>.` and two newlines (the body ends in
 * `\n` and is written with Fprintln). Callers send it only for GET (§A2 "302 bodies").
 */
export function goRedirectBody(url: string, status = 302): string {
  return `<a href="${httpHtmlEscape(url)}">${goStatusText(status)}</a>.\n\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// Shared page parts.

/**
 * The footer: `''`/undefined gives the default "Secured with … OAuth2 Proxy version vX", `-` none, anything
 * else is inserted as raw HTML (it is `template.HTML` in Go: an operator-set option).
 */
function footerHtml(footer: string | undefined): string {
  if (footer === '-') return '';
  const inner =
    footer === undefined || footer === ''
      ? 'Secured with <a href="https://github.com/oauth2-proxy/oauth2-proxy#oauth2_proxy">OAuth2 Proxy</a> ' +
        `version ${OAUTH2_PROXY_VERSION}`
      : footer;
  return `<footer class="page-footer"><p>${inner}</p></footer>`;
}

const PAGE_STYLE = `<style>
body { font-family: system-ui, sans-serif; background: #f5f5f5; color: #363636; margin: 0; }
main { max-width: 36rem; margin: 2rem auto; background: #fff; border-radius: 6px; padding: 1.5rem; text-align: center; }
button { font: inherit; padding: .5rem 1rem; border: 0; border-radius: 4px; cursor: pointer; }
.primary { background: #00d1b2; color: #fff; } .danger { background: #f14668; color: #fff; }
.status-code { font-size: 8rem; font-weight: 600; line-height: 1; }
.more-info { text-align: left; border: 1px solid #eee; margin-top: 1rem; padding: .5rem 1rem; }
.actions { display: flex; gap: 1rem; justify-content: center; margin-top: 1rem; }
.page-footer { text-align: center; font-size: .75rem; color: #7a7a7a; } .page-footer a { color: inherit; }
</style>`;

function page(title: string, body: string, footer: string | undefined): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${PAGE_STYLE}
</head>
<body>
${body}
${footerHtml(footer)}
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------------------------
// Sign-in page.

/**
 * `buildSignInMessage` (oauthproxy.go): one non-`*` domain gives `Authenticate using <d>`; several give the list,
 * `*` included, as Go does; a lone `*` or none gives nothing. It is inserted unescaped (`template.HTML`).
 */
export function signInMessage(emailDomains: readonly string[]): string {
  if (emailDomains.length > 1) {
    return `Authenticate using one of the following domains: ${emailDomains.join(', ')}`;
  }
  const [only] = emailDomains;
  return only !== undefined && only !== '*' ? `Authenticate using ${only}` : '';
}

/** The browser keeps `#fragment` to itself; the page appends it to `rd` once, as sign_in.html's script does. */
const KEEP_FRAGMENT_SCRIPT = `<script>
(function () {
  var hash = window.location.hash;
  if (!hash) return;
  var fields = document.getElementsByName('rd');
  for (var i = 0; i < fields.length; i++) {
    var v = fields[i].value, at = v.indexOf('#');
    fields[i].value = (at >= 0 ? v.slice(0, at) : v) + hash;
  }
})();
</script>`;

export interface SignInPageOptions {
  proxyPrefix: string;
  /** The app redirect (`rd`) carried through the login. */
  redirect: string;
  /** `--provider-display-name`, `OpenID Connect` for oidc. */
  providerName: string;
  emailDomains: string[];
  /** `--footer`: '' default, '-' none, else raw HTML. */
  footer?: string;
}

/** sign_in.html: title `Sign In`, a GET form to `<prefix>/start` with hidden `rd`, `Sign in with <provider>`. */
export function signInPage(o: SignInPageOptions): string {
  const message = signInMessage(o.emailDomains);
  const body = `<main class="sign-in">
<form method="GET" action="${urlAttr(o.proxyPrefix)}/start">
<input type="hidden" name="rd" value="${htmlEscape(o.redirect)}">
${message === '' ? '' : `<p class="sign-in-message">${message}</p>\n`}<button type="submit" class="primary">Sign in with ${htmlEscape(o.providerName)}</button>
</form>
</main>
${KEEP_FRAGMENT_SCRIPT}`;
  return page('Sign In', body, o.footer);
}

// ---------------------------------------------------------------------------------------------------------------
// Error page.

export interface ErrorPageOptions {
  status: number;
  /** Go's `messages[0]`: shown outside debug mode, read as a format string with no arguments. */
  message?: string;
  requestId: string;
  proxyPrefix: string;
  /** The app redirect for "Go back" and "Sign in"; '' hides both buttons (ProxyErrorHandler passes ''). */
  redirect: string;
  /** Go's `appError`: the only text shown with `--show-debug-on-error`. */
  debugMessage?: string;
  showDebug?: boolean;
  footer?: string;
}

/**
 * error_page.go `getMessage`: in debug mode the app error wins, even when it is empty; otherwise the caller's
 * message (through `fmt.Sprintf(message)`, so a `%` in it prints as Go would), else the status's default.
 */
export function errorPageMessage(
  o: Pick<ErrorPageOptions, 'status' | 'message' | 'debugMessage' | 'showDebug'>,
): string {
  if (o.showDebug) return o.debugMessage ?? '';
  if (o.message !== undefined) return goSprintfNoArgs(o.message);
  return DEFAULT_ERROR_MESSAGES[o.status] ?? UNKNOWN_ERROR_MESSAGE;
}

/** error.html: `<code> <StatusText>` title, big code, heading, More Info card, Go back / Sign in buttons. */
export function errorPage(o: ErrorPageOptions): string {
  const title = htmlEscape(goStatusText(o.status));
  const message = errorPageMessage(o);
  const details = [
    message === '' ? '' : `<div class="message">${htmlEscape(message)}</div>`,
    o.requestId === '' ? '' : `<div class="request-id">Request ID: ${htmlEscape(o.requestId)}</div>`,
  ].filter((part) => part !== '');
  // The card is rendered only when there is something to put in it (`{{ if or .Message .RequestID }}`).
  const moreInfo =
    details.length === 0
      ? ''
      : `<details class="more-info">\n<summary>More Info</summary>\n${details.join('\n')}\n</details>\n`;
  const actions =
    o.redirect === ''
      ? ''
      : `<hr>
<div class="actions">
<form method="GET" action="${urlAttr(o.redirect)}">
<button type="submit" class="danger">Go back</button>
</form>
<form method="GET" action="${urlAttr(o.proxyPrefix)}/sign_in">
<input type="hidden" name="rd" value="${htmlEscape(o.redirect)}">
<button type="submit" class="primary">Sign in</button>
</form>
</div>
`;
  const body = `<main class="error">
<div class="status-code">${o.status}</div>
<h1 class="subtitle">${title}</h1>
${moreInfo}${actions}</main>`;
  return page(`${o.status} ${title}`, body, o.footer);
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Go's `fmt.Sprintf(format)` with no arguments, which is what error_page.go does with the message: `%%` gives
 * `%`, any other verb `%!v(MISSING)`, `*` width or precision `%!(BADWIDTH)`/`%!(BADPREC)`, an `[n]` index
 * `%!v(BADINDEX)`, and a trailing `%` `%!(NOVERB)` (fmt/print.go `doPrintf`).
 */
export function goSprintfNoArgs(format: string): string {
  const chars = [...format];
  let out = '';
  let i = 0;
  const skipDigits = () => {
    while (i < chars.length && /[0-9]/.test(chars[i]!)) i++;
  };
  // `argNumber`: an `[n]` index can never be good without arguments; `ok` says whether it parsed.
  const argIndex = (): { seen: boolean; ok: boolean } => {
    if (chars[i] !== '[') return { seen: false, ok: false };
    const close = chars.indexOf(']', i + 1);
    if (chars.length - i < 3 || close < 0) {
      i += 1;
      return { seen: true, ok: false };
    }
    const ok = /^[0-9]+$/.test(chars.slice(i + 1, close).join(''));
    i = close + 1;
    return { seen: true, ok };
  };
  while (i < chars.length) {
    if (chars[i] !== '%') {
      out += chars[i++];
      continue;
    }
    i++;
    while (i < chars.length && '#0+- '.includes(chars[i]!)) i++;
    let index = argIndex();
    let badIndex = index.seen;
    let afterIndex = index.ok;
    if (chars[i] === '*') {
      i++;
      out += '%!(BADWIDTH)';
      afterIndex = false;
    } else skipDigits();
    if (i + 1 < chars.length && chars[i] === '.') {
      i++;
      index = argIndex();
      badIndex ||= index.seen;
      afterIndex = index.ok;
      if (chars[i] === '*') {
        i++;
        out += '%!(BADPREC)';
        afterIndex = false;
      } else skipDigits();
    }
    if (!afterIndex) badIndex = argIndex().seen || badIndex;
    if (i >= chars.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = chars[i++]!;
    if (verb === '%') out += '%';
    else out += `%!${verb}(${badIndex ? 'BADINDEX' : 'MISSING'})`;
  }
  return out;
}
