/**
 * Fencing terms, a pure fold over what one observer sees.
 *
 * Terms come from claims. The owner of the leader an election names re-signs it with the term
 * that election gave it (election.ts), so every observer learns the claim with the registration.
 * An observer remembers the highest claim it has seen for the service, H, and names
 * - the leader that holds the claim H with term H (every observer that has seen it agrees);
 * - any other leader (unclaimed, or holding a lower claim after the higher one left) with the
 *   tentative term H + 1: the term its owner is about to claim, since the owner computes the
 *   same number from the same claims;
 * and never less than the term it named last, so one observer's terms never decrease.
 *
 * In the usual succession (the leader leaves, the next takes over and claims H + 1) every
 * observer names the same term, before and after the claim arrives, without another message.
 * Two leaders named one after the other within one propagation (before the first's claim
 * arrived) may share a term on one observer; their owners' claims then tie, and the rule's tie
 * break makes the winner claim one more (election.ts). Observers disagree only when one of them
 * saw a claim the leader's owner has not seen (a higher claim that left during a partition) or
 * named a tentative term before a lower claim came back; that lasts until the next change.
 */
import { type Instance, MAX_LEADER_TERM } from '../contract.ts'

/** What an observer remembers to keep its terms monotonic. */
export interface TermState {
  /** The last term this observer named (0 before any). */
  readonly term: number
  /** The highest claim this observer has seen among live instances of the service. */
  readonly highest: number
}

export const INITIAL_TERM_STATE: TermState = Object.freeze({ term: 0, highest: 0 })

/** Identity of one leadership: the instance, its age and its owner's incarnation. */
export function leadershipId(instance: Instance): string {
  return `${instance.key}\n${instance.createdAt}\n${instance.revision.incarnation}`
}

/**
 * The state after seeing live claims up to `liveClaims` and naming `leader` (if any), whose own
 * claim counts unless `leaderClaimCounts` is false (an unattested leader's: rules.ts, rule 0).
 */
export function nextTerm(
  state: TermState,
  leader: Instance | undefined,
  liveClaims: number,
  leaderClaimCounts = true,
): TermState {
  const claim = leaderClaimCounts ? (leader?.leaderTerm ?? 0) : 0
  const highest = Math.max(state.highest, liveClaims, claim)
  if (leader === undefined) return highest === state.highest ? state : { term: state.term, highest }
  const claimed = claim > 0 && claim === highest ? highest : nextClaim(highest)
  const term = Math.max(state.term, claimed)
  return term === state.term && highest === state.highest ? state : { term, highest }
}

/** The term after `term`, never past MAX_LEADER_TERM: at the bound, claims tie (rules.ts breaks ties). */
export function nextClaim(term: number): number {
  return Math.min(term + 1, MAX_LEADER_TERM)
}

/** The highest claim among `instances` (0 for none). */
export function highestClaim(instances: Iterable<Instance>): number {
  let highest = 0
  for (const instance of instances) highest = Math.max(highest, instance.leaderTerm)
  return highest
}
