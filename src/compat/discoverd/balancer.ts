/**
 * discoverd's `balancer` package: reference load balancers over a ServiceSet. Each next() reads
 * the set's current members, so the balancer follows the set as it changes.
 */
import { GossipSdError, InvalidArgumentError } from '../../contract.ts'
import { type Picker, pickOne, randomPicker, roundRobinPicker } from '../shared/pick.ts'
import type { ServiceSet } from './service-set.ts'
import type { Service } from './types.ts'

/** The set has no member to hand out (discoverd balancer `ErrNoServices`). */
export class NoServicesError extends GossipSdError<'ERR_NO_SERVICES'> {
  constructor() {
    super('ERR_NO_SERVICES', 'balancer: no services found')
  }
}

/** Hands out one member per call (discoverd balancer `LoadBalancer`). */
export interface LoadBalancer {
  /** Throws NoServicesError when the set is empty. */
  next(): Service
}

function over(set: ServiceSet, picker: Picker): LoadBalancer {
  if (typeof set?.services !== 'function') {
    throw new InvalidArgumentError('a balancer takes a ServiceSet')
  }
  return { next: () => pickOne(set.services(), picker, () => new NoServicesError()) }
}

/** Members in turn, in age order (discoverd balancer `RoundRobin`). */
export function roundRobin(set: ServiceSet): LoadBalancer {
  return over(set, roundRobinPicker())
}

/** Seeded uniform picks (discoverd balancer `Random`; the seed is explicit here). */
export function random(set: ServiceSet, seed: number): LoadBalancer {
  return over(set, randomPicker(seed))
}
