import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { varintBytes, writeFrame } from '../../src/membership/frame-encoding.ts'
import * as wire from '../../src/membership/wire.ts'

const bytes = fc.uint8Array({ maxLength: 300 })
const uint64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })

const gossip = fc.record({
  statement: fc.option(fc.record({ owner: bytes, body: bytes, signature: bytes }), {
    nil: undefined,
  }),
  ageMs: fc.nat({ max: 0xffff_ffff }),
})

const summary = fc.record({
  owner: bytes,
  incarnation: uint64,
  heartbeatCounter: uint64,
  maxCounter: uint64,
  statementsHash: bytes,
})

test('frames are written byte for byte as the protobuf encoder writes them', () => {
  fc.assert(
    fc.property(
      fc.nat({ max: 0xffff_ffff }),
      fc.array(gossip, { maxLength: 5 }),
      fc.option(fc.record({ owners: fc.array(summary, { maxLength: 5 }), partial: fc.boolean() }), {
        nil: undefined,
      }),
      fc.boolean(),
      (schema, gossips, digest, wantReply) => {
        const frame: wire.Frame = { schema, gossip: gossips, wantReply }
        if (digest !== undefined) frame.digest = digest
        assert.deepEqual(writeFrame(frame), wire.Frame.encode(frame))
      },
    ),
    { numRuns: 1000 },
  )
})

test('varint sizes at the 7-bit boundaries', () => {
  for (const [value, size] of [
    [0, 1],
    [127, 1],
    [128, 2],
    [16_383, 2],
    [16_384, 3],
    [0xffff_ffff, 5],
  ] as const) {
    assert.equal(varintBytes(value), size)
    assert.equal(varintBytes(BigInt(value)), size)
  }
  assert.equal(varintBytes((1n << 64n) - 1n), 10)
})
