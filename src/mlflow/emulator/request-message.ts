import { MlflowError, invalidParameter } from './errors.js';
import { HtmlError, readJsonBody, type ApiRequest } from './http.js';
import { PY_INT, pyFloat, pyInt, pyJson, pyTypeName } from './python-values.js';

export { pyFloat, pyInt } from './python-values.js';

/**
 * MLflow's `_get_request_message`: the request JSON is parsed into the endpoint's protobuf message by
 * `ParseDict`, which is not transactional. It sets fields one by one in the JSON's key order and, at the first
 * field it cannot convert, stops: every later field keeps its default (0, "", unset). MLflow swallows that
 * `ParseError`, then checks the raw JSON against the endpoint's schema, and type checks only run when parsing
 * failed. This is why a bare `NaN` metric value is stored as value 0.0, timestamp 0 (golden README
 * "Serialisation" 5), and why a number sent for a string field is refused (README "Validation quirks" 9).
 */

// --- protobuf field descriptors ------------------------------------------------------------------------------

export type FieldKind =
  | 'string'
  | 'int64'
  | 'double'
  | 'bool'
  | { enum: Readonly<Record<string, number>> }
  | { message: ProtoFields };

export interface FieldSpec {
  kind: FieldKind;
  repeated?: boolean;
}

/** The fields of one request message, in the order the .proto declares them. */
export type ProtoFields = Readonly<Record<string, FieldSpec>>;

export const pb = {
  string: { kind: 'string' },
  int64: { kind: 'int64' },
  double: { kind: 'double' },
  bool: { kind: 'bool' },
  enumOf: (values: Record<string, number>): FieldSpec => ({ kind: { enum: values } }),
  messageOf: (fields: ProtoFields): FieldSpec => ({ kind: { message: fields } }),
  repeated: (spec: FieldSpec): FieldSpec => ({ ...spec, repeated: true }),
} as const satisfies Record<string, FieldSpec | ((...args: never[]) => FieldSpec)>;

// --- the schema checks of mlflow/server/handlers.py ----------------------------------------------------------

/** One `_assert_*`: true when the value passes, false for the generic message, or MLflow's own message. */
export interface Check {
  role: 'required' | 'type' | 'other';
  test(value: unknown): boolean | string;
}

/** Python raises TypeError on these (e.g. `int(None)`); MLflow does not catch it: Werkzeug's 500 page. */
const typeError = (): never => {
  throw new HtmlError(500);
};

export const assert = {
  /** `_assert_required`: present, not None and not "". */
  required: { role: 'required', test: (v) => v !== undefined && v !== null && v !== '' },
  string: { role: 'type', test: (v) => typeof v === 'string' },
  /** `int(x)` then isinstance int: ints, integral strings, and floats (int() truncates them) pass. */
  intlike: {
    role: 'type',
    test: (v) => {
      if (typeof v === 'number' || typeof v === 'boolean') return Number.isFinite(Number(v));
      if (typeof v === 'string') return PY_INT.test(v);
      return typeError();
    },
  },
  /** `float(x)` then isinstance float. */
  floatlike: {
    role: 'type',
    test: (v) => {
      if (typeof v === 'number' || typeof v === 'boolean') return true;
      if (typeof v === 'string') return pyFloat(v) !== undefined;
      return typeError();
    },
  },
  bool: { role: 'type', test: (v) => typeof v === 'boolean' },
  array: { role: 'type', test: (v) => Array.isArray(v) },
  itemTypeString: {
    role: 'type',
    test: (v) => {
      if (typeof v === 'string') return true;
      if (!Array.isArray(v)) return typeError();
      return v.every((item) => typeof item === 'string');
    },
  },
  /** A check with MLflow's own message (`AssertionError(message)`), or the generic one when it has none. */
  that: (test: (v: unknown) => boolean | string): Check => ({ role: 'other', test }),
} as const satisfies Record<string, Check | ((...args: never[]) => Check)>;

