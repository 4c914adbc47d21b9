import { isAuthlabError } from '../errors.js';

/** Exit codes (DESIGN.md "CLI"): 0 success, 1 user error, 2 usage, 70 internal error. */
export const EXIT = { ok: 0, user: 1, usage: 2, internal: 70 } as const;

/** Prints `error: …` and `hint: …` for user errors; a stack and a bug-report line for anything else. */
export function handleError(error: unknown): number {
  if (isAuthlabError(error) && error.isUserError()) {
    process.stderr.write(`error: ${error.message}\n`);
    for (const line of error.details) process.stderr.write(`  ${line}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    return EXIT.user;
  }
  let e: unknown = error;
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  while ((e = (e as { cause?: unknown })?.cause))
    process.stderr.write(`Caused by: ${(e as Error)?.stack ?? String(e)}\n`);
  process.stderr.write('This is a bug in mlflow-authlab; please report it with the output above.\n');
  return EXIT.internal;
}
