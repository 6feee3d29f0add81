import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { END, EntryLists } from '../../src/membership/entry-lists.ts'
import { LIVE, OwnerSums, SUMMARY } from '../../src/membership/owner-sums.ts'
import type { InstanceStatement } from '../../src/membership/statement.ts'
import { registration, signerFor, tombstone } from '../fixtures/statements.ts'

const DIGEST_BYTES = 16
const signer = signerFor('owner-sums')
// 30 keys, each as a registration and as a tombstone: enough to cross the kept threshold.
const pool: InstanceStatement[] = []
for (let k = 0; k < 30; k++) {
  pool.push(registration(signer, { incarnation: 1n, counter: BigInt(2 * k + 1) }, { id: `i${k}` }))
  pool.push(tombstone(signer, { incarnation: 1n, counter: BigInt(2 * k + 2) }, `i${k}`))
}

/** The digests by definition: XORs over the statements listed. */
function expected(lists: EntryLists, owner: number): [Uint8Array, Uint8Array] {
  const live = new Uint8Array(DIGEST_BYTES)
  const summary = new Uint8Array(DIGEST_BYTES)
  for (let e = lists.first(owner); e !== END; e = lists.next(e)) {
    const s = lists.statement(e)
    const hash = s.signed.signature
    for (let i = 0; i < DIGEST_BYTES; i++) {
      summary[i] = (summary[i] as number) ^ (hash[DIGEST_BYTES + i] as number)
      if (s.kind === 'registration') live[i] = (live[i] as number) ^ (hash[i] as number)
    }
  }
  return [live, summary]
}

test('digests equal the XOR over the entries held, computed or kept, through adds, replaces and removes', () => {
  fc.assert(
    fc.property(
      // Three adds to one remove: lists grow past the kept threshold and shrink back.
      fc.array(fc.record({ add: fc.nat(3).map((n) => n > 0), pick: fc.nat(pool.length - 1) }), {
        minLength: 60,
        maxLength: 200,
      }),
      (operations) => {
        const lists = new EntryLists()
        const sums = new OwnerSums(DIGEST_BYTES, lists)
        lists.open(0, 1)
        sums.forget(0)
        for (const { add, pick } of operations) {
          const s = pool[pick] as InstanceStatement
          const at = lists.find(0, s.key)
          if (add && at === END) {
            lists.append(0, s, 0)
            sums.added(0, s)
          } else if (add) {
            const before = lists.statement(at)
            lists.replace(at, s, 0)
            sums.removed(0, before)
            sums.added(0, s)
          } else if (at !== END) {
            const before = lists.statement(at)
            lists.remove(0, at)
            sums.removed(0, before)
          }
          const [live, summary] = expected(lists, 0)
          assert.deepEqual(sums.copy(0, LIVE), live)
          assert.deepEqual(sums.copy(0, SUMMARY), summary)
          assert.ok(sums.equals(0, LIVE, live))
          assert.ok(sums.equals(0, SUMMARY, summary))
        }
      },
    ),
    { numRuns: 300 },
  )
})

test('a digest of the wrong length or of other bytes never matches', () => {
  const lists = new EntryLists()
  const sums = new OwnerSums(DIGEST_BYTES, lists)
  lists.open(0, 1)
  const s = pool[0] as InstanceStatement
  lists.append(0, s, 0)
  sums.added(0, s)
  const live = sums.copy(0, LIVE)
  assert.equal(sums.equals(0, LIVE, live.slice(0, DIGEST_BYTES - 1)), false)
  live[3] = (live[3] as number) ^ 1
  assert.equal(sums.equals(0, LIVE, live), false)
})
