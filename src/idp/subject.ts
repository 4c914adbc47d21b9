/**
 * Dex's `sub`: base64url (no padding) of the protobuf message IDTokenSubject{1: user_id, 2: conn_id}
 * (oauth2-proxy-and-dex.md §B3, "ID token claims"). Empty fields are omitted, as proto3 does, so a
 * client_credentials subject with connector "" is just field 1 (§B2: client `mlflow` → `CgZtbGZsb3c`).
 */
export function dexSubject(userId: string, connectorId: string): string {
  return Buffer.concat([protoString(1, userId), protoString(2, connectorId)]).toString('base64url');
}

/** Reverses dexSubject; undefined when the text is not such a message. */
export function parseDexSubject(sub: string): { userId: string; connectorId: string } | undefined {
  const bytes = Buffer.from(sub, 'base64url');
  const fields: Record<number, string> = {};
  let i = 0;
  while (i < bytes.length) {
    const tag = bytes[i++]!;
    if ((tag & 7) !== 2) return undefined;
    const [len, next] = readVarint(bytes, i);
    if (next + len > bytes.length) return undefined;
    fields[tag >> 3] = bytes.subarray(next, next + len).toString('utf8');
    i = next + len;
  }
  return fields[1] === undefined ? undefined : { userId: fields[1], connectorId: fields[2] ?? '' };
}

function protoString(field: number, value: string): Buffer {
  if (value === '') return Buffer.alloc(0);
  const data = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([(field << 3) | 2]), varint(data.length), data]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

function readVarint(bytes: Buffer, start: number): [number, number] {
  let value = 0;
  let shift = 0;
  let i = start;
  for (;;) {
    const b = bytes[i++];
    if (b === undefined) return [Infinity, i];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, i];
    shift += 7;
  }
}
