#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { tokenCommand } from './commands/token.js';
import { upCommand } from './commands/up.js';
import { EXIT, handleError } from './handle-error.js';

/** The bin: a thin yargs layer over the library (aesthetics.md, "The CLI is a thin layer"). */
async function main(argv: string[]): Promise<number> {
  let usageError = false;
  try {
    await yargs(argv)
      .scriptName('mlflow-authlab')
      .usage('$0 <command> [options]')
      .command(upCommand)
      .command(tokenCommand)
      .demandCommand(1, 'Name a command: up, token.')
      .strict()
      .help()
      .version()
      .fail((message, error) => {
        if (error) throw error;
        usageError = true;
        process.stderr.write(
          `error: ${message}\nhint: run "mlflow-authlab --help" for the commands and options.\n`,
        );
      })
      .parseAsync();
  } catch (error) {
    return handleError(error);
  }
  return usageError ? EXIT.usage : EXIT.ok;
}

process.exitCode = await main(hideBin(process.argv));