/** The schema of one endpoint: parameter → checks, in MLflow's order. */
export type Schema = Readonly<Record<string, readonly Check[]>>;

const API_DOCS = ' See the API docs for more information about request parameters.';

/** `invalid_value` of mlflow/utils/validation.py. */
export const invalidValueMessage = (path: string, value: unknown, detail?: string) =>
  `Invalid value ${pyJson(value)} for parameter '${path}' supplied${detail ? `: ${detail}` : '.'}`;

export const missingValueMessage = (path: string) => `Missing value for required parameter '${path}'.`;

function validateSchema(json: unknown, schema: Schema, parseFailed: boolean): void {
  for (const [param, checks] of Object.entries(schema)) {
    const present = Array.isArray(json) ? json.includes(param) : isDict(json) && param in json;
    if (!present && !checks.some((c) => c.role === 'required')) continue;
    // `request_json.get(...)` on a JSON array body is an AttributeError: Werkzeug's 500 page (README 2).
    if (!isDict(json)) throw new HtmlError(500);
    let value = json[param];
    if (param === 'run_id' && (value === undefined || value === null) && 'run_uuid' in json)
      value = json.run_uuid;
    for (const check of checks) {
      if (check.role === 'type' && !parseFailed) continue;
      const outcome = check.test(value);
      if (outcome === true) continue;
      const message =
        typeof outcome === 'string'
          ? outcome
          : check.role === 'required'
            ? missingValueMessage(param)
            : invalidValueMessage(param, value, ` Hint: Value was of type '${pyTypeName(value)}'.`);
      throw invalidParameter(message + API_DOCS);
    }
  }
}

// --- ParseDict ------------------------------------------------------------------------------------------------

/** What protobuf parsed: read with defaults, as the handlers read their request message. */
export class Parsed {
  constructor(private readonly values: Record<string, unknown>) {}

  /** `HasField`: the field was set by the parse. */
  has(name: string): boolean {
    return name in this.values;
  }

  string(name: string): string {
    return (this.values[name] as string | undefined) ?? '';
  }

  int(name: string): number {
    return (this.values[name] as number | undefined) ?? 0;
  }

  double(name: string): number {
    return (this.values[name] as number | undefined) ?? 0;
  }

  bool(name: string): boolean {
    return this.values[name] === true;
  }

  /** An enum field by name, `undefined` when unset. */
  enumName(name: string): string | undefined {
    return this.values[name] as string | undefined;
  }

  strings(name: string): string[] {
    return (this.values[name] as string[] | undefined) ?? [];
  }

  /** A singular message field; an unset one reads as the empty message. */
  message(name: string): Parsed {
    return new Parsed((this.values[name] as Record<string, unknown> | undefined) ?? {});
  }

  messages(name: string): Parsed[] {
    return ((this.values[name] as Record<string, unknown>[] | undefined) ?? []).map((v) => new Parsed(v));
  }
}

export class RequestMessage extends Parsed {
  constructor(
    values: Record<string, unknown>,
    /** The request JSON as the handler saw it (the query string for a GET). */
    readonly json: unknown,
  ) {
    super(values);
  }
}

/**
 * Reads, parses and validates one request the way MLflow 3.11's Flask handlers do. A GET with a query string
 * reads only the message's own fields from it (repeated fields as lists); anything else reads the JSON body.
 */
export function requestMessage(req: ApiRequest, fields: ProtoFields, schema: Schema = {}): RequestMessage {
  const json = req.method === 'GET' && req.query.size > 0 ? queryJson(req.query, fields) : readJsonBody(req);
  const values: Record<string, unknown> = {};
  const parseFailed = !parseInto(json, fields, values);
  validateSchema(json, schema, parseFailed);
  return new RequestMessage(values, json);
}

