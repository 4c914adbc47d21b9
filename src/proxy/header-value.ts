// Header values as oauth2-proxy's Go server and transport put them on the wire, for values the proxy takes from a
// session (an e-mail, a user, groups). Node refuses some values Go sends, and throws where Go does not: one user
// whose e-mail holds `ł` or a CR made the lab's `setHeader` throw ERR_INVALID_CHAR and took the process down.
// (oauth2-proxy-and-dex.md §A4 "Value rules"; Go net/http `Header.writeSubset`, `Transport.roundTrip`.)

/** Printable ASCII and tab: a value Node and Go both write as it is (nearly every value). */
const PLAIN = /^[\t\x20-\x7e]*$/;
/** What Node refuses in a header value once it is a byte string: controls but tab, and DEL. */
// eslint-disable-next-line no-control-regex
const NODE_REFUSES = /[\x00-\x08\x0a-\x1f\x7f]/g;
/** What Go's transport refuses in a request header value (`httpguts.ValidHeaderFieldValue`). */
// eslint-disable-next-line no-control-regex
const GO_TRANSPORT_REFUSES = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * The UTF-8 bytes of a value as the one-byte-per-character string Node writes byte for byte: Go writes a Go
 * string's bytes, so `łukasz@example.com` reaches the client as UTF-8, where Node's own encoding would refuse it.
 */
export const utf8Bytes = (value: string): string => Buffer.from(value, 'utf8').toString('latin1');

/**
 * A response header value as Go's server writes it: CR and LF become spaces, then surrounding spaces, tabs, CRs
 * and LFs are trimmed (`headerNewlineToSpace`, `textproto.TrimString`), and the bytes are UTF-8. [lab] Other
 * control characters, which Go writes raw and Node cannot, become spaces.
 */
export function goResponseHeaderValue(value: string): string {
  if (PLAIN.test(value)) return value.trim() === value ? value : value.replace(/^[ \t]+|[ \t]+$/g, '');
  const spaced = value.replace(/[\r\n]/g, ' ').replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  return utf8Bytes(spaced).replace(NODE_REFUSES, ' ');
}

/**
 * A request header value for the upstream as Go's transport sends it (UTF-8 bytes), or undefined when the
 * transport refuses it: a CR, LF or other control character fails the whole request with
 * `net/http: invalid header field value for "<Name>"`, oauth2-proxy's 502 page (§A2).
 */
export function goRequestHeaderValue(value: string): string | undefined {
  if (PLAIN.test(value)) return value;
  if (GO_TRANSPORT_REFUSES.test(value)) return undefined;
  return utf8Bytes(value);
}

/** The transport's error for a refused header value; Go names the header in its canonical form. */
export function invalidHeaderValueError(name: string): string {
  return `net/http: invalid header field value for "${canonicalHeaderKey(name)}"`;
}

/** `textproto.CanonicalMIMEHeaderKey`: each dash-separated word capitalised (`x-forwarded-email` → `X-Forwarded-Email`). */
export function canonicalHeaderKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}
