import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OwnerSums } from '../../src/membership/owner-sums.ts'

const hash = (seed: number) => Uint8Array.from({ length: 64 }, (_, i) => (seed * 31 + i * 7) & 0xff)

test('each slot keeps its own two halves through growth; XOR twice cancels', () => {
  const sums = new OwnerSums(16)
  const slots = Array.from({ length: 100 }, () => sums.allocate())
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

test('a released slot is reused zeroed', () => {
  const sums = new OwnerSums(16)
  const a = sums.allocate()
  sums.xor(a, 0, hash(3))
  sums.xor(a, 1, hash(4))
  sums.release(a)
  const b = sums.allocate()
  assert.equal(b, a)
  assert.deepEqual(sums.copy(b, 0), new Uint8Array(16))
  assert.deepEqual(sums.copy(b, 1), new Uint8Array(16))
})
