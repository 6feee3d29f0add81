/**
 * The properties every run must satisfy once its faults are over, checked on a run's summary:
 * - safety monitors saw nothing (no deleted or expired record came back; see observer.ts);
 * - after the last fault, within `quietMs`, every live node holds the true set (the union of
 *   the live owners' own instances) and keeps holding it to the end of the run;
 * - leadership (the oldest-registration rule, computed on every node) agrees: at the end every
 *   service has exactly one leader named by all live nodes, and it is a live instance (it is
 *   in the true set);
 * - no split brain once the set has converged: from the first sample at which every live node
 *   holds the true set for good, no sample sees two live nodes name different leaders of one
 *   service (leaders follow from the set, so equal sets name equal leaders). A split interval
 *   is half-open, [first split sample, first sample after it that is not split), except one
 *   still open at the end, which ends at the last sample: a split only at the very last sample
 *   is then not seen here, but leader agreement at the end reports it.
 */
import type { SimSummary } from './summary.ts'

/** One property a run broke, with what was seen. */
export interface PropertyFailure {
  readonly property: 'safety' | 'convergence' | 'leader-agreement'
  readonly message: string
}

/**
 * Checks a run: no safety violation, convergence within `quietMs` of the last fault, leader
 * agreement. Empty when all hold.
 */
export function checkProperties(s: SimSummary, quietMs: number): PropertyFailure[] {
  const failures: PropertyFailure[] = []
  for (const v of s.violations) {
    failures.push({ property: 'safety', message: `${v.kind} at ${v.at} ms: ${v.message}` })
  }
  const c = s.convergence
  if (c.clusterMs === null || c.unconvergedNodes > 0) {
    failures.push({
      property: 'convergence',
      message: `${c.unconvergedNodes} live node(s) do not hold the true set at the end (last fault ended at ${c.referenceMs} ms)`,
    })
  } else if (c.clusterMs > quietMs) {
    failures.push({
      property: 'convergence',
      message: `converged ${c.clusterMs} ms after the last fault, over the ${quietMs} ms bound`,
    })
  }
  const last = s.leaderAgreement[s.leaderAgreement.length - 1]
  if (last !== undefined && last[1] < 1) {
    failures.push({
      property: 'leader-agreement',
      message: `at the end only ${Math.round(last[1] * 100)}% of live nodes name the majority leader of some service`,
    })
  }
  const settledAt = c.clusterMs === null ? null : c.referenceMs + c.clusterMs
  for (const [service, intervals] of Object.entries(s.splitBrain)) {
    const late = intervals.find(([, to]) => settledAt !== null && to > settledAt)
    if (late !== undefined) {
      failures.push({
        property: 'leader-agreement',
        message: `${service} has several leaders from ${late[0]} ms to ${late[1]} ms, after the set converged at ${settledAt} ms`,
      })
    }
  }
  return failures
}
