/**
 * One service's leadership as one node sees it, as a pure fold: each observation (the live
 * instances, what the last batch removed, the clock and, in quorum mode, the majority state)
 * yields the next state. The shell (election.ts) calls it and turns state changes into events.
 *
 * - The candidate is the live instance that ranks first (rules.ts: attested owners first, then
 *   the claimed leader, else the oldest).
 * - Default mode names the candidate. Quorum mode names it only when quorum.ts allows, and
 *   records the handover block quorum.ts asks for whenever the candidate changes.
 * - The term is term.ts's: the leader's claim when it holds the highest claim seen, else one
 *   more; never lower than the last term named. An update of the named instance refreshes it.
 */
import type { Instance } from '../contract.ts'
import type { Leadership } from './events.ts'
import {
  type HandoverBlock,
  handoverBlock,
  mayLead,
  type QuorumPolicy,
  type Succession,
} from './quorum.ts'
import { leaderOf } from './rules.ts'
import { highestClaim, INITIAL_TERM_STATE, nextTerm, type TermState } from './term.ts'

/** The leadership state of one service as this node sees it. */
export interface ServiceLeadership {
  readonly terms: TermState
  /** The leader this node names, if any. */
  readonly current: Leadership | undefined
  /** The live instance that ranked first at the last observation, named or not. */
  readonly candidate: Instance | undefined
  /** Quorum mode: handover blocks still running. */
  readonly blocks: readonly HandoverBlock[]
}

/** The state of a service no one has led yet. */
export const NO_LEADERSHIP: ServiceLeadership = Object.freeze({
  terms: INITIAL_TERM_STATE,
  current: undefined,
  candidate: undefined,
  blocks: [],
})

/** What the election saw of one service at one instant. */
export interface Observation {
  /** Live instances of the service. */
  readonly live: readonly Instance[]
  /** Whether an instance's owner is attested (rules.ts, rule 0). @default every one is */
  readonly attested?: (instance: Instance) => boolean
  /** Keys that left the set since the last observation, and how. */
  readonly removed: ReadonlyMap<string, 'expired' | 'deleted'>
  readonly now: number
  /** Quorum mode only: the policy and the start of this node's unbroken run of majority. */
  readonly quorum?: { readonly policy: QuorumPolicy; readonly majoritySince: number | undefined }
}

/** The next leadership state of a service after an observation (pure). */
export function observe(state: ServiceLeadership, o: Observation): ServiceLeadership {
  const attested = o.attested === undefined ? o.live : o.live.filter(o.attested)
  const candidate = leaderOf(o.live, o.attested)
  let leader = candidate
  let blocks = state.blocks
  if (o.quorum !== undefined) ({ leader, blocks } = gate(state, candidate, o, o.quorum))
  // Only attested claims count toward terms: a minted claim cannot raise them.
  const counts = leader !== undefined && (o.attested?.(leader) ?? true)
  const terms = nextTerm(state.terms, leader, highestClaim(attested), counts)
  const previous = state.current
  let current: Leadership | undefined
  if (leader === undefined) current = undefined
  else if (previous?.instance === leader && previous.term === terms.term) current = previous
  else current = { instance: leader, term: terms.term }
  return { terms, current, candidate, blocks }
}

/** Quorum mode: records the block the candidate change imposes, then applies every block. */
function gate(
  state: ServiceLeadership,
  candidate: Instance | undefined,
  o: Observation,
  quorum: NonNullable<Observation['quorum']>,
): { leader: Instance | undefined; blocks: HandoverBlock[] } {
  const previous = state.candidate
  // A block protects a leader whose owner may still hold its lease; a tombstone of it proves the
  // owner demoted it first, so the block ends with it (a successor's claim can overtake it).
  const blocks = state.blocks.filter(
    (b) => o.now < b.until && (b.holder === undefined || o.removed.get(b.holder) !== 'deleted'),
  )
  const change = succession(previous, candidate, o)
  const block = change && handoverBlock(change, o.now, quorum.policy)
  if (block !== undefined) blocks.push(block)
  const allowed =
    candidate !== undefined &&
    mayLead(candidate, o.now, quorum.majoritySince, blocks, quorum.policy)
  return { leader: allowed ? candidate : undefined, blocks }
}

/** How the first-ranked instance changed between two observations, if it did. */
function succession(
  previous: Instance | undefined,
  candidate: Instance | undefined,
  o: Observation,
): Succession | undefined {
  if (previous === undefined) return candidate && { how: 'appeared', candidate }
  if (previous.key === candidate?.key) return undefined
  if (o.live.some((i) => i.key === previous.key)) return { how: 'displaced', previous }
  return { how: o.removed.get(previous.key) ?? 'expired', previous }
}
