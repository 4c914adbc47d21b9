import { describe, expect, test } from 'vitest';
import { postToken, testLab } from '../helpers.js';

const PW = {
  grant_type: 'password',
  username: 'alice@example.com',
  password: 'alice-password',
  scope: 'openid',
};
const CLI = 'mlflow-cli:mlflow-cli-secret';

type Case = [
  name: string,
  form: Record<string, string>,
  basic: string | undefined,
  status: number,
  body: string,
];

// oauth2-proxy-and-dex.md §B1 (password grant table), §B2, §B4.
const DEX: Case[] = [
  [
    'wrong password',
    { ...PW, password: 'nope' },
    CLI,
    401,
    '{"error":"access_denied","error_description":"Invalid username or password"}',
  ],
  [
    'unknown e-mail',
    { ...PW, username: 'eve@example.com' },
    CLI,
    401,
    '{"error":"access_denied","error_description":"Invalid username or password"}',
  ],
  [
    'wrong client secret',
    PW,
    'mlflow-cli:wrong',
    401,
    '{"error":"invalid_client","error_description":"Invalid client credentials."}',
  ],
  [
    'unknown client',
    PW,
    'nobody:secret',
    401,
    '{"error":"invalid_client","error_description":"Invalid client credentials."}',
  ],
  [
    'missing client secret',
    { ...PW, client_id: 'mlflow-cli' },
    undefined,
    401,
    '{"error":"invalid_client","error_description":"Invalid client credentials."}',
  ],
  [
    'client not allowed the password grant',
    PW,
    'mlflow:mlflow-secret',
    400,
    '{"error":"invalid_grant","error_description":"Connector not allowed for this client."}',
  ],
  [
    'client not allowed client_credentials',
    { grant_type: 'client_credentials' },
    CLI,
    400,
    '{"error":"unauthorized_client","error_description":"Client is not allowed to use the client_credentials grant."}',
  ],
  ['unknown grant type', { grant_type: 'urn:example:magic' }, CLI, 400, '{"error":"unsupported_grant_type"}'],
  ['no grant type', {}, CLI, 400, '{"error":"unsupported_grant_type"}'],
  [
    'no openid scope',
    { ...PW, scope: 'email' },
    CLI,
    400,
    '{"error":"invalid_request","error_description":"Missing required scope(s) [\\"openid\\"]."}',
  ],
  [
    'unknown scope',
    { ...PW, scope: 'openid foo bar' },
    CLI,
    400,
    '{"error":"invalid_request","error_description":"Unrecognized scope(s) [\\"foo\\" \\"bar\\"]"}',
  ],
  [
    'audience of a peer that does not trust the client',
    { ...PW, scope: 'openid audience:server:client_id:admin-cli' },
    CLI,
    400,
    '{"error":"invalid_request","error_description":"Client can\'t request scope(s) [\\"audience:server:client_id:admin-cli\\"]"}',
  ],
  [
    'client_credentials with offline_access',
    { grant_type: 'client_credentials', scope: 'openid offline_access' },
    'mlflow:mlflow-secret',
    400,
    '{"error":"invalid_scope","error_description":"client_credentials grant does not support offline_access scope."}',
  ],
  [
    'refresh without a token',
    { grant_type: 'refresh_token' },
    CLI,
    400,
    '{"error":"invalid_request","error_description":"No refresh token is found in request."}',
  ],
  [
    'unknown refresh token',
    { grant_type: 'refresh_token', refresh_token: 'bogus' },
    CLI,
    400,
    '{"error":"invalid_request","error_description":"Refresh token is invalid or has already been claimed by another client."}',
  ],
  [
    'code grant without a code',
    { grant_type: 'authorization_code', redirect_uri: 'http://127.0.0.1:4180/oauth2/callback' },
    'oauth2-proxy:oauth2-proxy-secret',
    400,
    '{"error":"invalid_request","error_description":"Required param: code."}',
  ],
  [
    'unknown code',
    { grant_type: 'authorization_code', code: 'nope', redirect_uri: 'http://127.0.0.1:4180/oauth2/callback' },
    'oauth2-proxy:oauth2-proxy-secret',
    400,
    '{"error":"invalid_grant","error_description":"Invalid or expired code parameter."}',
  ],
];

