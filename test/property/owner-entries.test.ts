import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { OwnerEntries } from '../../src/membership/owner-entries.ts'
import type { Entry } from '../../src/membership/service-set.ts'
import type { InstanceStatement } from '../../src/membership/statement.ts'
import { registration, signerFor } from '../fixtures/statements.ts'

// 24 keys (more than fit the array form) at two versions each.
const owner = signerFor('many-instances')
const pool: InstanceStatement[] = []
for (let k = 0; k < 24; k++)
  for (const counter of [1n, 2n])
    pool.push(registration(owner, { incarnation: 1n, counter }, { id: `i${k}` }))

const operation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), pick: fc.nat(pool.length - 1) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat(pool.length - 1) }),
)

test('owner entries behave as a Map keyed by instance key, in the same order', () => {
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 80 }), (operations) => {
      const entries = new OwnerEntries()
      const reference = new Map<string, Entry<InstanceStatement>>()
      for (const [step, { kind, pick }] of operations.entries()) {
        const statement = pool[pick] as InstanceStatement
        if (kind === 'set') {
          const entry = { statement, refreshedAt: step }
          entries.set(entry, entries.get(statement.key))
          reference.set(statement.key, entry)
        } else {
          entries.delete(statement.key)
          reference.delete(statement.key)
        }
        assert.equal(entries.size, reference.size)
        assert.equal(entries.get(statement.key), reference.get(statement.key))
      }
      assert.deepEqual([...entries.values()], [...reference.values()])
    }),
    { numRuns: 500 },
  )
})

test('deleting the entry being visited leaves the rest of the iteration intact', () => {
  for (const size of [3, 20]) {
    const entries = new OwnerEntries()
    const statements = pool.filter((s) => s.version.counter === 1n).slice(0, size)
    for (const statement of statements) entries.set({ statement, refreshedAt: 0 }, undefined)
    const visited: string[] = []
    for (const entry of entries.values()) {
      visited.push(entry.statement.key)
      entries.delete(entry.statement.key)
    }
    assert.deepEqual(
      visited,
      statements.map((s) => s.key),
    )
    assert.equal(entries.size, 0)
  }
})
