// The compact JWS of every token the IdP mints (RFC 7515 §7.1, RS256): base64url(header).base64url(payload), signed
// by node:crypto on the libuv thread pool.
// Why not jose's SignJWT, which the rest of the lab uses: it made the very same bytes (RSASSA-PKCS1-v1_5 is
// deterministic; test/unit/idp/jws.test.ts compares the two), but cost ~65 µs of main-thread CPU per signature
// against ~20 µs here, most of it re-reading the CryptoKey's `algorithm` (Node clones it on every read) for
// checks that hold by construction for the key ring's keys. A token response carries two signatures, and the
// main thread is what the password grant's throughput is bound by once signing runs on the pool (issue 10).
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

/**
 * The key ring's private keys as KeyObjects, made once per key from its JWK (the ring's CryptoKeys are not
 * extractable, and converting one is deprecated).
 */
const keyObjects = new WeakMap<JWK, KeyObject>();

function keyObjectOf(privateJwk: JWK): KeyObject {
  let object = keyObjects.get(privateJwk);
  if (object === undefined)
    keyObjects.set(privateJwk, (object = createPrivateKey({ key: privateJwk as never, format: 'jwk' })));
  return object;
}

/** `header` and `payload` are serialised in their own key order, as jose serialises them. */
export function signRs256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  privateJwk: JWK,
): Promise<string> {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return new Promise((resolve, reject) =>
    sign('sha256', Buffer.from(input), keyObjectOf(privateJwk), (error, signature) =>
      error ? reject(error) : resolve(`${input}.${signature.toString('base64url')}`),
    ),
  );
}

const base64url = (text: string) => Buffer.from(text).toString('base64url');
