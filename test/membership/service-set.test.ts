import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ServiceSet } from '../../src/membership/service-set.ts'
import type { RegistrationStatement } from '../../src/membership/statement.ts'
import { heartbeatFor, registration, signerFor, tombstone } from '../fixtures/statements.ts'

const alice = signerFor('alice')
const bob = signerFor('bob')
const at = (incarnation: number, counter: number) => ({
  incarnation: BigInt(incarnation),
  counter: BigInt(counter),
})

describe('service set', () => {
  test('create, update and delete produce typed changes', () => {
    const set = new ServiceSet()
    const created = set.apply(registration(alice, at(1, 1), { id: 'a' }), 0)
    assert.equal(created.outcome, 'accepted')
    assert.deepEqual(
      created.changes.map((c) => c.type),
      ['created'],
    )
    const updated = set.apply(registration(alice, at(1, 2), { id: 'a', addresses: ['h:2'] }), 0)
    assert.deepEqual(
      updated.changes.map((c) => c.type),
      ['updated'],
    )
    const change = updated.changes[0]
    assert.ok(change?.type === 'updated')
    assert.deepEqual(change.previous.addresses, ['127.0.0.1:8080'])
    assert.deepEqual(change.instance.addresses, ['h:2'])
    const deleted = set.apply(tombstone(alice, at(1, 3), 'a'), 0)
    assert.deepEqual(
      deleted.changes.map((c) => c.type),
      ['deleted'],
    )
    assert.equal(set.instances().length, 0)
    assert.equal(set.size, 1, 'the tombstone is kept')
  })

  test('an older version is stale, the same version a duplicate, and neither changes state', () => {
    const set = new ServiceSet()
    const v2 = registration(alice, at(1, 2), { id: 'a', addresses: ['h:2'] })
    set.apply(v2, 10)
    assert.equal(set.apply(registration(alice, at(1, 1), { id: 'a' }), 50).outcome, 'stale')
    assert.equal(set.apply(v2, 5).outcome, 'duplicate')
    assert.equal(set.apply(v2, 20).outcome, 'refreshed')
    assert.equal(set.get(v2.key)?.refreshedAt, 20)
    assert.deepEqual(set.instances()[0]?.addresses, ['h:2'])
  })

  test('a tombstone beats an older registration that arrives after it', () => {
    const set = new ServiceSet()
    set.apply(tombstone(alice, at(1, 2), 'a'), 0)
    assert.equal(set.apply(registration(alice, at(1, 1), { id: 'a' }), 0).outcome, 'stale')
    assert.equal(set.instances().length, 0)
  })

  test('a new incarnation drops every statement of the old one', () => {
    const set = new ServiceSet()
    set.apply(registration(alice, at(1, 1), { id: 'old' }), 0)
    set.apply(registration(alice, at(1, 2), { id: 'kept-id' }), 0)
    const restart = set.apply(
      registration(alice, at(2, 1), { id: 'kept-id', addresses: ['new:1'] }),
      0,
    )
    assert.deepEqual(restart.changes.map((c) => c.type).sort(), ['created', 'deleted', 'deleted'])
    assert.deepEqual(
      set.instances().map((i) => i.addresses[0]),
      ['new:1'],
    )
    assert.equal(set.apply(registration(alice, at(1, 9), { id: 'late' }), 0).outcome, 'stale')
  })

  test('registrations expire on the receiver clock after their TTL without refresh', () => {
    const set = new ServiceSet()
    set.apply(registration(alice, at(1, 1), { id: 'a', ttlMs: 5000 }), 1000)
    assert.equal(set.expire(5999).length, 0)
    const expired = set.expire(6000)
    assert.deepEqual(
      expired.map((c) => c.type),
      ['expired'],
    )
    assert.equal(set.instances().length, 0)
  })

  test('a heartbeat that matches the held view refreshes every registration of its owner', () => {
    const set = new ServiceSet()
    for (let i = 1; i <= 3; i++)
      set.apply(registration(alice, at(1, i), { id: `i${i}`, ttlMs: 5000 }), 0)
    set.apply(heartbeatFor(alice, at(1, 4), set), 4000)
    assert.ok(set.inSyncWith(alice.ownerId))
    assert.equal(set.expire(8999).length, 0)
    assert.equal(set.expire(9000).length, 3)
  })

  test('a heartbeat that does not match refreshes nothing: records nobody vouches for run out', () => {
    const owner = new ServiceSet()
    owner.apply(registration(alice, at(1, 1), { id: 'a' }), 0)
    owner.apply(tombstone(alice, at(1, 2), 'a'), 0)
    owner.apply(registration(alice, at(1, 3), { id: 'b' }), 0)
    const heartbeat = heartbeatFor(alice, at(1, 4), owner)

    const behind = new ServiceSet()
    behind.apply(registration(alice, at(1, 1), { id: 'a', ttlMs: 5000 }), 0)
    behind.apply(heartbeat, 4000)
    assert.equal(behind.inSyncWith(alice.ownerId), false)
    assert.deepEqual(
      behind.expire(5000).map((c) => c.instance.id),
      ['a'],
    )
  })

  test('a missed update does not expire the owner’s other records: the last vouching heartbeat covers them a full TTL', () => {
    const owner = new ServiceSet()
    const receiver = new ServiceSet()
    const old = registration(alice, at(1, 1), { id: 'old', ttlMs: 5000 })
    for (const set of [owner, receiver]) set.apply(old, 0)
    receiver.apply(heartbeatFor(alice, at(1, 2), owner), 20_000)
    // The owner registers a new instance; the receiver misses that frame but gets the next heartbeat.
    owner.apply(registration(alice, at(1, 3), { id: 'new', ttlMs: 5000 }), 20_100)
    receiver.apply(heartbeatFor(alice, at(1, 4), owner), 20_500)
    assert.equal(receiver.inSyncWith(alice.ownerId), false)
    assert.deepEqual(
      receiver.expire(24_999),
      [],
      'still covered by the heartbeat that vouched at 20,000',
    )
    assert.deepEqual(
      receiver.expire(25_000).map((c) => c.instance.id),
      ['old'],
    )
  })

  test('a heartbeat’s lease keeps what it vouches for alive beyond the TTL, and nothing newer', () => {
    const set = new ServiceSet()
    for (let i = 1; i <= 2; i++)
      set.apply(registration(alice, at(1, i), { id: `i${i}`, ttlMs: 5000 }), 0)
    set.apply(heartbeatFor(alice, at(1, 3), set, 20_000), 1000)
    set.apply(registration(alice, at(1, 4), { id: 'newer', ttlMs: 5000 }), 1000)
    assert.deepEqual(
      set.expire(6000).map((c) => c.instance.id),
      ['newer'],
      'a registration after the heartbeat has only its TTL',
    )
    assert.deepEqual(set.expire(20_999), [])
    assert.deepEqual(
      set.expire(21_000).map((c) => c.instance.id),
      ['i1', 'i2'],
    )
  })

  test('live owners are those heard within the window, or within their heartbeat’s lease', () => {
    const set = new ServiceSet()
    set.apply(heartbeatFor(alice, at(1, 1), set), 0)
    set.apply(heartbeatFor(bob, at(1, 1), set, 30_000), 0)
    assert.deepEqual(set.liveOwners(3000, 3000), [alice.ownerId, bob.ownerId])
    assert.deepEqual(set.liveOwners(3001, 3000), [bob.ownerId])
    assert.deepEqual(set.liveOwners(30_001, 3000), [])
  })

  test('tombstones are collected after outliving twice the TTL of what they delete', () => {
    const set = new ServiceSet()
    set.apply(tombstone(alice, at(1, 2), 'a', 'svc', 2000), 100)
    set.expire(100 + 2 * 2000 - 1)
    assert.equal(set.size, 1)
    set.expire(100 + 2 * 2000)
    assert.equal(set.size, 0)
    assert.deepEqual(set.owners(), [])
  })

  test("tombstones outlive twice the lease of their owner's newest heartbeat when it is longer", () => {
    const set = new ServiceSet()
    set.apply(heartbeatFor(alice, at(1, 3), set, 20_000), 0)
    set.apply(tombstone(alice, at(1, 2), 'a', 'svc', 2000), 100)
    set.expire(100 + 2 * 20_000 - 1)
    assert.equal(set.size, 1)
    set.expire(100 + 2 * 20_000)
    assert.equal(set.size, 0)
  })

  test('lookup by service and the service name index follow changes', () => {
    const set = new ServiceSet()
    set.apply(registration(alice, at(1, 1), { id: 'a', service: 'web' }), 0)
    set.apply(registration(bob, at(1, 1), { id: 'b', service: 'web' }), 0)
    set.apply(registration(bob, at(1, 2), { id: 'c', service: 'db' }), 0)
    assert.equal(set.instances('web').length, 2)
    assert.deepEqual(set.serviceNames().sort(), ['db', 'web'])
    set.apply(tombstone(bob, at(1, 3), 'c', 'db'), 0)
    assert.deepEqual(set.serviceNames(), ['web'])
    assert.deepEqual(set.instances('nothing'), [])
  })

  test('delta sends exactly the owners whose summaries differ', () => {
    const a = new ServiceSet()
    const b = new ServiceSet()
    const shared = registration(alice, at(1, 1), { id: 'a' })
    a.apply(shared, 0)
    b.apply(shared, 0)
    const onlyA = registration(bob, at(1, 1), { id: 'b' })
    a.apply(onlyA, 0)
    assert.deepEqual(
      a.delta(b.digest()).map((e) => e.statement),
      [onlyA],
    )
    assert.deepEqual(b.delta(a.digest()), [])
  })

  test('delta sends a replica that is behind only what is newer than its highest counter', () => {
    const [r1, r2, r3] = [1, 2, 3].map((n) => registration(alice, at(1, n), { id: `i${n}` }))
    const full = new ServiceSet()
    for (const r of [r1, r2, r3]) full.apply(r as RegistrationStatement, 0)
    const behind = new ServiceSet()
    behind.apply(r1 as RegistrationStatement, 0)
    assert.deepEqual(
      full.delta(behind.digest()).map((e) => e.statement),
      [r2, r3],
    )
    const withGap = new ServiceSet()
    withGap.apply(r1 as RegistrationStatement, 0)
    withGap.apply(r3 as RegistrationStatement, 0)
    assert.deepEqual(
      full.delta(withGap.digest()).map((e) => e.statement),
      [r1, r2, r3],
    )
    for (const e of full.delta(withGap.digest())) withGap.apply(e.statement, e.refreshedAt)
    assert.deepEqual(full.delta(withGap.digest()), [])
  })

  test('differences lists only the owners summarised differently, and the ones lacked', () => {
    const a = new ServiceSet()
    const b = new ServiceSet()
    const carol = signerFor('carol')
    const same = registration(alice, at(1, 1), { id: 'a' })
    a.apply(same, 0)
    b.apply(same, 0)
    a.apply(registration(bob, at(1, 1), { id: 'b' }), 0)
    const bobUpdate = registration(bob, at(1, 2), { id: 'b' })
    b.apply(bobUpdate, 0)
    const onlyB = registration(carol, at(1, 1), { id: 'c' })
    b.apply(onlyB, 0)
    const answer = a.differences(b.digest())
    assert.equal(answer.partial, true)
    assert.deepEqual(
      answer.owners.map((o) => [o.ownerId, o.incarnation]),
      [
        [bob.ownerId, 1n],
        [carol.ownerId, 0n],
      ],
    )
    // b's delta for that answer: bob's newer update and all of carol, nothing of alice.
    assert.deepEqual(
      b.delta(answer).map((e) => e.statement),
      [bobUpdate, onlyB],
    )
  })

  test('a partial digest asks only about the owners it lists', () => {
    const a = new ServiceSet()
    a.apply(registration(alice, at(1, 1), { id: 'a' }), 0)
    const bobs = registration(bob, at(1, 1), { id: 'b' })
    a.apply(bobs, 0)
    const empty = new ServiceSet()
    assert.deepEqual(a.delta({ owners: [], partial: true }), [])
    assert.equal(a.delta(empty.digest()).length, 2)
    assert.deepEqual(a.differences(a.digest()).owners, [])
    const lacksBob = empty.differences({
      owners: a.digest().owners.filter((o) => o.ownerId === bob.ownerId),
      partial: true,
    })
    assert.deepEqual(
      a.delta(lacksBob).map((e) => e.statement),
      [bobs],
    )
  })

  test('replicas holding the same statements agree on every bucket; one change shows in its bucket', () => {
    const a = new ServiceSet()
    const b = new ServiceSet()
    const statements = [
      registration(alice, at(1, 1), { id: 'a' }),
      registration(bob, at(1, 1), { id: 'b' }),
      heartbeatFor(bob, at(1, 2), b),
    ]
    for (const s of statements) a.apply(s, 0)
    for (const s of statements.toReversed()) b.apply(s, 5)
    assert.deepEqual(a.bucketDigest(), b.bucketDigest())
    assert.deepEqual(b.bucketAnswer(a.bucketDigest()), { owners: [], partial: true })
    const update = registration(alice, at(1, 2), { id: 'a' })
    a.apply(update, 0)
    const answer = b.bucketAnswer(a.bucketDigest())
    assert.ok(answer.covered !== undefined)
    assert.ok(answer.owners.some((o) => o.ownerId === alice.ownerId))
    assert.deepEqual(
      a.delta(answer).map((e) => e.statement),
      [update],
    )
  })

  test('an owner of a covered bucket that the answer does not list is sent whole', () => {
    const holder = new ServiceSet()
    const reg = registration(alice, at(1, 1), { id: 'a' })
    holder.apply(reg, 0)
    const empty = new ServiceSet()
    const answer = empty.bucketAnswer(holder.bucketDigest())
    assert.deepEqual(answer.owners, [], 'the empty replica holds nobody to list')
    assert.ok(answer.covered !== undefined)
    assert.deepEqual(
      holder.delta(answer).map((e) => e.statement),
      [reg],
    )
    const uncovered = {
      ...answer,
      covered: {
        bits: answer.covered.bits,
        bitmap: new Uint8Array(answer.covered.bitmap.byteLength),
      },
    }
    assert.deepEqual(holder.delta(uncovered), [], 'outside the covered buckets nothing is sent')
  })

  test('the service index built at the first lookup matches one kept all along', () => {
    const early = new ServiceSet()
    const late = new ServiceSet()
    early.instances('svc')
    const statements = [
      registration(alice, at(1, 1), { id: 'a' }),
      registration(bob, at(1, 1), { id: 'b', service: 'other' }),
      tombstone(alice, at(1, 2), 'a', 'svc'),
      registration(alice, at(1, 3), { id: 'c' }),
    ]
    for (const s of statements) {
      early.apply(s, 0)
      late.apply(s, 0)
    }
    assert.deepEqual(late.serviceNames().sort(), early.serviceNames().sort())
    for (const service of ['svc', 'other'])
      assert.deepEqual(late.instances(service), early.instances(service))
    late.apply(tombstone(bob, at(1, 2), 'b', 'other'), 0)
    assert.deepEqual(late.instances('other'), [])
    assert.deepEqual(late.serviceNames(), ['svc'])
  })

  test('a sweep skipped as nothing was due still finds what a later statement makes due', () => {
    const set = new ServiceSet()
    const a = registration(alice, at(1, 1), { id: 'a' })
    set.apply(a, 0)
    assert.deepEqual(set.expire(10), [])
    // Bob's record arrives already old: it is due before anything the last sweep saw.
    const b = registration(bob, at(1, 1), { id: 'b' })
    set.apply(b, 20 - b.instance.ttlMs)
    assert.deepEqual(
      set.expire(20).map((c) => [c.type, c.instance.key]),
      [['expired', b.key]],
    )
    // So does another record of an owner whose next due was cached later.
    const c = registration(alice, at(1, 2), { id: 'c' })
    set.apply(c, 30 - c.instance.ttlMs)
    assert.deepEqual(
      set.expire(30).map((change) => change.instance.key),
      [c.key],
    )
    assert.deepEqual(set.expire(a.instance.ttlMs - 1), [])
    assert.deepEqual(
      set.expire(a.instance.ttlMs).map((c) => c.instance.key),
      [a.key],
    )
  })

  test('the heartbeat owner state is forgotten after the retention time', () => {
    const set = new ServiceSet({ ownerRetentionMs: 1000 })
    set.apply(heartbeatFor(alice, at(1, 1), set), 0)
    assert.deepEqual(set.liveOwners(0, 1000), [alice.ownerId])
    set.expire(999)
    assert.deepEqual(set.owners(), [alice.ownerId])
    set.expire(1000)
    assert.deepEqual(set.owners(), [])
  })
})
