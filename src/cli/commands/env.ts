import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/load.js';
import { AuthlabError } from '../../errors.js';
import { createAccessToken } from '../../lab/access-token.js';
import { ENV_FORMATS, formatEnv, labEnv, type EnvFormat } from '../../lab/env.js';
import { pickToken, requestToken } from '../../lab/request-token.js';
import { requireLabState } from '../../lab/state-file.js';
import { labFetch } from '../lab-fetch.js';
import { out } from '../output.js';

interface EnvArgs {
  user: string;
  basic: boolean;
  workspace?: string;
  format: EnvFormat;
}

/** `eval "$(npx mlflow-authlab env --user alice --workspace team-a)"`: the stock SDK then talks to the lab. */
export const envCommand: CommandModule<object, EnvArgs> = {
  command: 'env',
  describe:
    'Print the environment for the stock MLflow SDK (tracking URI, token, workspace) of the running lab',
  builder: (y: Argv) =>
    y
      .option('user', {
        type: 'string',
        default: 'alice',
        describe: 'lab user whose token goes in MLFLOW_TRACKING_TOKEN',
      })
      .option('basic', {
        type: 'boolean',
        default: false,
        describe:
          "oidc-auth stack: MLFLOW_TRACKING_USERNAME/PASSWORD with a new access token from the plugin (replaces the user's previous one) instead of MLFLOW_TRACKING_TOKEN",
      })
      .option('workspace', {
        type: 'string',
        describe: 'MLFLOW_WORKSPACE (default: the lab’s default workspace)',
      })
      .option('format', {
        choices: ENV_FORMATS,
        default: 'sh' as const,
        describe: 'shell syntax',
      }) as Argv<EnvArgs>,
  handler: async (argv) => {
    const state = await requireLabState();
    if (!state.trackingUri)
      throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', 'the running lab has no tracking URI (no proxy)', {
        hint: 'Start the lab with an MLflow behind it (not "--mlflow none").',
      });
    if (argv.basic && state.auth !== 'oidc-auth')
      throw new AuthlabError(
        'AUTHLAB_INVALID_ARGUMENT',
        '--basic needs the oidc-auth stack (its access tokens)',
        {
          hint: 'Start the lab with "npx mlflow-authlab up --auth oidc-auth"; the kubernetes-auth stack takes bearer tokens only.',
        },
      );
    const config = await loadConfig({ file: state.configFile });
    const fetch = await labFetch(state);
    const token = pickToken(await requestToken(state.tokenEndpoint, config, { user: argv.user }, fetch));
    const basic = argv.basic ? await createAccessToken(state.trackingUri, token, {}, fetch) : undefined;
    const workspace = argv.workspace ?? config.workspaces.default;
    out.result(
      formatEnv(
        labEnv({
          trackingUri: state.trackingUri,
          issuer: state.issuer,
          ...(state.kubeApiUrl !== undefined && { kubeApiUrl: state.kubeApiUrl }),
          ...(basic ? { basic: { username: basic.username, password: basic.token } } : { token }),
          ...(workspace !== undefined && { workspace }),
          home: path.dirname(state.stateFile),
          ...(state.caFile !== undefined && { caFile: state.caFile }),
        }),
        argv.format,
      ),
    );
  },
};
