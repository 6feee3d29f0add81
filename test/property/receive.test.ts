/**
 * Properties of the receive path (a replica taking gossip: a signed statement and its age), each
 * stated from the tests' own model (model.ts) or arithmetic written here:
 * - gossip age: a statement heard with age a at receiver time t was refreshed at t − a, and one
 *   older than its lifetime is dropped on arrival;
 * - relays with clock skew and transit delay: a record expires at every hop when its true age
 *   (plus the transit time ages cannot see) reaches its TTL, whatever the hops' clock offsets;
 * - the heartbeat lease: a heartbeat vouching for its owner's registrations keeps them until
 *   max(TTL, lease) after it, to the millisecond;
 * - owner and signer: only the key that signed a statement may be its owner;
 * - tombstone retention: nothing deleted comes back, at any lease the mesh signs.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { type ReceiveResult, Replica } from '../../src/membership/replica.ts'
import { ServiceSet } from '../../src/membership/service-set.ts'
import * as wire from '../../src/membership/wire.ts'
import {
  heartbeatFor,
  registration,
  signedBody,
  signerFor,
  tombstone,
} from '../fixtures/statements.ts'
import {
  generatedSigner,
  type Heard,
  heardUniverseArbitrary,
  LEASES,
  ownerPool,
  TTLS,
  universeArbitrary,
} from './histories.ts'
import { type ArrivalOutcome, canonical, ReceiveModel } from './model.ts'
import { runs } from './runs.ts'

const RUNS = runs(300)

/** The receive path's outcome in the model's terms. */
function arrivalOutcomeOf(result: ReceiveResult): ArrivalOutcome {
  if (result.outcome === 'expired-on-arrival') return result.outcome
  if (result.outcome !== 'rejected') return 'taken'
  if (result.error?.code === 'ERR_REPLAYED') return 'replayed'
  assert.equal(result.error?.code, 'ERR_STALE_VERSION')
  return 'stale'
}
/** ServiceSet's default owner retention (10 min): how long a heartbeat is remembered. */
const OWNER_RETENTION_MS = 600_000

