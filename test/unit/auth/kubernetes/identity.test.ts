import { describe, expect, test } from 'vitest';
import { resolveIdentity } from '../../../../src/mlflow/auth/kubernetes/identity.js';
import { GATE_DEFAULTS } from '../../../../src/mlflow/auth/kubernetes/options.js';

const BY_SUB = { ...GATE_DEFAULTS, usernameClaim: 'sub' };

const jwt = (claims: Record<string, unknown>) =>
  `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('resolveIdentity (self_subject_access_review), with its per-header memory', () => {
  test('the same Authorization header twice gives the same identity; another token another one', () => {
    const a = jwt({ sub: 'alice' });
    const first = resolveIdentity({ authorization: `Bearer ${a}` }, BY_SUB);
    const again = resolveIdentity({ authorization: `Bearer ${a}` }, BY_SUB);
    expect(again).toBe(first);
    expect('identity' in first && first.identity).toMatchObject({
      mode: 'self',
      token: a,
      username: 'alice',
    });
    const b = resolveIdentity({ authorization: `Bearer ${jwt({ sub: 'bob' })}` }, BY_SUB);
    expect('identity' in b && b.identity.username).toBe('bob');
  });

  test('a token from X-Forwarded-Access-Token is never remembered under the Authorization header beside it', () => {
    const t = jwt({ sub: 'carol' });
    const withForwarded = resolveIdentity(
      { authorization: 'Basic dXNlcjpwYXNz', 'x-forwarded-access-token': t },
      BY_SUB,
    );
    expect('identity' in withForwarded && withForwarded.identity.username).toBe('carol');
    const alone = resolveIdentity({ authorization: 'Basic dXNlcjpwYXNz' }, BY_SUB);
    expect(alone).toEqual({ error: expect.any(String) });
  });

  test('the username claim is part of what is remembered', () => {
    const t = jwt({ sub: 'dave', email: 'dave@example.com' });
    const bySub = resolveIdentity({ authorization: `Bearer ${t}` }, BY_SUB);
    const byEmail = resolveIdentity({ authorization: `Bearer ${t}` }, GATE_DEFAULTS);
    expect('identity' in bySub && bySub.identity.username).toBe('dave');
    expect('identity' in byEmail && byEmail.identity.username).toBe('dave@example.com');
  });
});