function queryJson(query: URLSearchParams, fields: ProtoFields): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(fields)) {
    if (!query.has(name)) continue;
    if (spec.repeated) json[name] = query.getAll(name);
    else if (spec.kind === 'bool') {
      const value = query.get(name)!;
      if (!['true', 'false'].includes(value.toLowerCase())) {
        throw invalidParameter(`Invalid boolean value: ${value}, must be 'true' or 'false'.`);
      }
      json[name] = value.toLowerCase() === 'true';
    } else json[name] = query.get(name);
  }
  return json;
}

const SKIP = Symbol('skip');
const FAIL = Symbol('fail');

/** Sets fields of `out` in key order; false at the first value protobuf would not convert. */
function parseInto(json: unknown, fields: ProtoFields, out: Record<string, unknown>): boolean {
  // ParseDict iterates a list's items (or a str's characters) as field names: none is a field.
  if (Array.isArray(json) || typeof json === 'string') return true;
  // A bare number or boolean as the whole body: Python's TypeError, uncaught.
  if (!isDict(json)) return typeError();
  for (const [name, value] of Object.entries(json)) {
    // Own fields only: a key such as `constructor` is an unknown field, not Object.prototype's member.
    const spec = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (!spec || value === null) continue;
    if (!spec.repeated) {
      if (!parseValue(value, spec.kind, out, name)) return false;
      continue;
    }
    if (!Array.isArray(value)) return false;
    const list: unknown[] = [];
    out[name] = list;
    for (const item of value) if (!parseValue(item, spec.kind, list)) return false;
  }
  return true;
}

/** Converts one value into `target[key]`, or appends it when `target` is a list. */
function parseValue(
  value: unknown,
  kind: FieldKind,
  target: unknown[] | Record<string, unknown>,
  key = '',
): boolean {
  const put = (v: unknown) => (Array.isArray(target) ? target.push(v) : (target[key] = v));
  if (typeof kind === 'object' && 'message' in kind) {
    // Inside a message, Python's TypeError on a number becomes a ParseError.
    if (typeof value === 'number' || typeof value === 'boolean') return false;
    const sub: Record<string, unknown> = {};
    put(sub);
    return parseInto(value, kind.message, sub);
  }
  const converted = convertScalar(value, kind);
  if (converted === FAIL) return false;
  if (converted !== SKIP) put(converted);
  return true;
}

/** google.protobuf.json_format's scalar conversions (`_ConvertScalarFieldValue`). */
function convertScalar(value: unknown, kind: Exclude<FieldKind, { message: ProtoFields }>): unknown {
  if (kind === 'string') return typeof value === 'string' ? value : FAIL;
  if (kind === 'bool') return typeof value === 'boolean' ? value : FAIL;
  if (kind === 'int64') {
    if (typeof value === 'number') return Number.isInteger(value) ? value : FAIL;
    if (typeof value === 'string' && !value.includes(' ')) return pyInt(value) ?? FAIL;
    return FAIL;
  }
  if (kind === 'double') {
    // A float NaN or ±inf (a bare token, or 1e309) is refused: only the quoted forms are accepted.
    if (typeof value === 'number') return Number.isFinite(value) ? value : FAIL;
    if (typeof value !== 'string') return FAIL;
    return pyFloat(value) ?? FAIL;
  }
  if (typeof value === 'string') {
    if (value in kind.enum) return value;
    const n = pyInt(value);
    // An unknown enum name is skipped, not an error, under ignore_unknown_fields (README "Validation quirks" 8).
    if (n === undefined) return SKIP;
    value = n;
  }
  if (typeof value !== 'number') return FAIL;
  return Object.entries(kind.enum).find(([, n]) => n === value)?.[0] ?? FAIL;
}

const isDict = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An error for a value the store refuses (`MlflowException(invalid_value(...))`). */
export const invalidValueError = (path: string, value: unknown, detail?: string) =>
  new MlflowError('INVALID_PARAMETER_VALUE', invalidValueMessage(path, value, detail));
