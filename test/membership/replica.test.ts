import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  InputTooLargeError,
  MalformedInputError,
  UnknownSchemaError,
} from '../../src/membership/errors.ts'
import { decodeFrame, encodeFrame, gossipOf, packFrames } from '../../src/membership/frame.ts'
import { DEFAULT_LIMITS } from '../../src/membership/limits.ts'
import { Replica } from '../../src/membership/replica.ts'
import { ServiceSet } from '../../src/membership/service-set.ts'
import { SCHEMA_VERSION } from '../../src/membership/statement.ts'
import * as wire from '../../src/membership/wire.ts'
import { stateOf } from '../fixtures/snapshot.ts'
import { DOMAIN, heartbeatFor, registration, signerFor, tombstone } from '../fixtures/statements.ts'

const alice = signerFor('alice')
const mallory = signerFor('mallory')
const at = (incarnation: number, counter: number) => ({
  incarnation: BigInt(incarnation),
  counter: BigInt(counter),
})

describe('replica receive path', () => {
  test('the same bad-signature statement received again is recognised without verifying it again', () => {
    const replica = new Replica()
    const good = registration(alice, at(1, 1), { id: 'a' })
    const bad = { ...good.signed, signature: mallory.sign(good.signed.body, DOMAIN) }
    for (let i = 0; i < 3; i++)
      assert.equal(
        replica.receive({ statement: bad, ageMs: 0 }, 0).error?.code,
        'ERR_BAD_SIGNATURE',
      )
    assert.equal(replica.stats.rejected.ERR_BAD_SIGNATURE, 3)
    assert.equal(replica.stats.knownBadSignatures, 2)
    const otherBody = registration(alice, at(1, 2), { id: 'b' }).signed.body
    const spliced = replica.receive({ statement: { ...bad, body: otherBody }, ageMs: 0 }, 0)
    assert.equal(spliced.error?.code, 'ERR_BAD_SIGNATURE')
    assert.equal(
      replica.stats.knownBadSignatures,
      2,
      'another body under that signature is verified',
    )
    assert.equal(replica.receive({ statement: good.signed, ageMs: 0 }, 0).outcome, 'accepted')
  })

  test('a statement signed for another cluster does not verify here: rejected and counted', () => {
    const elsewhere = new Replica({ cluster: 'staging' })
    const here = new Replica({ cluster: 'default' })
    const s = registration(alice, at(1, 1), { id: 'a' })
    assert.equal(here.receive({ statement: s.signed, ageMs: 0 }, 0).outcome, 'accepted')
    const moved = elsewhere.receive({ statement: s.signed, ageMs: 0 }, 0)
    assert.equal(moved.outcome, 'rejected')
    assert.equal(moved.error?.code, 'ERR_BAD_SIGNATURE')
    assert.equal(elsewhere.stats.rejected.ERR_BAD_SIGNATURE, 1)
    assert.deepEqual(elsewhere.set.instances(), [])
  })

  test('ages are durations: refresh time is now minus age on the receiver clock', () => {
    const replica = new Replica()
    const s = registration(alice, at(1, 1), { id: 'a', ttlMs: 5000 })
    const result = replica.receive({ statement: s.signed, ageMs: 1200 }, 10_000)
    assert.equal(result.outcome, 'accepted')
    assert.equal(replica.set.get(s.key)?.refreshedAt, 8800)
  })

  test('a statement older than its lifetime is dropped on arrival and counted', () => {
    const replica = new Replica()
    const s = registration(alice, at(1, 1), { id: 'a', ttlMs: 5000 })
    assert.equal(
      replica.receive({ statement: s.signed, ageMs: 5000 }, 10_000).outcome,
      'expired-on-arrival',
    )
    assert.equal(replica.stats.expiredOnArrival, 1)
    assert.equal(replica.set.size, 0)
  })

  test('a registration older than its TTL is taken when the owner’s held heartbeat covers it with a lease', () => {
    const owner = new ServiceSet()
    const s = registration(alice, at(1, 1), { id: 'a', ttlMs: 5000 })
    owner.apply(s, 0)
    const heartbeat = heartbeatFor(alice, at(1, 2), owner, 40_000)
    const replica = new Replica()
    replica.receive({ statement: heartbeat.signed, ageMs: 100 }, 50_000)
    const result = replica.receive({ statement: s.signed, ageMs: 20_000 }, 50_000)
    assert.equal(result.outcome, 'accepted')
    assert.ok(replica.set.inSyncWith(alice.ownerId))
    assert.deepEqual(replica.expire(89_899), [])
    assert.equal(replica.expire(89_900).length, 1)
    assert.equal(
      replica.receive({ statement: s.signed, ageMs: 40_000 }, 90_000).outcome,
      'expired-on-arrival',
      'not beyond the lease',
    )
  })

  test('each kind of bad input is rejected with its code, counted, and changes nothing', () => {
    const replica = new Replica()
    const good = registration(alice, at(1, 2), { id: 'a' })
    replica.receive({ statement: good.signed, ageMs: 0 }, 0)
    const before = stateOf(replica.set)
    const forged = { ...good.signed, signature: mallory.sign(good.signed.body, DOMAIN) }
    const stale = registration(alice, at(1, 1), { id: 'a' })
    const cases: Array<[wire.SignedStatement | undefined, string]> = [
      [forged, 'ERR_BAD_SIGNATURE'],
      [{ ...good.signed, owner: mallory.publicKey }, 'ERR_BAD_SIGNATURE'],
      [
        {
          owner: alice.publicKey,
          body: Uint8Array.of(0xff, 0xff),
          signature: alice.sign(Uint8Array.of(0xff, 0xff), DOMAIN),
        },
        'ERR_MALFORMED',
      ],
      [stale.signed, 'ERR_STALE_VERSION'],
      [undefined, 'ERR_MALFORMED'],
    ]
    for (const [statement, code] of cases) {
      const result =
        statement === undefined
          ? replica.receive({ ageMs: 0 } as wire.Gossip, 1)
          : replica.receive({ statement, ageMs: 0 }, 1)
      assert.equal(result.outcome, 'rejected')
      assert.equal(result.error?.code, code)
    }
    assert.equal(replica.stats.rejected.ERR_BAD_SIGNATURE, 2)
    assert.equal(replica.stats.rejected.ERR_MALFORMED, 2)
    assert.equal(replica.stats.rejected.ERR_STALE_VERSION, 1)
    assert.deepEqual(stateOf(replica.set), before)
  })

  test('a verified statement is not verified again, but a look-alike with another body is', () => {
    const replica = new Replica()
    const s = registration(alice, at(1, 1), { id: 'a' })
    replica.receive({ statement: s.signed, ageMs: 0 }, 0)
    assert.equal(replica.receive({ statement: s.signed, ageMs: 0 }, 0).outcome, 'duplicate')
    const other = registration(alice, at(1, 2), { id: 'b' })
    const spliced = { ...other.signed, signature: s.signed.signature }
    assert.equal(
      replica.receive({ statement: spliced, ageMs: 0 }, 0).error?.code,
      'ERR_BAD_SIGNATURE',
    )
  })

  test('a heartbeat that shows this replica behind its owner is reported', () => {
    const owner = new Replica()
    owner.receive({ statement: registration(alice, at(1, 1), { id: 'a' }).signed, ageMs: 0 }, 0)
    const hb = heartbeatFor(alice, at(1, 2), owner.set)
    const empty = new Replica()
    assert.equal(empty.receive({ statement: hb.signed, ageMs: 0 }, 0).ownerOutOfSync, alice.ownerId)
    assert.equal(owner.receive({ statement: hb.signed, ageMs: 0 }, 0).ownerOutOfSync, undefined)
  })
})

