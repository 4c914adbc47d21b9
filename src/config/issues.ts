import type { z } from 'zod';

/** One config problem: where it is, what was there, which rule it breaks. */
export interface ConfigProblem {
  path: string;
  received?: unknown;
  /** True when the key was absent. */
  missing?: boolean;
  rule: string;
}

export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? keyText(key) : `.${keyText(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** A key as written, or quoted where it would not read as one (empty, spaces, dots, line breaks, controls). */
function keyText(key: PropertyKey): string {
  const text = String(key);
  return /^[\w-]+$/.test(text) ? text : JSON.stringify(text);
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}…"` : text;
  }
  return `${String(value)} (${typeof value})`;
}

/** `users[1].password (received 42 (number)): must be a string`; no parenthesis when there is no value (YAML errors). */
export function formatProblem(p: ConfigProblem): string {
  if (p.missing) return `${p.path} (missing): ${p.rule}`;
  if (!('received' in p)) return `${p.path}: ${p.rule}`;
  return `${p.path} (received ${describeValue(p.received)}): ${p.rule}`;
}

/** Turns zod issues (parsed with `reportInput: true`) into problems, one per issue. */
export function problemsFromZod(
  issues: readonly z.core.$ZodIssue[],
  prefix = '',
  unknownKey = 'unknown option',
): ConfigProblem[] {
  return issues.flatMap((issue): ConfigProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      const object = (issue as { input?: unknown }).input as Record<string, unknown> | undefined;
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key], prefix),
        received: object?.[key],
        rule: unknownKey,
        missing: false,
      }));
    }
    let input = (issue as { input?: unknown }).input;
    // A discriminated union reports the whole object at the discriminator's path; show the discriminator's value.
    if (issue.code === 'invalid_union' && issue.discriminator !== undefined)
      input = (input as Record<string, unknown>)[issue.discriminator];
    return [
      {
        path: formatPath(issue.path, prefix),
        received: input,
        missing: input === undefined,
        rule: issue.message,
      },
    ];
  });
}
