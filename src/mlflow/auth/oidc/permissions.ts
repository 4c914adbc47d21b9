// mlflow-oidc-auth 7.3.1's permission model (mlflow-oidc-auth.md §4.1 "Permission levels", §4.3 "Resolving one
// permission"): five named levels, and the first source in PERMISSION_SOURCE_ORDER that has a rule wins.
import { pluginMlflowError } from './errors.js';

export const PERMISSION_NAMES = ['READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'] as const;
export type PermissionName = (typeof PERMISSION_NAMES)[number];

export interface Permission {
  readonly name: PermissionName;
  /** `compare_permissions` orders by this number: NO_PERMISSIONS (100) beats MANAGE (4) within a group source. */
  readonly priority: number;
  readonly canRead: boolean;
  readonly canUse: boolean;
  readonly canUpdate: boolean;
  readonly canDelete: boolean;
  readonly canManage: boolean;
}

const level = (
  name: PermissionName,
  priority: number,
  [canRead, canUse, canUpdate, canDelete, canManage]: boolean[],
): Permission =>
  Object.freeze({ name, priority, canRead, canUse, canUpdate, canDelete, canManage }) as Permission;

/** `permissions.py:7-74`. */
export const PERMISSIONS: Readonly<Record<PermissionName, Permission>> = Object.freeze({
  READ: level('READ', 1, [true, false, false, false, false]),
  USE: level('USE', 2, [true, true, false, false, false]),
  EDIT: level('EDIT', 3, [true, true, true, false, false]),
  MANAGE: level('MANAGE', 4, [true, true, true, true, true]),
  NO_PERMISSIONS: level('NO_PERMISSIONS', 100, [false, false, false, false, false]),
});

export const isPermissionName = (name: unknown): name is PermissionName =>
  typeof name === 'string' && (PERMISSION_NAMES as readonly string[]).includes(name);

/** `get_permission`: an unknown name is an INVALID_PARAMETER_VALUE with the plugin's wording (§4.1, D6c). */
export function permissionNamed(name: unknown): Permission {
  if (isPermissionName(name)) return PERMISSIONS[name];
  throw pluginMlflowError(
    'INVALID_PARAMETER_VALUE',
    `Invalid permission '${String(name)}'. Valid permissions are: (${PERMISSION_NAMES.map((n) => `'${n}'`).join(', ')})`,
  );
}

/** Where a resolved permission came from, as `…/permissions/users/<u>/experiments` lists it (`kind`). */
export type PermissionKind =
  'user' | 'group' | 'regex' | 'group-regex' | 'fallback' | 'workspace' | 'workspace-deny';

export const PERMISSION_SOURCES = ['user', 'group', 'regex', 'group-regex'] as const;
export type PermissionSource = (typeof PERMISSION_SOURCES)[number];

export interface ResolvedPermission {
  permission: Permission;
  kind: PermissionKind;
}

/** One source's answer for a resource and a user: its rule's permission, or undefined when it has no rule. */
export type SourceLookup = (source: PermissionSource) => PermissionName | undefined;

/**
 * `resolve_permission` + `get_permission_from_store_or_default`: the first source (in `order`) that has a rule
 * decides, even with a weaker permission than a later one; with none, the workspace permission when workspaces are
 * on (`workspace`, or `workspace-deny` without one), else `DEFAULT_MLFLOW_PERMISSION` (`fallback`).
 */
export function resolvePermission(
  lookup: SourceLookup,
  order: readonly PermissionSource[],
  fallback: PermissionName,
  workspace?: { permission: PermissionName | undefined },
): ResolvedPermission {
  for (const source of order) {
    const name = lookup(source);
    if (name !== undefined) return { permission: PERMISSIONS[name], kind: source };
  }
  if (workspace !== undefined) {
    return workspace.permission === undefined
      ? { permission: PERMISSIONS.NO_PERMISSIONS, kind: 'workspace-deny' }
      : { permission: PERMISSIONS[workspace.permission], kind: 'workspace' };
  }
  return { permission: PERMISSIONS[fallback], kind: 'fallback' };
}

/** Of several groups' rules, the one with the highest priority number (`compare_permissions`, §4.3). */
export function strongestOf(names: readonly PermissionName[]): PermissionName | undefined {
  let best: PermissionName | undefined;
  for (const name of names)
    if (best === undefined || PERMISSIONS[name].priority > PERMISSIONS[best].priority) best = name;
  return best;
}

/** A regex rule: Python `re.match` on the resource name (anchored at the start only), lowest `priority` first. */
export interface PatternRule {
  id: number;
  regex: string;
  priority: number;
  permission: PermissionName;
}

/** The first rule, by ascending priority (then id, the order the rows were written), whose regex matches `name`. */
export function firstMatching(rules: readonly PatternRule[], name: string): PatternRule | undefined {
  const sorted = [...rules].sort((a, b) => a.priority - b.priority || a.id - b.id);
  return sorted.find((rule) => pythonMatch(rule.regex, name));
}

/**
 * `re.match(regex, name)`: a match that starts at the beginning; the end is free. JavaScript's syntax stands in for
 * Python's (the common subset is the same); a pattern JavaScript cannot compile matches nothing.
 */
export function pythonMatch(regex: string, name: string): boolean {
  let compiled = compiledPatterns.get(regex);
  if (compiled === undefined) {
    try {
      compiled = new RegExp(`^(?:${regex})`, 'u');
    } catch {
      compiled = null;
    }
    compiledPatterns.set(regex, compiled);
  }
  return compiled !== null && compiled.test(name);
}

const compiledPatterns = new Map<string, RegExp | null>();
