import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { GossipSdError } from '../../src/membership/errors.ts'
import { DEFAULT_LIMITS } from '../../src/membership/limits.ts'
import { LocalOwner } from '../../src/membership/owner.ts'
import { Replica } from '../../src/membership/replica.ts'
import {
  type Entry,
  mergeSets,
  resolveEntry,
  ServiceSet,
} from '../../src/membership/service-set.ts'
import {
  decodeSignedStatement,
  encodeSignedStatement,
  openStatement,
  type RegistrationStatement,
  type Statement,
} from '../../src/membership/statement.ts'
import { seededRandom } from '../../src/util/random.ts'
import { stateOf } from '../fixtures/snapshot.ts'
import { DOMAIN, signerFor } from '../fixtures/statements.ts'
import {
  type Heard,
  heardArbitrary,
  heardUniverseArbitrary,
  setFrom,
  signatureOf,
  type Universe,
  universeArbitrary,
  universes,
} from './histories.ts'
import { crdtLaws } from './laws.ts'
import {
  canonical,
  canonicalContent,
  floorsOf,
  inSync,
  lifetimes,
  liveKeys,
  type ModelState,
  modelState,
  registerOf,
} from './model.ts'
import { runs } from './runs.ts'

const RUNS = runs(500)
/** The TTL of the hand-built owners below (the generated universes draw theirs). */
const TTL_MS = 5000
/** Owner retention the expiry property runs with: short, so heartbeats run out within a run. */
const OWNER_RETENTION_MS = 30_000

/** Three replicas' hearings of one universe. */
const threeHeard = universeArbitrary.chain((universe) =>
  fc.tuple(heardArbitrary(universe), heardArbitrary(universe), heardArbitrary(universe)),
)

