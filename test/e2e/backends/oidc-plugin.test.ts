/**
 * `--mlflow-plugin oidc-auth`: the real mlflow-oidc-auth plugin inside a real MLflow, its own server the tracking URI,
 * the lab's emulation of it off (issue 19). Neither PyPI nor a registry is reachable here, so the plugin is played by a
 * stand-in (fixtures/oidc-auth-standin.mjs): the lab's OWN oidc-auth front door and emulator, configured only from the
 * environment and flags the lab hands the real plugin. What that proves is the lab's side: the environment (every
 * setting, SECRET_KEY, the database, the trust variables), the network path to the IdP (a bearer token verified
 * where the plugin runs, from the IdP's discovery document and JWKS; /login to the IdP's authorize URL at
 * 127.0.0.1), the seeding through the plugin's own login and API (a Basic access token works), in a local process
 * and in a container on a real engine (Podman in CI, see DESIGN.md "Container engine in CI").
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { generateKeyPair, SignJWT, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { isAuthlabError, type AuthlabError } from '../../../src/errors.js';
import { startLab, type LabOptions, type StartedLab } from '../../../src/lab/start-lab.js';
import {
  CONTAINER_CA_FILE,
  CONTAINER_TLS_CERT,
  CONTAINER_TLS_KEY,
  containerSpec,
  type ContainerBackend,
} from '../../../src/mlflow/backends/container.js';
import {
  hostNetworkProblem,
  probeContainerEngine,
  type ContainerEngine,
} from '../../../src/mlflow/backends/engine.js';
import { contentTag, PLUGIN_IMAGES, pinnedMlflowImage } from '../../../src/mlflow/backends/images.js';
import type { OidcPluginSetup } from '../../../src/mlflow/backends/plugins.js';
import type { ProcessBackend } from '../../../src/mlflow/backends/process.js';
import { fetchTrusting } from '../../../src/trusted-fetch.js';
import { defaultLabObject, FIXTURES } from '../../integration/helpers.js';
import { upJson } from '../up-json.js';
import { buildStandinImage } from './standin-image.js';

const STANDIN = fileURLToPath(new URL('./fixtures/oidc-auth-standin.mjs', import.meta.url));
const STANDIN_COMMAND = `${process.execPath} ${STANDIN}`;
const PORTS = { proxy: 0, idp: 0, kube: 0, mlflow: 0 };
const AUTH_REQUIRED = '{"detail":"Authentication required"}';
const DENIED = '{"message":"Permission denied"}\n';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'authlab-oidc-plugin-'));
  dirs.push(dir);
  return dir;
}

/** The default lab as an object, with the oidc-auth stack's Keycloak flavour and the given `oidcAuth:` section. */
async function oidcConfig(oidcAuth: Record<string, unknown>): Promise<Record<string, any>> {
  const cfg = await defaultLabObject();
  cfg.rbac = [path.join(FIXTURES, 'rbac/default-lab.yaml')];
  cfg.auth = 'oidc-auth';
  cfg.idp.flavour = 'keycloak';
  cfg.oidcAuth = oidcAuth;
  return cfg;
}

async function realPluginLab(
  mlflow: LabOptions['mlflow'],
  o: Omit<LabOptions, 'mlflow' | 'auth'> = {},
): Promise<StartedLab> {
  const lab = await startLab({ ports: PORTS, env: {}, auth: 'oidc-auth', ...o, mlflow });
  onTestFinished(() => lab.dispose());
  return lab;
}

async function startError(promise: Promise<unknown>): Promise<AuthlabError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAuthlabError(error)) throw new Error(`expected an AuthlabError, got ${String(error)}`);
  return error;
}

