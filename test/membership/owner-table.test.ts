import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OwnerDirectory } from '../../src/membership/owner-directory.ts'
import { OwnerTable } from '../../src/membership/owner-table.ts'
import { ServiceSet } from '../../src/membership/service-set.ts'
import { registration, signerFor } from '../fixtures/statements.ts'

const key = (n: number) => Uint8Array.of(n)

test('a directory hands out one index per owner and reuses it once no holder is left', () => {
  const directory = new OwnerDirectory()
  const a = directory.acquire('a', key(1))
  const b = directory.acquire('b', key(2))
  assert.notEqual(a, b)
  assert.equal(directory.acquire('a', key(1)), a, 'a second holder gets the same index')
  directory.release(a)
  assert.equal(directory.indexOf('a'), a, 'one holder is left')
  directory.release(a)
  assert.equal(directory.indexOf('a'), undefined)
  assert.equal(directory.acquire('c', key(3)), a, 'the freed index is reused')
  assert.deepEqual(directory.keys[a], key(3))
  assert.equal(directory.ids[a], 'c')
})

test('a table lists its owners in the order they were added, a re-added one last', () => {
  const table = new OwnerTable()
  const ids = ['a', 'b', 'c', 'd']
  const slots = ids.map((id, n) => table.add(id, key(n), 1n))
  table.remove(slots[1] as number)
  assert.deepEqual(
    [...table.slots()].map((slot) => table.idOf(slot)),
    ['a', 'c', 'd'],
  )
  assert.equal(table.slotOf('b'), undefined)
  table.add('b', key(1), 2n)
  assert.deepEqual(
    [...table.slots()].map((slot) => table.idOf(slot)),
    ['a', 'c', 'd', 'b'],
  )
  assert.equal(table.incarnation[table.slotOf('b') as number], 2n)
  assert.equal(table.size, 4)
})

test('visiting the table may remove the slot being visited', () => {
  const table = new OwnerTable()
  for (let n = 0; n < 40; n++) table.add(`o${n}`, key(n), 1n)
  const visited: string[] = []
  for (const slot of table.slots()) {
    visited.push(table.idOf(slot))
    if (slot % 2 === 0) table.remove(slot)
  }
  assert.equal(visited.length, 40)
  assert.equal(table.size, 20)
  assert.ok([...table.slots()].every((slot) => slot % 2 === 1))
})

test('sets sharing a directory hold and forget owners independently', () => {
  const directory = new OwnerDirectory()
  const one = new ServiceSet({ ownerDirectory: directory })
  const two = new ServiceSet({ ownerDirectory: directory })
  const alice = signerFor('alice')
  const bob = signerFor('bob')
  const a = registration(alice, { incarnation: 1n, counter: 1n }, { id: 'a', ttlMs: 1000 })
  const b = registration(bob, { incarnation: 1n, counter: 1n }, { id: 'b', ttlMs: 5000 })
  one.apply(a, 0)
  two.apply(b, 0)
  two.apply(a, 0)
  assert.deepEqual(one.owners(), [alice.ownerId])
  assert.deepEqual(two.owners(), [bob.ownerId, alice.ownerId])
  assert.equal(one.get(b.key), undefined, 'an owner another set holds is not held here')
  one.expire(2000)
  assert.deepEqual(one.owners(), [])
  assert.equal(two.get(a.key)?.statement, a, 'the other set still holds what this one forgot')
  two.expire(2000)
  assert.deepEqual(two.owners(), [bob.ownerId])
  assert.equal(directory.indexOf(alice.ownerId), undefined, 'no set holds alice: her index is free')
  one.apply(b, 3000)
  assert.deepEqual(
    one.instances().map((i) => i.id),
    ['b'],
  )
})
