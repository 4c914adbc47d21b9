import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { AuthlabError } from '../../errors.js';
import { requireLabState } from '../../lab/state-file.js';
import { out } from '../output.js';

interface CaArgs {
  print?: boolean;
  path?: boolean;
}

/** `mlflow-authlab ca`: the running lab's CA bundle, for `curl --cacert`, a trust store, or another machine. */
export const caCommand: CommandModule<object, CaArgs> = {
  command: 'ca',
  describe: "Print the running lab's CA bundle (PEM), or its path with --path",
  builder: (y: Argv) =>
    y
      .option('print', { type: 'boolean', describe: 'print the PEM bundle (the default)' })
      .option('path', { type: 'boolean', describe: 'print the bundle file’s path' })
      .conflicts('print', 'path') as Argv<CaArgs>,
  handler: async (argv) => {
    const state = await requireLabState();
    if (state.caFile === undefined) {
      throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', 'the running lab serves plain HTTP: it has no CA', {
        hint: 'Start it with "mlflow-authlab up --tls".',
      });
    }
    if (argv.path) return out.result(state.caFile);
    out.raw(await readFile(state.caFile, 'utf8'));
  },
};
