// Python's base64 decoding, as the plugin's stack applies it to what a client sends: the Basic credentials
// (`base64.b64decode`, auth_middleware.py), Starlette's session payload (`b64decode`) and itsdangerous' signature and
// timestamp (`base64.urlsafe_b64decode` after padding). Node's decoder differs on exactly the inputs a client can
// forge: it reads `-`/`_` in the standard alphabet, needs no padding, and never fails; CPython's non-strict
// `binascii.a2b_base64` skips every byte outside its alphabet, stops at the first complete pad, and refuses a
// quantum left short ("Incorrect padding").

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;
const PAD = 0x3d;

/**
 * `binascii.a2b_base64(data, strict_mode=False)` (CPython 3.11+): bytes outside the alphabet are skipped, a pad that
 * completes a quantum ends the input, and a trailing partial quantum is an error (undefined here).
 */
export function pythonA2bBase64(data: Uint8Array): Buffer | undefined {
  const out = Buffer.alloc(Math.ceil((data.length * 3) / 4));
  let n = 0;
  let quad = 0;
  let left = 0;
  let pads = 0;
  for (const byte of data) {
    if (byte === PAD) {
      // A pad is only counted once two data characters are in: `quad_pos >= 2 && quad_pos + ++pads >= 4`.
      if (quad >= 2 && quad + ++pads >= 4) return out.subarray(0, n);
      continue;
    }
    const v = VALUE[byte]!;
    if (v < 0) continue;
    pads = 0;
    switch (quad) {
      case 0:
        left = v;
        quad = 1;
        break;
      case 1:
        out[n++] = (left << 2) | (v >> 4);
        left = v & 0x0f;
        quad = 2;
        break;
      case 2:
        out[n++] = ((left << 4) | (v >> 2)) & 0xff;
        left = v & 0x03;
        quad = 3;
        break;
      default:
        out[n++] = ((left << 6) | v) & 0xff;
        quad = 0;
    }
  }
  return quad === 0 ? out.subarray(0, n) : undefined;
}

/**
 * `base64.b64decode(s)`: a `str` must be ASCII (else ValueError), bytes are taken as they are. Undefined where
 * Python raises.
 */
export function pythonB64decode(input: string | Uint8Array): Buffer | undefined {
  if (typeof input === 'string') {
    // eslint-disable-next-line no-control-regex
    if (/[^\x00-\x7f]/.test(input)) return undefined;
    return pythonA2bBase64(Buffer.from(input, 'latin1'));
  }
  return pythonA2bBase64(input);
}

/**
 * itsdangerous' `base64_decode`: ASCII only (other characters dropped), padded to a multiple of four, then
 * `urlsafe_b64decode` (`-_` read as `+/`; `+/` still read too).
 */
export function itsdangerousB64decode(input: Uint8Array): Buffer | undefined {
  // want_bytes(..., "ascii", errors="ignore") on bytes is the bytes themselves.
  const padded = Buffer.concat([Buffer.from(input), Buffer.alloc((4 - (input.length % 4)) % 4, PAD)]);
  for (let i = 0; i < padded.length; i++) {
    if (padded[i] === 0x2d) padded[i] = 0x2b;
    else if (padded[i] === 0x5f) padded[i] = 0x2f;
  }
  return pythonA2bBase64(padded);
}
