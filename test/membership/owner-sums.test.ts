import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OwnerSums } from '../../src/membership/owner-sums.ts'

const hash = (seed: number) => Uint8Array.from({ length: 64 }, (_, i) => (seed * 31 + i * 7) & 0xff)

test('each slot keeps its own two halves through growth; XOR twice cancels', () => {
  const sums = new OwnerSums(16)
  const slots = Array.from({ length: 100 }, (_, slot) => slot)
  for (const slot of slots) sums.reset(slot, slot + 1)
  for (const slot of slots) sums.xor(slot, 0, hash(slot))
  sums.xor(slots[7] as number, 1, hash(1))
  for (const slot of slots) {
    assert.deepEqual(sums.copy(slot, 0), hash(slot).slice(0, 16))
    assert.ok(sums.equals(slot, 0, hash(slot).slice(0, 16)))
  }
  assert.deepEqual(sums.copy(7, 1), hash(1).slice(16, 32))
  assert.deepEqual(sums.copy(8, 1), new Uint8Array(16))
  sums.xor(7, 1, hash(1))
  assert.deepEqual(sums.copy(7, 1), new Uint8Array(16))
  assert.equal(
    sums.equals(7, 1, new Uint8Array(15)),
    false,
    'a digest of the wrong length never matches',
  )
})

test('a reset slot is zeroed, and its neighbours kept', () => {
  const sums = new OwnerSums(16)
  for (const slot of [0, 1, 2]) {
    sums.reset(slot, 3)
    sums.xor(slot, 0, hash(slot))
    sums.xor(slot, 1, hash(slot + 10))
  }
  sums.reset(1, 3)
  assert.deepEqual(sums.copy(1, 0), new Uint8Array(16))
  assert.deepEqual(sums.copy(1, 1), new Uint8Array(16))
  assert.deepEqual(sums.copy(0, 1), hash(10).slice(16, 32))
  assert.deepEqual(sums.copy(2, 0), hash(2).slice(0, 16))
})
