// Compiles the rule table of `rules.ts` for one MLflow version into the plugin's lookup structures
// (mlflow-workspaces-k8s-auth.md §4.1, plugin `auth/compiler.py`): an exact map keyed by (method, path), then a list
// of (regex, method) for templated paths, tried in order. Exact entries win over templates; the lookup is
// method-aware, so a method without a rule falls through to the templates and, failing those, is unmapped (404).
import {
  ROUTES,
  UNPROTECTED_PATH_PREFIXES,
  UNPROTECTED_PATHS,
  type AuthRule,
  type CollectionPolicyId,
  type NameParser,
  type RouteEntry,
} from './rules.js';

export type { AuthRule, CollectionPolicyId, NameParser, RouteEntry };

export type RouteLookup =
  | { kind: 'unprotected' }
  | { kind: 'rules'; entry: RouteEntry; params: Readonly<Record<string, string>> }
  | { kind: 'unmapped' };

export interface RouteTable {
  /** The MLflow minor version the table was compiled for, e.g. '3.11'. */
  readonly mlflowVersion: string;
  /** The entries in force for that version (exact and templated). */
  readonly entries: readonly RouteEntry[];
  /** `path` is the URL path without query, as received (percent-encoded); template params come back decoded. */
  lookup(method: string, path: string): RouteLookup;
}

interface Template {
  regex: RegExp;
  entry: RouteEntry;
}

/** `<x>` matches one segment, `<path:x>` the rest (slashes included), like the plugin's `_re_compile_path`. */
export function compileTemplate(path: string): RegExp {
  let source = '';
  let cursor = 0;
  for (const match of path.matchAll(/<([^>]+)>/g)) {
    source += escapeRegex(path.slice(cursor, match.index));
    const token = match[1]!;
    source += token.startsWith('path:') ? `(?<${token.slice(5)}>.+)` : `(?<${token}>[^/]+)`;
    cursor = match.index + match[0].length;
  }
  source += escapeRegex(path.slice(cursor));
  return new RegExp(`^${source}$`);
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `major.minor` of a version string ('3.11', '3.11.2.dev0') as a comparable number. */
function minorOf(version: string): number {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`Unrecognised MLflow version '${version}'`);
  return Number(m[1]) * 1000 + Number(m[2]);
}

export function isUnprotectedPath(path: string): boolean {
  return UNPROTECTED_PATHS.has(path) || UNPROTECTED_PATH_PREFIXES.some((prefix) => path.startsWith(prefix));
}

export function compileRouteTable(mlflowVersion = '3.11'): RouteTable {
  const target = minorOf(mlflowVersion);
  const entries = ROUTES.filter((e) => e.since === undefined || minorOf(e.since) <= target);
  // Exact hits are answered with one frozen lookup each, keyed by method then path: a call builds no key string and
  // no answer object (the lookup runs on every request the gate decides).
  const exact = new Map<string, Map<string, RouteLookup>>();
  const templates = new Map<string, Template[]>();
  for (const entry of entries) {
    if (entry.path.includes('<')) {
      // Regexes are tried in table order (proto routes before path rules, as the plugin appends them).
      const list = templates.get(entry.method) ?? [];
      list.push({ regex: compileTemplate(entry.path), entry });
      templates.set(entry.method, list);
    } else {
      // A later explicit path rule overrides an earlier one for the same (method, path), as in the plugin.
      let byPath = exact.get(entry.method);
      if (byPath === undefined) exact.set(entry.method, (byPath = new Map()));
      // An unprotected path is answered as such whatever its rules (the check comes first in the plugin).
      byPath.set(
        entry.path,
        isUnprotectedPath(entry.path)
          ? UNPROTECTED
          : Object.freeze({ kind: 'rules', entry, params: NO_PARAMS }),
      );
    }
  }

  return {
    mlflowVersion,
    entries,
    lookup(method: string, path: string): RouteLookup {
      // An exact path's answer was settled when the table was built, the unprotected check included.
      const hit = exact.get(method)?.get(path);
      if (hit) return hit;
      if (isUnprotectedPath(path)) return UNPROTECTED;
      for (const t of templates.get(method) ?? []) {
        const m = t.regex.exec(path);
        if (m) return { kind: 'rules', entry: t.entry, params: decodeParams(m.groups) };
      }
      return UNMAPPED;
    },
  };
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});
const UNPROTECTED: RouteLookup = Object.freeze({ kind: 'unprotected' });
const UNMAPPED: RouteLookup = Object.freeze({ kind: 'unmapped' });

function decodeParams(groups: Record<string, string | undefined> | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(groups ?? {})) {
    if (value === undefined) continue;
    try {
      params[key] = decodeURIComponent(value);
    } catch {
      params[key] = value;
    }
  }
  return params;
}
