// Bearer tokens from the real lab IdP through the oauth2-proxy verifier (oauth2-proxy-and-dex.md §A3),
// asserting the exact texts oauth2-proxy logs.
import { SignJWT, generateKeyPair } from 'jose';
import { describe, expect, test } from 'vitest';
import { loadBearerSession } from '../../../src/proxy/bearer/load.js';
import { createVerifier, type VerifierOptions } from '../../../src/proxy/bearer/verifier.js';
import { claimsOf, headerOf, testLab } from '../helpers.js';

type Lab = Awaited<ReturnType<typeof testLab>>;

/** The default lab's proxy: client-id oauth2-proxy, extra audiences mlflow-cli and mlflow (issue 4). */
function labVerifier(lab: Lab, extra: Partial<VerifierOptions> = {}) {
  let fetches = 0;
  const verifier = createVerifier({
    issuer: lab.issuer,
    jwksUri: lab.jwksUri,
    audiences: ['oauth2-proxy', 'mlflow-cli', 'mlflow'],
    fetch: (input, init) => {
      fetches++;
      return fetch(input, init);
    },
    ...extra,
  });
  return { verifier, fetches: () => fetches };
}

/** Go's %v of time.Unix(exp, 0) in UTC, derived independently of go-format.ts. */
const goExpiry = (exp: number) =>
  new Date(exp * 1000).toISOString().replace('T', ' ').replace('.000Z', ' +0000 UTC');

/** Re-signs a lab token's claims (optionally edited) with a key the lab never published. */
async function foreignToken(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'f'.repeat(40), ...header })
    .sign(privateKey);
}

