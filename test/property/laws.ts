/**
 * One reusable law suite for anything mergeable: join-semilattice laws checked by fast-check.
 * Run it for every mergeable type (the service set now; bridges' state later).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'

export interface MergeLaws<T> {
  name: string
  /** Three values to merge: drawn together, so they can share what they are about (one universe). */
  triples: fc.Arbitrary<readonly [T, T, T]>
  merge: (a: T, b: T) => T
  /** A canonical form: equal forms mean equal states. */
  canonical: (value: T) => unknown
  numRuns: number
}

export function crdtLaws<T>({ name, triples, merge, canonical, numRuns }: MergeLaws<T>): void {
  const same = (a: T, b: T) => assert.deepEqual(canonical(a), canonical(b))
  test(`${name}: merge is commutative`, () => {
    fc.assert(
      fc.property(triples, ([a, b]) => same(merge(a, b), merge(b, a))),
      { numRuns },
    )
  })
  test(`${name}: merge is associative`, () => {
    fc.assert(
      fc.property(triples, ([a, b, c]) => same(merge(merge(a, b), c), merge(a, merge(b, c)))),
      { numRuns },
    )
  })
  test(`${name}: merge is idempotent`, () => {
    fc.assert(
      fc.property(triples, ([a]) => same(merge(a, a), a)),
      { numRuns },
    )
  })
}
