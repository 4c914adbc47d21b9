/**
 * MLflow's error envelope: `{"error_code","message","sqlstate","error_class"}` with the HTTP status that
 * follows the code (golden/mlflow-3.11/README.md, "Serialisation" 2).
 */
export type MlflowErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'INVALID_STATE'
  | 'BAD_REQUEST'
  | 'INTERNAL_ERROR'
  | 'PERMISSION_DENIED';

const SHAPE: Record<MlflowErrorCode, { status: number; sqlstate: string; errorClass: string }> = {
  INVALID_PARAMETER_VALUE: { status: 400, sqlstate: 'KAM00', errorClass: 'INVALID_PARAMETER_VALUE' },
  RESOURCE_ALREADY_EXISTS: { status: 400, sqlstate: 'KAM00', errorClass: 'RESOURCE_ALREADY_EXISTS' },
  RESOURCE_DOES_NOT_EXIST: { status: 404, sqlstate: 'KAM00', errorClass: 'RESOURCE_NOT_FOUND' },
  INVALID_STATE: { status: 500, sqlstate: 'XXM00', errorClass: 'CLIENT_INTERNAL_ERROR' },
  BAD_REQUEST: { status: 400, sqlstate: 'KAM00', errorClass: 'INVALID_PARAMETER_VALUE' },
  INTERNAL_ERROR: { status: 500, sqlstate: 'XXM00', errorClass: 'INTERNAL_ERROR' },
  PERMISSION_DENIED: { status: 403, sqlstate: 'KAM00', errorClass: 'PERMISSION_DENIED' },
};

export class MlflowError extends Error {
  readonly errorCode: MlflowErrorCode;

  constructor(errorCode: MlflowErrorCode, message: string) {
    super(message);
    this.name = 'MlflowError';
    this.errorCode = errorCode;
  }

  get status(): number {
    return SHAPE[this.errorCode].status;
  }

  toJSON(): Record<string, string> {
    const { sqlstate, errorClass } = SHAPE[this.errorCode];
    return { error_code: this.errorCode, message: this.message, sqlstate, error_class: errorClass };
  }
}

/** The most common failure: `INVALID_PARAMETER_VALUE` (400). */
export const invalidParameter = (message: string) => new MlflowError('INVALID_PARAMETER_VALUE', message);
