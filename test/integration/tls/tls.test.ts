// Real TLS handshakes on loopback against the lab CA and each certificate fault: Node's TLS client, curl, and
// Python's requests (where present), with the exact errors each prints (DESIGN.md failure catalog).
import { execFileSync } from 'node:child_process';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { isAuthlabError } from '../../../src/errors.js';
import { createLabTls, createTlsFixture, type LabTls, type TlsFault } from '../../../src/tls/lab-tls.js';

function has(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const CURL = has('curl', ['--version']);
const PYTHON = has('python3', ['-c', 'import requests']);

const cleanups: Array<() => Promise<void>> = [];
afterAll(() => Promise.all(cleanups.map((c) => c())));

/** An HTTPS server presenting the fixture's chain; resolves to its URL. */
async function serve(tls: LabTls): Promise<string> {
  const server = https.createServer(tls.server, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function fixture(fault: TlsFault | TlsFault[] | 'valid') {
  const tls = await createTlsFixture(fault);
  cleanups.push(tls.dispose);
  return { tls, url: await serve(tls) };
}

/** Node's answer: the status, or the TLS error code. */
function node(url: string, ca?: string): Promise<string> {
  return new Promise((resolve) => {
    https
      .get(url, { ...(ca !== undefined && { ca }) }, (res) => {
        res.resume();
        resolve(String(res.statusCode));
      })
      .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** curl's exit code and the first line of its error. */
async function curl(url: string, caFile?: string): Promise<string> {
  const r = await execa('curl', ['-sS', ...(caFile ? ['--cacert', caFile] : []), url], { reject: false });
  return `${r.exitCode} ${r.stderr.split('\n')[0] ?? ''}`.trim();
}

/** Python's requests with `verify=<bundle>`: the status, or the SSL error's message. */
async function python(url: string, caFile: string): Promise<string> {
  const script = [
    'import sys, requests',
    'try:',
    '    print(requests.get(sys.argv[1], verify=sys.argv[2]).status_code)',
    'except requests.exceptions.SSLError as e:',
    '    print(e.args[0].reason.args[0])',
  ].join('\n');
  return (await execa('python3', ['-c', script, url, caFile])).stdout.trim();
}

const CURL_SELF_SIGNED =
  '60 curl: (60) SSL certificate problem: self-signed certificate in certificate chain';
const CURL_NO_ISSUER = '60 curl: (60) SSL certificate problem: unable to get local issuer certificate';

describe('the lab CA, valid', () => {
  test('trusted with the bundle (Node, curl, by IP and by name); untrusted without it: SELF_SIGNED_CERT_IN_CHAIN', async () => {
    const { tls, url } = await fixture('valid');
    expect(tls.faults).toEqual([]);
    expect(await node(url, tls.caPem)).toBe('200');
    expect(await node(url.replace('127.0.0.1', 'localhost'), tls.caPem)).toBe('200');
    expect(await node(url)).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    // The bundle is root + intermediate; the server sends leaf + intermediate + root.
    expect(tls.caPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(tls.server.cert.match(/BEGIN CERTIFICATE/g)).toHaveLength(3);
    expect(tls.names).toEqual(
      expect.arrayContaining(['localhost', '127.0.0.1', 'host.docker.internal', 'host.containers.internal']),
    );
    if (CURL) {
      expect(await curl(url)).toBe(CURL_SELF_SIGNED);
      expect(await curl(url, tls.caFile)).toBe('0');
    }
  });

  test.skipIf(!PYTHON)(
    `Python requests trusts it with verify=<ca.pem>${PYTHON ? '' : ' (skipped: no python3 with requests)'}`,
    async () => {
      const { tls, url } = await fixture('valid');
      expect(await python(url, tls.caFile)).toBe('200');
    },
  );
});

describe('certificate faults', () => {
  const cases: Array<{
    fault: TlsFault | TlsFault[];
    node: string;
    curl: string;
    python: string;
  }> = [
    {
      fault: 'unknown-ca',
      node: 'SELF_SIGNED_CERT_IN_CHAIN',
      curl: CURL_SELF_SIGNED,
      python:
        '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:1006)',
    },
    {
      fault: ['leaf-only', 'root-only-bundle'],
      node: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      curl: CURL_NO_ISSUER,
      python:
        '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)',
    },
    {
      fault: 'expired-leaf',
      node: 'CERT_HAS_EXPIRED',
      curl: '60 curl: (60) SSL certificate problem: certificate has expired',
      python:
        '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)',
    },
    {
      fault: 'wrong-names',
      node: 'ERR_TLS_CERT_ALTNAME_INVALID',
      curl: "60 curl: (60) SSL: no alternative certificate subject name matches target host name '127.0.0.1'",
      python:
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch, certificate is not valid for '127.0.0.1'. (_ssl.c:1006)",
    },
  ];

  test.each(cases)('$fault: Node with the lab bundle fails with $node', async (c) => {
    const { tls, url } = await fixture(c.fault);
    expect(await node(url, tls.caPem)).toBe(c.node);
    if (CURL) expect(await curl(url, tls.caFile)).toBe(c.curl);
  });

  test.skipIf(!PYTHON).each(cases)(
    `$fault: Python requests says so${PYTHON ? '' : ' (skipped: no python3 with requests)'}`,
    async (c) => {
      const { tls, url } = await fixture(c.fault);
      expect(await python(url, tls.caFile)).toBe(c.python);
    },
  );

  test('leaf-only alone and root-only-bundle alone still verify (it takes both to break the chain)', async () => {
    const leafOnly = await fixture('leaf-only');
    expect(leafOnly.tls.server.cert.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    expect(await node(leafOnly.url, leafOnly.tls.caPem)).toBe('200');
    expect(await node(leafOnly.url)).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    const rootOnly = await fixture('root-only-bundle');
    expect(rootOnly.tls.caPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    expect(await node(rootOnly.url, rootOnly.tls.caPem)).toBe('200');
    // The lab's own components trust the whole chain, whatever the fault.
    expect(rootOnly.tls.trustPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(await node(rootOnly.url, rootOnly.tls.trustPem)).toBe('200');
  });

  test('faults apply to `server`; `validServer` stays valid for the parts no fault is aimed at', async () => {
    const { tls } = await fixture('expired-leaf');
    const server = https.createServer(tls.validServer, (_q, r) => r.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    expect(await node(`https://127.0.0.1:${(server.address() as AddressInfo).port}/`, tls.trustPem)).toBe(
      '200',
    );
  });

  test('an unknown fault is refused with the list', async () => {
    const error = await createTlsFixture('nope' as TlsFault).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAuthlabError(error) && error.code).toBe('AUTHLAB_INVALID_ARGUMENT');
    expect((error as Error).message).toBe('unknown TLS fault "nope"');
  });
});

describe('persistence', () => {
  test('the CA in a directory is reused (trust survives restarts); keys are 0600; a damaged file is named', async () => {
    const first = await createTlsFixture('valid');
    cleanups.push(first.dispose);
    const again = await createLabTls({ dir: first.dir });
    expect(again.caPem).toBe(first.caPem);
    expect(again.server.cert).not.toBe(first.server.cert); // a fresh leaf, from the same CA
    expect(await node(await serve(again), first.caPem)).toBe('200');
    for (const f of ['root-key.pem', 'intermediate-key.pem', 'server-key.pem']) {
      expect((await stat(`${first.dir}/${f}`)).mode & 0o777).toBe(0o600);
    }
    expect((await stat(first.dir)).mode & 0o777).toBe(0o700);
    expect(await readFile(first.caFile, 'utf8')).toBe(first.caPem);

    await writeFile(`${first.dir}/root.pem`, 'not a certificate');
    const error = await createLabTls({ dir: first.dir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAuthlabError(error) && error.code).toBe('AUTHLAB_STATE_INVALID');
    expect((error as Error).message).toMatch(
      new RegExp(`^the lab CA file ${first.dir}/root.pem cannot be used: `),
    );
    expect(isAuthlabError(error) && error.hint).toBe(
      `Delete ${first.dir} to make a new lab CA (clients must then trust the new ca.pem).`,
    );
    await rm(first.dir, { recursive: true, force: true });
  });
});
