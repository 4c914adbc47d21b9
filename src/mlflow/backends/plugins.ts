// The real auth apps a real MLflow can run instead of the lab's emulation (`--mlflow-plugin`): what the lab hands
// each one, and the `mlflow server` flags and environment that make it run, shared by the container and the process
// backends so both start the plugin the same way.
/** The real kubernetes-auth plugin: the lab's gate is off, the plugin asks the lab's fake kube-apiserver. */
export interface KubernetesPluginSetup {
  name: 'kubernetes-auth';
  /** A kubeconfig whose server is the lab's fake kube-apiserver as seen from where MLflow runs. */
  kubeconfig: string;
  /** The plugin's MLFLOW_K8S_* settings. */
  env: Record<string, string>;
  /** Under the lab's TLS, the CA bundle: copied into the container, where Python's trust variables point. */
  caPem?: string;
}

/** The trust variables of the plugin's process (settings.ts SERVER_TRUST_VARIABLES). */
const TRUST_VARIABLES = ['REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE'] as const;
export type TrustVariable = (typeof TRUST_VARIABLES)[number];

/** The real mlflow-oidc-auth plugin: the lab's emulation is off, MLflow's own server is the tracking URI. */
export interface OidcPluginSetup {
  name: 'oidc-auth';
  /** Its settings as environment variables (real-plugin.ts realPluginEnvironment), SECRET_KEY among them. */
  env: Record<string, string>;
  /** Under TLS, which of its process's trust variables point at `caPem` (`oidcAuth.serverTrust`). */
  trust: readonly TrustVariable[];
  /** Under TLS, the CA bundle it trusts the lab's IdP with. */
  caPem?: string;
  /** Under TLS, the certificate (chain) and key its server presents: the tracking URI's. */
  serverTls?: { cert: string; key: string };
}

export type MlflowPluginSetup = KubernetesPluginSetup | OidcPluginSetup;

/** The plugin's database, next to MLflow's (`mlflow.db`) in the data directory or volume. */
export const OIDC_USERS_DB_FILE = 'oidc-auth.db';

/**
 * How long the plugin may take to answer `/health`: its app is built twice (the CLI process, then the worker) and
 * its migrations run at import, 39 to 77 s on the measured host (mlflow-oidc-auth.md §1.1).
 */
export const OIDC_PLUGIN_START_TIMEOUT_MS = 240_000;

/**
 * `mlflow server` flags for the oidc-auth plugin: its app, one worker (the plugin keeps a permission cache per
 * process, and each worker would run the database migrations at import at once), and under TLS the certificate
 * uvicorn serves (`--uvicorn-opts`, which MLflow passes to uvicorn as they are): the plugin builds its
 * `redirect_uri` and landing URLs from the scheme it is reached by, so it must serve HTTPS itself.
 */
export function oidcPluginArgs(files: { cert: string; key: string } | undefined): string[] {
  return [
    ...['--app-name', 'oidc-auth'],
    ...['--workers', '1'],
    ...(files ? ['--uvicorn-opts', `--ssl-certfile ${files.cert} --ssl-keyfile ${files.key}`] : []),
  ];
}

/**
 * The plugin's environment where it runs: its settings, its database `dbFile` (absolute, in the data directory: a
 * file of its own, so its Alembic version table cannot meet MLflow's), and under TLS the trust variables
 * `setup.trust` names pointed at the CA file.
 */
export function oidcPluginEnv(
  setup: OidcPluginSetup,
  where: { dbFile: string; caFile: string | undefined },
): Record<string, string> {
  const env: Record<string, string> = { ...setup.env, OIDC_USERS_DB_URI: `sqlite:///${where.dbFile}` };
  // A variable `trust` leaves out is set empty, which Python's clients read as unset: a value inherited from the
  // user's shell (a local process inherits it) must not trust the lab CA where the config says it does not.
  if (where.caFile !== undefined)
    for (const name of TRUST_VARIABLES) env[name] = setup.trust.includes(name) ? where.caFile : '';
  return env;
}
