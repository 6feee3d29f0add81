import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { GossipSdError } from '../../src/membership/errors.ts'
import { DEFAULT_LIMITS } from '../../src/membership/limits.ts'
import { LocalOwner } from '../../src/membership/owner.ts'
import { Replica } from '../../src/membership/replica.ts'
import { type Entry, mergeSets, ServiceSet } from '../../src/membership/service-set.ts'
import {
  decodeSignedStatement,
  encodeSignedStatement,
  openStatement,
  type Statement,
} from '../../src/membership/statement.ts'
import { compareVersions } from '../../src/membership/version.ts'
import { seededRandom } from '../../src/util/random.ts'
import { contentOf, liveOf, stateOf } from '../fixtures/snapshot.ts'
import { signerFor } from '../fixtures/statements.ts'
import { crdtLaws } from './laws.ts'
import { type Heard, heardArbitrary, setArbitrary, setFrom, TTL_MS, universe } from './universe.ts'

const RUNS = 1000

describe('service set CRDT laws', () => {
  crdtLaws({
    name: 'service set',
    arbitrary: setArbitrary,
    merge: mergeSets,
    canonical: stateOf,
    numRuns: RUNS,
  })
})

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed)
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

describe('service set properties', () => {
  test('any order or duplication of the same statements gives the same set', () => {
    fc.assert(
      fc.property(
        fc.array(heardArbitrary, { maxLength: 30 }),
        fc.nat(),
        fc.nat(30),
        (heard, seed, extra) => {
          const duplicated = [...heard, ...heard.slice(0, extra)]
          assert.deepEqual(stateOf(setFrom(shuffle(duplicated, seed))), stateOf(setFrom(heard)))
        },
      ),
      { numRuns: RUNS },
    )
  })

  test('a replayed older statement never changes state', () => {
    fc.assert(
      fc.property(
        setArbitrary,
        fc.constantFrom(...universe),
        fc.integer({ min: 0, max: 20_000 }),
        (set, statement, refreshedAt) => {
          const held = heldVersionFor(set, statement)
          fc.pre(held !== undefined && compareVersions(statement.version, held) < 0)
          const before = stateOf(set)
          assert.equal(set.apply(statement, refreshedAt).outcome, 'stale')
          assert.deepEqual(stateOf(set), before)
        },
      ),
      { numRuns: RUNS },
    )
  })

  test('any flipped byte is rejected by name, and the replica is unchanged', () => {
    const replica = new Replica()
    for (const statement of universe.slice(0, 5))
      replica.receive({ statement: statement.signed, ageMs: 0 }, 0)
    const before = stateOf(replica.set)
    fc.assert(
      fc.property(
        fc.constantFrom(...universe),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (statement, position, mask) => {
          const bytes = encodeSignedStatement(statement)
          const flipped = Uint8Array.from(bytes)
          const at = position % flipped.length
          flipped[at] = (flipped[at] as number) ^ mask
          assert.throws(
            () => openStatement(decodeSignedStatement(flipped, DEFAULT_LIMITS), DEFAULT_LIMITS),
            GossipSdError,
          )
          let signed: ReturnType<typeof decodeSignedStatement> | undefined
          try {
            signed = decodeSignedStatement(flipped, DEFAULT_LIMITS)
          } catch {
            return
          }
          assert.equal(replica.receive({ statement: signed, ageMs: 0 }, 0).outcome, 'rejected')
          assert.deepEqual(stateOf(replica.set), before)
        },
      ),
      { numRuns: RUNS },
    )
  })

  test('a record refreshed within its TTL is never expired', () => {
    const signer = signerFor('refresher')
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gap: fc.integer({ min: 1, max: TTL_MS - 1 }),
            age: fc.nat(200),
            sweeps: fc.array(fc.nat(TTL_MS - 1), { maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        (beats) => {
          const owner = new LocalOwner(signer, 1n, DEFAULT_LIMITS, TTL_MS)
          const ownView = new Replica()
          const receiver = new Replica()
          const reg = owner.register({ service: 'svc', id: 'x', addresses: ['h:1'] }, 0)
          ownView.applyVerified(reg, 0, 0)
          receiver.receive({ statement: reg.signed, ageMs: 0 }, 0)
          let lastRefresh = 0
          let now = 0
          for (const beat of beats) {
            for (const sweep of beat.sweeps) {
              if (sweep < beat.gap) assert.deepEqual(receiver.expire(lastRefresh + sweep), [])
            }
            now = lastRefresh + beat.gap + beat.age
            const heartbeat = owner.heartbeat(ownView.set)
            receiver.receive({ statement: heartbeat.signed, ageMs: beat.age }, now)
            assert.deepEqual(receiver.expire(now), [])
            lastRefresh = now - beat.age
          }
          assert.equal(receiver.set.instances().length, 1)
        },
      ),
      { numRuns: RUNS },
    )
  })

  test('a restarted owner (new incarnation) is never shadowed by its own stale records', () => {
    const signer = signerFor('restarter')
    const ids = ['a', 'b', 'c', 'd']
    fc.assert(
      fc.property(
        fc.subarray(ids, { minLength: 1 }),
        fc.subarray(ids),
        fc.nat(),
        fc.nat(10),
        (oldIds, newIds, seed, duplicates) => {
          const first = new LocalOwner(signer, 1n, DEFAULT_LIMITS, TTL_MS)
          const second = new LocalOwner(signer, 2n, DEFAULT_LIMITS, TTL_MS)
          const oldOwn = new ServiceSet()
          const statements: Statement[] = []
          for (const id of oldIds) {
            const s = first.register({ service: 'svc', id, addresses: ['old:1'] }, 0)
            oldOwn.apply(s, 0)
            statements.push(s)
          }
          statements.push(first.heartbeat(oldOwn))
          const newOwn = new ServiceSet()
          for (const id of newIds) {
            const s = second.register({ service: 'svc', id, addresses: ['new:1'] }, 100)
            newOwn.apply(s, 0)
            statements.push(s)
          }
          statements.push(second.heartbeat(newOwn))
          const delivered = shuffle([...statements, ...statements.slice(0, duplicates)], seed)
          const replica = setFrom(delivered.map((statement) => ({ statement, refreshedAt: 0 })))
          assert.deepEqual(
            replica
              .instances()
              .map((i) => `${i.id}@${i.addresses[0]}`)
              .sort(),
            newIds.map((id) => `${id}@new:1`).sort(),
          )
        },
      ),
      { numRuns: RUNS },
    )
  })

  test('replicas exchanging digests and deltas converge from any start', () => {
    assertExchangesConverge((a, b) => {
      const toB = a.delta(b.digest())
      apply(a, b.delta(a.digest()))
      apply(b, toB)
    })
  })

  test('bucket fingerprints follow the state held through merges and expiry', () => {
    fc.assert(
      fc.property(
        fc.array(heardArbitrary, { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 4 * TTL_MS }), { maxLength: 3 }),
        (heard, sweeps) => {
          const set = setFrom(heard)
          for (const at of sweeps.toSorted((x, y) => x - y)) set.expire(10_000 + at)
          const rebuilt = new ServiceSet()
          apply(rebuilt, [...set.rawEntries()])
          assert.deepEqual(set.bucketDigest(), rebuilt.bucketDigest())
        },
      ),
      { numRuns: RUNS },
    )
  })

  test('replicas running bucketed exchanges converge from any start', () => {
    // As the mesh runs it: a opens with fingerprints, b answers the buckets that differ, a sends
    // b's delta and asks back when summaries differ, b answers with a's delta.
    assertExchangesConverge((a, b) => {
      const answer = b.bucketAnswer(a.bucketDigest())
      if (answer.covered === undefined) {
        assert.deepEqual(a.differences(b.digest()).owners, [], 'equal buckets, equal summaries')
        return
      }
      apply(b, a.delta(answer))
      const back = a.differences(answer)
      if (back.owners.length === 0) return
      apply(a, b.delta(back))
      apply(b, a.delta(b.differences(back)))
    })
  })
})

