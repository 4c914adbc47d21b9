import { describe, expect, test } from 'vitest';
import { isAuthlabError, startLab } from '../../src/index.js';
import { claimsOf, postToken, testLab } from './helpers.js';

describe('startLab()', () => {
  test('await using disposes the lab: its port closes and later calls fail with AUTHLAB_DISPOSED', async () => {
    let endpoint: string;
    let escaped: Awaited<ReturnType<typeof startLab>> | undefined;
    {
      await using lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 } });
      endpoint = lab.tokenEndpoint;
      escaped = lab;
      expect((await fetch(lab.discoveryUrl)).status).toBe(200);
    }
    await expect(fetch(endpoint, { method: 'POST' })).rejects.toThrow('fetch failed');
    const error = await escaped!.token().catch((e: unknown) => e);
    expect(isAuthlabError(error)).toBe(true);
    expect((error as Error).message).toBe('this lab has been disposed');
    await escaped!.dispose(); // idempotent
  });

  test('two labs in one process are independent (own keys, own stores)', async () => {
    const a = await testLab();
    const b = await testLab();
    expect(a.issuer).not.toBe(b.issuer);
    expect(a.idp.keyIds()).not.toEqual(b.idp.keyIds());
    const { refresh_token } = await a.tokenResponse({ user: 'alice' });
    const other = await postToken(
      b,
      { grant_type: 'refresh_token', refresh_token: refresh_token as string },
      'mlflow-cli:mlflow-cli-secret',
    );
    expect(other.status).toBe(400);
  });

  test('unknown users and clients are errors with a hint, before any request', async () => {
    const lab = await testLab();
    const error = await lab.token({ user: 'eve' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'AUTHLAB_UNKNOWN_USER',
      hint: 'Use one of: alice, bob, carol, mallory; or pass --password for a user the IdP knows.',
    });
    expect((error as Error).message).toMatch(/^no user "eve" in the lab config \(.*fixtures\/lab\.yaml\)$/);
    await expect(lab.token({ client: 'nope' })).rejects.toMatchObject({ code: 'AUTHLAB_UNKNOWN_CLIENT' });
  });

  test('Keycloak flavour: password grant response shape and claims', async () => {
    const lab = await testLab((cfg) => {
      cfg.idp.flavour = 'keycloak';
    });
    const res = await postToken(
      lab,
      { grant_type: 'password', username: 'carol', password: 'carol-password', scope: 'openid' },
      'mlflow-cli:mlflow-cli-secret',
    );
    const body = JSON.parse(res.text);
    expect(Object.keys(body)).toEqual([
      'access_token',
      'expires_in',
      'refresh_expires_in',
      'refresh_token',
      'token_type',
      'id_token',
      'not-before-policy',
      'session_state',
      'scope',
    ]);
    expect(body).toMatchObject({
      token_type: 'Bearer',
      scope: 'openid email profile',
      'not-before-policy': 0,
    });
    const id = claimsOf(body.id_token);
    expect(id).toMatchObject({
      aud: 'mlflow-cli',
      azp: 'mlflow-cli',
      typ: 'ID',
      sub: '3da07c75-2f6b-4b5e-9f90-8c3e4b5d6c03',
      sid: body.session_state,
      preferred_username: 'carol',
      email: 'carol@example.com',
      groups: ['mlflow-admins'],
    });
    expect(claimsOf(body.access_token)).toMatchObject({ aud: 'account', azp: 'mlflow-cli', typ: 'Bearer' });
  });
});

describe("the lab's MLflow (emulator backend)", () => {
  test("serves on its own port with the lab's workspaces; reset() empties it; dispose() closes it", async () => {
    const lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 } });
    expect(lab.mlflow).toMatchObject({
      backend: 'emulator',
      reason: "startLab()'s default (in-process, offline)",
    });
    expect(lab.info().mlflow).toEqual({
      backend: 'emulator',
      url: lab.mlflow!.url,
      reason: lab.mlflow!.reason,
    });
    const api = (path: string, init?: RequestInit) => fetch(`${lab.mlflow!.url}${path}`, init);
    expect(await (await api('/api/3.0/mlflow/workspaces')).json()).toEqual({
      workspaces: [
        { name: 'default', description: 'Default workspace for legacy resources' },
        { name: 'team-a', description: 'Team A' },
        { name: 'team-b', description: 'Team B' },
      ],
    });
    const create = () =>
      api('/api/2.0/mlflow/experiments/create', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-mlflow-workspace': 'team-b' },
        body: JSON.stringify({ name: 'exp' }),
      });
    expect((await create()).status).toBe(200);
    expect((await create()).status).toBe(400); // already exists
    // The stack's auth app (DESIGN.md "Auth stacks"): the gate, behind the proxy; reset() resets it too.
    expect(lab.authApp).toBe(lab.gate);
    expect([lab.authApp?.stack, lab.authApp?.frontDoor]).toEqual(['kubernetes-auth', false]);
    lab.reset();
    expect((await create()).status).toBe(200);
    const url = lab.mlflow!.url;
    await lab.dispose();
    await expect(fetch(`${url}/health`)).rejects.toThrow('fetch failed');
  });

  test('mlflow: { backend: "none" } starts no MLflow', async () => {
    await using lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0 }, mlflow: { backend: 'none' } });
    expect(lab.mlflow).toBeUndefined();
    expect(lab.authApp).toBeUndefined();
    expect(lab.info()).toEqual({
      auth: 'kubernetes-auth',
      issuer: lab.issuer,
      tokenEndpoint: lab.tokenEndpoint,
      kubeApiUrl: lab.kubeApiUrl,
    });
    expect(lab.gate).toBeUndefined();
  });
});

describe('lab.env()', () => {
  test('gives the stock SDK the tracking URI, a token for the user and the workspace', async () => {
    await using lab = await startLab({ ports: { proxy: 0, idp: 0, kube: 0, mlflow: 0 }, env: {} });
    const env = await lab.env({ user: 'bob', workspace: 'team-b' });
    expect(env).toMatchObject({
      MLFLOW_TRACKING_URI: lab.trackingUri,
      MLFLOW_WORKSPACE: 'team-b',
      AUTHLAB_ISSUER: lab.issuer,
      AUTHLAB_KUBE_API_URL: lab.kubeApiUrl,
    });
    const res = await fetch(`${env.MLFLOW_TRACKING_URI}/api/2.0/mlflow/experiments/search`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${env.MLFLOW_TRACKING_TOKEN}`,
        'x-mlflow-workspace': env.MLFLOW_WORKSPACE!,
        'content-type': 'application/json',
      },
      body: '{"max_results":5}',
    });
    expect(res.status).toBe(200);
    expect((await lab.env()).MLFLOW_WORKSPACE).toBe('team-a');
  });
});
