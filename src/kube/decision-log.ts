// Every authorization decision the fake kube-apiserver made (access reviews and its own request checks), newest
// first, with the explanation kube does not give: which binding allowed it, or what was considered.
import type { NonResourceAttributes, RbacExplanation, ResourceAttributes, UserInfo } from './types.js';

export interface KubeDecision {
  /** ISO time on the lab clock. */
  time: string;
  /**
   * What asked: a SelfSubjectAccessReview or SubjectAccessReview (over HTTP or in process), or the API server
   * authorizing one of its own requests (listing namespaces, creating a SubjectAccessReview).
   */
  source: 'selfsubjectaccessreview' | 'subjectaccessreview' | 'request';
  /** The identity the decision is about. */
  identity: UserInfo;
  /** Who asked, when not the identity itself (SubjectAccessReview: the caller). */
  caller?: string;
  attributes: { resource?: ResourceAttributes; nonResource?: NonResourceAttributes };
  allowed: boolean;
  reason: string;
  explanation: RbacExplanation;
}

/**
 * A bounded ring: the lab runs for days, and only the recent decisions are worth showing. Adding is O(1) (the
 * gate adds one per MLflow call; an array's shift() moved all the others every time).
 */
export class DecisionLog<T = KubeDecision> {
  readonly #capacity: number;
  readonly #entries: T[] = [];
  #next = 0;

  constructor(capacity = 1000) {
    this.#capacity = capacity;
  }

  add(decision: T): void {
    if (this.#entries.length < this.#capacity) this.#entries.push(decision);
    else this.#entries[this.#next] = decision;
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /** Newest first. */
  list(): T[] {
    const n = this.#entries.length;
    const out: T[] = [];
    for (let k = 1; k <= n; k++) out.push(this.#entries[(this.#next - k + n * 2) % n]!);
    return out;
  }
}
