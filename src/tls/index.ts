// `mlflow-authlab/tls`: the lab CA and the named certificate faults as fixtures for downstream tests, e.g.
// `const tls = await createTlsFixture('expired-leaf'); https.createServer(tls.server, app)`. A subpath of its own,
// so importing the main entry does not load the X.509 code.
export {
  createLabTls,
  createTlsFixture,
  DEFAULT_TLS_NAMES,
  TLS_FAULTS,
  TLS_FAULT_DESCRIPTIONS,
  type LabTls,
  type LabTlsOptions,
  type TlsFault,
} from './lab-tls.js';
