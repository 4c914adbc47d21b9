import { invalidParameter } from '../errors.js';
import { HtmlError } from '../http.js';
import { normpath } from '../python-values.js';
import { DEFAULT_WORKSPACE } from '../tracking-store.js';

export { normpath, pyRepr } from '../python-values.js';

/**
 * MLflow's artifact path rules (mlflow/utils/uri.py `validate_path_is_safe`, mlflow/server/handlers.py
 * `_get_workspace_scoped_repo_path_if_enabled`) and the Python `posixpath` functions they rely on, so that
 * every path the emulator accepts, rejects or rewrites is the one the real server would.
 */

const invalidPath = () => invalidParameter('Invalid path');

/**
 * `validate_path_is_safe`: decode percent-escapes until stable, escape control characters (a NUL byte becomes
 * the three characters `%00`), then refuse `#`, `..` segments and absolute POSIX or Windows paths with 400
 * "Invalid path". Returns the decoded path, which is the one MLflow goes on with.
 */
export function validatePathIsSafe(raw: string): string {
  let path = escapeControlCharacters(decodeUntilStable(raw));
  if (path.includes('#')) throw invalidPath();
  if (path.startsWith('file:')) path = fileUriToPath(path);
  if (path.split('/').includes('..') || path.startsWith('/') || isWindowsAbsolute(path)) throw invalidPath();
  // Only a `file:` URI can bring a NUL back (`%00`); Python's open() refuses it with a ValueError, Flask's 500.
  if (path.includes('\0')) throw new HtmlError(500);
  return path;
}

/**
 * With workspaces on, every proxied artifact path lives under `workspaces/<workspace>/`: a path naming another
 * workspace is refused, a relative one is moved under the request's workspace. The `default` workspace keeps
 * the legacy layout (paths outside `workspaces/` stay as they are, and no path means the root). Whatever a path
 * holds (a run's root from its stored artifact URI may hold `..`, a `.` segment hides a `workspaces/` prefix), it
 * must resolve inside that workspace's part of the store (for `default`: outside every other workspace's), or it
 * is an invalid path.
 */
export function workspaceScopedPath(path: string | undefined, workspace: string): string | undefined {
  const normalized = path?.replace(/^\/+/, '') ?? '';
  const base = `workspaces/${workspace}`;
  if (normalized === '') return workspace === DEFAULT_WORKSPACE ? path : base;
  if (workspace === DEFAULT_WORKSPACE && !normalized.startsWith('workspaces/')) {
    // What the path resolves to, not how it is spelt: `./workspaces/team-a/…` and `x/../workspaces` reach the
    // other workspaces' part of the store as surely as `..` leaves it. (MLflow itself returns such a path as it
    // is; the lab refuses it, which only a path that leaves the legacy layout notices.)
    const resolved = normpath(normalized);
    const first = resolved.split('/')[0];
    if (first === '..' || (first === 'workspaces' && resolved !== base && !resolved.startsWith(`${base}/`)))
      throw invalidPath();
    return path;
  }
  const [first, requested] = normalized.split('/', 2);
  if (first === 'workspaces') {
    if (!requested) {
      throw invalidParameter("Artifact paths prefixed with 'workspaces/' must include a workspace name.");
    }
    if (requested !== workspace) {
      throw invalidParameter(
        `Artifact path targets workspace '${requested}' but the workspace specified in the request is '${workspace}'.`,
      );
    }
    return confined(normalized, base);
  }
  return confined(`${base}/${normalized}`, base);
}

/** The path, if it resolves inside `base`. */
function confined(path: string, base: string): string {
  const resolved = normpath(path);
  if (resolved !== base && !resolved.startsWith(`${base}/`)) throw invalidPath();
  return path;
}

/** `urllib.parse.unquote`: runs of `%XX` decode as UTF-8 (bad sequences become U+FFFD); a stray `%` stays. */
export function unquote(text: string): string {
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) =>
    Buffer.from(run.replaceAll('%', ''), 'hex').toString(),
  );
}

/**
 * MLflow's `_decode`: `urlunparse(urlparse(unquote(url)))` until nothing changes, at most ten rounds (more is a
 * ValueError, Flask's 500).
 */
function decodeUntilStable(text: string): string {
  for (let round = 0; round < 10; round++) {
    const decoded = urlRoundTrip(unquote(text));
    if (decoded === text) return text;
    text = decoded;
  }
  throw new HtmlError(500);
}

/**
 * What `urlunparse(urlparse(url))` changes in a path: leading controls and spaces go, tabs and newlines go,
 * the scheme is lower-cased, and an empty query (`?`), fragment (`#`) or last-segment parameter (`;`) is dropped.
 */
function urlRoundTrip(url: string): string {
  // eslint-disable-next-line no-control-regex
  const rest = url.replace(/^[\x00-\x20]+/, '').replace(/[\t\r\n]/g, '');
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(rest)?.[0] ?? '';
  const [beforeHash = '', ...fragment] = rest.slice(scheme.length).split('#');
  const [beforeQuery = '', ...query] = beforeHash.split('?');
  const params = beforeQuery.indexOf(';', beforeQuery.lastIndexOf('/'));
  const path = !scheme && params === beforeQuery.length - 1 ? beforeQuery.slice(0, -1) : beforeQuery;
  const suffix = (mark: string, parts: string[]) => (parts.join(mark) ? mark + parts.join(mark) : '');
  return scheme.toLowerCase() + path + suffix('?', query) + suffix('#', fragment);
}

const escapeControlCharacters = (text: string) =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[\x00-\x1f\x7f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** `local_file_uri_to_path`: the path part of a `file:` URI, percent-decoded. */
function fileUriToPath(uri: string): string {
  let rest = uri.slice('file:'.length);
  if (rest.startsWith('//')) rest = rest.replace(/^\/\/[^/?]*/, '');
  return unquote(rest.replace(/\?.*$/s, ''));
}

/** `PureWindowsPath(p).is_absolute()`: a drive with a root (`C:\`, `C:/`) or a UNC share (`\\host\share`). */
const isWindowsAbsolute = (p: string) => /^[A-Za-z]:[\\/]/.test(p) || /^[\\/]{2}[^\\/]+[\\/][^\\/]/.test(p);

// --- posixpath -------------------------------------------------------------------------------------------------

/** `posixpath.join(a, b)`. */
export const joinPath = (a: string, b: string) =>
  b.startsWith('/') ? b : a === '' || a.endsWith('/') ? a + b : `${a}/${b}`;

/** `posixpath.split`: `[head, tail]`, the head without its trailing slashes. */
export function splitPath(p: string): [string, string] {
  const i = p.lastIndexOf('/') + 1;
  const head = p.slice(0, i);
  return [/^\/+$/.test(head) ? head : head.replace(/\/+$/, ''), p.slice(i)];
}

/** `posixpath.basename`. */
export const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** `posixpath.splitext`: leading dots of a name are not an extension. */
export function splitExt(p: string): [string, string] {
  const dot = p.lastIndexOf('.');
  const nameStart = p.lastIndexOf('/') + 1;
  if (dot > nameStart && p.slice(nameStart, dot).replaceAll('.', '') !== '')
    return [p.slice(0, dot), p.slice(dot)];
  return [p, ''];
}
