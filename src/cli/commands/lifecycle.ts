import type { CommandModule } from 'yargs';
import {
  publicState,
  readLabState,
  removeLabState,
  requireLabState,
  stateFilePath,
} from '../../lab/state-file.js';
import { stopLab } from '../detach.js';
import { out } from '../output.js';

/** `status [--json]`: the running lab of this directory (or AUTHLAB_HOME), from its state file. */
export const statusCommand: CommandModule<object, { json: boolean }> = {
  command: 'status',
  describe: 'Show the lab running here (detached or in another terminal)',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'print the state as JSON' }),
  handler: async (argv) => {
    const state = await requireLabState();
    if (argv.json) return out.json(publicState(state));
    out.result(
      [
        `running since ${state.startedAt} (pid ${state.pid})`,
        `  auth stack       ${state.auth ?? 'kubernetes-auth'}`,
        ...(state.trackingUri ? [`  tracking URI     ${state.trackingUri}`] : []),
        `  issuer           ${state.issuer}`,
        ...(state.kubeApiUrl ? [`  Kubernetes API   ${state.kubeApiUrl}`] : []),
        ...(state.mlflow ? [`  MLflow           ${state.mlflow.url} (${state.mlflow.backend})`] : []),
        `  config           ${state.configFile}`,
        `  state file       ${state.stateFile}`,
      ].join('\n'),
    );
  },
};

/** `down`: stops the recorded lab and everything it started; nothing running is not an error. */
export const downCommand: CommandModule = {
  command: 'down',
  describe: 'Stop the lab running here (started with up --detach, or in another terminal)',
  handler: async () => {
    const file = stateFilePath();
    const state = await readLabState(file);
    if (!state) return out.info(`no running lab recorded in ${file}`);
    await stopLab(state.pid);
    await removeLabState(file, state.pid);
    out.info(`stopped the lab (pid ${state.pid})`);
  },
};
