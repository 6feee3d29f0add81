/**
 * Quorum mode: when the oldest live instance may be *named* leader. Pure functions of what one
 * node knows: its clock, how long it has continuously seen a majority, and how the previous
 * oldest instance of the service stopped being the oldest.
 *
 * Leases. A leader's owner holds its lease only while it sees a majority of the expected nodes
 * (`liveNodes()`: nodes heard within the node's liveness window W, which must not exceed the
 * elected instance's TTL). Cut off from the majority, it loses the lease at most W (its clock)
 * after it last heard one, i.e. by real time p + δ + W/(1-ρ) after a partition at p.
 *
 * Handover. When the oldest instance X of a service stops being the oldest on a node, that node
 * names no other instance for a while (a handover block, on its own clock):
 * - X's registration was deleted: no wait; X's owner demoted it before sending the tombstone.
 * - X expired: G + T (T: X's TTL, G = T(1+ρ)/(1-ρ)). X's last refresh was sent no earlier
 *   than p - h - δ, so after G the successor could be named from real time
 *   p - h - δ + T/(1+ρ) + T/(1-ρ). With W <= T, X's lease has ended first whenever
 *   h + 2δ + c + 2ρT < T/(1+ρ) (h: heartbeat interval, δ: one-way delay, c: the election's
 *   check interval, ρ: the clock drift bound), but only if X's owner stays cut off from a
 *   majority. An expiry is local: this node may itself have been cut off from the rest just
 *   after it (a shorter cut than W lets X's owner keep its lease and rejoin the others), and
 *   still count that stale majority for up to W. The extra T (>= W, this node's clock) means the
 *   majority it counts when the block ends was heard after G: it is the live majority, not one
 *   that X's owner has rejoined. (Found by the quorum property test: an owner cut off for less
 *   than W, a node isolated right after its expiry.)
 * - An instance that ranks before X appeared while X is live (a higher claim after a partition
 *   healed; an older unclaimed one while X is unclaimed; a successor's claim that overtook X's
 *   tombstone): 2G, since X's owner may be cut off right now and keep its lease for
 *   W/(1-ρ) + δ + c more. X's tombstone, when it arrives, ends the block: its owner demoted X
 *   before signing it.
 * - There was no instance and one appears: G for everyone, itself included, so that concurrent
 *   registrations elsewhere (one of which may sort older and be named by its owner) arrive
 *   first; this needs δ < G.
 * A node that (re)gains a majority, or starts, also waits G (for the candidate's TTL) before
 * naming anyone, long enough to learn of a leader the majority already has: a late joiner or a
 * healed minority cannot name a second leader.
 *
 * The argument takes T as the time a crashed owner's instance lives at receivers, and W as the
 * default TTL. Both hold while the cluster fits the nodes' heartbeat capacity; beyond it,
 * heartbeats carry leases longer than T (src/mesh/config.ts), so createElection refuses quorum
 * mode for an expected cluster larger than that.
 */
import type { Instance } from '../contract.ts'

/** The resolved quorum settings every check uses. */
export interface QuorumPolicy {
  /** Nodes in the whole cluster; a side must see more than half of them. */
  readonly expectedNodes: number
  /** Bound ρ on every clock's rate error: in real time d a clock advances d(1-ρ)..d(1+ρ). */
  readonly maxClockDriftRatio: number
}

/**
 * Why the oldest live instance changed on this node: an instance appeared where there was none,
 * or the previous oldest was deleted (its owner demoted it before publishing the tombstone),
 * expired, or was displaced by an instance that sorts older while it was still live.
 */
export type Succession =
  | { readonly how: 'appeared'; readonly candidate: Instance }
  | { readonly how: 'deleted' | 'expired' | 'displaced'; readonly previous: Instance }

/** Until `until` (this node's clock) no instance but `holder` (none, if undefined) may be named. */
export interface HandoverBlock {
  readonly holder: string | undefined
  readonly until: number
}

/** Smallest number of live nodes that is a majority of `expectedNodes`. */
export function majorityOf(expectedNodes: number): number {
  return Math.floor(expectedNodes / 2) + 1
}

/** The wait (this node's clock) that outlasts a lease measured over `ttlMs` on any other clock. */
export function handoverDelayMs(
  ttlMs: number,
  policy: Pick<QuorumPolicy, 'maxClockDriftRatio'>,
): number {
  const rho = policy.maxClockDriftRatio
  return Math.ceil((ttlMs * (1 + rho)) / (1 - rho))
}

/**
 * The wait a change of the oldest instance imposes at `now`. An expired leader may hold its
 * lease for up to G more, and this node's majority may be stale by up to W <= T: G + T. A
 * displaced one is still refreshed, so if a partition cut it off at this very moment it could
 * hold it for G plus a delivery and a check interval: 2G. An instance
 * that appears where there was none waits G for any concurrent registration that sorts older
 * (and whose owner may already lead) to reach this node.
 */
export function handoverBlock(
  change: Succession,
  now: number,
  policy: QuorumPolicy,
): HandoverBlock | undefined {
  switch (change.how) {
    case 'deleted':
      return undefined
    case 'appeared':
      return { holder: undefined, until: now + handoverDelayMs(change.candidate.ttlMs, policy) }
    case 'expired':
      return {
        holder: change.previous.key,
        until: now + handoverDelayMs(change.previous.ttlMs, policy) + change.previous.ttlMs,
      }
    case 'displaced':
      return {
        holder: change.previous.key,
        until: now + handoverDelayMs(2 * change.previous.ttlMs, policy),
      }
  }
}

/**
 * Whether `candidate` (the oldest live instance this node sees) may be named leader at `now`,
 * given the start of this node's current unbroken run of majority (undefined: no majority now)
 * and the handover blocks still running.
 */
export function mayLead(
  candidate: Instance,
  now: number,
  majoritySince: number | undefined,
  blocks: Iterable<HandoverBlock>,
  policy: QuorumPolicy,
): boolean {
  if (majoritySince === undefined) return false
  if (now - majoritySince < handoverDelayMs(candidate.ttlMs, policy)) return false
  for (const block of blocks) if (block.holder !== candidate.key && now < block.until) return false
  return true
}
