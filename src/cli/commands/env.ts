import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/load.js';
import { AuthlabError } from '../../errors.js';
import { ENV_FORMATS, formatEnv, labEnv, type EnvFormat } from '../../lab/env.js';
import { pickToken, requestToken } from '../../lab/request-token.js';
import { requireLabState } from '../../lab/state-file.js';
import { labFetch } from '../lab-fetch.js';
import { out } from '../output.js';

interface EnvArgs {
  user: string;
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
    const config = await loadConfig({ file: state.configFile });
    const token = pickToken(
      await requestToken(state.tokenEndpoint, config, { user: argv.user }, await labFetch(state)),
    );
    const workspace = argv.workspace ?? config.workspaces.default;
    out.result(
      formatEnv(
        labEnv({
          trackingUri: state.trackingUri,
          issuer: state.issuer,
          ...(state.kubeApiUrl !== undefined && { kubeApiUrl: state.kubeApiUrl }),
          token,
          ...(workspace !== undefined && { workspace }),
          home: path.dirname(state.stateFile),
          ...(state.caFile !== undefined && { caFile: state.caFile }),
        }),
        argv.format,
      ),
    );
  },
};
