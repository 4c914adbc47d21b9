/** The library never writes to the console: every component takes a Logger, silent by default. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * The one do-nothing method. A logger whose `info` is this one is known to drop info lines, so hot paths (the
 * proxy's request line, ~10 µs to format) skip formatting them (see `dropsInfo`).
 */
export const discard = (_message: string): void => {};

export const noopLogger: Logger = { debug: discard, info: discard, warn: discard, error: discard };

/** Prefixes every line with the component, e.g. `[authlab:idp]`; a level the parent drops stays dropped. */
export function childLogger(log: Logger, component: string): Logger {
  if (log === noopLogger) return noopLogger;
  const prefix = `[authlab:${component}] `;
  // Called as methods, so a logger that is a class instance keeps its `this`.
  const wrap = (level: keyof Logger) =>
    log[level] === discard ? discard : (m: string) => log[level](prefix + m);
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

/** True when info lines go nowhere, so they need not be formatted. */
export const dropsInfo = (log: Logger): boolean => log.info === discard;
