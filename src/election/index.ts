/**
 * Leader election over the discovery mesh: `createElection(node, options?)`.
 *
 * The rule (rules.ts): a live claimed leader stays leader; among claims the highest term leads
 * (ties: the older registration, then the instance key); with no claim live, the oldest registration leads (discoverd's rule),
 * and its owner's election claims it by re-signing the registration with its term, one update
 * per change of leadership. Every node derives the leader from its own copy of the service set.
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
 * Fencing terms (both modes; term.ts)
 * - `Leadership.term` never decreases for one observer. It is the leader's claim when that is
 *   the highest claim the observer has seen, else one more (what the owner is about to claim).
 * - In the normal succession every observer names the same term, before and after the claim
 *   arrives. Observers disagree only after one saw a claim the leader's owner never saw (a
 *   partition), until the next change of leader.
 * - Downstream use: the leader's process reads its term from `standby()`/`leader()` on its own
 *   node and attaches it to every write; the resource remembers the highest term it accepted and
 *   rejects writes carrying a lower one. Each owner claims above every claim it has seen, so a
 *   successor's writes carry a higher term than its predecessor's.
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
  DEFAULT_CLAIM_DELAY_MS,
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
export { compareByAge, compareByRank, leaderOf } from './rules.ts'
export { highestClaim, leadershipId, nextTerm, type TermState } from './term.ts'
