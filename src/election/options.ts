/** Election options, their defaults and their validation. */
import { InvalidElectionOptionsError } from './errors.ts'
import type { QuorumPolicy } from './quorum.ts'

export interface QuorumOptions {
  /** Number of nodes in the cluster (every node running the mesh, with or without instances). */
  expectedNodes: number
  /** Bound on every node's clock rate error (0.01 = 1 %); must be below 0.5. @default 0.01 */
  maxClockDriftRatio?: number
}

export interface ElectionOptions {
  /** Withhold leadership from a side without a majority, with leases. @default undefined (off) */
  quorum?: QuorumOptions
  /** Quorum mode: how often leases and quorum are re-checked to emit events. @default 100 */
  checkIntervalMs?: number
}

export interface ResolvedElectionOptions {
  readonly quorum: QuorumPolicy | undefined
  readonly checkIntervalMs: number
}

export const DEFAULT_MAX_CLOCK_DRIFT_RATIO = 0.01
export const DEFAULT_CHECK_INTERVAL_MS = 100

export function resolveElectionOptions(options: ElectionOptions = {}): ResolvedElectionOptions {
  const checkIntervalMs = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS
  if (!(checkIntervalMs > 0 && Number.isFinite(checkIntervalMs)))
    throw new InvalidElectionOptionsError('checkIntervalMs must be a positive number')
  if (options.quorum === undefined) return { quorum: undefined, checkIntervalMs }
  const { expectedNodes } = options.quorum
  const maxClockDriftRatio = options.quorum.maxClockDriftRatio ?? DEFAULT_MAX_CLOCK_DRIFT_RATIO
  if (!(Number.isInteger(expectedNodes) && expectedNodes >= 1))
    throw new InvalidElectionOptionsError('quorum.expectedNodes must be a positive integer')
  if (!(maxClockDriftRatio >= 0 && maxClockDriftRatio < 0.5))
    throw new InvalidElectionOptionsError('quorum.maxClockDriftRatio must be in [0, 0.5)')
  return { quorum: { expectedNodes, maxClockDriftRatio }, checkIntervalMs }
}
