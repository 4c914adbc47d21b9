// The gate's decision log (`logs --decisions`, `GET /_authlab/decisions`): the last 1,000 decisions, newest first.
// A decision is copied into one of a fixed set of slots, overwritten in place, with its strings interned: a
// record kept for 1,000 calls outlives the young generation, so one object per call was promoted and collected
// later by full GCs, and under sustained load the old generation grew to ~100 MB of dead records (issue 10).
import type { GateDecision } from './create-gate.js';

export type GateReview = GateDecision['reviews'][number];

/** One decision as the gate builds it during a request: the time kept as a number until it is listed. */
export type DecisionRecord = Omit<GateDecision, 'at'> & { atMs: number };

interface Slot extends Omit<DecisionRecord, 'reviews'> {
  /** Reused: the first `reviewCount` entries are this decision's; -1 when `reviews` is the decision's own list. */
  reviews: GateReview[];
  reviewCount: number;
}

/** Interned strings are dropped all at once past this many (paths with ids in them are unbounded). */
const MAX_INTERNED = 4096;

export class DecisionRing {
  readonly #capacity: number;
  readonly #slots: Slot[] = [];
  #next = 0;
  readonly #interned = new Map<string, string>();

  constructor(capacity = 1000) {
    this.#capacity = capacity;
  }

  /**
   * `live`: the decision's reviews are still being made (a response filter reviews each item after the decision
   * is logged), so the slot keeps the decision's own list instead of a copy of what it holds now.
   */
  add(d: DecisionRecord, live = false): void {
    let slot = this.#slots[this.#next];
    if (slot === undefined) {
      slot = { ...d, reviews: [], reviewCount: 0 };
      this.#slots.push(slot);
    }
    slot.atMs = d.atMs;
    slot.method = d.method;
    slot.path = this.#intern(d.path);
    slot.workspace = d.workspace === undefined ? undefined : this.#intern(d.workspace);
    slot.username = d.username === undefined ? undefined : this.#intern(d.username);
    slot.status = d.status;
    slot.outcome = d.outcome;
    if (live) {
      slot.reviews = d.reviews;
      slot.reviewCount = -1;
    } else {
      if (slot.reviewCount < 0) slot.reviews = [];
      for (let i = 0; i < d.reviews.length; i++) slot.reviews[i] = d.reviews[i]!;
      // Entries past this decision's own are cleared, so the slot holds no review it does not show.
      for (let i = d.reviews.length; i < slot.reviewCount; i++) slot.reviews[i] = NO_REVIEW;
      slot.reviewCount = d.reviews.length;
    }
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /** Newest first; copies, so a later decision overwriting a slot does not change what was listed. */
  list(): DecisionRecord[] {
    const n = this.#slots.length;
    const out: DecisionRecord[] = [];
    for (let k = 1; k <= n; k++) {
      const s = this.#slots[(this.#next - k + n * 2) % n]!;
      // The fields in DecisionRecord's order, as the decisions API has always listed them.
      out.push({
        atMs: s.atMs,
        method: s.method,
        path: s.path,
        workspace: s.workspace,
        username: s.username,
        reviews: s.reviewCount < 0 ? [...s.reviews] : s.reviews.slice(0, s.reviewCount),
        status: s.status,
        outcome: s.outcome,
      });
    }
    return out;
  }

  #intern(s: string): string {
    const kept = this.#interned.get(s);
    if (kept !== undefined) return kept;
    if (this.#interned.size >= MAX_INTERNED) this.#interned.clear();
    this.#interned.set(s, s);
    return s;
  }
}

const NO_REVIEW: GateReview = Object.freeze({ attributes: Object.freeze({}), allowed: false, cached: false });
