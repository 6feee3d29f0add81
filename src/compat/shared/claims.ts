/**
 * Leadership claims as the compat faces see them. The election keeps a live leader by having
 * its owner re-sign the registration with a claim (src/election/rules.ts). None of the Go
 * systems has such a write, so the faces hide it: an update that changes nothing but the claim
 * is no event. Faces that register instances run an election on their node, so that their
 * registrations claim leadership when they lead and no newcomer displaces them.
 */

import type { DiscoveryNode, Instance } from '../../contract.ts'
import { createElection } from '../../election/index.ts'

/** True when `now` differs from `previous` only by its claim (and its revision). */
export function onlyClaimChanged(previous: Instance, now: Instance): boolean {
  return previous.leaderTerm !== now.leaderTerm && sameContent(previous, now)
}

/** True when two registrations of one instance carry the same fields a Go program sees. */
export function sameContent(a: Instance, b: Instance): boolean {
  return (
    a.createdAt === b.createdAt &&
    a.version === b.version &&
    a.ttlMs === b.ttlMs &&
    JSON.stringify([a.addresses, a.metadata, a.endpoints]) ===
      JSON.stringify([b.addresses, b.metadata, b.endpoints])
  )
}

/** Starts claiming leadership for `node`'s own leaders; returns the function that stops it. */
export function claimLeadership(node: DiscoveryNode): () => void {
  const election = createElection(node)
  return () => election.close()
}
