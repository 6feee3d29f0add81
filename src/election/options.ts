/** Election options, their defaults and their validation. */
import { InvalidElectionOptionsError } from './errors.ts'
import type { QuorumPolicy } from './quorum.ts'

/** Quorum mode: leadership only on a side that sees a majority, held by leases. */
export interface QuorumOptions {
  /** Number of nodes in the cluster (every node running the mesh, with or without instances). */
  expectedNodes: number
  /** Bound on every node's clock rate error (0.01 = 1 %); must be below 0.5. @default 0.01 */
  maxClockDriftRatio?: number
}

/** Options of createElection and node.election(). */
export interface ElectionOptions {
  /** Withhold leadership from a side without a majority, with leases. @default undefined (off) */
  quorum?: QuorumOptions
  /** Quorum mode: how often leases and quorum are re-checked to emit events. @default 100 */
  checkIntervalMs?: number
  /**
   * How long after it starts the election waits before it claims leadership for this node's
   * instances: time for a node that has just joined to hear the cluster's claimed leader.
   * Until then its own leader is named but unclaimed, so it can still be displaced. @default 1000
   */
  claimDelayMs?: number
}

export interface ResolvedElectionOptions {
  readonly quorum: QuorumPolicy | undefined
  readonly checkIntervalMs: number
  readonly claimDelayMs: number
}

/** The clock rate error quorum mode assumes by default (1 %). */
export const DEFAULT_MAX_CLOCK_DRIFT_RATIO = 0.01
/** How often quorum mode re-checks leases and quorum, in ms. */
export const DEFAULT_CHECK_INTERVAL_MS = 100
/** How long a new election waits before its first leadership claim, in ms. */
export const DEFAULT_CLAIM_DELAY_MS = 1000

export function resolveElectionOptions(options: ElectionOptions = {}): ResolvedElectionOptions {
  const checkIntervalMs = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS
  if (!(checkIntervalMs > 0 && Number.isFinite(checkIntervalMs)))
    throw new InvalidElectionOptionsError('checkIntervalMs must be a positive number')
  const claimDelayMs = options.claimDelayMs ?? DEFAULT_CLAIM_DELAY_MS
  if (!(claimDelayMs >= 0 && Number.isFinite(claimDelayMs)))
    throw new InvalidElectionOptionsError('claimDelayMs must be a non-negative number')
  if (options.quorum === undefined) return { quorum: undefined, checkIntervalMs, claimDelayMs }
  const { expectedNodes } = options.quorum
  const maxClockDriftRatio = options.quorum.maxClockDriftRatio ?? DEFAULT_MAX_CLOCK_DRIFT_RATIO
  if (!(Number.isInteger(expectedNodes) && expectedNodes >= 1))
    throw new InvalidElectionOptionsError('quorum.expectedNodes must be a positive integer')
  if (!(maxClockDriftRatio >= 0 && maxClockDriftRatio < 0.5))
    throw new InvalidElectionOptionsError('quorum.maxClockDriftRatio must be in [0, 0.5)')
  return { quorum: { expectedNodes, maxClockDriftRatio }, checkIntervalMs, claimDelayMs }
}
