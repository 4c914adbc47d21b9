// The lab CA (root + intermediate), the leaf its HTTPS servers present, the trust bundle for clients, and the
// certificate faults users meet in production (DESIGN.md "tls/", failure catalog `untrusted-tls`,
// `incomplete-ca-chain`). Real X.509 through @peculiar/x509 on WebCrypto; ECDSA P-256 keys, so a lab starts fast.
import { webcrypto } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
// @peculiar/x509 resolves its ASN.1 services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { AuthlabError } from '../errors.js';
import { TLS_FAULTS, type TlsFault } from './faults.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export { TLS_FAULTS, TLS_FAULT_DESCRIPTIONS, type TlsFault } from './faults.js';

/** The names every lab leaf carries: loopback, and the host as containers see it. */
export const DEFAULT_TLS_NAMES = [
  'localhost',
  '127.0.0.1',
  '::1',
  'host.docker.internal',
  'host.containers.internal',
];

export interface LabTls {
  /** Absolute path of the trust bundle written for clients (PEM): root + intermediate; root only under `root-only-bundle`. */
  caFile: string;
  /** That bundle's PEM. */
  caPem: string;
  /** The correct bundle (root + intermediate) whatever the faults: what the lab's own components trust. */
  trustPem: string;
  /** What the servers a fault applies to present (the proxy: the route users hit), for https.createServer. */
  server: { key: string; cert: string };
  /** The valid leaf + intermediate + root, for the servers no fault applies to (IdP, Kubernetes API). */
  validServer: { key: string; cert: string };
  /** The names in the served leaf. */
  names: string[];
  faults: TlsFault[];
  dir: string;
}

export interface LabTlsOptions {
  /** Where the CA and the bundle live; an existing CA there is reused, so trust survives restarts. */
  dir: string;
  faults?: readonly TlsFault[];
  /** Names added to DEFAULT_TLS_NAMES. */
  names?: readonly string[];
  /** The time certificates are dated from (real time: TLS clients check against the system clock). */
  now?: Date;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

interface Issuer {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/**
 * Loads or makes the lab CA in `dir`, issues a fresh leaf, applies the faults and writes `ca.pem` (the bundle for
 * clients), `server.pem` and `server-key.pem`. Private keys are 0600 in a 0700 directory.
 */
export async function createLabTls(options: LabTlsOptions): Promise<LabTls> {
  const dir = path.resolve(options.dir);
  const faults = [...new Set(options.faults ?? [])];
  for (const f of faults) {
    if (!TLS_FAULTS.includes(f)) {
      throw new AuthlabError('AUTHLAB_INVALID_ARGUMENT', `unknown TLS fault ${JSON.stringify(f)}`, {
        hint: `Use one of ${TLS_FAULTS.join(', ')}.`,
      });
    }
  }
  const now = options.now ?? new Date();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { root, intermediate } = await loadOrCreateCa(dir, now);
  const names = [...new Set([...DEFAULT_TLS_NAMES, ...(options.names ?? [])])];

  const validLeaf = await issueLeaf(intermediate, names, now, false);
  let served = { leaf: validLeaf, chain: [intermediate.cert, root.cert] };
  if (faults.includes('unknown-ca')) {
    // A whole other CA, generated and never written: nothing the lab hands out trusts it.
    const foreign = await createCa(now, 'Unknown');
    served = {
      leaf: await issueLeaf(foreign.intermediate, names, now, false),
      chain: [foreign.intermediate.cert, foreign.root.cert],
    };
  } else if (faults.includes('expired-leaf') || faults.includes('wrong-names')) {
    const leafNames = faults.includes('wrong-names') ? ['wrong.example.test'] : names;
    served = {
      leaf: await issueLeaf(intermediate, leafNames, now, faults.includes('expired-leaf')),
      chain: served.chain,
    };
  }
  if (faults.includes('leaf-only')) served = { ...served, chain: [] };

  const trustPem = pem(root.cert) + pem(intermediate.cert);
  const caPem = faults.includes('root-only-bundle') ? pem(root.cert) : trustPem;
  const server = {
    key: await keyPem(served.leaf.keys.privateKey),
    cert: [served.leaf.cert, ...served.chain].map(pem).join(''),
  };
  const validServer = {
    key: await keyPem(validLeaf.keys.privateKey),
    cert: [validLeaf.cert, intermediate.cert, root.cert].map(pem).join(''),
  };
  const caFile = path.join(dir, 'ca.pem');
  await writeFile(caFile, caPem);
  await writeSecret(path.join(dir, 'server-key.pem'), server.key);
  await writeFile(path.join(dir, 'server.pem'), server.cert);
  return {
    caFile,
    caPem,
    trustPem,
    server,
    validServer,
    names: faults.includes('wrong-names') ? ['wrong.example.test'] : names,
    faults,
    dir,
  };
}

/** A throwaway LabTls in a temporary directory, for downstream tests: `createTlsFixture('expired-leaf')`. */
export async function createTlsFixture(
  fault: TlsFault | readonly TlsFault[] | 'valid',
  options: Omit<LabTlsOptions, 'dir' | 'faults'> = {},
): Promise<LabTls & { dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'authlab-tls-'));
  const faults = fault === 'valid' ? [] : typeof fault === 'string' ? [fault] : [...fault];
  const tls = await createLabTls({ ...options, dir, faults });
  return { ...tls, dispose: () => rm(dir, { recursive: true, force: true }) };
}

