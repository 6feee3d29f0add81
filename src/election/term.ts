/**
 * Fencing terms, a pure fold over the leaders one observer sees.
 *
 * A leadership is one instance incarnation leading: (key, createdAt, owner incarnation). Its
 * base term is `createdAt * TERM_SPACING`. Because the leader is the *oldest* instance, the
 * usual succession (the leader leaves, the next-oldest takes over) always moves to a larger
 * base, so every observer that sees that succession computes the same number without any
 * message. Where a leader's base would not exceed the observer's last term (an older instance
 * reappears after a partition heals, or a skewed owner clock makes a newcomer look older), the
 * observer takes `last + 1` instead: that number is still strictly larger for this observer,
 * but other observers may compute a different one. TERM_SPACING leaves room for 1023 such bumps
 * between bases one millisecond apart, so a bumped term practically never equals another
 * leadership's base.
 *
 * The fold keeps the term when the same leadership returns after a gap in which this observer
 * named no other leader (a record that briefly lapsed, a withheld quorum).
 */
import type { Instance } from '../contract.ts'

/** Distance between the base terms of two leaderships created one millisecond apart. */
export const TERM_SPACING = 1024

/** What an observer remembers to keep its terms monotonic. */
export interface TermState {
  /** The last term this observer assigned (0 before any). */
  readonly term: number
  /** Identity of the leadership that holds `term`. */
  readonly holder: string | undefined
}

export const INITIAL_TERM_STATE: TermState = Object.freeze({ term: 0, holder: undefined })

/** Identity of one leadership: the instance, its age and its owner's incarnation. */
export function leadershipId(instance: Instance): string {
  return `${instance.key}\n${instance.createdAt}\n${instance.revision.incarnation}`
}

/** The term every observer agrees on for a leadership that follows a younger-based one. */
export function baseTerm(instance: Instance): number {
  return Math.floor(instance.createdAt) * TERM_SPACING
}

/** The observer's state after it names `leader`: same term for the same leadership, else larger. */
export function nextTerm(state: TermState, leader: Instance): TermState {
  const holder = leadershipId(leader)
  if (holder === state.holder) return state
  return { term: Math.max(state.term + 1, baseTerm(leader)), holder }
}
