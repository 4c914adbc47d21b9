// Shared by the fuzz suite (issue 18, "Make it stay fixed"): run counts, the fast-check parameters, and the
// classification of an answer as one the lab documents, or as one of the lab's own failure signals.
import fc from 'fast-check';

/**
 * Runs per property: `base` times AUTHLAB_FUZZ_SCALE (default 1). A failing run prints fast-check's seed and path;
 * AUTHLAB_FUZZ_SEED (and AUTHLAB_FUZZ_PATH) replay it.
 */
export function fuzzParameters<T>(base: number): fc.Parameters<T> {
  const scale = Number(process.env.AUTHLAB_FUZZ_SCALE ?? '1');
  const seed = process.env.AUTHLAB_FUZZ_SEED;
  const path = process.env.AUTHLAB_FUZZ_PATH;
  return {
    numRuns: Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1))),
    ...(seed !== undefined && { seed: Number(seed) }),
    ...(path !== undefined && { path }),
    // The counterexample, its seed and path, and the shrunk value: what it takes to replay a failure.
    verbose: fc.VerbosityLevel.Verbose,
    endOnFailure: false,
  };
}

/** Cases run by each property of this file, for the summary the suite prints at the end. */
export const caseCounts = new Map<string, number>();
export function counted<T extends unknown[]>(surface: string, run: (...args: T) => Promise<void>) {
  return async (...args: T) => {
    caseCounts.set(surface, (caseCounts.get(surface) ?? 0) + 1);
    await run(...args);
  };
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

export async function answerOf(res: Response): Promise<Answer> {
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/**
 * The lab's own failure signals: an answer no real component gives, that only a bug in the lab produces. oauth2-proxy's
 * 500 page ("Unexpected internal error"), the bare 500 the proxy falls back to, the gate's INTERNAL_ERROR, a 502
 * while MLflow is up.
 */
export function labFailure(a: Answer): string | undefined {
  if (a.status === 502) return 'a 502 while MLflow is up';
  if (a.status === 500 && a.text.includes('<div class="status-code">500</div>'))
    return "oauth2-proxy's 500 page (an unexpected error in the proxy)";
  if (a.status === 500 && a.text === 'Internal Server Error\n') return "the proxy's last-resort 500";
  if (a.text.includes('"code":"INTERNAL_ERROR"'))
    return "the gate's INTERNAL_ERROR (a failed review or backend)";
  return undefined;
}

/** The shapes MLflow, the kubernetes-auth plugin and oauth2-proxy answer in; anything else is not documented. */
export function documentedShape(a: Answer): boolean {
  const type = a.contentType.split(';')[0]!.trim();
  if (type === 'application/json') {
    let json: unknown;
    try {
      json = JSON.parse(a.text);
    } catch {
      return false;
    }
    if (a.status < 400) return true;
    if (typeof json !== 'object' || json === null) return false;
    const o = json as Record<string, unknown>;
    // MLflow's flat error, the plugin's nested one, or oauth2-proxy's `{}` for JSON clients.
    if (typeof o.error_code === 'string' && typeof o.message === 'string') return true;
    const nested = o.error as Record<string, unknown> | undefined;
    if (nested && typeof nested.code === 'string' && typeof nested.message === 'string') return true;
    return a.text === '{}';
  }
  if (type === 'text/html') {
    // Flask/Werkzeug's pages (`<!doctype html>`), oauth2-proxy's sign-in and error pages, Go's redirect body.
    return (
      a.text === '' ||
      a.text.startsWith('<!doctype html>') ||
      a.text.startsWith('<!DOCTYPE html>') ||
      /^<a href="[^"]*">Found<\/a>\.\n\n$/.test(a.text)
    );
  }
  if (type === 'text/plain') return true;
  // Artifacts (any type MLflow guesses), an empty 204/304.
  return a.status < 400 || a.text === '';
}
