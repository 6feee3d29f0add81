/**
 * Choosing one of n: the cursor and seeded-random rules shared by go-kit's lb balancers and
 * discoverd's balancer package. The same seed gives the same picks on every platform.
 */
import { seededRandom } from '../../util/random.ts'
import { requireFiniteNumber } from './validate.ts'

/** Returns an index in [0, count) for count > 0. */
export type Picker = (count: number) => number

/** 0, 1, 2, ... modulo the current count. */
export function roundRobinPicker(): Picker {
  let next = 0
  return (count) => next++ % count
}

/** Uniform picks from a PRNG seeded with `seed`. */
export function randomPicker(seed: number): Picker {
  const draw = seededRandom(requireFiniteNumber('seed', seed))
  return (count) => Math.floor(draw() * count) % count
}

/** One item chosen by `picker`; throws `empty()` when there is none. */
export function pickOne<T>(items: readonly T[], picker: Picker, empty: () => Error): T {
  if (items.length === 0) throw empty()
  return items[picker(items.length) % items.length] as T
}
