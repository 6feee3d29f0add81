import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { listNeighbours } from '../../src/membership/attestation.ts'
import {
  InputTooLargeError,
  InvalidArgumentError,
  InvalidSignatureError,
  MalformedInputError,
  OwnerMismatchError,
  TtlOutOfBoundsError,
  UnknownSchemaError,
} from '../../src/membership/errors.ts'
import { DEFAULT_LIMITS, resolveLimits } from '../../src/membership/limits.ts'
import { LocalOwner } from '../../src/membership/owner.ts'
import { ServiceSet } from '../../src/membership/service-set.ts'
import {
  decodeSignedStatement,
  encodeSignedStatement,
  type HeartbeatStatement,
  openStatement,
  SCHEMA_VERSION,
  signStatement,
} from '../../src/membership/statement.ts'
import type { InstanceSpec } from '../../src/membership/types.ts'
import * as wire from '../../src/membership/wire.ts'
import {
  DOMAIN,
  goMicroSpec,
  heartbeatFor,
  registration,
  signerFor,
} from '../fixtures/statements.ts'

const alice = signerFor('alice')
const mallory = signerFor('mallory')
const v1 = { incarnation: 1n, counter: 1n }

function roundTrip(bytes: Uint8Array) {
  return openStatement(decodeSignedStatement(bytes, DEFAULT_LIMITS), DEFAULT_LIMITS, DOMAIN)
}

