import path from 'node:path';
import { MlflowError, invalidParameter } from '../errors.js';
import { pyRepr } from '../search/python.js';
import { normpath } from '../python-values.js';

/** The checks of `mlflow/utils/validation.py` and the registry handlers, with their exact messages. */

const MAX_TAG_KEY = 250;
const MAX_TAG_VALUE = 5000;
const MAX_ALIAS = 255;

/** Python's `json.dumps` of a string (ASCII only), as `invalid_value` quotes it. */
const pyJsonString = (value: string) =>
  JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

const invalidValue = (name: string, value: string, message: string) =>
  invalidParameter(`Invalid value ${pyJsonString(value)} for parameter '${name}' supplied: ${message}`);

/** `_validate_tag_name`: tag keys are the names of params and metrics. */
export function validateTagKey(key: string): void {
  if (!/^[/\p{L}\p{N}_.\- :]*$/u.test(key)) {
    throw invalidValue(
      'key',
      key,
      'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).',
    );
  }
  const norm = normpath(key);
  if (norm !== key || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    throw invalidValue(
      'key',
      key,
      `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to ${pyRepr(norm)}`,
    );
  }
}

const checkLength = (what: string, limit: number, value: string) => {
  if (value.length > limit)
    throw invalidParameter(`'${what}' exceeds the maximum length of ${limit} characters`);
};

/** `_validate_registered_model_tag` (and `_validate_model_version_tag`, whose extra checks REST cannot trip). */
export function validateRegistryTag(key: string, value: string): void {
  validateTagKey(key);
  checkLength('key', MAX_TAG_KEY, key);
  checkLength('value', MAX_TAG_VALUE, value);
}

/** `_validate_model_alias_name`. */
export function validateAlias(alias: string): void {
  if (!/^[\p{L}\p{N}_-]*$/u.test(alias)) {
    throw invalidParameter(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  }
  checkLength('Registered model alias name', MAX_ALIAS, alias);
  if (alias.toLowerCase() === 'latest') {
    throw invalidParameter("'latest' alias name (case insensitive) is reserved.");
  }
  if (/^[vV]\d+$/.test(alias)) throw invalidParameter(`Version alias name '${alias}' is reserved.`);
}

/** `urllib.parse.urlparse(uri).scheme`, lower-cased as Python does, or "" for a bare path. */
export function uriScheme(uri: string): string {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri);
  return match ? match[1]!.toLowerCase() : '';
}

/** `is_local_uri`: a bare path, or a `file:` URI on this host. */
const isLocalUri = (uri: string) => {
  const scheme = uriScheme(uri);
  return scheme === '' || scheme === 'file';
};

/** A local source resolved as `pathlib.Path(local_file_uri_to_path(source)).resolve()` would. */
const resolveLocal = (source: string) =>
  path.posix.resolve(process.cwd(), source.replace(/^file:(\/\/[^/]*)?/i, '') || '.');

/**
 * The source checks of `_create_model_version`: a local path is refused (the emulator's runs keep their
 * artifacts behind `mlflow-artifacts:`, never locally), and a remote URI may hold no relative path parts.
 */
export function validateSource(source: string, ids: { runId: string; modelId: string }): void {
  if (isLocalUri(source)) {
    const [idName, id] = ids.modelId ? ['model_id', ids.modelId] : ['run_id', ids.runId];
    const shown = id ? resolveLocal(source) : source;
    const owner = ids.modelId ? 'the run specified by the model_id' : 'the run specified by the run_id';
    throw invalidParameter(
      `Invalid model version source: '${shown}'. To use a local path as a model version source, the ${idName} request parameter has to be specified and the local path has to be contained within the artifact directory of ${owner}.`,
    );
  }
  const invalid = invalidParameter(
    `Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.`,
  );
  let unquoted = source;
  for (let next = unquotePlus(unquoted); next !== unquoted; next = unquotePlus(unquoted)) unquoted = next;
  const sourcePath = urlPath(unquoted).replace(/\/+$/, '').replace(/\/+/g, '/');
  if (sourcePath.includes('\0') || unquoted.split('/').some((part) => part === '..')) throw invalid;
  // pathlib's resolve() makes a relative path absolute and drops "." parts: either changes the text.
  if (path.posix.resolve(process.cwd(), sourcePath) !== sourcePath) throw invalid;
}

/** `urllib.parse.unquote_plus`. */
function unquotePlus(s: string): string {
  return s.replaceAll('+', ' ').replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return Buffer.from(run.replaceAll('%', ''), 'hex').toString('utf8');
    }
  });
}

/**
 * The path part of `urllib.parse.urlparse(uri)`: after the scheme and the `//netloc`, before the query and
 * (unless `allow_fragments=False`) the fragment.
 */
function urlPath(uri: string, fragments = true): string {
  const ends = fragments ? /[?#]/ : /\?/;
  let rest = uri.slice(uriScheme(uri) ? uri.indexOf(':') + 1 : 0);
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(fragments ? /[/?#]/ : /[/?]/);
    rest = end === -1 ? '' : rest.slice(2 + end);
  }
  return rest.split(ends, 1)[0]!;
}

/** `_improper_model_uri_msg`. */
const improperModelUri = (uri: string) =>
  new MlflowError(
    'INTERNAL_ERROR',
    `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/model_name/suffix' or 'models:/model_name@alias' where suffix is a model version, stage, or the string 'latest' and where alias is a registered model alias. Only one of suffix or alias can be defined at a time.`,
  );

/**
 * `_parse_model_uri` for a `models:/` source, reduced to what `create_model_version` does with it: the name
 * and version of `models:/name/N`, or, for the other forms (stage, `latest`, alias, logged-model id), the
 * error the store wraps when it then fails to resolve them.
 */
export function parseModelsUri(uri: string): { name: string; version: string } | { unresolvable: string } {
  const p = urlPath(uri, false);
  if (!p.startsWith('/') || p.length <= 1) throw improperModelUri(uri);
  const parts = p.replace(/^\/+/, '').split('/');
  if (parts.length > 2 || parts[0]!.trim() === '') throw improperModelUri(uri);
  if (parts.length === 2) {
    const [name, suffix] = parts as [string, string];
    if (suffix.trim() === '') throw improperModelUri(uri);
    if (/^\d+$/.test(suffix)) return { name, version: suffix };
    // A stage or `latest`: the store asks for the download URI of version None.
    return {
      unresolvable: "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'",
    };
  }
  if (p.includes('@')) {
    const at = parts[0]!.lastIndexOf('@');
    if (at === -1 || parts[0]!.slice(at + 1).trim() === '') throw improperModelUri(uri);
    return {
      unresolvable: "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'",
    };
  }
  // models:/<model_id>: the emulator keeps no logged models.
  return { unresolvable: `Logged model with ID '${parts[0]!}' not found.` };
}

/** The store's wrapper around a `models:/` source it could not resolve. */
export const unresolvableModelSource = (source: string, error: string) =>
  new MlflowError(
    'INTERNAL_ERROR',
    `Unable to fetch model from model URI source artifact location '${source}'.Error: ${error}`,
  );