describe('bearer tokens from the lab IdP', () => {
  test('a password-grant token for alice becomes the session §A3 describes', async () => {
    const lab = await testLab();
    const token = await lab.token({ user: 'alice' });
    const claims = claimsOf(token);
    const result = await labVerifier(lab).verifier.verify(token, lab.clock.now());
    expect(result.error).toBeUndefined();
    expect(result.session).toEqual({
      user: claims.sub,
      email: 'alice@example.com',
      groups: ['team-a-editors'],
      preferredUsername: claims.preferred_username,
      accessToken: token,
      idToken: token,
      expiresOn: (claims.exp as number) * 1000,
    });
    expect(result.session!.user).not.toBe('alice@example.com'); // §D 3: User is Dex's opaque sub
  });

  test('admin-cli token: the audience message with the allowed set as a sorted Go map', async () => {
    const lab = await testLab();
    const token = await lab.token({ user: 'alice', client: 'admin-cli' });
    const result = await labVerifier(lab).verifier.verify(token, lab.clock.now());
    expect(result.error).toBe(
      'audience from claim aud with value [admin-cli] does not match with any of allowed audiences ' +
        'map[mlflow:{} mlflow-cli:{} oauth2-proxy:{}]',
    );
    // And in the log line's aggregate form.
    const loaded = await loadBearerSession(`Bearer ${token}`, [labVerifier(lab).verifier], lab.clock.now());
    expect(loaded?.error).toBe(
      '[unable to verify bearer token, audience from claim aud with value [admin-cli] does not match with any ' +
        'of allowed audiences map[mlflow:{} mlflow-cli:{} oauth2-proxy:{}]]',
    );
  });

  test('a token verified once is checked again without a promise, and still against the clock', async () => {
    const lab = await testLab();
    const { verifier } = labVerifier(lab);
    const token = await lab.token({ user: 'alice' });
    const first = loadBearerSession(`Bearer ${token}`, [verifier], lab.clock.now());
    expect(first).toBeInstanceOf(Promise); // the signature is checked against the JWKS once
    expect((await first)?.session?.email).toBe('alice@example.com');
    const again = loadBearerSession(`Bearer ${token}`, [verifier], lab.clock.now());
    expect(again).not.toBeInstanceOf(Promise);
    expect((again as Awaited<typeof again>)?.session?.email).toBe('alice@example.com');
    // Expiry is not remembered: a day later the same token fails, synchronously, with go-oidc's text.
    lab.clock.advance(86_401_000);
    const later = loadBearerSession(`Bearer ${token}`, [verifier], lab.clock.now());
    expect(later).not.toBeInstanceOf(Promise);
    expect((later as Awaited<typeof later>)?.error).toMatch(
      /^\[unable to verify bearer token, failed to verify token: oidc: token is expired \(Token Expiry: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC\)\]$/,
    );
  });

  test('§D 1: an mlflow-cli token against client-id oauth2-proxy alone; the audience scope fixes it', async () => {
    const lab = await testLab();
    const { verifier } = labVerifier(lab, { audiences: ['oauth2-proxy'] });
    const plain = await lab.token({ user: 'alice' });
    expect((await verifier.verify(plain, lab.clock.now())).error).toBe(
      'audience from claim aud with value [mlflow-cli] does not match with any of allowed audiences map[oauth2-proxy:{}]',
    );
    const peered = await lab.token({ user: 'alice', audience: 'oauth2-proxy' });
    expect(claimsOf(peered).aud).toEqual(['oauth2-proxy', 'mlflow-cli']);
    expect((await verifier.verify(peered, lab.clock.now())).session?.email).toBe('alice@example.com');
  });

  test('--oidc-audience-claim: the first claim present is checked; none present lists the claims as a Go map', async () => {
    const lab = await testLab();
    const token = await lab.token({ user: 'alice' });
    const { verifier } = labVerifier(lab, { audienceClaims: ['client_id', 'azp'] });
    const claims = claimsOf(token);
    const error = (await verifier.verify(token, lab.clock.now())).error!;
    expect(error.startsWith('audience claims [client_id azp] do not exist in claims: map[at_hash:')).toBe(
      true,
    );
    expect(error).toContain(` aud:mlflow-cli email:alice@example.com email_verified:true exp:`);
    expect(error).toContain(` groups:[team-a-editors] iat:`);
    expect(error).toContain(
      ` iss:${lab.issuer} name:Alice Anders preferred_username:alice sub:${claims.sub as string}]`,
    );
    expect(error).toMatch(/ exp:\d\.\d+e\+09 /); // float64, as Go decodes JSON numbers
  });

  test('expired after lab.clock.advance("25h"), in the exact log form', async () => {
    const lab = await testLab();
    const token = await lab.token({ user: 'alice' });
    const exp = claimsOf(token).exp as number;
    const { verifier } = labVerifier(lab);
    expect((await verifier.verify(token, lab.clock.now())).session).toBeDefined();
    lab.clock.advance('25h');
    const loaded = await loadBearerSession(`Bearer ${token}`, [verifier], lab.clock.now());
    expect(loaded).toEqual({
      error: `[unable to verify bearer token, failed to verify token: oidc: token is expired (Token Expiry: ${goExpiry(exp)})]`,
    });
  });

  test('exp is checked with no leeway: valid at exp, expired one second after', async () => {
    const lab = await testLab();
    const token = await lab.token({ user: 'alice', expiresIn: '90s' });
    const exp = claimsOf(token).exp as number;
    const { verifier } = labVerifier(lab);
    expect((await verifier.verify(token, exp * 1000)).session).toBeDefined();
    expect((await verifier.verify(token, exp * 1000 + 1)).error).toBe(
      `failed to verify token: oidc: token is expired (Token Expiry: ${goExpiry(exp)})`,
    );
  });

  test('rotateKeys(): the unknown kid makes the verifier fetch the JWKS once more, then it verifies', async () => {
    const lab = await testLab();
    const { verifier, fetches } = labVerifier(lab);
    expect(
      (await verifier.verify(await lab.token({ user: 'alice' }), lab.clock.now())).session,
    ).toBeDefined();
    expect(fetches()).toBe(1);
    expect((await verifier.verify(await lab.token({ user: 'bob' }), lab.clock.now())).session).toBeDefined();
    expect(fetches()).toBe(1); // cached
    await lab.rotateKeys();
    const rotated = await lab.token({ user: 'bob' });
    const result = await verifier.verify(rotated, lab.clock.now());
    expect(result.session?.email).toBe('bob@example.com');
    expect(fetches()).toBe(2);
  });

  test('a token signed by a foreign key: one refetch per attempt, then the signature message', async () => {
    const lab = await testLab();
    const { verifier, fetches } = labVerifier(lab);
    expect(
      (await verifier.verify(await lab.token({ user: 'alice' }), lab.clock.now())).session,
    ).toBeDefined();
    expect(fetches()).toBe(1);
    const token = await foreignToken(claimsOf(await lab.token({ user: 'alice' })));
    expect((await verifier.verify(token, lab.clock.now())).error).toBe(
      'failed to verify token: failed to verify signature: failed to verify id token signature',
    );
    // Even with the lab's own kid: go-oidc refetches on any miss.
    const sameKid = await foreignToken(claimsOf(await lab.token({ user: 'alice' })), {
      kid: headerOf(await lab.token()).kid,
    });
    expect((await verifier.verify(sameKid, lab.clock.now())).error).toBe(
      'failed to verify token: failed to verify signature: failed to verify id token signature',
    );
    expect(fetches()).toBe(3);
  });

  test('JWKS unreachable: the fetch error inside the signature message', async () => {
    const lab = await testLab();
    const jwksUri = `${lab.issuer}/no-such-keys`;
    const miss = await fetch(jwksUri);
    const body = await miss.text();
    const { verifier } = labVerifier(lab, { jwksUri });
    expect((await verifier.verify(await lab.token(), lab.clock.now())).error).toBe(
      `failed to verify token: failed to verify signature: fetching keys oidc: get keys failed: ${miss.status} ${miss.statusText} ${body}`,
    );
    expect(miss.status).toBe(404);
  });

  test('unsupported alg: HS256 is rejected before any key is looked at', async () => {
    const lab = await testLab();
    const { verifier, fetches } = labVerifier(lab);
    const claims = claimsOf(await lab.token());
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
    expect((await verifier.verify(hs, lab.clock.now())).error).toBe(
      'failed to verify token: oidc: malformed jwt: go-jose/go-jose: unexpected signature algorithm "HS256"; expected ["RS256"]',
    );
    expect(fetches()).toBe(0);
  });

  test('order: issuer before expiry before nbf before alg before signature before audience', async () => {
    const lab = await testLab();
    const { verifier } = labVerifier(lab);
    const now = lab.clock.now();
    const base = claimsOf(await lab.token({ client: 'admin-cli' })); // wrong audience too
    const hsSign = (c: Record<string, unknown>) =>
      new SignJWT(c).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
    const past = Math.floor(now / 1000) - 3600;
    // Wrong issuer and expired and HS256: the issuer wins.
    expect((await verifier.verify(await hsSign({ ...base, iss: 'http://x', exp: past }), now)).error).toBe(
      `failed to verify token: oidc: id token issued by a different provider, expected "${lab.issuer}" got "http://x"`,
    );
    // Expired and HS256: expiry wins.
    expect((await verifier.verify(await hsSign({ ...base, exp: past }), now)).error).toBe(
      `failed to verify token: oidc: token is expired (Token Expiry: ${goExpiry(past)})`,
    );
    // No exp at all counts as expired at Go's zero time.
    const { exp: _exp, ...noExp } = base;
    expect((await verifier.verify(await hsSign(noExp), now)).error).toBe(
      'failed to verify token: oidc: token is expired (Token Expiry: 0001-01-01 00:00:00 +0000 UTC)',
    );
    // nbf beyond the 5-minute leeway, HS256: nbf wins.
    const nbf = Math.floor(now / 1000) + 600;
    expect((await verifier.verify(await hsSign({ ...base, nbf }), now)).error).toMatch(
      new RegExp(
        `^failed to verify token: oidc: current time \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d+)? \\+0000 UTC m=\\+\\d+\\.\\d{9} ` +
          `before the nbf \\(not before\\) time: ${goExpiry(nbf).replace(/\+/g, '\\+')}$`,
      ),
    );
    // nbf inside the leeway passes on to the alg check.
    expect((await verifier.verify(await hsSign({ ...base, nbf: nbf - 400 }), now)).error).toContain(
      'unexpected signature algorithm "HS256"',
    );
    // Foreign RS256 key with the wrong audience: the signature wins.
    expect((await verifier.verify(await foreignToken(base), now)).error).toBe(
      'failed to verify token: failed to verify signature: failed to verify id token signature',
    );
  });

  test('malformed payloads get go-oidc parse errors', async () => {
    const lab = await testLab();
    const { verifier } = labVerifier(lab);
    const now = lab.clock.now();
    expect((await verifier.verify('eyJhbGciOiJSUzI1NiJ9.eyJhb.sig', now)).error).toBe(
      'failed to verify token: oidc: malformed jwt: oidc: malformed jwt payload: illegal base64 data at input byte 4',
    );
    const payload = Buffer.from('{"iss":5}').toString('base64url');
    expect((await verifier.verify(`eyJhbGciOiJSUzI1NiJ9.${payload}.sig`, now)).error).toBe(
      'failed to verify token: oidc: failed to unmarshal claims: json: cannot unmarshal number into Go struct field idToken.iss of type string',
    );
  });
});

