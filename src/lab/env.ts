// The environment the stock MLflow SDK needs to talk to the lab (DESIGN.md "CLI" `env`, "Library API" `lab.env`):
// the tracking URI (the proxy or the oidc-auth front door), a bearer token or Basic credentials, the workspace, and
// the lab's own `AUTHLAB_*` variables.

export interface LabEnvInput {
  trackingUri: string;
  issuer: string;
  kubeApiUrl?: string;
  /** The token the SDK sends as `Authorization: Bearer` (MLFLOW_TRACKING_TOKEN). */
  token?: string;
  /** Instead of a bearer token: `Basic` credentials (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD). */
  basic?: { username: string; password: string };
  workspace?: string;
  /** `AUTHLAB_HOME`, where `token`, `status` and `down` find the running lab. */
  home?: string;
  /** Under TLS, the lab's CA bundle: every client's trust setting points at it. */
  caFile?: string;
}

export function labEnv(input: LabEnvInput): Record<string, string> {
  return {
    MLFLOW_TRACKING_URI: input.trackingUri,
    ...(input.token !== undefined && { MLFLOW_TRACKING_TOKEN: input.token }),
    ...(input.basic && {
      MLFLOW_TRACKING_USERNAME: input.basic.username,
      MLFLOW_TRACKING_PASSWORD: input.basic.password,
    }),
    ...(input.workspace !== undefined && { MLFLOW_WORKSPACE: input.workspace }),
    AUTHLAB_ISSUER: input.issuer,
    ...(input.kubeApiUrl !== undefined && { AUTHLAB_KUBE_API_URL: input.kubeApiUrl }),
    ...(input.home !== undefined && { AUTHLAB_HOME: input.home }),
    ...(input.caFile !== undefined && trustEnv(input.caFile)),
  };
}

/**
 * The trust settings for a CA bundle: the MLflow SDK's own (`MLFLOW_TRACKING_SERVER_CERT_PATH`, handed to requests as
 * `verify=`), requests' and OpenSSL's for everything else in Python (the token fetch of a plugin, `kubernetes`),
 * and Node's. Never `MLFLOW_TRACKING_INSECURE_TLS`: the MLflow client refuses it together with a cert path.
 */
export function trustEnv(caFile: string): Record<string, string> {
  return {
    MLFLOW_TRACKING_SERVER_CERT_PATH: caFile,
    REQUESTS_CA_BUNDLE: caFile,
    SSL_CERT_FILE: caFile,
    NODE_EXTRA_CA_CERTS: caFile,
  };
}

export const ENV_FORMATS = ['sh', 'fish', 'powershell', 'dotenv', 'json'] as const;
export type EnvFormat = (typeof ENV_FORMATS)[number];

/** POSIX single quotes: everything literal, a quote closed, escaped and reopened. */
const shQuote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
/** fish single quotes: backslash and quote are the only escapes. */
const fishQuote = (v: string) => `'${v.replace(/[\\']/g, (c) => `\\${c}`)}'`;
/** PowerShell single quotes: a quote is doubled. */
const psQuote = (v: string) => `'${v.replace(/'/g, "''")}'`;
/** dotenv double quotes, as python-dotenv and Docker's --env-file read them. */
const dotenvQuote = (v: string) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;

/** Lines to `eval` (sh), `source` (fish), `Invoke-Expression` (PowerShell), or a .env file / JSON object. */
export function formatEnv(vars: Record<string, string>, format: EnvFormat): string {
  const entries = Object.entries(vars);
  switch (format) {
    case 'sh':
      return entries.map(([k, v]) => `export ${k}=${shQuote(v)}`).join('\n');
    case 'fish':
      return entries.map(([k, v]) => `set -gx ${k} ${fishQuote(v)}`).join('\n');
    case 'powershell':
      return entries.map(([k, v]) => `$env:${k} = ${psQuote(v)}`).join('\n');
    case 'dotenv':
      return entries.map(([k, v]) => `${k}=${dotenvQuote(v)}`).join('\n');
    case 'json':
      return JSON.stringify(vars);
  }
}