describe('frames', () => {
  test('a frame round-trips gossip, digest and the reply flag', () => {
    const replica = new Replica()
    const s = registration(alice, at(1, 1), { id: 'a' })
    replica.receive({ statement: s.signed, ageMs: 0 }, 0)
    const bytes = encodeFrame({
      gossip: [gossipOf({ statement: s, refreshedAt: 100 }, 350)],
      digest: replica.set.digest(),
      wantReply: true,
    })
    const frame = decodeFrame(bytes, DEFAULT_LIMITS)
    assert.equal(frame.wantReply, true)
    assert.equal(frame.gossip[0]?.ageMs, 250)
    assert.deepEqual(
      frame.digest?.owners.map((o) => o.ownerId),
      [alice.ownerId],
    )
    assert.equal(frame.digest?.partial, false)
  })

  test('a partial digest keeps its flag through the wire', () => {
    const bytes = encodeFrame({
      gossip: [],
      digest: { owners: [], partial: true },
      wantReply: false,
    })
    assert.deepEqual(decodeFrame(bytes, DEFAULT_LIMITS).digest, { owners: [], partial: true })
  })

  const digestNaming = (ownerKey: Uint8Array) =>
    wire.Frame.encode({
      schema: SCHEMA_VERSION,
      gossip: [],
      digest: {
        owners: [
          {
            owner: ownerKey,
            incarnation: 1n,
            heartbeatCounter: 0n,
            maxCounter: 0n,
            statementsHash: new Uint8Array(16),
          },
        ],
        partial: false,
        bucketBits: 0,
        coveredBuckets: new Uint8Array(0),
      },
      wantReply: true,
    })

  test('a digest naming an owner key of the wrong length is malformed', () => {
    assert.throws(
      () => decodeFrame(digestNaming(new Uint8Array(5)), DEFAULT_LIMITS),
      MalformedInputError,
    )
  })

  test('a digest naming a key never seen here is answered as an owner held by none', () => {
    const stranger = new Uint8Array(32).fill(7)
    const digest = decodeFrame(digestNaming(stranger), DEFAULT_LIMITS).digest
    assert.ok(digest !== undefined)
    assert.equal(digest.owners[0]?.ownerId, undefined, 'no peer ID is computed for it')
    const replica = new Replica()
    replica.receive({ statement: registration(alice, at(1, 1), { id: 'a' }).signed, ageMs: 0 }, 0)
    assert.equal(replica.set.delta(digest).length, 1, 'the full digest lacks alice')
    assert.deepEqual(
      replica.set.differences(digest).owners.map((o) => [o.owner, o.incarnation]),
      [[stranger, 0n]],
    )
  })

  test('bucket digests and covered buckets round-trip; inconsistent ones are malformed', () => {
    const fingerprints = new Uint8Array(8 << 3).fill(9)
    const opening = decodeFrame(
      encodeFrame({ gossip: [], buckets: { bits: 3, fingerprints }, wantReply: false }),
      DEFAULT_LIMITS,
    )
    assert.deepEqual(opening.buckets, { bits: 3, fingerprints })
    const covered = { bits: 4, bitmap: Uint8Array.of(0b1000_0001, 0) }
    const answer = encodeFrame({
      gossip: [],
      digest: { owners: [], partial: true, covered },
      wantReply: true,
    })
    assert.deepEqual(decodeFrame(answer, DEFAULT_LIMITS).digest, {
      owners: [],
      partial: true,
      covered,
    })
    const malformed: Array<[string, Partial<wire.Frame>]> = [
      ['fingerprints of the wrong size', { buckets: { bits: 3, fingerprints: new Uint8Array(8) } }],
      ['too many bucket bits', { buckets: { bits: 13, fingerprints: new Uint8Array(8 << 13) } }],
      [
        'a digest and a bucket digest at once',
        {
          buckets: { bits: 0, fingerprints: new Uint8Array(8) },
          digest: { owners: [], partial: true, bucketBits: 0, coveredBuckets: Uint8Array.of(1) },
        },
      ],
      [
        'covered buckets on a full digest',
        { digest: { owners: [], partial: false, bucketBits: 0, coveredBuckets: Uint8Array.of(1) } },
      ],
      [
        'a bitmap of the wrong size',
        { digest: { owners: [], partial: true, bucketBits: 4, coveredBuckets: Uint8Array.of(1) } },
      ],
      [
        'bits set past the last bucket',
        { digest: { owners: [], partial: true, bucketBits: 1, coveredBuckets: Uint8Array.of(4) } },
      ],
      [
        'bucket bits without covered buckets',
        { digest: { owners: [], partial: true, bucketBits: 2, coveredBuckets: new Uint8Array(0) } },
      ],
    ]
    for (const [what, fields] of malformed) {
      const bytes = wire.Frame.encode({
        schema: SCHEMA_VERSION,
        gossip: [],
        wantReply: false,
        ...fields,
      })
      assert.throws(() => decodeFrame(bytes, DEFAULT_LIMITS), MalformedInputError, what)
    }
  })

  test('bad frames are named errors', () => {
    assert.throws(() => decodeFrame(Uint8Array.of(0x0a, 0xff), DEFAULT_LIMITS), MalformedInputError)
    assert.throws(
      () =>
        decodeFrame(wire.Frame.encode({ schema: 7, gossip: [], wantReply: false }), DEFAULT_LIMITS),
      UnknownSchemaError,
    )
    assert.throws(
      () => decodeFrame(new Uint8Array(DEFAULT_LIMITS.maxFrameBytes + 1), DEFAULT_LIMITS),
      InputTooLargeError,
    )
  })

  test('packing splits entries so no frame exceeds the limit, digest on the last frame', () => {
    const entries = Array.from({ length: 40 }, (_, i) => ({
      statement: registration(alice, at(1, i + 1), { id: `i${i}` }),
      refreshedAt: 0,
    }))
    const limit = 2048
    const frames = packFrames(entries, 0, limit, { owners: [], partial: false }, true)
    assert.ok(frames.length > 1)
    let total = 0
    frames.forEach((bytes, i) => {
      assert.ok(bytes.byteLength <= limit, `frame ${i} is ${bytes.byteLength} bytes`)
      const frame = decodeFrame(bytes, DEFAULT_LIMITS)
      total += frame.gossip.length
      assert.equal(frame.digest !== undefined, i === frames.length - 1)
    })
    assert.equal(total, 40)
  })
  test('the verify cache follows what the set holds, not how many statements it has received', () => {
    const replica = new Replica()
    const owners = ['alice', 'bob', 'carol'].map(signerFor)
    const counters = owners.map(() => 0)
    const live = owners.map(() => [] as string[])
    let now = 0
    let serial = 0
    let largest = 0
    const take = (s: { signed: wire.SignedStatement }) => {
      replica.receive({ statement: s.signed, ageMs: 0 }, now)
      largest = Math.max(largest, replica.verifiedCached)
    }
    // 9,000 statements: each owner churns between 5 and 15 instances and heartbeats every step,
    // tombstones running out as the clock moves on.
    for (let step = 0; step < 1500; step++) {
      now += 100
      owners.forEach((owner, o) => {
        const ids = live[o] as string[]
        const version = () => at(1, ++(counters[o] as number))
        if (ids.length > 5 && (ids.length >= 15 || step % 3 === o % 3))
          take(tombstone(owner, version(), ids.shift() as string))
        else {
          const id = `i${serial++}`
          ids.push(id)
          take(registration(owner, version(), { id }))
        }
      })
      owners.forEach((owner, o) => {
        take(heartbeatFor(owner, at(1, ++(counters[o] as number)), replica.set))
      })
      replica.expire(now)
    }
    assert.equal(replica.stats.accepted, 9000, 'every statement merged')
    const held = replica.set.size + replica.set.ownerCount
    assert.ok(held < 200, `the set holds ${held} statements and heartbeats`)
    assert.ok(
      largest <= 1024 + 2 * 200,
      `at most 1024 + twice what is held (${held}) remembered; was ${largest}`,
    )
  })
})
