import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  BucketFingerprints,
  bucketBitsFor,
  bucketOf,
  FINGERPRINT_BYTES,
  inBucketSet,
  MAX_BUCKET_BITS,
} from '../../src/membership/buckets.ts'
import { seededRandom } from '../../src/util/random.ts'

function randomBytes(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256))
}

function xorInto(target: Uint8Array, source: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) ^ (source[i] as number)
}

describe('bucket fingerprints', () => {
  test('an owner key falls in the bucket of its leading bits', () => {
    const key = Uint8Array.of(0b1011_0010, 0b1100_0000, 7)
    assert.equal(bucketOf(key, 0), 0)
    assert.equal(bucketOf(key, 1), 1)
    assert.equal(bucketOf(key, 4), 0b1011)
    assert.equal(bucketOf(key, 12), 0b1011_0010_1100)
    assert.ok(inBucketSet({ bits: 4, bitmap: Uint8Array.of(0, 0b1000) }, key))
    assert.ok(!inBucketSet({ bits: 4, bitmap: Uint8Array.of(0xff, 0b0111) }, key))
  })

  test('a coarse bucket is the XOR of the fine buckets that share its leading bits', () => {
    const random = seededRandom(3)
    const table = new BucketFingerprints()
    for (let i = 0; i < 200; i++) {
      const key = randomBytes(random, 32)
      table.xorOwner(key, BigInt(i))
      table.xorStatement(key, randomBytes(random, 64))
    }
    const fine = table.fingerprints(MAX_BUCKET_BITS)
    for (const bits of [0, 3, 8]) {
      const coarse = table.fingerprints(bits)
      const group = 1 << (MAX_BUCKET_BITS - bits)
      for (let bucket = 0; bucket < 1 << bits; bucket++) {
        const expected = new Uint8Array(FINGERPRINT_BYTES)
        for (let f = bucket * group; f < (bucket + 1) * group; f++)
          xorInto(expected, fine.subarray(f * FINGERPRINT_BYTES, (f + 1) * FINGERPRINT_BYTES))
        assert.deepEqual(
          coarse.subarray(bucket * FINGERPRINT_BYTES, (bucket + 1) * FINGERPRINT_BYTES),
          expected,
        )
      }
    }
  })

  test('a term XORed in twice cancels; differing names exactly the changed bucket', () => {
    const random = seededRandom(5)
    const table = new BucketFingerprints()
    const key = randomBytes(random, 32)
    const signature = randomBytes(random, 64)
    table.xorOwner(key, 1n)
    const before = table.fingerprints(6)
    assert.equal(table.differing(6, before), undefined)
    table.xorStatement(key, signature)
    const changed = table.differing(6, before)
    assert.ok(changed !== undefined)
    assert.ok(inBucketSet(changed, key))
    assert.equal(
      changed.bitmap.reduce((n, byte) => n + popcount(byte), 0),
      1,
    )
    table.xorStatement(key, signature)
    assert.deepEqual(table.fingerprints(6), before)
  })

  test('a digest uses about one owner per bucket, within the finest resolution', () => {
    assert.equal(bucketBitsFor(0), 0)
    assert.equal(bucketBitsFor(1), 0)
    assert.equal(bucketBitsFor(1000), 10)
    assert.equal(bucketBitsFor(1_000_000), MAX_BUCKET_BITS)
  })
})

function popcount(byte: number): number {
  let n = 0
  for (let b = byte; b > 0; b >>= 1) n += b & 1
  return n
}
