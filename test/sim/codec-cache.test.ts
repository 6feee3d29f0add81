import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SharedCodec } from '../../sim/codec-cache.ts'
import { InvalidSignatureError } from '../../src/membership/errors.ts'
import { encodeFrame } from '../../src/membership/frame.ts'
import { signerFromSeed, signingDomain } from '../../src/membership/identity.ts'
import { resolveLimits } from '../../src/membership/limits.ts'
import { LocalOwner } from '../../src/membership/owner.ts'
import { openStatement } from '../../src/membership/statement.ts'

const limits = resolveLimits()
const DOMAIN = signingDomain('default')
const owner = new LocalOwner(signerFromSeed(new Uint8Array(32).fill(9)), 5n, limits, 3000, DOMAIN)
const statement = owner.register({ service: 's', id: 'a', addresses: ['10.0.0.1:1'] }, 1000)

test('the shared opener gives what openStatement gives, and verifies each distinct statement once', () => {
  const codec = new SharedCodec()
  const frame = encodeFrame({
    gossip: [{ statement: statement.signed, ageMs: 0 }],
    wantReply: false,
  })
  const a = codec.decodeFrame(frame, limits)
  const b = codec.decodeFrame(frame, limits)
  assert.equal(a, b)
  const signed = a.gossip[0]?.statement
  assert.ok(signed !== undefined)
  const opened = codec.openStatement(signed, limits, DOMAIN)
  assert.deepEqual(opened.version, openStatement(signed, limits, DOMAIN).version)
  assert.equal(opened.kind, 'registration')
  const reencoded = codec.decodeFrame(
    encodeFrame({ gossip: [{ statement: statement.signed, ageMs: 5 }], wantReply: false }),
    limits,
  ).gossip[0]?.statement
  assert.ok(reencoded !== undefined && reencoded !== signed)
  assert.equal(codec.openStatement(reencoded, limits, DOMAIN), opened)
  assert.deepEqual(codec.stats, { frameDecodes: 2, frameHits: 1, verifications: 1, verifyHits: 1 })
})

test('a forged body under a cached signature is still rejected', () => {
  const codec = new SharedCodec()
  codec.openStatement(statement.signed, limits, DOMAIN)
  const forged = {
    ...statement.signed,
    body: Uint8Array.from(statement.signed.body, (x, i) => (i === 3 ? x ^ 1 : x)),
  }
  assert.throws(() => codec.openStatement(forged, limits, DOMAIN), InvalidSignatureError)
})
