import { describe, expect, test } from 'vitest';
import { OidcAuthError } from '../../../../src/mlflow/auth/oidc/errors.js';
import {
  firstMatching,
  permissionNamed,
  PERMISSIONS,
  pythonMatch,
  resolvePermission,
  strongestOf,
  type PermissionName,
  type PermissionSource,
} from '../../../../src/mlflow/auth/oidc/permissions.js';

const ORDER = ['user', 'group', 'regex', 'group-regex'] as const;

describe('mlflow-oidc-auth permissions (§4.1, §4.3)', () => {
  test('the five levels and what each allows', () => {
    expect(
      Object.values(PERMISSIONS).map((p) => [
        p.name,
        p.priority,
        p.canRead,
        p.canUpdate,
        p.canDelete,
        p.canManage,
      ]),
    ).toEqual([
      ['READ', 1, true, false, false, false],
      ['USE', 2, true, false, false, false],
      ['EDIT', 3, true, true, false, false],
      ['MANAGE', 4, true, true, true, true],
      ['NO_PERMISSIONS', 100, false, false, false, false],
    ]);
    expect(PERMISSIONS.USE.canUse).toBe(true);
    expect(PERMISSIONS.READ.canUse).toBe(false);
  });

  test("an unknown name is the plugin's 400 with its exact wording (D6c)", () => {
    expect(permissionNamed('EDIT')).toBe(PERMISSIONS.EDIT);
    let error: OidcAuthError | undefined;
    try {
      permissionNamed('WRITE');
    } catch (e) {
      error = e as OidcAuthError;
    }
    expect([error?.status, JSON.parse(error!.body)]).toEqual([
      400,
      {
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          "Invalid permission 'WRITE'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS')",
        details:
          "Invalid permission 'WRITE'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS')",
      },
    ]);
  });

  test('the first source with a rule wins, even a weaker one; none: the fallback; workspaces: their permission', () => {
    const rules = (r: Partial<Record<PermissionSource, PermissionName>>) => (s: PermissionSource) => r[s];
    expect(resolvePermission(rules({ user: 'READ', group: 'MANAGE' }), ORDER, 'MANAGE')).toEqual({
      permission: PERMISSIONS.READ,
      kind: 'user',
    });
    expect(resolvePermission(rules({ 'group-regex': 'EDIT' }), ORDER, 'NO_PERMISSIONS').kind).toBe(
      'group-regex',
    );
    expect(resolvePermission(rules({}), ORDER, 'MANAGE')).toEqual({
      permission: PERMISSIONS.MANAGE,
      kind: 'fallback',
    });
    expect(resolvePermission(rules({ user: 'READ' }), ['group', 'regex'], 'EDIT').kind).toBe('fallback');
    expect(resolvePermission(rules({}), ORDER, 'MANAGE', { permission: 'READ' })).toEqual({
      permission: PERMISSIONS.READ,
      kind: 'workspace',
    });
    expect(resolvePermission(rules({}), ORDER, 'MANAGE', { permission: undefined })).toEqual({
      permission: PERMISSIONS.NO_PERMISSIONS,
      kind: 'workspace-deny',
    });
  });

  test("among groups the highest priority number wins: one group's NO_PERMISSIONS beats another's MANAGE", () => {
    expect(strongestOf(['READ', 'MANAGE', 'EDIT'])).toBe('MANAGE');
    expect(strongestOf(['MANAGE', 'NO_PERMISSIONS'])).toBe('NO_PERMISSIONS');
    expect(strongestOf([])).toBeUndefined();
  });

  test('regex rules: re.match (anchored at the start only), ascending priority', () => {
    expect(pythonMatch('^shared-', 'shared-x')).toBe(true);
    expect(pythonMatch('shared', 'shared-x')).toBe(true);
    expect(pythonMatch('shared', 'not-shared')).toBe(false);
    expect(pythonMatch('x$', 'ax')).toBe(false);
    expect(pythonMatch('.*x$', 'ax')).toBe(true);
    expect(pythonMatch('(', 'anything')).toBe(false);
    const rules = [
      { id: 1, regex: '^a', priority: 5, permission: 'READ' as const },
      { id: 2, regex: '^ab', priority: 1, permission: 'MANAGE' as const },
      { id: 3, regex: '^abc', priority: 1, permission: 'EDIT' as const },
    ];
    expect(firstMatching(rules, 'abc')?.id).toBe(2);
    expect(firstMatching(rules, 'ax')?.id).toBe(1);
    expect(firstMatching(rules, 'zz')).toBeUndefined();
  });
});