describe('gossip age', () => {
  test('a statement heard with age a at t counts as refreshed at t − a, within what the receive path allows; one older than its lifetime is dropped', () => {
    fc.assert(
      fc.property(
        heardUniverseArbitrary.chain(({ universe, heard }) =>
          fc.tuple(
            fc.constant(universe),
            fc.constant(heard),
            fc.array(fc.integer({ min: 0, max: 25_000 }), {
              minLength: heard.length,
              maxLength: heard.length,
            }),
            fc.integer({ min: -1_000_000, max: 1_000_000 }),
          ),
        ),
        ([universe, heard, ages, offset]) => {
          const replica = new Replica()
          const model = new ReceiveModel(universe, OWNER_RETENTION_MS)
          heard.forEach(({ statement, refreshedAt }, i) => {
            const ageMs = ages[i] as number
            // The receiver's clock runs `offset` from the one the refresh times were drawn on.
            const now = offset + refreshedAt + ageMs
            const expected = model.receive(statement, ageMs, now)
            const result = replica.receive({ statement: statement.signed, ageMs }, now)
            assert.equal(arrivalOutcomeOf(result), expected, `arrival ${i}, age ${ageMs}`)
          })
          assert.deepEqual(canonical(replica.set.rawEntries()), canonical(model.state.values()))
        },
      ),
      { numRuns: RUNS },
    )
  })

  test('relayed over hops with skewed clocks and transit delays, a record expires when its age says', () => {
    const signer = signerFor('relayed')
    fc.assert(
      fc.property(
        fc.constantFrom(...TTLS),
        fc.array(
          fc.record({
            offset: fc.integer({ min: -3_600_000, max: 3_600_000 }),
            transit: fc.integer({ min: 0, max: 400 }),
            hold: fc.integer({ min: 0, max: 2_500 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (ttlMs, hops) => {
          const reg = registration(signer, { incarnation: 1n, counter: 1n }, { id: 'r', ttlMs })
          // Global time: the owner refreshes at 0 and sends at once (age 0).
          let gossip: wire.Gossip = { statement: reg.signed, ageMs: 0 }
          let sentAt = 0
          let transits = 0
          for (const hop of hops) {
            const arrival = sentAt + hop.transit
            transits += hop.transit
            const local = (t: number) => t + hop.offset
            const replica = new Replica()
            assert.equal(replica.receive(gossip, local(arrival)).outcome, 'accepted')
            // Due on the global clock: the TTL after the refresh, plus the transits ages miss.
            const due = transits + ttlMs
            assert.deepEqual(replica.expire(local(due - 1)), [], 'held until its due')
            const entry = replica.set.get(reg.key)
            assert.ok(entry !== undefined)
            assert.equal(replica.expire(local(due)).length, 1, 'expired at its due')
            // A replica forwards what it still holds, with its age on the replica's clock.
            const forwardAt = arrival + hop.hold
            if (forwardAt >= due) return
            gossip = {
              statement: entry.statement.signed,
              ageMs: local(forwardAt) - entry.refreshedAt,
            }
            sentAt = forwardAt
          }
        },
      ),
      { numRuns: RUNS },
    )
  })
})

describe('heartbeat lease', () => {
  test('registrations a heartbeat vouches for live max(TTL, lease) from it, not a millisecond more or less', () => {
    const signer = signerFor('leaseholder')
    fc.assert(
      fc.property(
        fc.constantFrom(...TTLS),
        fc.constantFrom(...LEASES, 1_000, 3_000),
        fc.array(fc.integer({ min: 0, max: 2_000 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 4_000 }),
        fc.nat(),
        (ttlMs, leaseMs, regTimes, hbDelay, order) => {
          const own = new ServiceSet()
          const regs = regTimes.map((_, i) =>
            registration(
              signer,
              { incarnation: 1n, counter: BigInt(i + 1) },
              {
                id: `i${i}`,
                ttlMs,
              },
            ),
          )
          for (const r of regs) own.apply(r, 0)
          const hb = heartbeatFor(
            signer,
            { incarnation: 1n, counter: BigInt(regs.length + 1) },
            own,
            leaseMs,
          )
          const hbAt = Math.max(...regTimes) + hbDelay
          const deliveries: Heard[] = [
            ...regs.map((statement, i) => ({ statement, refreshedAt: regTimes[i] as number })),
            { statement: hb, refreshedAt: hbAt },
          ]
          // Any arrival order: the heartbeat may come before what it vouches for.
          const k = order % deliveries.length
          const set = new ServiceSet()
          for (const d of [...deliveries.slice(k), ...deliveries.slice(0, k)])
            set.apply(d.statement, d.refreshedAt)
          const dues = regTimes.map((t) => Math.max(t + ttlMs, hbAt + Math.max(ttlMs, leaseMs)))
          for (const at of [...new Set(dues.flatMap((d) => [d - 1, d]))].sort((a, b) => a - b)) {
            set.expire(at)
            const live = new Set(set.instances().map((i) => i.key))
            regs.forEach((r, i) => {
              assert.equal(live.has(r.key), at < (dues[i] as number), `${r.key} at ${at}`)
            })
          }
        },
      ),
      { numRuns: RUNS },
    )
  })
})

describe('owner and signer', () => {
  test('a statement is accepted only from the key that signed it, and counted by name when not', () => {
    fc.assert(
      fc.property(
        universeArbitrary.chain((u) => fc.constantFrom(...u.statements)),
        fc.constantFrom(...ownerPool()),
        (statement, other) => {
          const signer = generatedSigner(statement.owner)
          fc.pre(other.ownerId !== signer.ownerId)
          const replica = new Replica()
          // Another key in the envelope: the signature is not that key's.
          const envelope = { ...statement.signed, owner: other.publicKey }
          const a = replica.receive({ statement: envelope, ageMs: 0 }, 0)
          assert.equal(a.outcome, 'rejected')
          assert.equal(a.error?.code, 'ERR_BAD_SIGNATURE')
          // A body naming another owner, signed (validly) by this key.
          const body = wire.StatementBody.decode(statement.signed.body)
          const forged = signedBody(signer, { ...body, owner: other.publicKey })
          const b = replica.receive({ statement: forged, ageMs: 0 }, 0)
          assert.equal(b.outcome, 'rejected')
          assert.equal(b.error?.code, 'ERR_OWNER_MISMATCH')
          assert.deepEqual([...replica.set.rawEntries()], [])
          assert.equal(replica.stats.rejected.ERR_BAD_SIGNATURE, 1)
          assert.equal(replica.stats.rejected.ERR_OWNER_MISMATCH, 1)
          // The genuine statement is accepted and attributed to its signer.
          const c = replica.receive({ statement: statement.signed, ageMs: 0 }, 0)
          assert.equal(c.outcome, 'accepted')
          assert.equal(c.statement?.owner, signer.ownerId)
          assert.deepEqual(replica.set.owners(), [signer.ownerId])
        },
      ),
      { numRuns: RUNS },
    )
  })
})

describe('tombstone retention', () => {
  test('nothing deleted comes back: a replica that missed the delete cannot bring it back later', () => {
    const signer = signerFor('deleter')
    fc.assert(
      fc.property(
        fc.constantFrom(...TTLS),
        // The leases the mesh signs: none, or the TTL times a power of two (config.ts).
        fc.constantFrom(0, 2, 4, 8),
        // Transits (invisible to ages) below the shortest TTL, 1 s.
        fc.record({
          lagTransit: fc.integer({ min: 0, max: 1_000 }),
          deleteAfter: fc.integer({ min: 0, max: 3_000 }),
          tombTransit: fc.integer({ min: 0, max: 1_000 }),
          heartbeatAfter: fc.integer({ min: 0, max: 3_000 }),
        }),
        fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 6 }),
        (ttlMs, stretch, times, forwards) => {
          const leaseMs = ttlMs * stretch
          const v = (counter: bigint) => ({ incarnation: 1n, counter })
          const own = new ServiceSet()
          const reg = registration(signer, v(1n), { id: 'gone', ttlMs })
          own.apply(reg, 0)
          const before = heartbeatFor(signer, v(2n), own, leaseMs)
          const tomb = tombstone(signer, v(3n), 'gone', 'svc', ttlMs)
          own.apply(tomb, 0)
          const after = heartbeatFor(signer, v(4n), own, leaseMs)
          // The owner signs the vouching heartbeat at 0 and the delete `deleteAfter` later. The
          // lagging replica heard the registration and that heartbeat (`lagTransit` in flight,
          // perhaps landing after the delete), then lost touch; the other heard everything.
          const lagging = new Replica()
          lagging.applyVerified(reg, 0, 0)
          lagging.applyVerified(before, 0, times.lagTransit)
          const deletedAt = times.deleteAfter
          const other = new Replica()
          other.applyVerified(reg, 0, 0)
          other.applyVerified(before, 0, 0)
          other.applyVerified(tomb, 0, deletedAt + times.tombTransit)
          other.applyVerified(after, 0, deletedAt + times.tombTransit + times.heartbeatAfter)
          for (const at of forwards.toSorted((a, b) => a - b)) {
            const now = deletedAt + at
            lagging.expire(now)
            other.expire(now)
            for (const entry of lagging.set.entries()) {
              const age = now - entry.refreshedAt
              other.receive({ statement: entry.statement.signed, ageMs: age }, now)
            }
            assert.equal(
              other.set.instances().length,
              0,
              `the deleted instance came back at ${now} (TTL ${ttlMs}, lease ${leaseMs})`,
            )
          }
        },
      ),
      { numRuns: RUNS },
    )
  })
})