describe('service set CRDT laws', () => {
  crdtLaws({
    name: 'service set',
    triples: threeHeard.map(([a, b, c]) => [setFrom(a), setFrom(b), setFrom(c)] as const),
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
  test('a replica holds what the model says, whatever the order, duplication and equivocation', () => {
    fc.assert(
      fc.property(heardUniverseArbitrary, fc.nat(), fc.nat(40), ({ heard }, seed, extra) => {
        const expected = canonical(modelState(heard).values())
        assert.deepEqual(canonical(setFrom(heard).rawEntries()), expected)
        const duplicated = shuffle([...heard, ...heard.slice(0, extra)], seed)
        assert.deepEqual(canonical(setFrom(duplicated).rawEntries()), expected)
      }),
      { numRuns: RUNS },
    )
  })

  test('the join of two replicas holds what the model says of everything both heard', () => {
    fc.assert(
      fc.property(threeHeard, ([a, b]) => {
        assert.deepEqual(
          canonical(mergeSets(setFrom(a), setFrom(b)).rawEntries()),
          canonical(modelState([...a, ...b]).values()),
        )
      }),
      { numRuns: RUNS },
    )
  })

  test('each apply reports the live changes the model sees, and says whether the owner is in sync', () => {
    fc.assert(
      fc.property(heardUniverseArbitrary, ({ universe, heard }) => {
        const set = new ServiceSet()
        for (let i = 0; i < heard.length; i++) {
          const h = heard[i] as Heard
          const before = liveRegistrations(modelState(heard.slice(0, i)))
          const after = liveRegistrations(modelState(heard.slice(0, i + 1)))
          // A new incarnation deletes everything of the older ones first; what it brings is new.
          const owner = h.statement.owner
          const restart =
            (floorsOf(heard.slice(0, i)).get(owner) ?? h.statement.version.incarnation) <
            h.statement.version.incarnation
          const expected: string[] = []
          if (restart)
            for (const [key, s] of before) if (s.owner === owner) expected.push(`deleted ${key}`)
          for (const [key, s] of after) {
            const was = restart && s.owner === owner ? undefined : before.get(key)
            if (was === undefined) {
              if (!before.has(key) || restart) expected.push(`created ${key}`)
            } else if (signatureOf(was) !== signatureOf(s)) expected.push(`updated ${key}`)
          }
          for (const [key, s] of before)
            if (!after.has(key) && !(restart && s.owner === owner)) expected.push(`deleted ${key}`)
          const { changes } = set.apply(h.statement, h.refreshedAt)
          assert.deepEqual(
            changes.map((c) => `${c.type} ${c.instance.key}`).sort(),
            expected.sort(),
          )
          for (const c of changes)
            if (c.type === 'updated') assert.equal(c.previous, before.get(c.instance.key)?.instance)
          assert.equal(
            set.inSyncWith(owner),
            inSync(universe, modelState(heard.slice(0, i + 1)), owner),
            `in sync with ${owner} after ${i + 1} statements`,
          )
        }
      }),
      { numRuns: RUNS },
    )
  })

  test('expiry: nothing runs out early or lingers late, on the receiver clock', () => {
    fc.assert(
      fc.property(
        heardUniverseArbitrary,
        fc.array(fc.integer({ min: 0, max: 60_000 }), { minLength: 1, maxLength: 6 }),
        ({ universe, heard }, sweeps) => {
          assertExpiry(universe, heard, sweeps)
        },
      ),
      { numRuns: RUNS },
    )
  })

  test('resolveEntry keeps what the model keeps of two entries of one register', () => {
    fc.assert(
      fc.property(
        universeArbitrary.chain((u) => {
          const byRegister = new Map<string, Statement[]>()
          for (const s of u.statements)
            byRegister.set(registerOf(s), [...(byRegister.get(registerOf(s)) ?? []), s])
          return fc
            .constantFrom(...byRegister.values())
            .chain((same) =>
              fc.tuple(
                fc.record({ statement: fc.constantFrom(...same), refreshedAt: fc.nat(10_000) }),
                fc.record({ statement: fc.constantFrom(...same), refreshedAt: fc.nat(10_000) }),
              ),
            )
        }),
        ([current, incoming]) => {
          const { outcome, entry } = resolveEntry(current, incoming)
          const kept = modelState([current, incoming]).get(registerOf(current.statement))
          assert.deepEqual(
            canonical(entry === undefined ? [] : [entry]),
            canonical([kept as Heard]),
          )
          const same = signatureOf(current.statement) === signatureOf(incoming.statement)
          const expected = same
            ? incoming.refreshedAt > current.refreshedAt
              ? 'refreshed'
              : 'duplicate'
            : signatureOf((kept as Heard).statement) === signatureOf(incoming.statement)
              ? 'accepted'
              : 'stale'
          assert.equal(outcome, expected)
          assert.deepEqual(resolveEntry(undefined, incoming), {
            outcome: 'accepted',
            entry: incoming,
          })
        },
      ),
      { numRuns: RUNS },
    )
  })

  test('a replayed older statement never changes state', () => {
    fc.assert(
      fc.property(
        heardUniverseArbitrary.chain(({ universe, heard }) => {
          const older = universe.statements.filter((s) => isOlder(s, heard))
          return fc.record({
            heard: fc.constant(heard),
            statement: older.length === 0 ? fc.constant(undefined) : fc.constantFrom(...older),
            refreshedAt: fc.integer({ min: 0, max: 20_000 }),
          })
        }),
        ({ heard, statement, refreshedAt }) => {
          if (statement === undefined) return
          const set = setFrom(heard)
          const before = stateOf(set)
          assert.equal(set.apply(statement, refreshedAt).outcome, 'stale')
          assert.deepEqual(stateOf(set), before)
        },
      ),
      { numRuns: RUNS },
    )
  })

  test('any flipped byte is rejected by name, and the replica is unchanged', () => {
    fc.assert(
      fc.property(
        universeArbitrary.chain((universe) =>
          fc.tuple(fc.constant(universe), fc.constantFrom(...universe.statements)),
        ),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        ([universe, statement], position, mask) => {
          const replica = new Replica()
          for (const s of universe.statements.slice(0, 5))
            replica.receive({ statement: s.signed, ageMs: 0 }, 0)
          const before = stateOf(replica.set)
          const bytes = encodeSignedStatement(statement)
          const flipped = Uint8Array.from(bytes)
          const at = position % flipped.length
          flipped[at] = (flipped[at] as number) ^ mask
          assert.throws(
            () =>
              openStatement(decodeSignedStatement(flipped, DEFAULT_LIMITS), DEFAULT_LIMITS, DOMAIN),
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
          const owner = new LocalOwner(signer, 1n, DEFAULT_LIMITS, TTL_MS, DOMAIN)
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
          const first = new LocalOwner(signer, 1n, DEFAULT_LIMITS, TTL_MS, DOMAIN)
          const second = new LocalOwner(signer, 2n, DEFAULT_LIMITS, TTL_MS, DOMAIN)
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
        heardUniverseArbitrary,
        fc.array(fc.integer({ min: 0, max: 4 * TTL_MS }), { maxLength: 3 }),
        ({ heard }, sweeps) => {
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
      universes({ equivocatingHeartbeats: false }).chain((universe) =>
        fc.array(heardArbitrary(universe, 20), { minLength: 2, maxLength: 5 }),
      ),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 10 }),
      (starts, randomExchanges) => {
        const replicas = starts.map((heard: Heard[]) => setFrom(heard))
        const union = modelState(starts.flat())
        const at = (i: number) => replicas[i % replicas.length] as ServiceSet
        for (const [x, y] of randomExchanges) exchange(at(x), at(y))
        for (let i = 0; i + 1 < replicas.length; i++)
          for (const _ of [1, 2]) exchange(at(i), at(i + 1))
        for (let i = replicas.length - 2; i >= 0; i--)
          for (const _ of [1, 2]) exchange(at(i), at(i + 1))
        for (const r of replicas) {
          assert.deepEqual(canonicalContent(r.rawEntries()), canonicalContent(union.values()))
          assert.deepEqual(keysOf(r.instances()), liveKeys(union))
        }
      },
    ),
    { numRuns: RUNS },
  )
}

function keysOf(instances: readonly { key: string }[]): string[] {
  return instances.map((i) => i.key).sort()
}

/**
 * Sweeps a replica that heard `heard` at the given times (in order) and checks every statement
 * against the model's lifetimes, and each sweep's expired changes against what vanished.
 */
function assertExpiry(
  universe: Universe,
  heard: readonly Heard[],
  sweeps: readonly number[],
): void {
  const set = setFrom(heard, { ownerRetentionMs: OWNER_RETENTION_MS })
  const bounds = lifetimes(heard, universe, OWNER_RETENTION_MS)
  const held = modelState(heard)
  let live = keysOf(set.instances())
  for (const now of sweeps.toSorted((x, y) => x - y)) {
    const expired = set.expire(now)
    const registers = new Set([...set.rawEntries()].map((e) => registerOf(e.statement)))
    for (const [register, { liveBefore, goneFrom }] of bounds) {
      const kind = held.get(register)?.statement.kind
      const what = `${kind} ${register.replaceAll('\n', '/')} at ${now} (live before ${liveBefore}, gone from ${goneFrom})`
      if (now < liveBefore) assert.ok(registers.has(register), `ran out early: ${what}`)
      if (now >= goneFrom) assert.ok(!registers.has(register), `lingered: ${what}`)
    }
    const after = keysOf(set.instances())
    assert.deepEqual(
      keysOf(expired.map((c) => c.instance)),
      live.filter((k) => !after.includes(k)),
      'a sweep reports as expired exactly the registrations it removed',
    )
    assert.ok(
      expired.every((c) => c.type === 'expired'),
      'a sweep reports only expiries',
    )
    live = after
  }
}

/** The live registrations of a model state, by key. */
function liveRegistrations(state: ModelState): Map<string, RegistrationStatement> {
  const out = new Map<string, RegistrationStatement>()
  for (const { statement } of state.values())
    if (statement.kind === 'registration') out.set(statement.key, statement)
  return out
}

/** True when a replica that heard `heard` holds something newer than `s` in its register (or a higher incarnation). */
function isOlder(s: Statement, heard: readonly Heard[]): boolean {
  const floor = floorsOf(heard).get(s.owner)
  if (floor !== undefined && s.version.incarnation < floor) return true
  const current = modelState(heard).get(registerOf(s))?.statement
  return (
    current !== undefined &&
    (s.version.incarnation < current.version.incarnation ||
      (s.version.incarnation === current.version.incarnation &&
        s.version.counter < current.version.counter))
  )
}
