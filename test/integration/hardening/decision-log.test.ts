// Issue 18, item 3: the decision log (every caller's e-mail, path, workspace and reviews) is the lab's to read.
import { describe, expect, test } from 'vitest';
import { labStateOf, publicState } from '../../../src/lab/state-file.js';
import { testLab } from '../helpers.js';

describe('who may read the decision log (issue 18, item 3)', () => {
  test('through the proxy it is no endpoint at all, whoever asks; on the gate port only with the control token', async () => {
    const lab = await testLab();
    const alice = `Bearer ${await lab.token({ user: 'alice' })}`;
    const mallory = `Bearer ${await lab.token({ user: 'mallory' })}`;
    // alice leaves a decision that names her.
    await fetch(`${lab.trackingUri}/api/2.0/mlflow/experiments/search?max_results=1`, {
      headers: { authorization: alice, 'x-mlflow-workspace': 'team-a' },
    });
    expect(lab.gate!.decisions().length).toBeGreaterThan(0);

    for (const authorization of [mallory, alice]) {
      const res = await fetch(`${lab.trackingUri}/_authlab/decisions`, { headers: { authorization } });
      const text = await res.text();
      expect(res.status).not.toBe(200);
      expect(text).not.toContain('alice@example.com');
      expect(text).not.toContain('decisions');
    }

    const url = `${lab.gate!.url.href}_authlab/decisions`;
    for (const headers of [{}, { authorization: mallory }, { authorization: 'Bearer x' }]) {
      const res = await fetch(url, { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('UNAUTHENTICATED');
      expect(body.error.message).toContain('mlflow-authlab logs --decisions');
      expect(JSON.stringify(body)).not.toContain('alice@example.com');
    }
    const allowed = await fetch(`${url}?limit=5`, {
      headers: { authorization: `Bearer ${lab.gate!.controlToken}` },
    });
    expect(allowed.status).toBe(200);
    const { decisions } = (await allowed.json()) as { decisions: Array<{ username: string }> };
    expect(decisions.map((d) => d.username)).toContain('alice@example.com');
  });

  test('the token is per lab, lives in the state file, and status --json leaves it out', async () => {
    const a = await testLab();
    const b = await testLab();
    expect(a.gate!.controlToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.gate!.controlToken).not.toBe(b.gate!.controlToken);
    const state = labStateOf(a, '/tmp/lab.yaml');
    expect(state.controlToken).toBe(a.gate!.controlToken);
    expect(JSON.stringify(publicState(state))).not.toContain(a.gate!.controlToken);
    expect(JSON.stringify(a.info())).not.toContain(a.gate!.controlToken);
  });
});
