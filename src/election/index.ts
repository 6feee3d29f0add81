/**
 * Leader election over the discovery mesh: `createElection(node, options?)`.
 *
 * The rule (discoverd's): the leader of a service is its live instance with the oldest
 * registration (the owner's clock at first registration), ties broken by instance key. Every
 * node derives it from its own copy of the converged service set; no message is exchanged.
 *
 * Default mode: one leader per connected component
 * - Nodes that hold the same set name the same leader. After the set converges (one propagation
 *   for changes, TTL + one heartbeat for crashes), all nodes of a connected component agree and
 *   exactly one instance there is leader (`amILeader` true on its owner only).
 * - A partition yields a leader on each side; while the set is converging (a change in flight,
 *   a crash not yet expired) two nodes may name different leaders. A node cut off from
 *   everyone stays leader of its one-node component. Do not use this mode to guard a resource
 *   that both sides of a partition can reach.
 * - A crashed leader is replaced within TTL + one heartbeat (+ the expiry sweep), a gracefully
 *   leaving one (deregister, `stop`) within one propagation; the leaver's own node demotes it
 *   before the tombstone is sent.
 *
 * Quorum mode (`quorum: { expectedNodes: N, maxClockDriftRatio: ρ }`)
 * - A node names a leader only while it sees a majority of N nodes (`liveNodes()`), so a
 *   minority side has no leader, and the owner of a leader demotes it ('quorum-lost') as soon as
 *   its node stops seeing a majority: this is the leader's lease.
 * - A successor is named only G + TTL after the old leader's record expired on the namer's
 *   clock (handover delay G = TTL(1+ρ)/(1-ρ); the extra TTL makes the majority the namer counts
 *   one it heard after G, not a stale one), or 2G when an instance that sorts older appears
 *   while the old leader is live; a node that (re)gains a majority, or starts, waits G, and so
 *   does the first instance of a service (concurrent registrations elsewhere may sort older). A leader
 *   that leaves gracefully is succeeded at once.
 * - Guarantee: at no instant do two owners both consider an instance of one service leader,
 *   provided (1) every clock's rate is within ±ρ (offsets do not matter), (2) partitions are
 *   symmetric and links that are up deliver within δ without losing every refresh for a TTL,
 *   (3) each node's liveness window (its mesh default TTL) is at most the elected instances'
 *   TTL, (4) heartbeat + 2δ + checkIntervalMs + 2ρ·TTL < TTL/(1+ρ) (all presets satisfy this
 *   with wide margin), and (5) the cluster really has at most N nodes. Demotion *events* are
 *   emitted within checkIntervalMs; `amILeader()` is checked fresh on every call.
 * - Cost: a crashed leader is replaced within TTL + heartbeat + G + checkIntervalMs (≈ 2 TTL);
 *   a graceful leave still takes one propagation; a service's first leader is named after G.
 * - Not covered: one-way (asymmetric) partitions and sustained message loss, where a leader can
 *   keep hearing a majority that no longer hears it. Fence the resource with the term.
 *
 * Fencing terms (both modes)
 * - `Leadership.term` never decreases for one observer and differs between successive distinct
 *   leaderships it names (the same leadership returning after a gap keeps its term).
 * - Observers agree on a leadership's term whenever its age-derived base (createdAt × 1024)
 *   exceeds the term they last assigned: the normal succession (the leader leaves, the
 *   next-oldest takes over). When an older instance (re)appears, each observer bumps its own
 *   last term by one instead; observers may then disagree until a leader younger than every
 *   bumped one takes over.
 * - Downstream use: the leader's process reads its term from `standby()`/`leader()` on its own
 *   node and attaches it to every write; the resource remembers the highest term it accepted and
 *   rejects writes carrying a lower one. In the normal succession every node, both leaders'
 *   own nodes included, computes base terms, so the successor's writes carry a higher term than
 *   any its predecessor sent. A leader that regains leadership after a partition, or an instance
 *   that sorts older because its owner's clock runs behind, may carry a lower term than one
 *   issued meanwhile: its writes are then rejected (safe, not live) until the next change of
 *   leader.
 *
 * @module gossip-sd/election
 */
import type { DiscoveryNode } from '../contract.ts'
import { type Election, ElectionShell } from './election.ts'
import { InvalidElectionOptionsError } from './errors.ts'
import { type ElectionOptions, resolveElectionOptions } from './options.ts'

/**
 * Starts an election over `node`'s service set. Throws InvalidElectionOptionsError on bad
 * options, and in quorum mode when the expected cluster exceeds the node's heartbeat capacity:
 * there, heartbeats would be spaced out with leases beyond the TTL the lease argument uses.
 */
export function createElection(node: DiscoveryNode, options?: ElectionOptions): Election {
  const resolved = resolveElectionOptions(options)
  const capacity = node.heartbeatCapacity()
  if (resolved.quorum !== undefined && resolved.quorum.expectedNodes > capacity) {
    throw new InvalidElectionOptionsError(
      `quorum mode needs quorum.expectedNodes (${resolved.quorum.expectedNodes}) within the node's heartbeat capacity (${capacity}); raise maxHeartbeatsPerSecond`,
    )
  }
  return new ElectionShell(node, resolved)
}

export { type ClockSkew, SkewedScheduler } from './clock-skew.ts'
export type { Election, OwnInstance } from './election.ts'
export { ElectionClosedError, InvalidElectionOptionsError } from './errors.ts'
export type { DemotionReason, ElectionEvent, Leadership } from './events.ts'
export {
  NO_LEADERSHIP,
  type Observation,
  observe,
  type ServiceLeadership,
} from './leadership.ts'
export {
  DEFAULT_CHECK_INTERVAL_MS,
  DEFAULT_MAX_CLOCK_DRIFT_RATIO,
  type ElectionOptions,
  type QuorumOptions,
} from './options.ts'
export {
  type HandoverBlock,
  handoverBlock,
  handoverDelayMs,
  majorityOf,
  mayLead,
  type QuorumPolicy,
  type Succession,
} from './quorum.ts'
export { compareByAge, leaderOf } from './rules.ts'
export { baseTerm, leadershipId, nextTerm, TERM_SPACING, type TermState } from './term.ts'
