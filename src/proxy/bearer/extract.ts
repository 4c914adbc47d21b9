// Finding the JWT in an Authorization header, as oauth2-proxy's jwtSessionLoader.findTokenFromHeader does
// (oauth2-proxy-and-dex.md §A3 "Pipeline"; pkg/middleware/jwt_session.go). Error texts are Go's, verbatim.
import { goQuote } from './go-format.js';

/** `jwtRegexFormat`: a compact JWS whose header and payload start with `ey` (base64url of `{"`). */
export const JWT_PATTERN = /^ey[a-zA-Z0-9_-]*\.ey[a-zA-Z0-9_-]*\.[a-zA-Z0-9_-]+$/;

export type Extracted = { token: string; error?: undefined } | { token?: undefined; error: string };

/** The token in `Bearer <jwt>` or in one of the `Basic` forms, or the error oauth2-proxy logs for the header. */
export function extractBearer(authorizationHeader: string): Extracted {
  // A client sends the same header on every call: the answer for the most recent headers is kept (frozen, shared).
  // The last one is compared first: a fresh header string is hashed to be looked up in a Map, ~2 µs for a JWT.
  if (authorizationHeader === last.header) return last.extracted;
  let extracted = recentlyExtracted.get(authorizationHeader);
  if (extracted === undefined) {
    extracted = Object.freeze(extract(authorizationHeader));
    if (recentlyExtracted.size >= MAX_RECENT)
      recentlyExtracted.delete(recentlyExtracted.keys().next().value!);
    recentlyExtracted.set(authorizationHeader, extracted);
  }
  last = { header: authorizationHeader, extracted };
  return extracted;
}

let last: { header: string | undefined; extracted: Extracted } = {
  header: undefined,
  extracted: { error: '' },
};

const recentlyExtracted = new Map<string, Extracted>();
const MAX_RECENT = 1_000;

function extract(authorizationHeader: string): Extracted {
  // splitAuthHeader: strings.Split on a single space, exactly two parts.
  const parts = authorizationHeader.split(' ');
  if (parts.length !== 2) return { error: `invalid authorization header: ${goQuote(authorizationHeader)}` };
  const [type, value] = parts as [string, string];
  if (type === 'Bearer' && JWT_PATTERN.test(value)) return { token: value };
  if (type === 'Basic') return basicToken(value);
  return { error: 'no valid bearer token found in authorization header' };
}

/** getBasicToken: a JWT user with an empty or `x-oauth-basic` password, or a JWT password (user ignored). */
function basicToken(value: string): Extracted {
  const decoded = decodeStdBase64(value);
  if (typeof decoded === 'number')
    return { error: `invalid basic auth token: illegal base64 data at input byte ${decoded}` };
  const text = decoded.toString('latin1');
  const colon = text.indexOf(':');
  if (colon < 0) return { error: `invalid format: ${goQuote(decoded.toString('utf8'))}` };
  const user = text.slice(0, colon);
  const password = text.slice(colon + 1);
  if (JWT_PATTERN.test(user)) {
    if (password === '' || password === 'x-oauth-basic') return { token: user };
  } else if (JWT_PATTERN.test(password)) return { token: password };
  return { error: 'invalid basic auth token found in authorization header' };
}

const STD_ALPHABET = /[A-Za-z0-9+/]/;

/**
 * Go's base64.StdEncoding.DecodeString: padding required, CR/LF skipped. Returns the bytes, or the offset Go's
 * CorruptInputError reports (`invalid-base64` → 7), because that offset is part of the logged message.
 */
export function decodeStdBase64(src: string): Buffer | number {
  let si = 0;
  const skipNewlines = () => {
    while (si < src.length && (src[si] === '\n' || src[si] === '\r')) si++;
  };
  while (si < src.length) {
    // One quantum of up to four symbols (encoding/base64 decodeQuantum).
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) break;
        return si - j;
      }
      const ch = src[si++]!;
      if (STD_ALPHABET.test(ch)) continue;
      if (ch === '\n' || ch === '\r') {
        j--;
        continue;
      }
      if (ch !== '=' || j < 2) return si - 1;
      if (j === 2) {
        skipNewlines();
        if (si === src.length) return src.length;
        if (src[si] !== '=') return si - 1;
        si++;
      }
      skipNewlines();
      if (si < src.length) return si;
      return Buffer.from(src.replace(/[\r\n]/g, ''), 'base64');
    }
  }
  return Buffer.from(src.replace(/[\r\n]/g, ''), 'base64');
}
