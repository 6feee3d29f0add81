/**
 * The election rule: which live instance of a service leads. A pure function of the instance
 * set and of which owners are attested, so every node that holds the same set and the same
 * heartbeats names the same leader without exchanging a message.
 *
 * 0. An instance whose owner is attested (it runs as a node of the cluster, reachable along the
 *    neighbours that live heartbeats list: src/membership/attestation.ts) ranks before every
 *    other; rules 1-3 order each group. An owner a member minted, with no process and no
 *    connection, is not attested: whatever its creation time or claim, it leads only a service
 *    with no attested instance, and its claims never count toward terms (term.ts, election.ts).
 * 1. A claimed instance (its owner re-signed it with a leadership term, `leaderTerm > 0`) ranks
 *    before every unclaimed one: while a claimed leader is live, no newcomer displaces it,
 *    whatever its registration time says.
 * 2. Among claims, the highest term leads. Equal terms come from claims made concurrently: on
 *    two sides of a partition, or by a node that claimed before it had heard the cluster's
 *    leader (a first leader holds term 1, as does a fresh node's own). They go to the older
 *    registration, then the lower key, so that the established leader usually keeps it; a
 *    skewed clock can only matter here, where there is no live leader both sides had seen.
 * 3. With no claim live, the oldest registration leads (discoverd's rule: the owner's clock at
 *    first registration, ties by key); its owner's election then claims it (election.ts), so
 *    this ordering only picks successors, never displaces a claimed leader.
 */
import type { Instance } from '../contract.ts'

/** Orders instances oldest first; equal ages by key. */
export function compareByAge(a: Instance, b: Instance): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt
  return compareKeys(a, b)
}

/** Orders instances by leadership rank, the leader first (see the rule above). */
export function compareByRank(a: Instance, b: Instance): number {
  if (a.leaderTerm !== b.leaderTerm) {
    if (a.leaderTerm === 0 || b.leaderTerm === 0) return a.leaderTerm === 0 ? 1 : -1
    return b.leaderTerm - a.leaderTerm
  }
  return compareByAge(a, b)
}

/**
 * The leader of a set of instances of one service, or undefined when it is empty: the first by
 * rank among those `attested` accepts when there is one (rule 0), else among all.
 * @param attested whether an instance's owner is attested (`node.attested`). @default all are
 */
export function leaderOf(
  instances: Iterable<Instance>,
  attested: (instance: Instance) => boolean = () => true,
): Instance | undefined {
  let leader: Instance | undefined
  let attestedLeader: Instance | undefined
  for (const instance of instances) {
    if (leader === undefined || compareByRank(instance, leader) < 0) leader = instance
    if (
      attested(instance) &&
      (attestedLeader === undefined || compareByRank(instance, attestedLeader) < 0)
    )
      attestedLeader = instance
  }
  return attestedLeader ?? leader
}

function compareKeys(a: Instance, b: Instance): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0
}
