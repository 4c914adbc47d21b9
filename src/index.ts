// The public API. Everything the CLI can do is exported here (aesthetics.md, "The CLI is a thin layer").
export { startLab, type LabInfo, type LabOptions, type StartedLab } from './lab/start-lab.js';
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
