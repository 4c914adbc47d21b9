/**
 * One error class for the whole kit. `code` is stable, `hint` is one actionable sentence, `cause` keeps the
 * original error. `isAuthlabError()` is a brand check, since `instanceof` breaks across vitest workers and realms
 * (aesthetics.md, "Error handling").
 */
export const ERROR_CODES = {
  AUTHLAB_CONFIG_INVALID: 'user',
  AUTHLAB_CONFIG_NOT_FOUND: 'user',
  AUTHLAB_PORT_IN_USE: 'user',
  AUTHLAB_LAB_NOT_RUNNING: 'user',
  AUTHLAB_LAB_ALREADY_RUNNING: 'user',
  AUTHLAB_TOKEN_REQUEST_FAILED: 'user',
  /** The mlflow-oidc-auth plugin would not create an access token (its answer is in the message). */
  AUTHLAB_ACCESS_TOKEN_REFUSED: 'user',
  AUTHLAB_UNKNOWN_USER: 'user',
  AUTHLAB_UNKNOWN_CLIENT: 'user',
  AUTHLAB_INVALID_ARGUMENT: 'user',
  AUTHLAB_STATE_INVALID: 'user',
  AUTHLAB_STATE_WRITE_FAILED: 'user',
  AUTHLAB_PROXY_INIT_FAILED: 'user',
  /** The MLflow behind the lab did not start or does not answer (its output is in the details). */
  AUTHLAB_MLFLOW_START_FAILED: 'user',
  /** `--mlflow container` where no container engine answers. */
  AUTHLAB_NO_CONTAINER_ENGINE: 'user',
  /** The MLflow image is neither in the engine nor pullable or buildable. */
  AUTHLAB_MLFLOW_IMAGE_UNAVAILABLE: 'user',
  /** The call needs something this lab's setup lacks (e.g. reset() with an MLflow the lab does not own). */
  AUTHLAB_NOT_SUPPORTED: 'user',
  AUTHLAB_DISPOSED: 'system',
  AUTHLAB_INTERNAL: 'system',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

const BRAND = Symbol.for('mlflow-authlab.error');

export interface AuthlabErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Extra lines printed between the message and the hint (e.g. one line per config problem). */
  details?: string[];
}

export class AuthlabError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: string[];
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options: AuthlabErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
    // As in miniflare: the code shows up in every stack trace.
    this.name = `AuthlabError [${code}]`;
  }

  /** Misuse or environment (exit 1), as opposed to a bug in the kit (exit 70). */
  isUserError(): boolean {
    return ERROR_CODES[this.code] === 'user';
  }
}

export function isAuthlabError(value: unknown): value is AuthlabError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
