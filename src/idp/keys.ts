import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { LabClock } from '../clock.js';
import { AuthlabError } from '../errors.js';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
  createdAt: number;
  /** When it stopped signing; it stays published for `retainMs` after that. */
  demotedAt?: number;
}

export interface KeyRingOptions {
  clock: LabClock;
  /** Rotate automatically after this long (Dex: 6h). 0 = only on rotate(). */
  rotateEveryMs: number;
  /** How long a demoted key stays in JWKS (Dex: the ID-token lifetime, §B3 "Keys"). */
  retainMs: number;
  /** Private JWKs from the config; the first one signs. */
  configured?: Array<Record<string, unknown>>;
}

/**
 * The IdP's RS256 keys. Dex keeps the current key first in JWKS and a demoted key for the ID-token lifetime
 * (oauth2-proxy-and-dex.md §B3); rotation is checked lazily against the lab clock, so advancing the clock
 * past the rotation period rotates on the next request, as Dex's 30 s ticker would.
 */
export class KeyRing {
  #keys: SigningKey[] = [];
  #options: KeyRingOptions;
  #onRotate: Array<() => void> = [];
  #rotating: Promise<SigningKey> | undefined;

  private constructor(options: KeyRingOptions) {
    this.#options = options;
  }

  static async create(options: KeyRingOptions): Promise<KeyRing> {
    const ring = new KeyRing(options);
    const now = options.clock.now();
    if (options.configured?.length) {
      for (const [i, jwk] of options.configured.entries()) {
        const key = await fromPrivateJwk(jwk as JWK, now).catch((cause: unknown) => {
          throw new AuthlabError(
            'AUTHLAB_CONFIG_INVALID',
            `invalid configuration: idp.signingKeys[${i}] is not a usable RSA private key (${(cause as Error).message})`,
            { cause, hint: 'Give a private RSA JWK (n, e, d, p, q, dp, dq, qi), e.g. one exported by jose.' },
          );
        });
        if (i > 0) key.demotedAt = now;
        ring.#keys.push(key);
      }
    } else {
      ring.#keys.push(await generateSigningKey(now));
    }
    return ring;
  }

  /** Called after every rotation (the IdP rebuilds what caches the key set). */
  onRotate(listener: () => void): void {
    this.#onRotate.push(listener);
  }

  /** The key that signs now, rotating first if its period is over. */
  async current(): Promise<SigningKey> {
    const { rotateEveryMs, configured, clock } = this.#options;
    if (rotateEveryMs > 0 && !configured?.length && clock.now() - this.#keys[0]!.createdAt >= rotateEveryMs) {
      // Concurrent requests share one rotation rather than each minting a key.
      this.#rotating ??= this.rotate().finally(() => (this.#rotating = undefined));
      await this.#rotating;
    }
    return this.#keys[0]!;
  }

  /** Starts signing with a new key; the previous one stays published for `retainMs`. */
  async rotate(): Promise<SigningKey> {
    const now = this.#options.clock.now();
    const fresh = await generateSigningKey(now);
    for (const k of this.#keys) k.demotedAt ??= now;
    this.#keys = [fresh, ...this.#keys.filter((k) => now - k.demotedAt! < this.#options.retainMs)];
    for (const listener of this.#onRotate) listener();
    return fresh;
  }

  /** Keys still valid for verification: the signing key first, as Dex lists them. */
  published(): SigningKey[] {
    const now = this.#options.clock.now();
    return this.#keys.filter((k) => k.demotedAt === undefined || now - k.demotedAt < this.#options.retainMs);
  }

  /** Every key the ring still holds, private members included (oidc-provider's keystore). */
  privateJwks(): JWK[] {
    return this.published().map((k) => k.privateJwk);
  }
}

async function generateSigningKey(now: number): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  // Dex: kid = hex of 20 random bytes (server/signer/rotation.go).
  return fromPrivateJwk({ ...(await exportJWK(privateKey)), kid: randomBytes(20).toString('hex') }, now);
}

async function fromPrivateJwk(jwk: JWK, now: number): Promise<SigningKey> {
  const kid = jwk.kid ?? randomBytes(20).toString('hex');
  const privateJwk: JWK = { ...jwk, kid, alg: 'RS256', use: 'sig' };
  const privateKey = (await importJWK(privateJwk, 'RS256')) as CryptoKey;
  // go-jose member order: use, kty, kid, alg, n, e (§B3 "Discovery and keys").
  const publicJwk: JWK = { use: 'sig', kty: 'RSA', kid, alg: 'RS256', n: jwk.n!, e: jwk.e! };
  return { kid, privateKey, publicJwk, privateJwk, createdAt: now };
}
