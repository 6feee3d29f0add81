/**
 * go-kit's client-side balancers over an Endpointer: round-robin and seeded random. Both are
 * stateless apart from their cursor, so any number can share one Endpointer.
 */
import { GossipSdError } from '../../../contract.ts'
import { type Picker, pickOne, randomPicker, roundRobinPicker } from '../../shared/pick.ts'
import { requireFunction } from '../../shared/validate.ts'
import type { Endpointer } from '../endpointer.ts'
import type { Endpoint } from '../types.ts'

/** The Endpointer has no endpoints (go-kit `lb.ErrNoEndpoints`). */
export class NoEndpointsError extends GossipSdError<'ERR_NO_ENDPOINTS'> {
  constructor() {
    super('ERR_NO_ENDPOINTS', 'no endpoints available')
  }
}

/** Picks one endpoint per call (go-kit `lb.Balancer`). */
export interface Balancer<Request = unknown, Response = unknown> {
  /** Throws NoEndpointsError when there is none, or the Endpointer's own error. */
  endpoint(): Endpoint<Request, Response>
}

function balancerOver<Request, Response>(
  endpointer: Endpointer<Request, Response>,
  picker: Picker,
): Balancer<Request, Response> {
  requireFunction('endpointer.endpoints', endpointer?.endpoints)
  return {
    endpoint: () => pickOne(endpointer.endpoints(), picker, () => new NoEndpointsError()),
  }
}

/** Cycles through the endpoints in order (go-kit `lb.NewRoundRobin`). */
export function roundRobin<Request, Response>(
  endpointer: Endpointer<Request, Response>,
): Balancer<Request, Response> {
  return balancerOver(endpointer, roundRobinPicker())
}

/** Picks uniformly at random from a seeded source: the same seed, the same picks (go-kit `lb.NewRandom`). */
export function random<Request, Response>(
  endpointer: Endpointer<Request, Response>,
  seed: number,
): Balancer<Request, Response> {
  return balancerOver(endpointer, randomPicker(seed))
}
