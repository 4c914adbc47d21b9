import { describe, expect, test } from 'vitest';
import { OIDC_AUTH_DEFAULTS, parseOidcAuthSettings } from '../../../../src/mlflow/auth/oidc/settings.js';

describe("mlflow-oidc-auth's settings (§2)", () => {
  test("the plugin's defaults: MANAGE for everyone, commas in the scope, no audience check", () => {
    const { settings, problems } = parseOidcAuthSettings({});
    expect(problems).toEqual([]);
    expect(settings).toEqual(OIDC_AUTH_DEFAULTS);
    expect([settings.DEFAULT_MLFLOW_PERMISSION, settings.OIDC_SCOPE, settings.OIDC_AUDIENCE]).toEqual([
      'MANAGE',
      'openid,email,profile',
      undefined,
    ]);
  });

  test('read as the plugin reads them: t/1/true, a bad integer falls back, lists split and stripped', () => {
    const { settings } = parseOidcAuthSettings({
      config: {
        OIDC_USE_REFRESH_TOKEN: 'yes',
        AUTOMATIC_LOGIN_REDIRECT: 't',
        MLFLOW_ENABLE_WORKSPACES: true,
        SESSION_COOKIE_MAX_AGE_SECONDS: 'soon',
        OIDC_JWKS_CACHE_TTL_SECONDS: 60,
        OIDC_GROUP_NAME: ' team-a-editors , team-b-viewers,',
        OIDC_ADMIN_GROUP_NAME: ['mlflow-admins'],
      },
    });
    expect(settings.OIDC_USE_REFRESH_TOKEN).toBe(false);
    expect(settings.AUTOMATIC_LOGIN_REDIRECT).toBe(true);
    expect(settings.MLFLOW_ENABLE_WORKSPACES).toBe(true);
    expect(settings.SESSION_COOKIE_MAX_AGE_SECONDS).toBe(1209600);
    expect(settings.OIDC_JWKS_CACHE_TTL_SECONDS).toBe(60);
    expect(settings.OIDC_GROUP_NAME).toEqual(['team-a-editors', 'team-b-viewers']);
    expect(settings.OIDC_ADMIN_GROUP_NAME).toEqual(['mlflow-admins']);
  });

  test('the environment wins over the config, the config over the base', () => {
    const { settings } = parseOidcAuthSettings({
      base: { OIDC_CLIENT_ID: 'from-lab', OIDC_AUDIENCE: 'lab' },
      config: { OIDC_CLIENT_ID: 'from-config', OIDC_AUDIENCE: 'config' },
      env: { OIDC_AUDIENCE: 'env', UNRELATED: 'x' },
    });
    expect([settings.OIDC_CLIENT_ID, settings.OIDC_AUDIENCE]).toEqual(['from-config', 'env']);
  });

  test('every problem at once, in the config’s spelling; what the plugin only logs is a warning', () => {
    const { problems, warnings, settings } = parseOidcAuthSettings({
      config: {
        SESSION_COOKIE_SAMESITE: 'sideways',
        DEFAULT_MLFLOW_PERMISSION: 'WRITE',
        OIDC_GROUPS_CLAIM: 'groups',
        OIDC_SCOPES: 'typo',
        PERMISSION_SOURCE_ORDER: 'group,owner,user',
      },
      env: { OIDC_WORKSPACE_DEFAULT_PERMISSION: 'ALL' },
    });
    expect(problems).toEqual([
      { path: 'oidcAuth.OIDC_SCOPES', received: 'typo', rule: 'unknown option' },
      {
        path: 'oidcAuth.DEFAULT_MLFLOW_PERMISSION',
        received: 'WRITE',
        rule: 'must be one of READ, USE, EDIT, MANAGE, NO_PERMISSIONS (the plugin would answer 500 at its first permission check)',
      },
      {
        path: 'OIDC_WORKSPACE_DEFAULT_PERMISSION',
        received: 'ALL',
        rule: 'must be one of READ, USE, EDIT, MANAGE, NO_PERMISSIONS (the plugin would answer 500 at its first permission check)',
      },
      {
        path: 'oidcAuth.SESSION_COOKIE_SAMESITE',
        received: 'sideways',
        rule: "Invalid SESSION_COOKIE_SAMESITE value: 'sideways' (the plugin does not start)",
      },
    ]);
    expect(warnings).toEqual([
      'OIDC_GROUPS_CLAIM is not read by mlflow-oidc-auth 7.3.1 (it has no such setting)',
      'Invalid permission source configured: owner',
    ]);
    expect(settings.PERMISSION_SOURCE_ORDER).toEqual(['group', 'user']);
  });
});
