// How the gate asks the Kubernetes API for a decision (mlflow-workspaces-k8s-auth.md §3.1, §3.2): a
// SelfSubjectAccessReview with the caller's token, or a SubjectAccessReview with the server's credentials. The
// in-process reviewer calls the lab's fake kube-apiserver directly; the HTTP one is what a real plugin does.
import type { ResourceAttributes } from '../../../kube/types.js';
import type { GateIdentity } from './identity.js';

export type ReviewResult =
  | { kind: 'decided'; allowed: boolean }
  /** A Kubernetes API failure: 401 and 403 map to the plugin's messages, anything else to INTERNAL_ERROR. */
  | { kind: 'failed'; status: number; detail: string };

export interface AccessReviewer {
  review(identity: GateIdentity, attributes: ResourceAttributes): Promise<ReviewResult>;
}

/** The in-process fake kube-apiserver's review entry point (same code as its HTTP handlers). */
export interface InProcessKube {
  review(
    kind: 'self' | 'subject',
    input: { token?: string; user?: string; groups?: string[]; attributes: ResourceAttributes },
  ): Promise<{ status: 200; allowed: boolean } | { status: 401 | 403; body: object }>;
  readonly serviceAccountToken: string;
}

export function inProcessReviewer(kube: InProcessKube): AccessReviewer {
  return {
    async review(identity, attributes) {
      const r =
        identity.mode === 'self'
          ? await kube.review('self', { token: identity.token, attributes })
          : await kube.review('subject', {
              token: kube.serviceAccountToken,
              user: identity.user,
              ...(identity.groups.length > 0 && { groups: identity.groups }),
              attributes,
            });
      return r.status === 200
        ? { kind: 'decided', allowed: r.allowed }
        : { kind: 'failed', status: r.status, detail: JSON.stringify(r.body) };
    },
  };
}

/** Over HTTP, with bodies exactly as the plugin's Kubernetes client sends them (no apiVersion/kind, §3.1). */
export function httpReviewer(kubeApiUrl: string, serviceAccountToken: string): AccessReviewer {
  const base = kubeApiUrl.replace(/\/$/, '');
  return {
    async review(identity, attributes) {
      const self = identity.mode === 'self';
      const spec = self
        ? { resourceAttributes: attributes }
        : {
            ...(identity.groups.length > 0 && { groups: identity.groups }),
            resourceAttributes: attributes,
            user: identity.user,
          };
      let res: Response;
      try {
        res = await fetch(
          `${base}/apis/authorization.k8s.io/v1/${self ? 'selfsubjectaccessreviews' : 'subjectaccessreviews'}`,
          {
            method: 'POST',
            headers: {
              accept: 'application/json',
              'content-type': 'application/json',
              authorization: `Bearer ${self ? identity.token : serviceAccountToken}`,
            },
            body: JSON.stringify({ spec }),
          },
        );
      } catch (error) {
        return { kind: 'failed', status: 0, detail: (error as Error).message };
      }
      const text = await res.text();
      if (res.status !== 200 && res.status !== 201)
        return { kind: 'failed', status: res.status, detail: text };
      try {
        const allowed = (JSON.parse(text) as { status?: { allowed?: unknown } }).status?.allowed;
        if (typeof allowed === 'boolean') return { kind: 'decided', allowed };
      } catch {
        // falls through: the plugin's "unexpected structure" error
      }
      return {
        kind: 'failed',
        status: 500,
        detail: 'Unexpected Kubernetes SelfSubjectAccessReview response structure',
      };
    },
  };
}
