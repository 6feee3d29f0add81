/**
 * uint64 fields of the generated wire codec round-trip across the whole range, 2^31 to 2^32
 * included: protons-runtime writes those as one byte that does not decode (its LongBits keeps
 * the low word signed), so `npm run proto` routes them through `writeUint64` (src/membership/uint64.ts).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_LIMITS } from '../../src/membership/limits.ts'
import { openStatement, signStatement } from '../../src/membership/statement.ts'
import * as wire from '../../src/membership/wire.ts'
import { DOMAIN, signerFor } from '../fixtures/statements.ts'

const VALUES = [
  1n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 31n + 5n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n + 3n,
  2n ** 64n - 1n,
]

describe('wire: uint64 fields', () => {
  it('incarnation, counter, creation time and claim round-trip at every magnitude', () => {
    for (const value of VALUES) {
      const body: wire.StatementBody = {
        schema: 2,
        owner: new Uint8Array(32),
        incarnation: value,
        counter: value,
        registration: {
          service: 's',
          serviceVersion: '',
          instanceId: 'i',
          addresses: [],
          metadata: new Map(),
          endpoints: [],
          createdAt: value,
          ttlMs: 1500,
          leaderTerm: value,
        },
      }
      const back = wire.StatementBody.decode(wire.StatementBody.encode(body))
      assert.equal(back.incarnation, value)
      assert.equal(back.counter, value)
      assert.equal(back.registration?.createdAt, value)
      assert.equal(back.registration?.leaderTerm, value)
      const summary = {
        owner: new Uint8Array(0),
        incarnation: value,
        heartbeatCounter: value,
        statementsHash: new Uint8Array(0),
        maxCounter: value,
      }
      assert.deepEqual(wire.OwnerSummary.decode(wire.OwnerSummary.encode(summary)), summary)
    }
  })

  it('a statement signed at counter 2^31 + 5 opens at every peer', () => {
    const alice = signerFor('alice')
    const version = { incarnation: 2n ** 31n + 5n, counter: 2n ** 31n + 5n }
    const signed = signStatement(
      alice,
      version,
      { tombstone: { service: 's', id: 'i', ttlMs: 1500 } },
      DEFAULT_LIMITS,
      DOMAIN,
    )
    assert.deepEqual(openStatement(signed.signed, DEFAULT_LIMITS, DOMAIN).version, version)
  })
})
