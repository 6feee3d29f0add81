import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { MalformedInputError } from '../../src/membership/errors.ts'
import { readFrame, varintBytes, writeFrame } from '../../src/membership/frame-codec.ts'
import * as wire from '../../src/membership/wire.ts'
import { runs } from './runs.ts'

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

const frameArbitrary = fc
  .record({
    schema: fc.nat({ max: 0xffff_ffff }),
    gossip: fc.array(gossip, { maxLength: 5 }),
    digest: fc.option(
      fc.record({
        owners: fc.array(summary, { maxLength: 5 }),
        partial: fc.boolean(),
        bucketBits: fc.nat({ max: 0xffff_ffff }),
        coveredBuckets: bytes,
      }),
      { nil: undefined },
    ),
    wantReply: fc.boolean(),
    buckets: fc.option(fc.record({ bits: fc.nat({ max: 0xffff_ffff }), fingerprints: bytes }), {
      nil: undefined,
    }),
  })
  .map(
    ({ digest, buckets, ...rest }): wire.Frame => ({
      ...rest,
      ...(digest === undefined ? {} : { digest }),
      ...(buckets === undefined ? {} : { buckets }),
    }),
  )

/** What the protobuf runtime makes of bytes under the canonical rule: the frame, or undefined. */
function referenceRead(bytes: Uint8Array): wire.Frame | undefined {
  try {
    const frame = wire.Frame.decode(bytes)
    return Buffer.compare(wire.Frame.encode(frame), bytes) === 0 ? frame : undefined
  } catch {
    return undefined
  }
}

function strictRead(bytes: Uint8Array): wire.Frame | undefined {
  try {
    return readFrame(bytes)
  } catch (err) {
    assert.ok(err instanceof MalformedInputError, String(err))
    return undefined
  }
}

test('frames are written byte for byte as the protobuf runtime writes them, and read back', () => {
  fc.assert(
    fc.property(frameArbitrary, (frame) => {
      const bytes = writeFrame(frame)
      assert.deepEqual(bytes, wire.Frame.encode(frame))
      assert.deepEqual(readFrame(bytes), wire.Frame.decode(bytes))
    }),
    { numRuns: runs(1000) },
  )
})

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), value: fc.constant(0) }),
)

function mutate(bytes: Uint8Array, m: typeof mutation extends fc.Arbitrary<infer T> ? T : never) {
  const out = [...bytes]
  const at = out.length === 0 ? 0 : m.at % out.length
  if (m.kind === 'set' && out.length > 0) out[at] = m.value
  if (m.kind === 'insert') out.splice(at, 0, m.value)
  if (m.kind === 'delete') out.splice(at, 1)
  if (m.kind === 'truncate') out.length = at
  return Uint8Array.from(out)
}

test('on damaged bytes the strict reader accepts exactly what the canonical rule accepts', () => {
  fc.assert(
    fc.property(frameArbitrary, fc.array(mutation, { minLength: 1, maxLength: 3 }), (frame, ms) => {
      const bytes = ms.reduce(mutate, writeFrame(frame))
      assert.deepEqual(strictRead(bytes), referenceRead(bytes))
    }),
    { numRuns: runs(5000) },
  )
})

test('non-canonical encodings are named errors', () => {
  const cases: Array<[string, number[]]> = [
    ['a field at its default value', [0x08, 0x00]],
    ['a non-minimal varint', [0x08, 0x81, 0x00]],
    ['fields out of order', [0x20, 0x01, 0x08, 0x01]],
    ['a bool other than 1', [0x20, 0x02]],
    ['an unknown field', [0x08, 0x01, 0x38, 0x01]],
    ['a length past the end', [0x12, 0x05, 0x00]],
    ['an empty bytes field', [0x12, 0x04, 0x0a, 0x02, 0x0a, 0x00]],
    ['a varint over 64 bits', [0x08, ...Array(10).fill(0xff), 0x01]],
  ]
  for (const [what, bytes] of cases)
    assert.throws(() => readFrame(Uint8Array.from(bytes)), MalformedInputError, what)
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
