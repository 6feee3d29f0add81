/**
 * Admission rules (src/membership/admission.ts) under any sequence of neighbours connecting and
 * leaving and statements of any owner arriving through any neighbour, with a budget small enough
 * to be exceeded all the time:
 * - this node's own statements are never refused and its records never evicted;
 * - an owner admitted while it was a connected neighbour (vouched) is never evicted;
 * - the budget holds: owners and bytes in total (beyond this node's own), records and bytes
 *   per owner, owners per neighbour;
 * - every refusal is an ERR_QUOTA rejection counted under one reason.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { emptyQuotaStats, type QuotaStats } from '../../src/membership/admission.ts'
import { Replica } from '../../src/membership/replica.ts'
import type { RegistrationStatement } from '../../src/membership/statement.ts'
import { registration, signerFor } from '../fixtures/statements.ts'

const SIGNERS = Array.from({ length: 10 }, (_, i) => signerFor(`admission-${i}`))
const SELF = 0
const LIMITS = {
  maxOwners: 5,
  maxBytes: 2400,
  maxOwnersPerPeer: 2,
  maxRecordsPerOwner: 2,
  maxBytesPerOwner: 700,
  maxVouchesPerPeer: 1,
}

const signed = new Map<string, RegistrationStatement>()
/** One registration per (owner, id), signed once for every run. */
function statementOf(owner: number, id: number): RegistrationStatement {
  const key = `${owner}/${id}`
  let s = signed.get(key)
  if (s === undefined) {
    const signer = SIGNERS[owner] as (typeof SIGNERS)[number]
    // Ids 2 and 3 carry 300 bytes of metadata: two small records fit an owner, a large and another do not.
    const metadata: Record<string, string> = id >= 2 ? { pad: 'x'.repeat(300) } : {}
    s = registration(
      signer,
      { incarnation: 1n, counter: BigInt(id + 1) },
      { id: `i${id}`, metadata },
    )
    signed.set(key, s)
  }
  return s
}

type Op =
  | { readonly type: 'connect' | 'disconnect'; readonly peer: number }
  | { readonly type: 'receive'; readonly owner: number; readonly id: number; readonly from: number }

const peer = fc.integer({ min: 1, max: SIGNERS.length - 1 })
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ type: fc.constantFrom('connect' as const, 'disconnect' as const), peer }),
  {
    arbitrary: fc.record({
      type: fc.constant('receive' as const),
      owner: fc.integer({ min: 0, max: SIGNERS.length - 1 }),
      id: fc.integer({ min: 0, max: 3 }),
      from: peer,
    }),
    weight: 4,
  },
)

test('admission: own and vouched owners are kept, the budget holds, refusals are counted', () => {
  const reached = emptyQuotaStats()
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const self = (SIGNERS[SELF] as (typeof SIGNERS)[number]).ownerId
      const replica = new Replica({ self, limits: LIMITS })
      const set = replica.set
      const connected = new Set<number>()
      const own: string[] = []
      const vouched = new Set<string>()
      let refused = 0
      for (const o of ops) {
        if (o.type !== 'receive') {
          const id = (SIGNERS[o.peer] as (typeof SIGNERS)[number]).ownerId
          if (o.type === 'connect') {
            connected.add(o.peer)
            replica.admission.connected(id)
          } else {
            connected.delete(o.peer)
            replica.admission.disconnected(id)
          }
          continue
        }
        const s = statementOf(o.owner, o.id)
        const from = (SIGNERS[o.from] as (typeof SIGNERS)[number]).ownerId
        const wasHeld = set.holds(s.owner)
        const result =
          o.owner === SELF && o.id % 2 === 0
            ? replica.applyVerified(s, 0, 0)
            : replica.receive({ statement: s.signed, ageMs: 0 }, 0, from)
        if (o.owner === SELF) {
          assert.notEqual(result.outcome, 'rejected', 'own statement refused')
          own.push(s.key)
        } else if (result.error !== undefined) {
          assert.equal(result.error.code, 'ERR_QUOTA')
          refused++
        } else if (!wasHeld && connected.has(o.owner)) vouched.add(s.owner)
        for (const key of own) assert.ok(set.get(key) !== undefined, `own record ${key} evicted`)
        for (const id of vouched) assert.ok(set.holds(id), `vouched owner ${id} evicted`)
        const ownBytes = set.bytesOf(self)
        assert.ok(set.ownerCount - Number(set.holds(self)) <= LIMITS.maxOwners, 'owners')
        assert.ok(set.bytes - ownBytes <= LIMITS.maxBytes, 'bytes')
        for (const id of set.owners()) {
          if (id === self) continue
          assert.ok(set.recordsOf(id) <= LIMITS.maxRecordsPerOwner, 'records of an owner')
          assert.ok(set.bytesOf(id) <= LIMITS.maxBytesPerOwner, 'bytes of an owner')
        }
      }
      const q = replica.stats.quota
      assert.equal(
        q.peerOwners + q.ownerRecords + q.ownerBytes + q.totalOwners + q.totalBytes,
        refused,
      )
      assert.equal(replica.stats.rejected.ERR_QUOTA, refused)
      for (const reason of Object.keys(reached) as (keyof QuotaStats)[])
        reached[reason] += q[reason]
    }),
    { numRuns: 400 },
  )
  // The budget is small enough that the generated runs reach every quota and evict.
  for (const [reason, count] of Object.entries(reached))
    assert.ok(count > 0, `${reason} never reached`)
})
