// The public API. Everything the CLI can do is exported here (aesthetics.md, "The CLI is a thin layer").
export {
  MLFLOW_BACKENDS,
  MLFLOW_PLUGINS,
  startLab,
  type LabInfo,
  type LabMlflowOptions,
  type LabOptions,
  type MlflowBackendChoice,
  type MlflowPlugin,
  type StartedLab,
} from './lab/start-lab.js';
export {
  requestToken,
  pickToken,
  DEFAULT_PASSWORD_SCOPE,
  DEFAULT_CLIENT_CREDENTIALS_SCOPE,
  type TokenOptions,
  type TokenResponse,
} from './lab/request-token.js';
export { readLabState, requireLabState, stateFilePath, type LabState } from './lab/state-file.js';
export { createIdp, type IdpOptions, type StartedIdp } from './idp/create-idp.js';
export { dexSubject, parseDexSubject } from './idp/subject.js';
export { FLAVOUR_SPECS, type TokenError } from './idp/flavours.js';
export { loadConfig, resolveObject, type LoadConfigOptions } from './config/load.js';
export type { ResolvedLabConfig, ResolvedUser, ResolvedClient } from './config/resolve.js';
export type { LabConfigInput } from './config/schema.js';
export { createClock, type LabClock } from './clock.js';
export { parseDuration, formatDuration } from './duration.js';
export { AuthlabError, isAuthlabError, ERROR_CODES, type ErrorCode } from './errors.js';
export { noopLogger, type Logger } from './log.js';
export { createAuthProxy, type AuthProxyOptions, type StartedProxy } from './proxy/create-proxy.js';
export { parseProxyOptions, validateProxySection, PROXY_FLAGS } from './proxy/parse-options.js';
export type { ProxyOptions } from './proxy/options.js';
export { UpstreamUnreachable, type UpstreamHandler } from './proxy/context.js';
export { createKubeApi, type KubeApiOptions, type StartedKubeApi } from './kube/create-kube-api.js';
export { createRbacAuthorizer } from './kube/rbac.js';
export { formatDecision } from './kube/explain.js';
export type { RbacDecision, ResourceAttributes, UserInfo } from './kube/types.js';
export {
  createGate,
  type GateConfig,
  type GateDecision,
  type StartedGate,
} from './mlflow/auth/kubernetes/create-gate.js';
export type { AuthApp } from './mlflow/auth/auth-app.js';
export { gateOptionsFrom, type GateOptions } from './mlflow/auth/kubernetes/options.js';
export { httpReviewer, inProcessReviewer, type AccessReviewer } from './mlflow/auth/kubernetes/reviewer.js';
export { createMlflowEmulator, type StartedEmulator } from './mlflow/emulator/create-emulator.js';
export type { MlflowBackend } from './mlflow/backends/types.js';
export { containerSpec, type ContainerBackend } from './mlflow/backends/container.js';
export { probeContainerEngine, type ContainerEngine } from './mlflow/backends/engine.js';
export { pinnedMlflowImage } from './mlflow/backends/images.js';
export type { ProcessBackend } from './mlflow/backends/process.js';
export { labEnv, formatEnv, type EnvFormat } from './lab/env.js';
export { TLS_FAULTS, TLS_FAULT_DESCRIPTIONS, type TlsFault } from './tls/faults.js';
export type { LabTls } from './tls/lab-tls.js';
export { SCENARIOS } from './scenarios/catalog.js';
export { findScenario, runScenario } from './scenarios/run.js';
export type { Scenario, ScenarioOutcome, ScenarioResult } from './scenarios/types.js';
export { labFixtures, type LabFixtures } from './scenarios/fixtures.js';
export { diagnose, type DiagnoseInput, type DoctorCheck, type DoctorReport } from './doctor/diagnose.js';
export { formatReport } from './doctor/format.js';
