/**
 * MLflow's search grammar (filter and order_by) for runs, experiments, registered models and model versions,
 * answering with MLflow 3.11's exact messages. Pure functions: no store access.
 *
 * Typical use in a handler:
 *   const { clauses, order } = parseSearch('runs', body.filter, body.order_by);
 *   const rows = records.filter((r) => matchesFilter('runs', r, clauses)).sort(compareBy(order));
 */
import { parseFilterClauses, validateComparators } from './filter.js';
import { parseOrderBy } from './order-by.js';
import type { Clause, SearchKind, SearchOrder } from './types.js';

export { parseSearchFilter } from './filter.js';
export { parseOrderBy } from './order-by.js';
export { matchesFilter } from './match.js';
export { compareBy } from './sort.js';
export type * from './types.js';
export { dictOf } from './types.js';

/**
 * Parses a filter and an order_by list together, raising the first error in the order the MLflow store meets
 * them: runs check the filter's syntax, then order_by, then the filter's comparators; experiments and the
 * registry check the whole filter before order_by.
 */
export function parseSearch<K extends SearchKind>(
  kind: K,
  filter: string | undefined,
  orderBy: readonly string[] | undefined,
): { clauses: Clause[]; order: SearchOrder<K> } {
  const clauses = parseFilterClauses(filter, kind);
  if (kind === 'runs') {
    const order = parseOrderBy(orderBy, kind);
    validateComparators(clauses, kind);
    return { clauses, order };
  }
  validateComparators(clauses, kind);
  return { clauses, order: parseOrderBy(orderBy, kind) };
}
