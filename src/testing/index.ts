// `mlflow-authlab/testing`: the lab from a test file, whatever started it.
export { CONTEXT_ENV, labContextOf, type LabContext } from './context.js';
export { labClient, labFromEnv, type LabClient } from './client.js';
