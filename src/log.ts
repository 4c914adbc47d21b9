/** The library never writes to the console: every component takes a Logger, silent by default. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Prefixes every line with the component, e.g. `[authlab:idp]`. */
export function childLogger(log: Logger, component: string): Logger {
  // Silence stays recognisable, so hot paths can skip formatting lines nobody reads (see isSilent).
  if (log === noopLogger) return noopLogger;
  const prefix = `[authlab:${component}] `;
  return {
    debug: (m) => log.debug(prefix + m),
    info: (m) => log.info(prefix + m),
    warn: (m) => log.warn(prefix + m),
    error: (m) => log.error(prefix + m),
  };
}

/** True for a logger that drops everything: per-request log lines need not be formatted for it. */
export const isSilent = (log: Logger): boolean => log === noopLogger;
