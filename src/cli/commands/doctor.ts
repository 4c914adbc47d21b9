import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { diagnose } from '../../doctor/diagnose.js';
import { formatReport } from '../../doctor/format.js';
import { AuthlabError } from '../../errors.js';
import { readLabState } from '../../lab/state-file.js';
import { out } from '../output.js';

interface DoctorArgs {
  token?: string;
  'token-file'?: string;
  'token-env': string;
  'tracking-uri'?: string;
  issuer?: string;
  'ca-file'?: string;
  workspace?: string;
  audience?: string;
  username?: string;
  'password-env': string;
  'otlp-experiment'?: string;
  json: boolean;
}

/**
 * `doctor`: diagnoses a token (and Basic credentials, for mlflow-oidc-auth's access tokens) against a tracking URI,
 * the lab's or any deployment's (DESIGN.md "CLI"). Defaults come from the running lab when there is one; the token
 * and the password are read exactly as given, whitespace included, and a password only from the environment.
 */
export const doctorCommand: CommandModule<object, DoctorArgs> = {
  command: 'doctor',
  describe:
    'Check a token and a tracking URI: whitespace, JWT, expiry, issuer, audience, groups, TLS, the MLflow call',
  builder: (y: Argv) =>
    y
      .option('token', { type: 'string', describe: 'the token itself (prefer --token-file or --token-env)' })
      .option('token-file', { type: 'string', describe: 'a file holding the token, read as is' })
      .option('token-env', {
        type: 'string',
        default: 'MLFLOW_TRACKING_TOKEN',
        describe: 'the environment variable holding the token',
      })
      .option('tracking-uri', {
        type: 'string',
        describe: 'default: MLFLOW_TRACKING_URI, else the running lab',
      })
      .option('issuer', {
        type: 'string',
        describe: "the issuer the proxy trusts (default: the token's iss)",
      })
      .option('ca-file', {
        type: 'string',
        describe:
          'CA bundle the client uses (default: MLFLOW_TRACKING_SERVER_CERT_PATH, the lab’s, else the system store)',
      })
      .option('workspace', { type: 'string', describe: 'default: MLFLOW_WORKSPACE' })
      .option('audience', { type: 'string', describe: 'the client id the proxy accepts as audience' })
      .option('username', {
        type: 'string',
        describe:
          'Basic credentials (mlflow-oidc-auth access tokens): the user (default: MLFLOW_TRACKING_USERNAME)',
      })
      .option('password-env', {
        type: 'string',
        default: 'MLFLOW_TRACKING_PASSWORD',
        describe: 'the environment variable holding the Basic password (the access token)',
      })
      .option('otlp-experiment', {
        type: 'string',
        describe: 'also check an OTLP export to /v1/traces with this X-Mlflow-Experiment-Id',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
      .conflicts('token', 'token-file') as Argv<DoctorArgs>,
  handler: async (argv) => {
    const state = await readLabState();
    const username = nonEmpty(argv.username ?? process.env.MLFLOW_TRACKING_USERNAME);
    const password = nonEmpty(process.env[argv['password-env']]);
    const basic = username !== undefined && password !== undefined ? { username, password } : undefined;
    let token =
      argv.token ??
      (argv['token-file'] !== undefined
        ? await readText(argv['token-file'], '--token-file')
        : process.env[argv['token-env']]);
    // Basic alone is a complete set of credentials: an empty token variable beside it is no token.
    if (basic !== undefined && argv.token === undefined && argv['token-file'] === undefined && token === '')
      token = undefined;
    if (token === undefined && basic === undefined) {
      throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', `no token: ${argv['token-env']} is not set`, {
        hint: 'Pass --token-file F, --token-env VAR or --token T (or Basic credentials: MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD).',
      });
    }
    if (argv.username !== undefined && password === undefined) {
      throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', `no password: ${argv['password-env']} is not set`, {
        hint: `Set ${argv['password-env']} to ${username}'s access token (or name another variable with --password-env).`,
      });
    }
    const trackingUri = argv['tracking-uri'] ?? process.env.MLFLOW_TRACKING_URI ?? state?.trackingUri;
    if (trackingUri === undefined) {
      throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', 'no tracking URI', {
        hint: 'Pass --tracking-uri (or set MLFLOW_TRACKING_URI).',
      });
    }
    const caFile = argv['ca-file'] ?? process.env.MLFLOW_TRACKING_SERVER_CERT_PATH ?? state?.caFile;
    const workspace = argv.workspace ?? process.env.MLFLOW_WORKSPACE;
    const report = await diagnose({
      ...(token !== undefined && { token }),
      ...(basic !== undefined && { basic }),
      ...(argv['otlp-experiment'] !== undefined && { otlpExperiment: argv['otlp-experiment'] }),
      trackingUri,
      ...(argv.issuer !== undefined && { issuer: argv.issuer }),
      ...(caFile !== undefined && { caPem: await readText(caFile, '--ca-file') }),
      ...(workspace !== undefined && { workspace }),
      ...(argv.audience !== undefined && { audience: argv.audience }),
    });
    if (argv.json) out.json(report);
    else out.result(formatReport(report));
    if (!report.ok) process.exitCode = 1;
  },
};

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', `cannot read ${file} (${flag})`, {
      cause,
      hint: 'Check the path.',
    });
  }
}
