import type { Agent } from 'undici';

/**
 * `fetch` that trusts the given CA bundle (PEM) on top of nothing else, for the lab's own components talking to
 * each other over HTTPS. Never the process-wide trust store: a user's client in the same process must see the
 * lab's certificates exactly as an outside client does (untrusted until given the bundle). Without a bundle, the
 * global fetch.
 */
export function fetchTrusting(caPem: string | undefined): typeof fetch {
  if (caPem === undefined) return globalThis.fetch;
  // undici is loaded with the first call: ~20 MB resident that a lab without TLS never needs.
  let loaded: Promise<{ fetch: typeof import('undici').fetch; dispatcher: Agent }> | undefined;
  const load = () =>
    (loaded ??= import('undici').then((undici) => ({
      fetch: undici.fetch,
      dispatcher: new undici.Agent({ connect: { ca: caPem } }),
    })));
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const { fetch: undiciFetch, dispatcher } = await load();
    return undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
  }) as unknown as typeof fetch;
}