function apply(to: ServiceSet, entries: readonly Entry[]): void {
  for (const e of entries) to.apply(e.statement, e.refreshedAt)
}

/**
 * Replicas from any start, after random exchanges and then two exchanges along each link of a
 * path and back, all hold the union. Two exchanges give a pair the union of both (the first
 * brings a replica that is behind up to the newest counter, the second repairs an older gap);
 * one pass along the path gathers the union at its end, the pass back spreads it.
 */
function assertExchangesConverge(exchange: (a: ServiceSet, b: ServiceSet) => void): void {
  fc.assert(
    fc.property(
      fc.array(fc.array(heardArbitrary, { maxLength: 20 }), { minLength: 2, maxLength: 5 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 10 }),
      (starts, randomExchanges) => {
        const replicas = starts.map((heard: Heard[]) => setFrom(heard))
        const union = replicas.reduce((acc, r) => mergeSets(acc, r), new ServiceSet())
        const at = (i: number) => replicas[i % replicas.length] as ServiceSet
        for (const [x, y] of randomExchanges) exchange(at(x), at(y))
        for (let i = 0; i + 1 < replicas.length; i++)
          for (const _ of [1, 2]) exchange(at(i), at(i + 1))
        for (let i = replicas.length - 2; i >= 0; i--)
          for (const _ of [1, 2]) exchange(at(i), at(i + 1))
        for (const r of replicas) {
          assert.deepEqual(contentOf(r), contentOf(union))
          assert.deepEqual(liveOf(r), liveOf(union))
        }
      },
    ),
    { numRuns: RUNS },
  )
}

function heldVersionFor(set: ServiceSet, statement: Statement) {
  if (statement.kind === 'heartbeat') {
    return [...set.rawEntries()].find(
      (e) => e.statement.kind === 'heartbeat' && e.statement.owner === statement.owner,
    )?.statement.version
  }
  return set.get(statement.key)?.statement.version
}
