// The certificate faults of the lab's TLS (src/tls/lab-tls.ts), in a module of their own so the config schema can
// name them without loading the X.509 machinery.

export const TLS_FAULTS = [
  'unknown-ca',
  'leaf-only',
  'root-only-bundle',
  'expired-leaf',
  'wrong-names',
] as const;
export type TlsFault = (typeof TLS_FAULTS)[number];

/** What each fault is, and what a client sees (Node's code; Python's and curl's texts are in the README). */
export const TLS_FAULT_DESCRIPTIONS: Record<TlsFault, string> = {
  'unknown-ca':
    'the server presents a chain from a CA that is not in the bundle: SELF_SIGNED_CERT_IN_CHAIN ("self-signed certificate in certificate chain")',
  'leaf-only':
    'the server presents its leaf without the intermediate; fails only with a bundle that lacks the intermediate too',
  'root-only-bundle':
    'the bundle holds the root but not the intermediate; with leaf-only: UNABLE_TO_VERIFY_LEAF_SIGNATURE ("unable to get local issuer certificate")',
  'expired-leaf': 'the leaf expired yesterday: CERT_HAS_EXPIRED ("certificate has expired")',
  'wrong-names':
    'the leaf is for wrong.example.test only: ERR_TLS_CERT_ALTNAME_INVALID ("Hostname/IP does not match certificate\'s altnames")',
};
