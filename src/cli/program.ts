import yargs from 'yargs';
import { caCommand } from './commands/ca.js';
import { canICommand } from './commands/can-i.js';
import { envCommand } from './commands/env.js';
import { execCommand } from './commands/exec.js';
import { doctorCommand } from './commands/doctor.js';
import { downCommand, statusCommand } from './commands/lifecycle.js';
import { logsCommand } from './commands/logs.js';
import { scenarioCommand } from './commands/scenario.js';
import { tokenCommand } from './commands/token.js';
import { upCommand } from './commands/up.js';
import { EXIT, handleError } from './handle-error.js';

class UsageError extends Error {}

/** The bin: a thin yargs layer over the library (aesthetics.md, "The CLI is a thin layer"). */
export async function main(argv: string[]): Promise<number> {
  try {
    await yargs(argv)
      .scriptName('mlflow-authlab')
      .usage('$0 <command> [options]')
      .command(upCommand)
      .command(tokenCommand)
      .command(envCommand)
      .command(execCommand)
      .command(statusCommand)
      .command(downCommand)
      .command(canICommand)
      .command(logsCommand)
      .command(caCommand)
      .command(scenarioCommand)
      .command(doctorCommand)
      .demandCommand(
        1,
        'Name a command: up, exec, status, down, token, env, can-i, logs, ca, scenario, doctor.',
      )
      .strict()
      .help()
      .version()
      .fail((message, error) => {
        // Throwing stops yargs from running the command after a usage error.
        throw error ?? new UsageError(message);
      })
      .parseAsync();
  } catch (error) {
    if (!(error instanceof UsageError)) return handleError(error);
    process.stderr.write(
      `error: ${error.message}\nhint: run "mlflow-authlab --help" for the commands and options.\n`,
    );
    return EXIT.usage;
  }
  // A command may answer "no" with exit 1 without an error (can-i, like kubectl auth can-i).
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
}