/** The settings every default lab hands the plugin (SECRET_KEY aside: a new one per lab). */
function defaultSettings(lab: StartedLab): Record<string, string> {
  return {
    OIDC_DISCOVERY_URL: lab.discoveryUrl,
    OIDC_CLIENT_ID: 'mlflow-oidc-auth',
    OIDC_CLIENT_SECRET: 'mlflow-oidc-auth-secret',
    OIDC_SCOPE: 'openid email profile groups',
    OIDC_GROUPS_ATTRIBUTE: 'groups',
    OIDC_GROUP_NAME: 'team-a-editors,team-b-viewers,team-a-pipelines',
    OIDC_ADMIN_GROUP_NAME: 'mlflow-admins',
    OIDC_PROVIDER_DISPLAY_NAME: 'Login with OIDC',
    OIDC_SESSION_EXPIRY_LEEWAY_SECONDS: '30',
    OIDC_USE_REFRESH_TOKEN: 'false',
    OIDC_JWKS_CACHE_TTL_SECONDS: '300',
    SESSION_COOKIE_NAME: 'session',
    SESSION_COOKIE_MAX_AGE_SECONDS: '1209600',
    SESSION_COOKIE_SAMESITE: 'lax',
    SESSION_COOKIE_SECURE: 'false',
    DEFAULT_MLFLOW_PERMISSION: 'MANAGE',
    PERMISSION_SOURCE_ORDER: 'user,group,regex,group-regex',
    MLFLOW_ENABLE_WORKSPACES: 'true',
    OIDC_WORKSPACE_CLAIM_NAME: 'workspace',
    OIDC_WORKSPACE_DEFAULT_PERMISSION: 'NO_PERMISSIONS',
    DEFAULT_LANDING_PAGE_IS_PERMISSIONS: 'true',
    AUTOMATIC_LOGIN_REDIRECT: 'false',
    OIDC_GEN_AI_GATEWAY_ENABLED: 'true',
    ENABLE_API_DOCS: 'false',
  };
}

/**
 * What a lab running the real plugin (here its stand-in) must show, wherever the plugin runs: the tracking URI is the
 * plugin's own server; a bearer token verifies there against the IdP's keys and a forged one does not; /login sends
 * the browser to the IdP at 127.0.0.1; the seeded users, groups, workspaces and grants give everyone the access the
 * emulation gives; a Basic access token works.
 */
