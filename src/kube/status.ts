// kube-apiserver's error bodies (`meta/v1` Status), word for word, and the decode errors it reports for
// request bodies. Texts follow kubernetes/kubernetes: apimachinery/pkg/api/errors/errors.go (NewUnauthorized,
// NewForbidden, NewNotFound, NewBadRequest, NewInvalid, NewMethodNotSupported), apiserver/pkg/endpoints/handlers/
// rest.go (transformDecodeError, summarizeData), apiserver/pkg/endpoints/handlers/responsewriters/errors.go
// (forbiddenMessage) and Go's encoding/json scanner for syntax errors.

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** `StatusDetails`, keys in kube's field order (name, group, kind, causes). */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: Array<{ reason: string; message: string; field: string }>;
}

export interface KubeError {
  code: number;
  body: StatusBody;
}

function status(code: number, reason: string, message: string, details?: StatusDetails): KubeError {
  return {
    code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details && { details }),
      code,
    },
  };
}

/** The 401 of an unauthenticated request (authentication filter; no details). */
export const unauthorized = (): KubeError => status(401, 'Unauthorized', 'Unauthorized');

/** The 404 of a path no API serves (an absent CRD's group included, as observed for mlflowconfigs). */
export const pathNotFound = (): KubeError =>
  status(404, 'NotFound', 'the server could not find the requested resource', {});

export const methodNotAllowed = (): KubeError =>
  status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

/** `NewNotFound(qualifiedResource, name)`: `namespaces "x" not found`. */
export function notFound(resource: { group: string; resource: string }, name: string): KubeError {
  const qualified = resource.group ? `${resource.resource}.${resource.group}` : resource.resource;
  return status(404, 'NotFound', `${qualified} "${name}" not found`, {
    name,
    ...(resource.group && { group: resource.group }),
    kind: resource.resource,
  });
}

export const badRequest = (message: string): KubeError => status(400, 'BadRequest', message);

export const unsupportedMediaType = (): KubeError =>
  status(
    415,
    'UnsupportedMediaType',
    'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
  );

/** What a forbidden request asked for, as `authorizer.Attributes` has it. */
export interface RequestAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** `responsewriters.Forbidden`: the RBAC reason (when there is one) is appended after a colon. */
export function forbidden(username: string, a: RequestAttributes, reason = ''): KubeError {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  let message = `User "${username}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`;
  if (reason) message += `: ${reason}`;
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  const head = a.name ? `${qualified} "${a.name}" is forbidden` : `${qualified} is forbidden`;
  return status(403, 'Forbidden', `${head}: ${message}`, {
    ...(a.name && { name: a.name }),
    ...(a.group && { group: a.group }),
    kind: a.resource,
  });
}

/** One `field.Error` of type Invalid: `<field>: Invalid value: <value>: <detail>`. */
export interface FieldInvalid {
  field: string;
  /** Already rendered the way field.Error.ErrorBody prints it (`"null"`, `""`). */
  value: string;
  detail: string;
}

/**
 * `NewInvalid(authorizationapi.Kind(obj.Kind), "", errs)`. The registry passes the *internal* object's Kind, which
 * is empty after decoding, so the real message starts with `.authorization.k8s.io "" is invalid`.
 */
export function invalid(group: string, errors: FieldInvalid[]): KubeError {
  const bodies = errors.map((e) => `Invalid value: ${e.value}: ${e.detail}`);
  const lines = errors.map((e, i) => `${e.field}: ${bodies[i]}`);
  const aggregate = lines.length === 1 ? lines[0]! : `[${lines.join(', ')}]`;
  return status(422, 'Invalid', `.${group} "" is invalid: ${aggregate}`, {
    group,
    causes: errors.map((e, i) => ({ reason: 'FieldValueInvalid', message: bodies[i]!, field: e.field })),
  });
}

/** `summarizeData(body, 30)`: objects verbatim, anything else in hex, cut at 30 bytes. */
export function summarizeData(data: Buffer, maxLength = 30): string {
  if (data.length === 0) return '<empty>';
  const cut = data.length > maxLength;
  const head = data.subarray(0, maxLength);
  const text = data[0] === 0x7b ? head.toString('utf8') : head.toString('hex');
  return cut ? `${text} ...` : text;
}

