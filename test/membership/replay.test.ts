/**
 * Replays and lying relays at the receive path: ages come from relays, so a relay must not be
 * able to keep a record alive, bring a dead one back, or revive a deleted instance.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { OutOfRangeError } from '../../src/membership/errors.ts'
import { DEFAULT_LIMITS } from '../../src/membership/limits.ts'
import { Replica } from '../../src/membership/replica.ts'
import { ServiceSet } from '../../src/membership/service-set.ts'
import { SCHEMA_VERSION, signStatement } from '../../src/membership/statement.ts'
import * as wire from '../../src/membership/wire.ts'
import { DOMAIN, heartbeatFor, registration, signerFor, tombstone } from '../fixtures/statements.ts'

const alice = signerFor('alice')
const at = (counter: number) => ({ incarnation: 1n, counter: BigInt(counter) })
const TTL = 5000

/** Alice's registration (counter 1) and the heartbeat (counter 2) that vouches for it. */
function vouchedRegistration() {
  const owner = new ServiceSet()
  const r = registration(alice, at(1), { id: 'a', ttlMs: TTL })
  owner.apply(r, 0)
  return { r, hb: heartbeatFor(alice, at(2), owner) }
}

describe('relays cannot extend lifetimes', () => {
  test('a held registration resent later with a small age is no refresh: it expires a TTL after it was first received', () => {
    const replica = new Replica()
    const r = registration(alice, at(1), { id: 'a', ttlMs: TTL })
    assert.equal(replica.receive({ statement: r.signed, ageMs: 0 }, 0).outcome, 'accepted')
    assert.equal(replica.receive({ statement: r.signed, ageMs: 0 }, 4000).outcome, 'duplicate')
    assert.equal(replica.expire(TTL).length, 1)
    assert.deepEqual(replica.set.instances(), [])
  })

  test('a held heartbeat resent with a small age does not keep its owner live or its instances alive', () => {
    const { r, hb } = vouchedRegistration()
    const replica = new Replica()
    replica.receive({ statement: r.signed, ageMs: 0 }, 0)
    replica.receive({ statement: hb.signed, ageMs: 0 }, 0)
    for (let t = 1000; t < 20_000; t += 1000) {
      replica.receive({ statement: hb.signed, ageMs: 0 }, t)
      replica.receive({ statement: r.signed, ageMs: 0 }, t)
    }
    assert.deepEqual(replica.set.liveOwners(20_000, TTL), [])
    replica.expire(20_000)
    assert.deepEqual(replica.set.instances(), [])
  })

  test('a copy that arrived first with too large an age is corrected by a later honest copy, up to its first receipt', () => {
    const { hb } = vouchedRegistration()
    const replica = new Replica()
    replica.receive({ statement: hb.signed, ageMs: TTL - 1 }, 10_000)
    assert.equal(replica.receive({ statement: hb.signed, ageMs: 20 }, 10_050).outcome, 'refreshed')
    assert.deepEqual(replica.set.liveOwners(10_050 + TTL - 100, TTL), [alice.ownerId])
    assert.equal(replica.set.ownerEntries(alice.ownerId)[0]?.refreshedAt, 10_000)
  })

  test("a crashed owner's registration resent after it expired, with a small age, stays dead", () => {
    const { r, hb } = vouchedRegistration()
    const replica = new Replica()
    replica.receive({ statement: r.signed, ageMs: 0 }, 0)
    replica.receive({ statement: hb.signed, ageMs: 0 }, 0)
    assert.equal(replica.expire(TTL).length, 1)
    const replayed = replica.receive({ statement: r.signed, ageMs: 0 }, 30_000)
    assert.equal(replayed.outcome, 'expired-on-arrival')
    assert.deepEqual(replica.set.instances(), [])
  })

  test('a deregistered instance replayed after its tombstone was dropped is rejected as a replay while its owner runs', () => {
    const owner = new Replica()
    const r = registration(alice, at(1), { id: 'a', ttlMs: TTL })
    const t = tombstone(alice, at(3), 'a', 'svc', TTL)
    const replica = new Replica()
    let counter = 3
    const beat = (now: number) => {
      counter++
      const hb = heartbeatFor(alice, at(counter), owner.set)
      owner.applyVerified(hb, 0, now)
      return replica.receive({ statement: hb.signed, ageMs: 0 }, now)
    }
    owner.applyVerified(r, 0, 0)
    replica.receive({ statement: r.signed, ageMs: 0 }, 0)
    owner.applyVerified(t, 0, 500)
    replica.receive({ statement: t.signed, ageMs: 0 }, 500)
    for (let now = 1000; now <= 3 * TTL; now += 1000) {
      beat(now)
      replica.expire(now)
    }
    assert.equal(replica.set.get(r.key), undefined, 'the tombstone ran out its retention')
    const replayed = replica.receive({ statement: r.signed, ageMs: 0 }, 3 * TTL + 10)
    assert.equal(replayed.outcome, 'rejected')
    assert.equal(replayed.error?.code, 'ERR_REPLAYED')
    assert.equal(replica.stats.rejected.ERR_REPLAYED, 1)
    assert.deepEqual(replica.set.instances(), [])
  })

  test('a registration the held heartbeat vouches for but this replica lacks is still taken (a late joiner pulling)', () => {
    const { r, hb } = vouchedRegistration()
    const replica = new Replica()
    replica.receive({ statement: hb.signed, ageMs: 0 }, 1000)
    assert.equal(replica.receive({ statement: r.signed, ageMs: 0 }, 1200).outcome, 'accepted')
    assert.ok(replica.set.inSyncWith(alice.ownerId))
  })
})

describe('bounded numbers', () => {
  test('a createdAt past 2^43 ms (not a wall-clock time) is rejected by name', () => {
    const content = {
      registration: { service: 'svc', id: 'a', addresses: [], createdAt: 2 ** 43 + 1, ttlMs: TTL },
    }
    assert.throws(
      () => signStatement(alice, at(1), content, DEFAULT_LIMITS, DOMAIN),
      OutOfRangeError,
    )
    const body = wire.StatementBody.encode({
      schema: SCHEMA_VERSION,
      owner: alice.publicKey,
      incarnation: 1n,
      counter: 1n,
      registration: {
        service: 'svc',
        serviceVersion: '',
        instanceId: 'a',
        addresses: [],
        metadata: new Map(),
        endpoints: [],
        createdAt: 2n ** 43n + 1n,
        leaderTerm: 0n,
        ttlMs: TTL,
      },
    })
    const signed = { owner: alice.publicKey, body, signature: alice.sign(body, DOMAIN) }
    const replica = new Replica()
    const result = replica.receive({ statement: signed, ageMs: 0 }, 0)
    assert.equal(result.error?.code, 'ERR_OUT_OF_RANGE')
    assert.equal(replica.stats.rejected.ERR_OUT_OF_RANGE, 1)
  })
})