describe('--extra-jwt-issuers', () => {
  test('a second issuer: rejected by the main verifier, accepted by its extra-issuer entry; aggregates otherwise', async () => {
    const lab = await testLab();
    const other = await testLab();
    expect(other.issuer).not.toBe(lab.issuer);
    const main = labVerifier(lab).verifier;
    const extra = createVerifier({
      issuer: other.issuer,
      jwksUri: other.jwksUri,
      audiences: ['mlflow-cli'],
      mapping: 'extra-issuer',
    });
    const token = await other.token({ user: 'carol' });
    const now = lab.clock.now();

    expect(await loadBearerSession(`Bearer ${token}`, [main], now)).toEqual({
      error: `[unable to verify bearer token, failed to verify token: oidc: id token issued by a different provider, expected "${lab.issuer}" got "${other.issuer}"]`,
    });
    const loaded = await loadBearerSession(`Bearer ${token}`, [main, extra], now);
    expect(loaded?.session).toMatchObject({
      user: claimsOf(token).sub,
      email: 'carol@example.com',
      groups: ['mlflow-admins'],
    });

    const admin = await other.token({ user: 'carol', client: 'admin-cli' });
    expect((await loadBearerSession(`Bearer ${admin}`, [main, extra], now))?.error).toBe(
      `[unable to verify bearer token, failed to verify token: oidc: id token issued by a different provider, expected "${lab.issuer}" got "${other.issuer}", ` +
        'audience from claim aud with value [admin-cli] does not match with any of allowed audiences map[mlflow-cli:{}]]',
    );
  });

  test('Basic forms carry the token too; extraction errors are logged without the aggregate', async () => {
    const lab = await testLab();
    const main = labVerifier(lab).verifier;
    const token = await lab.token({ user: 'alice' });
    const now = lab.clock.now();
    const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    for (const header of [basic(`${token}:`), basic(`${token}:x-oauth-basic`), basic(`anyone:${token}`)])
      expect((await loadBearerSession(header, [main], now))?.session?.email).toBe('alice@example.com');
    expect(await loadBearerSession(basic('alice:alice-password'), [main], now)).toEqual({
      error: 'invalid basic auth token found in authorization header',
    });
    expect(await loadBearerSession(`Bearer ${token} x`, [main], now)).toEqual({
      error: `invalid authorization header: "Bearer ${token} x"`,
    });
    expect(await loadBearerSession(undefined, [main], now)).toBeUndefined();
  });
});