/** Go's `quoteChar`: the offending byte as the scanner prints it. */
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = {
    7: '\\a',
    8: '\\b',
    9: '\\t',
    10: '\\n',
    11: '\\v',
    12: '\\f',
    13: '\\r',
  };
  if (named[c]) return `'${named[c]}'`;
  if (c === 0x5c) return `'\\\\'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}

class GoSyntaxError extends Error {}

/** encoding/json's `maxNestingDepth`: the 10,001st open bracket is a syntax error. */
const MAX_NESTING_DEPTH = 10_000;

/**
 * The error Go's `json.Unmarshal` gives for input that is not valid JSON (its scanner's wording), or undefined
 * for valid JSON. kube's decoder runs this before anything else, so a malformed body's 400 carries this text.
 */
export function goJsonSyntaxError(data: Buffer): string | undefined {
  let i = 0;
  const eof = () => new GoSyntaxError('unexpected end of JSON input');
  const bad = (context: string) => new GoSyntaxError(`invalid character ${quoteChar(data[i]!)} ${context}`);
  const ws = () => {
    while (i < data.length && (data[i] === 0x20 || data[i] === 0x09 || data[i] === 0x0a || data[i] === 0x0d))
      i++;
  };
  const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
  const literal = (word: string) => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (i >= data.length) throw eof();
      if (data[i] !== word.charCodeAt(k)) throw bad(`in literal ${word} (expecting '${word[k]}')`);
    }
    i++;
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= data.length) throw eof();
      const c = data[i]!;
      if (c === 0x22) return void i++;
      if (c < 0x20) throw bad('in string literal');
      if (c === 0x5c) {
        i++;
        if (i >= data.length) throw eof();
        const e = data[i]!;
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= data.length) throw eof();
            if (!/[0-9a-fA-F]/.test(String.fromCharCode(data[i]!)))
              throw bad('in \\u hexadecimal character escape');
          }
        } else if (!'"\\/bfnrt'.includes(String.fromCharCode(e))) throw bad('in string escape code');
      }
      i++;
    }
  };
  const number = () => {
    if (data[i] === 0x2d) {
      i++;
      if (i >= data.length) throw eof();
      if (!isDigit(data[i])) throw bad('in numeric literal');
    }
    if (data[i] === 0x30) i++;
    else while (isDigit(data[i])) i++;
    if (data[i] === 0x2e) {
      i++;
      if (i >= data.length) throw eof();
      if (!isDigit(data[i])) throw bad('after decimal point in numeric literal');
      while (isDigit(data[i])) i++;
    }
    if (data[i] === 0x65 || data[i] === 0x45) {
      i++;
      if (data[i] === 0x2b || data[i] === 0x2d) i++;
      if (i >= data.length) throw eof();
      if (!isDigit(data[i])) throw bad('in exponent of numeric literal');
      while (isDigit(data[i])) i++;
    }
  };
  const objectKey = () => {
    ws();
    if (i >= data.length) throw eof();
    if (data[i] !== 0x22) throw bad('looking for beginning of object key string');
    string();
    ws();
    if (i >= data.length) throw eof();
    if (data[i] !== 0x3a) throw bad('after object key');
    i++;
  };
  // One value, its containers kept on a stack as Go's scanner keeps them, with the same depth limit: a recursive
  // descent overflowed the JS stack on a body of 20,000 nested brackets (a 500 where kube answers 400).
  const value = (): void => {
    const open: number[] = [];
    for (;;) {
      ws();
      if (i >= data.length) throw eof();
      const c = data[i]!;
      if (c === 0x7b || c === 0x5b) {
        if (open.length >= MAX_NESTING_DEPTH) throw bad('exceeded max depth');
        open.push(c);
        i++;
        ws();
        if (i >= data.length) throw eof();
        if (data[i] !== (c === 0x7b ? 0x7d : 0x5d)) {
          if (c === 0x7b) objectKey();
          continue;
        }
        i++;
        open.pop();
      } else if (c === 0x22) string();
      else if (c === 0x2d || isDigit(c)) number();
      else if (c === 0x74) literal('true');
      else if (c === 0x66) literal('false');
      else if (c === 0x6e) literal('null');
      else throw bad('looking for beginning of value');
      // The value ended: close the containers whose ends follow, then go on to the next member or element.
      for (;;) {
        if (open.length === 0) return;
        ws();
        if (i >= data.length) throw eof();
        const inObject = open[open.length - 1] === 0x7b;
        if (data[i] === (inObject ? 0x7d : 0x5d)) {
          i++;
          open.pop();
          continue;
        }
        if (data[i] !== 0x2c) throw bad(inObject ? 'after object key:value pair' : 'after array element');
        i++;
        if (inObject) objectKey();
        break;
      }
    }
  };
  try {
    value();
    ws();
    if (i < data.length) throw bad('after top-level value');
    return undefined;
  } catch (error) {
    if (error instanceof GoSyntaxError) return error.message;
    throw error;
  }
}

/** Go's name for a JSON value's type in `cannot unmarshal <type> into …`. */
export function goJsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'boolean' ? 'bool' : typeof v === 'object' ? 'object' : typeof v;
}
