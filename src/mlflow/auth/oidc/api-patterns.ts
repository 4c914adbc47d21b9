// Regex ("pattern") rules as the plugin's repositories keep them (mlflow-oidc-auth.md §4.3, §4.8;
// `repository/_base.py` Base*RegexPermissionRepository, `repository/utils.py validate_regex`): one principal's
// rules in ascending priority, unique per (regex, principal), looked up by id within the principal.
import { OidcAuthError } from './errors.js';
import { isPermissionName, type PermissionName } from './permissions.js';
import type { PatternTable, Principal, StoredPattern } from './store.js';
import type { OidcAuthDeps } from './types.js';

/** `list_regex_for_user` / `list_permissions_for_group`: ordered by priority (ties in the order written). */
export function patternsOf(deps: OidcAuthDeps, table: PatternTable, principal: Principal): StoredPattern[] {
  return deps.store.patternsOf(table, principal).sort((a, b) => a.priority - b.priority || a.id - b.id);
}

/** `_get_regex_permission(user_id, id)`: the rule with that id, only if it is this principal's. */
export function patternOf(
  deps: OidcAuthDeps,
  table: PatternTable,
  principal: Principal,
  id: number,
): StoredPattern | undefined {
  return patternsOf(deps, table, principal).find((p) => p.id === id);
}

/**
 * `validate_regex`: what it refuses, with its message (an INVALID_STATE MlflowException), or undefined. Python's
 * `re.compile` is judged by JavaScript's RegExp, so the compiler's own error text is JavaScript's.
 */
export function regexProblem(regex: string): string | undefined {
  if (!regex) return 'Regex pattern cannot be empty';
  if (regex.length > 1024)
    return `Regex pattern exceeds maximum length of 1024 characters (got ${regex.length})`;
  try {
    new RegExp(regex, 'u');
  } catch (e) {
    return `Invalid regex pattern: ${regex}. Error: ${(e as Error).message}`;
  }
  if (NESTED_QUANTIFIER.test(regex))
    return `Regex pattern rejected: nested quantifiers detected (potential ReDoS). Pattern: ${regex}`;
  return undefined;
}

/** `_NESTED_QUANTIFIER_RE`: a group containing a quantifier, itself quantified by `+`, `*` or `{n,…}`. */
const NESTED_QUANTIFIER = /\((?:\?[:<>=!])?[^)]*[+*?][^)]*\)(?:[+*]|\{\d+,\d*\})/;

/**
 * `grant` for a regex rule: the checks in the repository's order (`user_first`: the user repository validates the
 * regex before the permission, the group one the other way round), then the principal, then the UNIQUE
 * constraint. Failures are thrown as `PatternFailure`s for the router to map.
 */
export function grantPattern(
  deps: OidcAuthDeps,
  table: PatternTable,
  principal: Principal | undefined,
  rule: { regex: string; priority: number; permission: string },
  order: 'regex-first' | 'permission-first',
): StoredPattern {
  checkRule(rule, order);
  if (!principal) throw new PatternFailure('RESOURCE_DOES_NOT_EXIST', 'principal not found');
  if (patternsOf(deps, table, principal).some((p) => p.regex === rule.regex))
    throw new PatternFailure('RESOURCE_ALREADY_EXISTS', 'regex rule exists');
  return deps.store.addPattern(table, principal, { ...rule, permission: rule.permission as PermissionName });
}

/** `update` for a regex rule: the same checks, then the rule must be the principal's. */
export function updatePattern(
  deps: OidcAuthDeps,
  table: PatternTable,
  principal: Principal | undefined,
  id: number,
  rule: { regex: string; priority: number; permission: string },
  order: 'regex-first' | 'permission-first',
): StoredPattern {
  checkRule(rule, order);
  const found = principal && patternOf(deps, table, principal, id);
  if (!found) throw new PatternFailure('RESOURCE_DOES_NOT_EXIST', 'regex rule not found');
  deps.store.updatePattern(found, { ...rule, permission: rule.permission as PermissionName });
  return found;
}

/** `revoke` for a regex rule. */
export function revokePattern(
  deps: OidcAuthDeps,
  table: PatternTable,
  principal: Principal | undefined,
  id: number,
): void {
  const found = principal && patternOf(deps, table, principal, id);
  if (!found) throw new PatternFailure('RESOURCE_DOES_NOT_EXIST', 'regex rule not found');
  deps.store.deletePattern(found);
}

function checkRule(rule: { regex: string; permission: string }, order: 'regex-first' | 'permission-first') {
  const failure = ruleFailure(rule, order);
  if (failure) throw failure;
}

/**
 * What `grant` / `update` refuse before touching the database: a regex `validate_regex` rejects (INVALID_STATE)
 * or an unknown permission (INVALID_PARAMETER_VALUE), in the repository's order.
 */
export function ruleFailure(
  rule: { regex: string; permission: string },
  order: 'regex-first' | 'permission-first',
): PatternFailure | undefined {
  const regex = () => {
    const problem = regexProblem(rule.regex);
    return problem === undefined ? undefined : new PatternFailure('INVALID_STATE', problem);
  };
  const permission = () =>
    isPermissionName(rule.permission)
      ? undefined
      : new PatternFailure('INVALID_PARAMETER_VALUE', 'bad permission');
  return order === 'regex-first' ? (regex() ?? permission()) : (permission() ?? regex());
}

/** An MlflowException from a regex repository; most routers turn any failure into their own 500. */
export class PatternFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PatternFailure';
  }
}

/**
 * Runs a repository call the way the pattern routers do (`try: … except Exception: raise HTTPException(status, …)`):
 * any failure becomes that one answer.
 */
export function orFail<T>(work: () => T, failure: () => OidcAuthError): T {
  try {
    return work();
  } catch (e) {
    if (e instanceof PatternFailure) throw failure();
    throw e;
  }
}
