import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { END, EntryLists } from '../../src/membership/entry-lists.ts'
import type { InstanceStatement } from '../../src/membership/statement.ts'
import { registration, signerFor } from '../fixtures/statements.ts'
import { runs } from './runs.ts'

// Two owners with 24 keys each (more than a list keeps without a key index), two versions a key.
const OWNERS = 2
const pools: InstanceStatement[][] = Array.from({ length: OWNERS }, (_, o) => {
  const signer = signerFor(`many-instances-${o}`)
  const pool: InstanceStatement[] = []
  for (let k = 0; k < 24; k++)
    for (const counter of [1n, 2n])
      pool.push(registration(signer, { incarnation: 1n, counter }, { id: `i${k}` }))
  return pool
})

const operation = fc.record({
  kind: fc.constantFrom('set' as const, 'delete' as const),
  owner: fc.nat(OWNERS - 1),
  pick: fc.nat(47),
})

function listed(lists: EntryLists, owner: number): [InstanceStatement, number][] {
  const out: [InstanceStatement, number][] = []
  for (let e = lists.first(owner); e !== END; e = lists.next(e))
    out.push([lists.statement(e), lists.refreshedAt(e)])
  return out
}

test('each owner list behaves as a Map keyed by instance key, in the same order', () => {
  fc.assert(
    fc.property(fc.array(operation, { minLength: 40, maxLength: 160 }), (operations) => {
      const lists = new EntryLists()
      const reference = Array.from({ length: OWNERS }, (_, owner) => {
        lists.open(owner, OWNERS)
        return new Map<string, [InstanceStatement, number]>()
      })
      for (const [step, { kind, owner, pick }] of operations.entries()) {
        const statement = pools[owner]?.[pick] as InstanceStatement
        const map = reference[owner] as Map<string, [InstanceStatement, number]>
        const at = lists.find(owner, statement.key)
        if (kind === 'set') {
          if (at === END) lists.append(owner, statement, step)
          else lists.replace(at, statement, step)
          map.set(statement.key, [statement, step])
        } else {
          if (at !== END) lists.remove(owner, at)
          map.delete(statement.key)
        }
        assert.equal(lists.count(owner), map.size)
        const found = lists.find(owner, statement.key)
        assert.deepEqual(
          found === END ? undefined : [lists.statement(found), lists.refreshedAt(found)],
          map.get(statement.key),
        )
      }
      for (let owner = 0; owner < OWNERS; owner++)
        assert.deepEqual(listed(lists, owner), [
          ...(reference[owner] as Map<string, unknown>).values(),
        ])
    }),
    { numRuns: runs(500) },
  )
})

test('removing the entry being visited leaves the rest of the walk intact', () => {
  for (const size of [3, 20]) {
    const lists = new EntryLists()
    lists.open(0, 1)
    const statements = (pools[0] as InstanceStatement[])
      .filter((s) => s.version.counter === 1n)
      .slice(0, size)
    for (const statement of statements) lists.append(0, statement, 0)
    const visited: string[] = []
    for (let e = lists.first(0); e !== END; ) {
      const next = lists.next(e)
      visited.push(lists.statement(e).key)
      lists.remove(0, e)
      e = next
    }
    assert.deepEqual(
      visited,
      statements.map((s) => s.key),
    )
    assert.equal(lists.count(0), 0)
    assert.equal(lists.find(0, statements[0]?.key as string), END)
  }
})

test('a reopened owner slot starts empty and takes new entries', () => {
  const lists = new EntryLists()
  lists.open(0, 1)
  const statements = (pools[0] as InstanceStatement[]).filter((s) => s.version.counter === 1n)
  for (const statement of statements) lists.append(0, statement, 0)
  for (let e = lists.first(0); e !== END; ) {
    const next = lists.next(e)
    lists.remove(0, e)
    e = next
  }
  lists.open(0, 1)
  assert.equal(lists.count(0), 0)
  assert.equal(lists.find(0, statements[0]?.key as string), END)
  lists.append(0, statements[1] as InstanceStatement, 5)
  assert.equal(lists.find(0, statements[0]?.key as string), END)
  assert.equal(lists.refreshedAt(lists.find(0, statements[1]?.key as string)), 5)
})
