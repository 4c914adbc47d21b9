import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Request, Response } from 'express';
import type { LabClock } from '../clock.js';
import type { FlavourSpec } from './flavours.js';
import type { KeyRing } from './keys.js';

/**
 * UserInfo. Dex verifies the bearer as one of its own tokens and returns its claims (handlers.go:1115-1144):
 * missing or malformed → 401 with `WWW-Authenticate: Bearer`, failed verification → 403, same body. oidc-provider
 * refuses access tokens that carry an `aud` here, so the lab serves this endpoint itself.
 */
export function userinfoHandler(deps: {
  issuer: () => string;
  keys: KeyRing;
  clock: LabClock;
  spec: FlavourSpec;
}) {
  const dex = deps.spec.name === 'dex';
  const deny = (res: Response, status: number) => {
    if (dex) {
      if (status === 401) res.set('WWW-Authenticate', 'Bearer');
      res.status(status).json({ error: 'access_denied', error_description: 'Invalid bearer token.' });
    } else {
      res
        .status(401)
        .set(
          'WWW-Authenticate',
          'Bearer realm="mlflow", error="invalid_token", error_description="Token verification failed"',
        )
        .json({ error: 'invalid_token', error_description: 'Token verification failed' });
    }
  };
  return async (req: Request, res: Response) => {
    const header = req.headers.authorization ?? '';
    const match = /^bearer (\S+)$/i.exec(header);
    if (!match) return deny(res, 401);
    let payload: JWTPayload;
    try {
      const jwks = createLocalJWKSet({ keys: deps.keys.published().map((k) => k.publicJwk) });
      ({ payload } = await jwtVerify(match[1]!, jwks, {
        issuer: deps.issuer(),
        currentDate: new Date(deps.clock.now()),
        algorithms: ['RS256'],
      }));
    } catch {
      return deny(res, 403);
    }
    if (dex) return res.json(payload);
    const { sub, email_verified, name, preferred_username, email, groups } = payload as Record<
      string,
      unknown
    >;
    return res.json({
      sub,
      email_verified,
      name,
      ...(groups !== undefined && { groups }),
      preferred_username,
      email,
    });
  };
}
