/** The only module that writes to the console: results to stdout, logs and banners to stderr. */
import { discard, type Logger } from '../log.js';

export const out = {
  result(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  },
  /** Bytes as they are (a followed log). */
  raw(chunk: Buffer | string): void {
    process.stdout.write(chunk);
  },
  json(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  },
  info(text: string): void {
    process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  },
};

/**
 * A console that went away (the reader of a pipe died with the lab's starter) makes writes fail with EPIPE, which
 * Node raises as an error event: unhandled, it ended the lab before it removed its state file (issue 18, item 7).
 * Such writes are dropped; the lab goes on, and stops cleanly.
 */
export function tolerateClosedConsole(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}

/** Library logs: warnings and errors always, everything with --verbose; all on stderr. */
export function stderrLogger(verbose: boolean): Logger {
  const write = (level: string) => (m: string) => {
    if (verbose || level !== 'debug') process.stderr.write(`${level === 'info' ? '' : `${level}: `}${m}\n`);
  };
  return verbose
    ? { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
    : { debug: discard, info: discard, warn: write('warn'), error: write('error') };
}
