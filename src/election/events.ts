/** The election's typed events and the values it hands out. */
import type { Instance } from '../contract.ts'

/** One leader as this node names it, with its fencing term. */
export interface Leadership {
  readonly instance: Instance
  /** Fencing term: see term.ts and the guarantees in index.ts. */
  readonly term: number
}

/**
 * Why an instance this node owns stopped being leader.
 * - `superseded`: an older instance became visible and leads now.
 * - `deregistered`: its registration was deleted (deregister, node stop).
 * - `lapsed`: its registration expired on this node (it could not be refreshed in time).
 * - `quorum-lost`: quorum mode, this node no longer sees a majority (or has not yet seen one
 *   for the handover delay), so its lease is gone.
 * - `closed`: the election was closed.
 */
export type DemotionReason = 'superseded' | 'deregistered' | 'lapsed' | 'quorum-lost' | 'closed'

/** What an election emits, in order: `demoted`, `leader`, `promoted`. */
export type ElectionEvent =
  /** The leader of a service as this node names it changed; null when there is none. */
  | { readonly type: 'leader'; readonly service: string; readonly leader: Leadership | null }
  /** An instance this node owns became leader. */
  | { readonly type: 'promoted'; readonly service: string; readonly leadership: Leadership }
  /** An instance this node owns stopped being leader. */
  | {
      readonly type: 'demoted'
      readonly service: string
      readonly leadership: Leadership
      readonly reason: DemotionReason
    }