async function provesThePlugin(lab: StartedLab, fetcher: typeof fetch = fetch): Promise<void> {
  expect(lab.oidcAuth).toBeUndefined();
  expect(lab.authApp).toBeUndefined();
  expect(lab.proxy).toBeUndefined();
  expect(lab.gate).toBeUndefined();
  expect(lab.trackingUri).toBe(lab.mlflow!.url);
  expect(lab.info().trackingUri).toBe(lab.mlflow!.url);
  const call = async (
    method: string,
    route: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ) => {
    const res = await fetcher(`${lab.trackingUri}${route}`, {
      method,
      redirect: 'manual',
      headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, location: res.headers.get('location'), text: await res.text() };
  };
  const bearer = async (user: string) => ({ authorization: `Bearer ${await lab.token({ user })}` });
  const teamA = { 'x-mlflow-workspace': 'team-a' };
  // Names of their own: a lab restarted on its state directory still has the first run's experiments.
  const name = (what: string) => `${what}-${Date.now().toString(36)}`;
  const experiment = name('through-the-real-plugin');

  expect(await call('GET', '/health')).toMatchObject({ status: 200, text: '{"status":"ok"}' });
  expect(await call('POST', '/api/2.0/mlflow/experiments/search', {}, {})).toMatchObject({
    status: 401,
    text: AUTH_REQUIRED,
  });

  // The browser's way in: the IdP's authorize endpoint at 127.0.0.1, back to <tracking URI>/callback.
  const login = await call('GET', '/login');
  expect(login.status).toBe(302);
  const authorize = new URL(login.location!);
  expect(`${authorize.origin}${authorize.pathname}`).toBe(`${lab.issuer}/protocol/openid-connect/auth`);
  expect(authorize.hostname).toBe('127.0.0.1');
  expect(authorize.searchParams.get('client_id')).toBe('mlflow-oidc-auth');
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${lab.trackingUri}/callback`);
  expect(authorize.searchParams.get('scope')).toBe('openid email profile groups');

  // Bearer tokens, verified where the plugin runs with the keys from the IdP's discovery document and JWKS.
  const alice = await bearer('alice');
  const created = await call(
    'POST',
    '/api/2.0/mlflow/experiments/create',
    { ...alice, ...teamA },
    { name: experiment },
  );
  expect(created.status).toBe(200);
  expect(created.text).toMatch(/^\{"experiment_id":"\d+"\}$/);
  const { privateKey } = await generateKeyPair('RS256');
  const token = alice.authorization.slice('Bearer '.length);
  const kid = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;
  const forged = await new SignJWT(decodeJwt(token))
    .setProtectedHeader({ alg: 'RS256', kid })
    .sign(privateKey);
  expect(
    await call('POST', '/api/2.0/mlflow/experiments/search', { authorization: `Bearer ${forged}` }, {}),
  ).toMatchObject({ status: 401, text: AUTH_REQUIRED });

  // The seed: alice's group may create in team-a, bob's may only read team-b, mallory has nothing.
  for (const user of ['bob', 'mallory']) {
    const refused = await call(
      'POST',
      '/api/2.0/mlflow/experiments/create',
      { ...(await bearer(user)), ...teamA },
      { name: `${user}-may-not` },
    );
    expect([user, refused.status, refused.text]).toEqual([user, 403, DENIED]);
  }
  const me = await call('GET', '/api/2.0/mlflow/users/current', alice);
  expect(JSON.parse(me.text)).toMatchObject({
    username: 'alice@example.com',
    display_name: 'Alice Anders',
    is_admin: false,
    is_service_account: false,
    groups: [{ group_name: 'team-a-editors' }],
  });
  const carol = await bearer('carol');
  expect(JSON.parse((await call('GET', '/api/2.0/mlflow/users/current', carol)).text)).toMatchObject({
    username: 'carol@example.com',
    is_admin: true,
  });
  expect(
    JSON.parse((await call('GET', '/api/3.0/mlflow/permissions/workspaces/team-a/groups', carol)).text),
  ).toEqual([{ workspace: 'team-a', group_name: 'team-a-editors', permission: 'MANAGE' }]);
  expect(
    JSON.parse((await call('GET', '/api/3.0/mlflow/permissions/workspaces/team-b/groups', carol)).text),
  ).toEqual([{ workspace: 'team-b', group_name: 'team-b-viewers', permission: 'READ' }]);
  // The pipeline's service account: a row of its own and a user rule, since the API cannot give it groups; carol
  // holds MANAGE as the workspace's creator (the plugin's CreateWorkspace grant).
  expect(
    JSON.parse((await call('GET', '/api/3.0/mlflow/permissions/workspaces/team-a/users', carol)).text),
  ).toEqual([
    { workspace: 'team-a', username: 'carol@example.com', permission: 'MANAGE' },
    { workspace: 'team-a', username: 'service-account-mlflow', permission: 'MANAGE' },
  ]);
  const pipeline = await lab.token({ grant: 'client_credentials', client: 'mlflow' });
  const byPipeline = await call(
    'POST',
    '/api/2.0/mlflow/experiments/create',
    { authorization: `Bearer ${pipeline}`, ...teamA },
    { name: name('by-the-pipeline') },
  );
  expect(byPipeline.status).toBe(200);

  // Basic with an access token from the plugin's own API.
  const { username, token: secret } = await lab.accessToken({ user: 'alice' });
  expect(username).toBe('alice@example.com');
  const basic = { authorization: `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}` };
  const search = await call(
    'POST',
    '/api/2.0/mlflow/experiments/search',
    { ...basic, ...teamA },
    { max_results: 100 },
  );
  expect(search.status).toBe(200);
  expect(JSON.parse(search.text).experiments.map((e: { name: string }) => e.name)).toContain(experiment);
}

test('docker/mlflow-oidc-auth: the pinned MLflow image plus mlflow-oidc-auth 7.3.1, built as its own content-tagged image', async () => {
  const dockerfile = await readFile(
    new URL('../../../docker/mlflow-oidc-auth/Dockerfile', import.meta.url),
    'utf8',
  );
  expect(dockerfile).toContain(`ARG BASE_IMAGE=${pinnedMlflowImage()}\nFROM \${BASE_IMAGE}\n`);
  expect(dockerfile).toContain('RUN pip install --no-cache-dir mlflow-oidc-auth==7.3.1 \\\n');
  expect(PLUGIN_IMAGES['oidc-auth']).toEqual({
    context: fileURLToPath(new URL('../../../docker/mlflow-oidc-auth', import.meta.url)),
    repository: 'mlflow-authlab/mlflow-oidc-auth',
  });
  const args = { BASE_IMAGE: pinnedMlflowImage() };
  const tag = await contentTag('mlflow-authlab/mlflow-oidc-auth', PLUGIN_IMAGES['oidc-auth'].context, args);
  expect(tag).toMatch(/^mlflow-authlab\/mlflow-oidc-auth:[0-9a-f]{12}$/);
  expect(await contentTag('mlflow-authlab/mlflow-oidc-auth', PLUGIN_IMAGES['oidc-auth'].context, args)).toBe(
    tag,
  );
  expect(
    await contentTag('mlflow-authlab/mlflow-oidc-auth', PLUGIN_IMAGES['oidc-auth'].context, {
      BASE_IMAGE: 'ghcr.io/mlflow/mlflow:v3.10.0',
    }),
  ).not.toBe(tag);
});

test("the plugin's container: mlflow server --app-name oidc-auth on the host's network at the tracking URI's port, its settings and database in the environment", () => {
  const plugin: OidcPluginSetup = {
    name: 'oidc-auth',
    env: { OIDC_CLIENT_ID: 'mlflow-oidc-auth', SECRET_KEY: 's3cr3t' },
    trust: ['REQUESTS_CA_BUNDLE'],
  };
  const plain = containerSpec({ image: 'i', plugin, pid: 7, listen: { host: '127.0.0.1', port: 4180 } });
  expect(plain).toEqual({
    image: 'i',
    command: [
      'mlflow',
      'server',
      ...['--host', '127.0.0.1', '--port', '4180'],
      '--enable-workspaces',
      ...['--backend-store-uri', 'sqlite:////mlflow/mlflow.db'],
      '--serve-artifacts',
      ...['--artifacts-destination', '/mlflow/artifacts'],
      ...['--app-name', 'oidc-auth', '--workers', '1'],
    ],
    environment: {
      OIDC_CLIENT_ID: 'mlflow-oidc-auth',
      SECRET_KEY: 's3cr3t',
      OIDC_USERS_DB_URI: 'sqlite:////mlflow/oidc-auth.db',
    },
    volume: undefined,
    labels: { 'io.github.mlflow-authlab.lab': 'mlflow', 'io.github.mlflow-authlab.pid': '7' },
    network: 'host',
  });
  // Under TLS: uvicorn serves the lab's certificate; the trust variables `serverTrust` names point at the lab CA,
  // the other one is emptied (Python reads an empty one as unset).
  const tls = containerSpec({
    image: 'i',
    plugin: { ...plugin, caPem: 'CA', serverTls: { cert: 'C', key: 'K' } },
    listen: { host: '127.0.0.1', port: 4180 },
  });
  expect(tls.command.slice(-6)).toEqual([
    '--app-name',
    'oidc-auth',
    '--workers',
    '1',
    '--uvicorn-opts',
    `--ssl-certfile ${CONTAINER_TLS_CERT} --ssl-keyfile ${CONTAINER_TLS_KEY}`,
  ]);
  expect(tls.environment).toMatchObject({ REQUESTS_CA_BUNDLE: CONTAINER_CA_FILE, SSL_CERT_FILE: '' });
});

test("an engine whose containers do not share this machine's loopback is refused for the oidc-auth plugin, saying why", async () => {
  const remote = { name: 'docker 28.2.2', podman: false, local: false } as ContainerEngine;
  expect(await hostNetworkProblem(remote)).toBe(
    'docker 28.2.2 runs its containers on another machine (DOCKER_HOST)',
  );
});

describe('inconsistent or impossible requests are refused before anything runs', () => {
  test('--mlflow-plugin oidc-auth with the kubernetes-auth stack, and the other way round', async () => {
    const error = await startError(
      startLab({
        ports: PORTS,
        env: {},
        mlflow: { backend: 'process', command: 'mlflow', plugin: 'oidc-auth' },
      }),
    );
    expect([error.code, error.message, error.hint]).toEqual([
      'AUTHLAB_INVALID_ARGUMENT',
      "the oidc-auth plugin is the oidc-auth stack's auth app, but the auth stack is kubernetes-auth",
      'Add --auth oidc-auth (auth: "oidc-auth" in the library or the config) to run the real mlflow-oidc-auth plugin, or drop --mlflow-plugin.',
    ]);
    const other = await startError(
      startLab({
        ports: PORTS,
        env: {},
        auth: 'oidc-auth',
        mlflow: { backend: 'container', plugin: 'kubernetes-auth' },
      }),
    );
    expect([other.code, other.message, other.hint]).toEqual([
      'AUTHLAB_INVALID_ARGUMENT',
      "the kubernetes-auth plugin is the kubernetes-auth stack's auth app, but the auth stack is oidc-auth",
      'Use --mlflow-plugin oidc-auth for the oidc-auth stack, or --auth kubernetes-auth for the real kubernetes-auth plugin.',
    ]);
  });

  test('the oidc-auth plugin with the emulator: it runs inside a real MLflow only', async () => {
    const error = await startError(
      startLab({
        ports: PORTS,
        env: {},
        auth: 'oidc-auth',
        mlflow: { backend: 'emulator', plugin: 'oidc-auth' },
      }),
    );
    expect([error.message, error.hint]).toEqual([
      'the oidc-auth plugin runs inside a real MLflow, but the backend is emulator',
      'Use --mlflow container (or process, with an MLflow that has mlflow-oidc-auth==7.3.1 installed).',
    ]);
  });

  test("oidcAuth.kagentiPatch with the real plugin: kagenti's patches are code, not settings", async () => {
    const error = await startError(
      startLab({
        config: (await oidcConfig({ kagentiPatch: true })) as never,
        ports: PORTS,
        env: {},
        mlflow: { backend: 'process', command: STANDIN_COMMAND, plugin: 'oidc-auth' },
      }),
    );
    expect([error.code, error.message, error.hint]).toEqual([
      'AUTHLAB_INVALID_ARGUMENT',
      "oidcAuth.kagentiPatch asks for kagenti's patches to the plugin, but the real mlflow-oidc-auth plugin runs as released (--mlflow-plugin oidc-auth): kagenti patches its code in its own start script, and no setting does that",
      "Drop --mlflow-plugin to run the lab's emulation with the patches, or set oidcAuth.kagentiPatch: false to run the real plugin as released.",
    ]);
  });

  test('up --mlflow-plugin oidc-auth without --auth oidc-auth: exit 1 with the hint', async () => {
    const dir = await tempDir();
    const result = await execa(
      process.execPath,
      [
        fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url)),
        'up',
        ...['--port', '0', '--idp-port', '0', '--kube-port', '0', '--mlflow-port', '0'],
        ...['--mlflow', 'process', '--mlflow-command', STANDIN_COMMAND, '--mlflow-plugin', 'oidc-auth'],
      ],
      { cwd: dir, env: { AUTHLAB_HOME: path.join(dir, 'home') }, reject: false },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      [
        "error: the oidc-auth plugin is the oidc-auth stack's auth app, but the auth stack is kubernetes-auth",
        'hint: Add --auth oidc-auth (auth: "oidc-auth" in the library or the config) to run the real mlflow-oidc-auth plugin, or drop --mlflow-plugin.',
      ].join('\n'),
    );
  });
});

describe('the oidc-auth plugin as a local process (mlflow server --app-name oidc-auth; the stand-in)', () => {
  test('gets every setting, a secret key it never logs and its database in the data directory; the lab seeds it through its login and API', async () => {
    const lab = await realPluginLab({ backend: 'process', command: STANDIN_COMMAND, plugin: 'oidc-auth' });
    const server = lab.mlflow!.server as ProcessBackend;
    expect(lab.mlflow!.backend).toBe('process');
    const logs = server.logs().join('\n');
    expect(logs).toMatch(
      / --enable-workspaces --backend-store-uri sqlite:\/\/\/\S+\/mlflow\.db --serve-artifacts --artifacts-destination \S+ --app-name oidc-auth --workers 1$/m,
    );
    expect(logs).toContain(
      `oidc-auth stand-in: OIDC_DISCOVERY_URL=${lab.discoveryUrl} OIDC_CLIENT_ID=mlflow-oidc-auth OIDC_SCOPE=openid email profile groups OIDC_GROUP_NAME=team-a-editors,team-b-viewers,team-a-pipelines OIDC_ADMIN_GROUP_NAME=mlflow-admins MLFLOW_ENABLE_WORKSPACES=true OIDC_USERS_DB_URI=sqlite:///${path.join(server.dataDir, 'oidc-auth.db')} `,
    );
    expect(logs).toContain('SECRET_KEY=(set, 32 characters)');
    expect(server.port).toBe(Number(new URL(lab.trackingUri!).port));
    await provesThePlugin(lab);
    // The plugin's database is its own file, in the data directory.
    expect(existsSync(path.join(server.dataDir, 'oidc-auth.db'))).toBe(true);
  });

  test('under --tls the plugin serves the lab certificate and trusts the lab CA through REQUESTS_CA_BUNDLE and SSL_CERT_FILE', async () => {
    const lab = await realPluginLab(
      { backend: 'process', command: STANDIN_COMMAND, plugin: 'oidc-auth' },
      { tls: true },
    );
    const server = lab.mlflow!.server as ProcessBackend;
    expect(lab.trackingUri).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = path.join(server.dataDir, 'ca.pem');
    const logs = server.logs().join('\n');
    expect(logs).toContain(
      `--uvicorn-opts --ssl-certfile ${path.join(server.dataDir, 'server.pem')} --ssl-keyfile ${path.join(server.dataDir, 'server-key.pem')}`,
    );
    expect(logs).toContain(`REQUESTS_CA_BUNDLE=${ca} SSL_CERT_FILE=${ca} `);
    await provesThePlugin(lab, fetchTrusting(lab.tls!.trustPem));
  });

  test("oidcAuth.serverTrust without SSL_CERT_FILE: bearer tokens verify, the browser login fails as the real plugin's does, and the lab says it could not seed", async () => {
    const warnings: string[] = [];
    const lab = await startLab({
      config: (await oidcConfig({ serverTrust: ['REQUESTS_CA_BUNDLE'] })) as never,
      ports: PORTS,
      env: {},
      tls: true,
      mlflow: { backend: 'process', command: STANDIN_COMMAND, plugin: 'oidc-auth' },
      log: { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: () => {} },
    });
    onTestFinished(() => lab.dispose());
    const server = lab.mlflow!.server as ProcessBackend;
    expect(server.logs().join('\n')).toContain(
      `REQUESTS_CA_BUNDLE=${path.join(server.dataDir, 'ca.pem')} SSL_CERT_FILE= `,
    );
    expect(warnings).toContain(
      `the mlflow-oidc-auth plugin at ${lab.trackingUri} could not sign in through the lab's IdP (alice: GET /login answered 500 {"detail":"Failed to initiate OIDC login"}); its database was not seeded: oidcAuth.serverTrust withholds SSL_CERT_FILE, so its browser login fails`,
    );
    const trusted = fetchTrusting(lab.tls!.trustPem);
    const search = await trusted(`${lab.trackingUri}/api/2.0/mlflow/experiments/search`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await lab.token({ user: 'alice' })}`,
        'content-type': 'application/json',
      },
      body: '{"max_results":5}',
    });
    expect(search.status).toBe(200);
  });

  test('up --auth oidc-auth --mlflow process --mlflow-plugin oidc-auth: the tracking URI is the plugin, the banner says the emulation is off', async () => {
    const dir = await tempDir();
    const { child, info, stderr } = await upJson({
      cwd: dir,
      env: { AUTHLAB_HOME: path.join(dir, 'home') },
      args: [
        ...['--auth', 'oidc-auth', '--mlflow', 'process'],
        ...['--mlflow-command', STANDIN_COMMAND, '--mlflow-plugin', 'oidc-auth'],
      ],
    });
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    expect(info.auth).toBe('oidc-auth');
    expect(info.trackingUri).toBe(info.mlflow.url);
    await expect.poll(stderr).toMatch(/Press Ctrl-C to stop/);
    expect(stderr()).toContain(
      '  auth stack       (off: the real mlflow-oidc-auth plugin runs inside MLflow)\n',
    );
    expect((await fetch(`${info.trackingUri}/health`)).status).toBe(200);
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(0);
  });
});

const probe = await probeContainerEngine();
const engine: ContainerEngine | undefined = 'engine' in probe ? probe.engine : undefined;
const noEngine = 'error' in probe ? `no container engine (${probe.error}); CI runs Podman` : '';
const hostNetwork = engine ? await hostNetworkProblem(engine) : undefined;

describe.skipIf(!engine || hostNetwork)(
  `the oidc-auth plugin in a container on a real engine, a local stand-in image (not the plugin image)${
    noEngine ? ` (skipped: ${noEngine})` : hostNetwork ? ` (skipped: ${hostNetwork})` : ''
  }`,
  () => {
    let image: string;
    beforeAll(async () => {
      image = await buildStandinImage(engine!);
    }, 300_000);

    async function inspect(lab: StartedLab) {
      return engine!.docker.getContainer((lab.mlflow!.server as ContainerBackend).containerId).inspect();
    }

    test("runs on the host's network at the tracking URI, configured only by the environment the lab passes; the plugin inside reaches the IdP", async () => {
      const lab = await realPluginLab({ backend: 'container', image, plugin: 'oidc-auth' });
      const server = lab.mlflow!.server as ContainerBackend;
      expect(lab.mlflow!.backend).toBe('container');
      const info = await inspect(lab);
      expect(info.HostConfig.NetworkMode).toBe('host');
      const port = Number(new URL(lab.trackingUri!).port);
      expect(info.Config.Cmd).toEqual(
        containerSpec({
          image,
          plugin: { name: 'oidc-auth', env: {}, trust: [] },
          listen: { host: '127.0.0.1', port },
        }).command,
      );
      const env = Object.fromEntries(
        info.Config.Env.map((e: string) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
      );
      expect(env).toMatchObject({
        ...defaultSettings(lab),
        OIDC_USERS_DB_URI: 'sqlite:////mlflow/oidc-auth.db',
        SECRET_KEY: expect.stringMatching(/^[0-9a-f]{32}$/),
      });
      expect(env.REQUESTS_CA_BUNDLE).toBeUndefined();
      // The secret goes to the plugin's environment only.
      expect(server.logs().join('\n')).not.toContain(env.SECRET_KEY);
      expect(server.logs().join('\n')).toContain('SECRET_KEY=(set, 32 characters)');
      await provesThePlugin(lab);
    });

    test('under --tls: the lab CA and certificate are copied in, the plugin serves HTTPS and trusts the IdP through both variables', async () => {
      const lab = await realPluginLab({ backend: 'container', image, plugin: 'oidc-auth' }, { tls: true });
      expect(lab.trackingUri).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const info = await inspect(lab);
      expect(info.Config.Env).toEqual(
        expect.arrayContaining([
          `REQUESTS_CA_BUNDLE=${CONTAINER_CA_FILE}`,
          `SSL_CERT_FILE=${CONTAINER_CA_FILE}`,
        ]),
      );
      expect(info.Config.Cmd!.slice(-2)).toEqual([
        '--uvicorn-opts',
        `--ssl-certfile ${CONTAINER_TLS_CERT} --ssl-keyfile ${CONTAINER_TLS_KEY}`,
      ]);
      await provesThePlugin(lab, fetchTrusting(lab.tls!.trustPem));
    });

    test('with a state directory the plugin database lives in the volume and the seed is brought up to date on restart', async () => {
      const stateDir = await tempDir();
      const options = { stateDir };
      const first = await realPluginLab({ backend: 'container', image, plugin: 'oidc-auth' }, options);
      const volume = (first.mlflow!.server as ContainerBackend).volume!;
      onTestFinished(() =>
        engine!.docker
          .getVolume(volume)
          .remove()
          .catch(() => undefined),
      );
      const { token } = await first.accessToken({ user: 'bob' });
      await first.dispose();
      const again = await realPluginLab({ backend: 'container', image, plugin: 'oidc-auth' }, options);
      // bob's access token is in the plugin's database, which the volume kept.
      const basic = `Basic ${Buffer.from(`bob@example.com:${token}`).toString('base64')}`;
      const res = await fetch(`${again.trackingUri}/api/2.0/mlflow/users/current`, {
        headers: { authorization: basic },
      });
      expect(res.status).toBe(200);
      await provesThePlugin(again);
    });
  },
);