async function loadOrCreateCa(dir: string, now: Date): Promise<{ root: Issuer; intermediate: Issuer }> {
  const files = ['root.pem', 'root-key.pem', 'intermediate.pem', 'intermediate-key.pem'].map((f) =>
    path.join(dir, f),
  );
  const texts = await Promise.all(files.map((f) => readFile(f, 'utf8').catch(() => undefined)));
  if (texts.every((t) => t === undefined)) {
    const ca = await createCa(now, 'mlflow-authlab');
    await writeFile(files[0]!, pem(ca.root.cert));
    await writeSecret(files[1]!, await keyPem(ca.root.keys.privateKey));
    await writeFile(files[2]!, pem(ca.intermediate.cert));
    await writeSecret(files[3]!, await keyPem(ca.intermediate.keys.privateKey));
    return ca;
  }
  const [root, intermediate] = await Promise.all([
    loadIssuer(files[0]!, texts[0], files[1]!, texts[1]),
    loadIssuer(files[2]!, texts[2], files[3]!, texts[3]),
  ]);
  return { root, intermediate };
}

async function loadIssuer(
  certFile: string,
  certText: string | undefined,
  keyFile: string,
  keyText: string | undefined,
): Promise<Issuer> {
  const damaged = (file: string, why: string) =>
    new AuthlabError('AUTHLAB_STATE_INVALID', `the lab CA file ${file} cannot be used: ${why}`, {
      hint: `Delete ${path.dirname(file)} to make a new lab CA (clients must then trust the new ca.pem).`,
    });
  if (certText === undefined) throw damaged(certFile, 'it is missing');
  if (keyText === undefined) throw damaged(keyFile, 'it is missing');
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certText);
  } catch (error) {
    throw damaged(certFile, (error as Error).message);
  }
  let privateKey: CryptoKey;
  try {
    const der = x509.PemConverter.decodeFirst(keyText);
    privateKey = await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
  } catch (error) {
    throw damaged(keyFile, (error as Error).message || 'not a PKCS#8 P-256 key');
  }
  const publicKey = await cert.publicKey.export(ALG, ['verify']);
  return { cert, keys: { privateKey, publicKey } };
}

async function createCa(now: Date, label: string): Promise<{ root: Issuer; intermediate: Issuer }> {
  const rootKeys = await newKeys();
  const rootCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${label} Root CA`,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 3650 * DAY),
    signingAlgorithm: ALG,
    keys: rootKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const root = { cert: rootCert, keys: rootKeys };
  const intermediateKeys = await newKeys();
  const intermediateCert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${label} Intermediate CA`,
    issuer: rootCert.subject,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 1825 * DAY),
    signingAlgorithm: ALG,
    publicKey: intermediateKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(intermediateKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  return { root, intermediate: { cert: intermediateCert, keys: intermediateKeys } };
}

async function issueLeaf(
  issuer: Issuer,
  names: readonly string[],
  now: Date,
  expired: boolean,
): Promise<Issuer> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=mlflow-authlab',
    issuer: issuer.cert.subject,
    notBefore: new Date(now.getTime() - (expired ? 30 * DAY : 3_600_000)),
    // 397 days: the longest validity browsers and Apple accept for a server certificate.
    notAfter: new Date(now.getTime() + (expired ? -DAY : 397 * DAY)),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
    ],
  });
  return { cert, keys };
}

function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

/** A positive 16-byte serial (the high bit clear, so DER does not read it as negative). */
function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

function pem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem')}\n`;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

async function writeSecret(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}