describe('statements', () => {
  test('a registration survives encode, verify and decode with every field', () => {
    const spec = goMicroSpec('node-1')
    const s = registration(alice, v1, spec, 1234)
    const opened = roundTrip(encodeSignedStatement(s))
    assert.equal(opened.kind, 'registration')
    if (opened.kind !== 'registration') return
    assert.equal(opened.owner, alice.ownerId)
    assert.deepEqual(opened.version, v1)
    assert.equal(opened.instance.service, spec.service)
    assert.equal(opened.instance.createdAt, 1234)
    assert.deepEqual(opened.instance.metadata, spec.metadata)
    assert.deepEqual(opened.instance.endpoints, spec.endpoints)
    assert.ok(opened.instance.key.startsWith(alice.ownerId))
  })

  test('the owner id is the libp2p peer ID of the key', () => {
    assert.match(alice.ownerId, /^12D3KooW/)
    assert.notEqual(alice.ownerId, mallory.ownerId)
  })

  test('a go-micro sized registration fits the default limits and stays under 8 KiB', () => {
    const bytes = encodeSignedStatement(registration(alice, v1, goMicroSpec('big')))
    assert.ok(bytes.byteLength < 8 * 1024, `${bytes.byteLength} bytes`)
  })

  test('a signature by another key is rejected as a bad signature', () => {
    const s = registration(alice, v1, { id: 'a' })
    const forged: wire.SignedStatement = {
      ...s.signed,
      signature: mallory.sign(s.signed.body, DOMAIN),
    }
    assert.throws(() => openStatement(forged, DEFAULT_LIMITS, DOMAIN), InvalidSignatureError)
  })

  test('a body naming another owner than its signer is an owner mismatch', () => {
    const s = registration(alice, v1, { id: 'a' })
    const body = wire.StatementBody.decode(s.signed.body)
    const spliced = wire.StatementBody.encode({ ...body, owner: mallory.publicKey })
    const signed = { owner: alice.publicKey, body: spliced, signature: alice.sign(spliced, DOMAIN) }
    assert.throws(() => openStatement(signed, DEFAULT_LIMITS, DOMAIN), OwnerMismatchError)
  })

  test('an unknown schema version is rejected by name', () => {
    const body = wire.StatementBody.encode({
      schema: 99,
      owner: alice.publicKey,
      incarnation: 1n,
      counter: 1n,
      tombstone: { service: 's', instanceId: 'i', ttlMs: 5000 },
    })
    const signed = { owner: alice.publicKey, body, signature: alice.sign(body, DOMAIN) }
    assert.throws(() => openStatement(signed, DEFAULT_LIMITS, DOMAIN), UnknownSchemaError)
  })

  test('a body with no kind, or two kinds, is malformed', () => {
    for (const extra of [
      {},
      {
        tombstone: { service: 's', instanceId: 'i', ttlMs: 5000 },
        heartbeat: {
          ownerDigest: new Uint8Array(16),
          statementCount: 0,
          leaseMs: 0,
          neighbours: new Uint8Array(0),
        },
      },
    ]) {
      const body = wire.StatementBody.encode({
        schema: SCHEMA_VERSION,
        owner: alice.publicKey,
        incarnation: 1n,
        counter: 1n,
        ...extra,
      })
      assert.throws(
        () =>
          openStatement(
            { owner: alice.publicKey, body, signature: alice.sign(body, DOMAIN) },
            DEFAULT_LIMITS,
            DOMAIN,
          ),
        MalformedInputError,
      )
    }
  })

  test('a heartbeat carries its neighbour list; a hostile list fails by name', () => {
    const neighbours = listNeighbours(alice.publicKey, [
      mallory.publicKey,
      signerFor('bob').publicKey,
    ])
    const signed = signStatement(
      alice,
      v1,
      { heartbeat: { ownerDigest: new Uint8Array(16), count: 0, leaseMs: 0, neighbours } },
      DEFAULT_LIMITS,
      DOMAIN,
    )
    const opened = roundTrip(encodeSignedStatement(signed)) as HeartbeatStatement
    assert.deepEqual(opened.neighbours, neighbours)
    const open = (list: Uint8Array) => {
      const body = wire.StatementBody.encode({
        schema: SCHEMA_VERSION,
        owner: alice.publicKey,
        incarnation: 1n,
        counter: 1n,
        heartbeat: {
          ownerDigest: new Uint8Array(16),
          statementCount: 0,
          leaseMs: 0,
          neighbours: list,
        },
      })
      return openStatement(
        { owner: alice.publicKey, body, signature: alice.sign(body, DOMAIN) },
        DEFAULT_LIMITS,
        DOMAIN,
      )
    }
    assert.throws(() => open(new Uint8Array(9)), MalformedInputError)
    assert.throws(
      () => open(Uint8Array.from({ length: 33 * 8 }, (_, i) => (i % 8 === 7 ? i >> 3 : 0))),
      InputTooLargeError,
    )
    assert.throws(() => open(new Uint8Array(16)), MalformedInputError, 'a repeated identifier')
  })

  test('garbage bytes are malformed, oversized bytes too large', () => {
    assert.throws(
      () => decodeSignedStatement(Uint8Array.from([0xff, 0xff, 0xff]), DEFAULT_LIMITS),
      MalformedInputError,
    )
    assert.throws(
      () =>
        decodeSignedStatement(new Uint8Array(DEFAULT_LIMITS.maxStatementBytes + 1), DEFAULT_LIMITS),
      InputTooLargeError,
    )
  })

  test('a TTL outside the bounds is rejected, both at signing and on receipt', () => {
    assert.throws(() => registration(alice, v1, { id: 'a', ttlMs: 10 }), TtlOutOfBoundsError)
    const tight = resolveLimits({ maxTtlMs: 2000 })
    const s = registration(alice, v1, { id: 'a', ttlMs: 5000 })
    assert.throws(() => openStatement(s.signed, tight, DOMAIN), TtlOutOfBoundsError)
  })

  test('a heartbeat lease round-trips, and one beyond the TTL bounds is rejected on receipt', () => {
    const set = new ServiceSet()
    const h = heartbeatFor(alice, v1, set, 60_000)
    assert.equal(
      (openStatement(h.signed, DEFAULT_LIMITS, DOMAIN) as HeartbeatStatement).leaseMs,
      60_000,
    )
    assert.equal(
      (
        openStatement(
          heartbeatFor(alice, v1, set).signed,
          DEFAULT_LIMITS,
          DOMAIN,
        ) as HeartbeatStatement
      ).leaseMs,
      0,
    )
    assert.throws(
      () => openStatement(h.signed, resolveLimits({ maxTtlMs: 30_000 }), DOMAIN),
      TtlOutOfBoundsError,
    )
  })

  test('oversized fields are rejected with the limit named', () => {
    assert.throws(
      () => registration(alice, v1, { id: 'x'.repeat(DEFAULT_LIMITS.maxFieldBytes + 1) }),
      InputTooLargeError,
    )
    const addresses = Array.from({ length: DEFAULT_LIMITS.maxAddresses + 1 }, (_, i) => `h:${i}`)
    assert.throws(() => registration(alice, v1, { id: 'a', addresses }), /addresses, the limit is/)
    const deep = Array.from({ length: 40 }).reduce<wire.Value>(
      (inner) => ({ name: 'n', type: 't', values: [inner] }),
      { name: 'leaf', type: 't', values: [] },
    )
    assert.throws(
      () =>
        registration(alice, v1, {
          id: 'a',
          endpoints: [{ name: 'e', request: deep, metadata: {} }],
        }),
      InputTooLargeError,
    )
    assert.throws(
      () =>
        signStatement(
          alice,
          v1,
          { registration: { ...goMicroSpec('a'), createdAt: 1, ttlMs: 5000 } },
          resolveLimits({ maxStatementBytes: 1024 }),
          DOMAIN,
        ),
      InputTooLargeError,
    )
  })

  test('wrong types at the API are named errors, not crashes', () => {
    const owner = new LocalOwner(alice, 1n, DEFAULT_LIMITS, 5000, DOMAIN)
    const bad = [
      { service: 42, id: 'a', addresses: [] },
      { service: 's', id: 'a', addresses: 'nope' },
      { service: 's', id: 'a', addresses: [], metadata: { k: 1 } },
      { service: '', id: 'a', addresses: [] },
      { service: 'a\nb', id: 'a', addresses: [] },
      { service: 's', id: 'a', addresses: [], endpoints: [null] },
    ]
    for (const spec of bad) {
      assert.throws(
        () => owner.register(spec as unknown as InstanceSpec, 0),
        InvalidArgumentError,
        JSON.stringify(spec),
      )
    }
  })

  test('an owner may not delete another owner’s instance', () => {
    const owner = new LocalOwner(alice, 1n, DEFAULT_LIMITS, 5000, DOMAIN)
    assert.throws(() => owner.deregister(mallory.ownerId, 'svc', 'a', 5000), OwnerMismatchError)
  })

  test('the local owner keeps creation time across updates and counts versions up', () => {
    const owner = new LocalOwner(alice, 7n, DEFAULT_LIMITS, 5000, DOMAIN)
    const first = owner.register({ service: 's', id: 'a', addresses: ['h:1'] }, 100)
    const second = owner.register({ service: 's', id: 'a', addresses: ['h:2'] }, 900)
    assert.equal(second.instance.createdAt, 100)
    assert.deepEqual(first.version, { incarnation: 7n, counter: 1n })
    assert.deepEqual(second.version, { incarnation: 7n, counter: 2n })
  })
})
