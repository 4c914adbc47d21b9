// Issue 18, item 11: a header the proxy cannot parse is logged with oauth2-proxy's words, but not the credential.
import { describe, expect, test } from 'vitest';
import { cutCredentials } from '../../../src/proxy/proxy-log.js';
import { proxyLab, proxyLines } from '../proxy/support.js';

describe('credentials in the lab log (issue 18, item 11)', () => {
  test("unparsable Authorization headers: oauth2-proxy's line, the token cut to 8 characters", async () => {
    const p = await proxyLab();
    const token = await p.lab.token({ user: 'alice' });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    for (const authorization of [`Bearer ${token} x`, `Bearer  ${token}`, `Basic ${b64(token)}`])
      expect((await p.request('/x', { headers: { authorization } })).status).toBe(403);
    const lines = proxyLines(p.logs).filter((l) => l.includes('jwt_session.go:54'));
    const cut = `${token.slice(0, 8)}…`;
    expect(lines).toEqual([
      `[TS] [jwt_session.go:54] Error retrieving session from token in Authorization header: invalid authorization header: "Bearer ${cut} x"`,
      `[TS] [jwt_session.go:54] Error retrieving session from token in Authorization header: invalid authorization header: "Bearer  ${cut}"`,
      `[TS] [jwt_session.go:54] Error retrieving session from token in Authorization header: invalid format: "${cut}"`,
    ]);
    expect(p.logs.text()).not.toContain(token.slice(0, 20));
  });

  test('short words and every other error text are left as oauth2-proxy writes them', () => {
    expect(cutCredentials('invalid authorization header: "Bearer a b"')).toBe(
      'invalid authorization header: "Bearer a b"',
    );
    expect(cutCredentials('invalid format: "nocolon1"')).toBe('invalid format: "nocolon1"');
    expect(cutCredentials('invalid format: "nocolon12"')).toBe('invalid format: "nocolon1…"');
    const other = 'no valid bearer token found in authorization header';
    expect(cutCredentials(other)).toBe(other);
  });
});
