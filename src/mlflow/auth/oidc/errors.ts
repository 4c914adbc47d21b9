// The answers mlflow-oidc-auth gives when it refuses something, layer by layer (mlflow-oidc-auth.md §3.4): FastAPI's
// `{"detail": …}`, the Flask hooks' `{"message": "Permission denied"}\n`, the FastAPI-native routes' plain text, and
// the plugin routers' handler for MlflowException (`{"error_code","message","details"}`, 409 for a duplicate).

export class OidcAuthError extends Error {
  constructor(
    readonly status: number,
    /** The body as sent: JSON-encoded objects, or text for `text/plain` answers. */
    readonly body: string,
    readonly contentType = 'application/json',
  ) {
    super(body);
    this.name = 'OidcAuthError';
  }
}

/** FastAPI's `HTTPException(status, detail)`: `{"detail":"…"}`, compact JSON. */
export const detailError = (status: number, detail: string) =>
  new OidcAuthError(status, JSON.stringify({ detail }));

export const AUTHENTICATION_REQUIRED = 'Authentication required';
export const ADMIN_REQUIRED = 'Administrator privileges required for this operation';

/** The Flask hooks' denial (`responses/client_error.py:17-22`): Flask's `jsonify`, so a trailing newline. */
export const flaskPermissionDenied = () => new OidcAuthError(403, '{"message":"Permission denied"}\n');

/** The FastAPI permission middleware's denial (`/v1/traces`, `/gateway/*`): plain text. */
export const fastapiPermissionDenied = () =>
  new OidcAuthError(403, 'Permission denied', 'text/plain; charset=utf-8');

const PLUGIN_STATUS: Record<string, number> = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
};

/** An MlflowException raised inside a plugin router: the message twice, as `message` and `details` (§4.8). */
export function pluginMlflowError(code: string, message: string): OidcAuthError {
  return new OidcAuthError(
    PLUGIN_STATUS[code] ?? 500,
    JSON.stringify({ error_code: code, message, details: message }),
  );
}