// oauth2-proxy-and-dex.md §C.
const KEYCLOAK: Case[] = [
  [
    'wrong password',
    { ...PW, username: 'alice', password: 'nope' },
    CLI,
    401,
    '{"error":"invalid_grant","error_description":"Invalid user credentials"}',
  ],
  [
    'unknown user',
    { ...PW, username: 'eve' },
    CLI,
    400,
    '{"error":"invalid_grant","error_description":"Invalid user credentials"}',
  ],
  [
    'missing username',
    { grant_type: 'password', password: 'x' },
    CLI,
    401,
    '{"error":"invalid_request","error_description":"Missing parameter: username"}',
  ],
  [
    'wrong client secret',
    PW,
    'mlflow-cli:wrong',
    401,
    '{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}',
  ],
  [
    'client not allowed the password grant (direct access grants off)',
    PW,
    'mlflow:mlflow-secret',
    400,
    '{"error":"unauthorized_client","error_description":"Client not allowed for direct access grants"}',
  ],
  [
    'client without service account',
    { grant_type: 'client_credentials' },
    CLI,
    401,
    '{"error":"unauthorized_client","error_description":"Client not enabled to retrieve service account"}',
  ],
  [
    'unknown grant type',
    { grant_type: 'urn:example:magic' },
    CLI,
    400,
    '{"error":"unsupported_grant_type","error_description":"Unsupported grant_type"}',
  ],
  [
    'unknown refresh token',
    { grant_type: 'refresh_token', refresh_token: 'bogus' },
    CLI,
    400,
    '{"error":"invalid_grant","error_description":"Invalid refresh token"}',
  ],
];

describe('token-endpoint errors, Dex flavour', () => {
  test.each(DEX)('%s', async (_name, form, basic, status, body) => {
    const lab = await testLab();
    const res = await postToken(lab, form, basic);
    expect([res.status, res.text]).toEqual([status, body]);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  test('a disabled grant is unsupported for every client (Dex oauth2.grantTypes)', async () => {
    const lab = await testLab((cfg) => {
      cfg.idp.grantTypes = ['authorization_code', 'refresh_token', 'client_credentials'];
      for (const c of cfg.clients) c.grantTypes = c.grantTypes.filter((g: string) => g !== 'password');
    });
    const res = await postToken(lab, PW, CLI);
    expect([res.status, res.text]).toEqual([400, '{"error":"unsupported_grant_type"}']);
  });

  test('GET on the token endpoint', async () => {
    const lab = await testLab();
    const res = await fetch(lab.tokenEndpoint);
    expect([res.status, await res.text()]).toEqual([
      400,
      '{"error":"invalid_request","error_description":"method not allowed"}',
    ]);
  });

  test('a public client may not use client_credentials (Dex master)', async () => {
    const lab = await testLab((cfg) => {
      cfg.clients.push({ id: 'notebook', public: true, grantTypes: ['password', 'client_credentials'] });
    });
    const res = await postToken(lab, { grant_type: 'client_credentials', client_id: 'notebook' });
    expect([res.status, res.text]).toEqual([
      400,
      '{"error":"unauthorized_client","error_description":"Public clients cannot use client_credentials grant."}',
    ]);
  });
});

describe('token-endpoint errors, Keycloak flavour', () => {
  test.each(KEYCLOAK)('%s', async (_name, form, basic, status, body) => {
    const lab = await testLab((cfg) => {
      cfg.idp.flavour = 'keycloak';
    });
    const res = await postToken(lab, form, basic);
    expect([res.status, res.text]).toEqual([status, body]);
  });
});
