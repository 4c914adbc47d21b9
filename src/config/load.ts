import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parseDocument, type Document } from 'yaml';
import { AuthlabError } from '../errors.js';
import { readTextFile } from '../read-text-file.js';
import { DEFAULT_CONFIG_FILE } from './defaults.js';
import { importDexConfig } from './dex.js';
import {
  configError,
  relativeTo,
  resolveConfig,
  type ExternalDocument,
  type ResolvedLabConfig,
} from './resolve.js';

export interface LoadConfigOptions {
  /** Path of a lab.yaml; defaults to the default lab (fixtures/lab.yaml). */
  file?: string;
}

/** Loads and validates a lab config file plus the Dex config and RBAC files it points to. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedLabConfig> {
  const file = options.file ? path.resolve(options.file) : fileURLToPath(DEFAULT_CONFIG_FILE);
  const raw = await readYaml(file);
  return resolveObject(raw, { source: displayPath(file), baseDir: path.dirname(file) });
}

/** Validates a config given as an object (library use); relative paths resolve against `baseDir`. */
export async function resolveObject(
  raw: unknown,
  { source = '<inline config>', baseDir = process.cwd() }: { source?: string; baseDir?: string } = {},
): Promise<ResolvedLabConfig> {
  const obj = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;

  const rbacDocuments: ExternalDocument[] = [];
  const fileProblems = [];
  const rbac = Array.isArray(obj.rbac) ? obj.rbac : [];
  for (const [i, entry] of rbac.entries()) {
    if (typeof entry !== 'string') continue;
    const file = relativeTo(baseDir, entry);
    let text: string;
    try {
      text = await readTextFile(file);
    } catch (cause) {
      fileProblems.push({
        path: `rbac[${i}]`,
        received: entry,
        rule: `cannot be read: ${(cause as Error).message}`,
      });
      continue;
    }
    for (const [d, doc] of parseAllDocuments(text, PLAIN_YAML).entries()) {
      const label = `rbac[${i}] (${displayPath(file)}, document ${d + 1})`;
      if (doc.errors.length > 0) {
        fileProblems.push({ path: label, rule: `is not valid YAML: ${yamlMessage(doc.errors[0]!)}` });
        continue;
      }
      const value = yamlValue(doc);
      if ('error' in value) fileProblems.push({ path: label, rule: `is not valid YAML: ${value.error}` });
      else if (value.value !== null && value.value !== undefined)
        rbacDocuments.push({ label, value: value.value });
    }
  }

  let imported;
  if (typeof obj.dexConfig === 'string') {
    const file = relativeTo(baseDir, obj.dexConfig);
    try {
      imported = importDexConfig(await readYaml(file), 'dexConfig');
    } catch (cause) {
      // The file system's reason, as for rbac files; or, for invalid YAML, the first problem under the heading.
      const error = cause as Error;
      const lines = (error.cause instanceof Error ? error.cause : error).message.split('\n');
      fileProblems.push({
        path: 'dexConfig',
        received: obj.dexConfig,
        rule: `cannot be read: ${(lines[1] ?? lines[0]!).trim()}`,
      });
    }
  }
  if (fileProblems.length > 0 && imported) imported.problems.unshift(...fileProblems);
  else if (fileProblems.length > 0) imported = { users: [], clients: [], problems: fileProblems };

  // Problems in linked files are reported together with the schema's, in one error.
  // `raw`, not `obj`: a file holding a scalar or a list is an error, not an empty config.
  return resolveConfig(raw, { source, ...(imported && { imported }), rbacDocuments });
}

async function readYaml(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (cause) {
    throw new AuthlabError('AUTHLAB_CONFIG_NOT_FOUND', `cannot read config file ${displayPath(file)}`, {
      cause,
      hint: 'Check the path given to --config; fixtures/lab.yaml is the default lab.',
    });
  }
  const doc = parseDocument(text, { ...PLAIN_YAML, prettyErrors: true });
  if (doc.errors.length > 0) {
    // A pathological file (thousands of nested brackets) has an error per level: the first few say enough.
    const shown = doc.errors.slice(0, MAX_YAML_ERRORS_SHOWN).map((e) => ({
      path: `line ${e.linePos?.[0].line ?? '?'}, column ${e.linePos?.[0].col ?? '?'}`,
      rule: `not valid YAML: ${yamlMessage(e).replace(/ at line \d+, column \d+$/, '')}`,
    }));
    const more = doc.errors.length - shown.length;
    throw configError(
      displayPath(file),
      more > 0 ? [...shown, { path: '…', rule: `and ${more} more YAML errors` }] : shown,
    );
  }
  const value = yamlValue(doc);
  if ('error' in value)
    throw configError(displayPath(file), [{ path: '(file)', rule: `not valid YAML: ${value.error}` }]);
  return value.value;
}

const MAX_YAML_ERRORS_SHOWN = 5;

/**
 * Plain data only: YAML 1.1's `!!binary`, `!!timestamp`, `!!set` and `!!omap` stay what they are written as
 * (strings, maps, lists) instead of becoming a Buffer, a Date, a Set or a Map, which no config option is and which
 * made a whole Buffer's methods show up as "unknown option" lines (found by the fuzz suite). The library's own
 * warnings (a collection as a map key) are not printed as Node warnings: the schema reports what is wrong.
 */
const PLAIN_YAML = { resolveKnownTags: false, logLevel: 'error' } as const;

/**
 * The document as plain values. Aliases are resolved here, and that is where an alias bomb (a billion laughs) or
 * an alias to no anchor fails: yaml throws a ReferenceError, which became exit 70 with a stack trace.
 */
function yamlValue(doc: Document): { value: unknown } | { error: string } {
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The first line of a yaml error (`… at line 6, column 1:`), without the code excerpt that follows it. */
function yamlMessage(error: Error): string {
  return error.message.split('\n')[0]!.replace(/:$/, '');
}

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}
