// The two error shapes that reach a client through the kubernetes-auth plugin (mlflow-workspaces-k8s-auth.md §6):
// the plugin's own nested `{"error":{"code","message"}}`, and MLflow's flat envelope for workspace resolution.

/** MLflow's ERROR_CODE_TO_HTTP_STATUS for the codes the plugin uses (§6 "Status mapping"); unknown codes → 500. */
const STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  CUSTOMER_UNAUTHORIZED: 401,
  PERMISSION_DENIED: 403,
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  NOT_FOUND: 404,
  INTERNAL_ERROR: 500,
};

export interface GateError {
  status: number;
  body: string;
}

/** An error raised by the plugin itself (identity, rules, RBAC): the nested shape. */
export function pluginError(code: string, message: string): GateError {
  return { status: STATUS[code] ?? 500, body: JSON.stringify({ error: { code, message } }) };
}

/** MLflow's `MlflowException.serialize_as_json` envelope, as the emulator writes it (workspace resolution). */
export function mlflowError(code: string, message: string): GateError {
  const sql: Record<string, [string, string]> = {
    RESOURCE_DOES_NOT_EXIST: ['KAM00', 'RESOURCE_NOT_FOUND'],
    INVALID_PARAMETER_VALUE: ['22023', 'INVALID_PARAMETER_VALUE'],
  };
  const [sqlstate, errorClass] = sql[code] ?? ['XX000', code];
  return {
    status: STATUS[code] ?? 500,
    body: JSON.stringify({ error_code: code, message, sqlstate, error_class: errorClass }),
  };
}

/** The exact messages of §6, named once. */
export const MESSAGES = {
  missingCredentials: 'Missing Authorization header or X-Forwarded-Access-Token header.',
  badScheme: "Authorization header must be in the format 'Bearer <token>'.",
  missingRemoteUser: (header: string) => `Missing required '${header}' header for SubjectAccessReview mode.`,
  kubeUnauthenticated:
    'Authentication with the Kubernetes API failed. The provided token may be invalid or expired.',
  denied: 'Permission denied for requested operation.',
  workspaceRequired: 'Workspace context is required for this request.',
  endpointNotFound: 'Endpoint not found.',
  workspaceMutations:
    'Workspace create, update, and delete operations are not supported when MLflow workspaces map to Kubernetes namespaces.',
  workspaceNotFound: (name: string) =>
    `Workspace '${name}' not found in the Kubernetes cluster. Each MLflow workspace maps 1:1 to a namespace.`,
  kubeFailure: (detail: string) => `Failed to perform Kubernetes authorization check: ${detail}`,
  ssarForbidden:
    'The Kubernetes service account is not permitted to perform SelfSubjectAccessReview. Grant the required authorization.',
  sarForbidden:
    "The Kubernetes service account is not permitted to perform SubjectAccessReview. Grant 'create' on subjectaccessreviews.",
} as const;
