// The cluster's namespaces: one per lab workspace (workspaces map 1:1 to namespaces, mlflow-workspaces-k8s-auth.md
// §5.2), with the description annotation the plugin's workspace provider reads, and kube's label-selector
// language (apimachinery/pkg/labels/selector.go) for the provider's optional selector.
import { createHash } from 'node:crypto';
import type { ResolvedLabConfig } from '../config/resolve.js';

/** The annotation the plugin reads as the workspace description (§5.2). */
export const DESCRIPTION_ANNOTATION = 'mlflow.kubeflow.org/workspace-description';
/** Set on every namespace by kube since 1.21 (NamespaceDefaultLabelName). */
export const NAME_LABEL = 'kubernetes.io/metadata.name';

export interface Namespace {
  metadata: {
    name: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: { finalizers: string[] };
  status: { phase: 'Active' };
}

/** Resource versions start here: etcd revisions of a young cluster, not 1. */
const FIRST_RESOURCE_VERSION = 1000;

export interface NamespaceStore {
  items: Namespace[];
  /** The list's resourceVersion: not older than any item. */
  resourceVersion: string;
  get(name: string): Namespace | undefined;
}

/** The namespaces of a lab, fixed for its lifetime: stable uid and resourceVersion, created at lab start. */
export function namespacesOf(config: ResolvedLabConfig, createdAtMs: number): NamespaceStore {
  const creationTimestamp = new Date(Math.floor(createdAtMs / 1000) * 1000)
    .toISOString()
    .replace('.000Z', 'Z');
  const items = config.workspaces.items.map((w, i): Namespace => {
    const h = createHash('sha256').update(`mlflow-authlab:namespace:${w.name}`).digest('hex');
    return {
      metadata: {
        name: w.name,
        uid: `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`,
        resourceVersion: String(FIRST_RESOURCE_VERSION + i),
        creationTimestamp,
        labels: { [NAME_LABEL]: w.name },
        ...(w.description !== undefined && { annotations: { [DESCRIPTION_ANNOTATION]: w.description } }),
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
  });
  const byName = new Map(items.map((n) => [n.metadata.name, n]));
  return {
    items,
    resourceVersion: String(FIRST_RESOURCE_VERSION + items.length),
    get: (name) => byName.get(name),
  };
}

type Requirement =
  | { op: 'exists' | '!'; key: string }
  | { op: '=' | '!='; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] };

export type LabelSelector = (labels: Record<string, string>) => boolean;

/**
 * Parses a label selector (`k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, comma-joined: all
 * must hold). Returns an error text for a selector kube would reject.
 */
export function parseLabelSelector(text: string): LabelSelector | { error: string } {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  const requirements: Requirement[] = [];
  const key = String.raw`[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?`;
  const val = String.raw`([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '' && parts.length === 1) continue; // the empty selector selects everything
    let m: RegExpMatchArray | null;
    if ((m = part.match(new RegExp(`^!\\s*(${key})$`)))) requirements.push({ op: '!', key: m[1]! });
    else if ((m = part.match(new RegExp(`^(${key})\\s*(==|=|!=)\\s*(${val})$`))))
      requirements.push({ op: m[3] === '!=' ? '!=' : '=', key: m[1]!, value: m[4]! });
    else if ((m = part.match(new RegExp(`^(${key})\\s+(in|notin)\\s*\\(([^)]*)\\)$`)))) {
      const values = m[4]!.split(',').map((v) => v.trim());
      if (values.some((v) => !new RegExp(`^${val}$`).test(v)))
        return { error: `unable to parse requirement: invalid value in ${JSON.stringify(part)}` };
      requirements.push({ op: m[3] as 'in' | 'notin', key: m[1]!, values });
    } else if ((m = part.match(new RegExp(`^(${key})$`)))) requirements.push({ op: 'exists', key: m[1]! });
    else
      return {
        error: `unable to parse requirement: ${JSON.stringify(part)} is not a valid label requirement`,
      };
  }
  return (labels) =>
    requirements.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      switch (r.op) {
        case 'exists':
          return has;
        case '!':
          return !has;
        case '=':
          return has && labels[r.key] === r.value;
        // Like kube: `!=` and `notin` also select objects without the label.
        case '!=':
          return !has || labels[r.key] !== r.value;
        case 'in':
          return has && r.values.includes(labels[r.key]!);
        case 'notin':
          return !has || !r.values.includes(labels[r.key]!);
      }
    });
}
