// The `_oauth2_proxy` session cookie value, sealed and opened as oauth2-proxy does (oauth2-proxy-and-dex.md §A1
// "Value format", "Failure matrix for a presented session cookie").
//
// Deviation: oauth2-proxy serialises the session as LZ4_frame(msgpack(SessionState)). Both need a dependency, so
// the lab writes JSON with the same short msgpack keys, uncompressed. Only the payload bytes differ; the
// `<payload>|<unix-ts>|<hmac>` envelope, the AES-CFB cipher and the HMAC are oauth2-proxy's.
import { cookieKeys } from './cookie-secret.js';
import { decryptCfb, encryptCfb, signValue, validateValue } from './signed-value.js';

export const DEFAULT_COOKIE_NAME = '_oauth2_proxy';
/** `--cookie-expire` default, 168h (§A1 "Defaults"). */
export const DEFAULT_COOKIE_EXPIRE_MS = 168 * 60 * 60 * 1000;

/** What oauth2-proxy keeps in a session (`SessionState`, `session_state.go:18-34`). Times are epoch ms. */
export interface SessionState {
  createdAt?: number;
  expiresOn?: number;
  accessToken?: string;
  idToken?: string;
  refreshToken?: string;
  nonce?: string;
  email?: string;
  user?: string;
  groups?: string[];
  preferredUsername?: string;
}

/** SessionState field → its msgpack key in oauth2-proxy (§A1). */
const WIRE_KEYS = {
  createdAt: 'ca',
  expiresOn: 'eo',
  accessToken: 'at',
  idToken: 'it',
  refreshToken: 'rt',
  nonce: 'n',
  email: 'e',
  user: 'u',
  groups: 'g',
  preferredUsername: 'pu',
} as const satisfies Record<keyof SessionState, string>;

type Field = keyof typeof WIRE_KEYS;
const FIELDS = Object.keys(WIRE_KEYS) as Field[];

export interface SealOptions {
  secret: string;
  /** Lab clock, epoch ms; stamps `createdAt` when the session has none (oauth2-proxy's `CreatedAtNow`). */
  now: number;
  /** The cookie name is part of the HMAC input, so a value sealed for one name fails under another. */
  name?: string;
}

export interface OpenOptions {
  secret: string;
  /** Lab clock, epoch ms. */
  now: number;
  /** `cookie-expire` in ms; 0 turns the timestamp window off (§A1 failure matrix, last row). */
  expireMs?: number;
  name?: string;
}

/** Why a presented value did not yield a session; `message` is oauth2-proxy's error text for the log line. */
export interface SessionFailure {
  readonly ok: false;
  readonly reason: 'signature' | 'decrypt' | 'unmarshal';
  readonly message: string;
}

export type OpenResult = { readonly ok: true; readonly session: SessionState } | SessionFailure;

/** `Load`'s text for every envelope failure (§A1 failure matrix, row 2). */
export const SIGNATURE_NOT_VALID = 'cookie signature not valid';

function toWire(session: SessionState): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const v = session[f];
    // msgpack `omitempty`: empty strings and empty lists are not written.
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    wire[WIRE_KEYS[f]] = v;
  }
  return wire;
}

function fromWire(wire: unknown): SessionState {
  if (typeof wire !== 'object' || wire === null || Array.isArray(wire)) {
    throw new Error('session state is not an object');
  }
  const w = wire as Record<string, unknown>;
  const session: SessionState = {};
  for (const f of FIELDS) {
    const v = w[WIRE_KEYS[f]];
    if (v === undefined) continue;
    const ok =
      f === 'createdAt' || f === 'expiresOn'
        ? typeof v === 'number'
        : f === 'groups'
          ? Array.isArray(v) && v.every((g) => typeof g === 'string')
          : typeof v === 'string';
    if (!ok) throw new Error(`field ${WIRE_KEYS[f]} has the wrong type`);
    (session as Record<string, unknown>)[f] = v;
  }
  return session;
}

/**
 * Seals a session into a cookie value. The envelope's timestamp is the session's `createdAt` (login or last
 * refresh, `session_store.go:39-46`), which is what the expiry window is measured from.
 */
export function sealSession(session: SessionState, options: SealOptions): string {
  const keys = cookieKeys(options.secret);
  const createdAt = session.createdAt ?? options.now;
  const plain = Buffer.from(JSON.stringify(toWire({ ...session, createdAt })), 'utf8');
  return signValue(keys, options.name ?? DEFAULT_COOKIE_NAME, encryptCfb(keys.aesKey, plain), createdAt);
}

/** Opens a presented (already joined) cookie value; every failure carries oauth2-proxy's text. */
export function openSession(value: string, options: OpenOptions): OpenResult {
  const keys = cookieKeys(options.secret);
  const name = options.name ?? DEFAULT_COOKIE_NAME;
  const valid = validateValue(keys, name, value, options.now, options.expireMs ?? DEFAULT_COOKIE_EXPIRE_MS);
  if (valid === undefined) return { ok: false, reason: 'signature', message: SIGNATURE_NOT_VALID };
  let plain: Buffer;
  try {
    plain = decryptCfb(keys.aesKey, valid.value);
  } catch (e) {
    return {
      ok: false,
      reason: 'decrypt',
      message: `error decrypting the session state: ${(e as Error).message}`,
    };
  }
  try {
    return { ok: true, session: fromWire(JSON.parse(plain.toString('utf8'))) };
  } catch (e) {
    // Go wraps the msgpack decoder's error; the lab's detail is JSON.parse's (see the deviation above).
    return {
      ok: false,
      reason: 'unmarshal',
      message: `error unmarshalling data to session state: ${(e as Error).message}`,
    };
  }
}

/** The log line oauth2-proxy writes before clearing the cookie (`stored_session.go:107-131`). */
export function loadErrorLogLine(failure: SessionFailure): string {
  return `Error loading cookied session: ${failure.message}, removing session`;
}
