/**
 * A fixed universe of realistic signed statements for property tests: three owners, each living
 * through two incarnations of registrations, updates, tombstones and heartbeats (each heartbeat
 * vouches for its owner's true live set at that moment). Signing once up front keeps thousands
 * of runs fast; fast-check then chooses which statements each replica heard, when and in what order.
 */
import fc from 'fast-check'
import { ServiceSet } from '../../src/membership/service-set.ts'
import type { Statement } from '../../src/membership/statement.ts'
import { seededRandom } from '../../src/util/random.ts'
import { heartbeatFor, registration, signerFor, tombstone } from '../fixtures/statements.ts'

export const TTL_MS = 5000

function ownerHistory(label: string, random: () => number): Statement[] {
  const signer = signerFor(label)
  const out: Statement[] = []
  for (const incarnation of [1n, 2n]) {
    const own = new ServiceSet()
    for (let counter = 1n; counter <= 8n; counter++) {
      const version = { incarnation, counter }
      const id = ['a', 'b', 'c'][Math.floor(random() * 3)] as string
      const roll = random()
      const statement =
        roll < 0.5
          ? registration(
              signer,
              version,
              { id, addresses: [`h:${counter}`], ttlMs: TTL_MS },
              Number(incarnation) * 100,
            )
          : roll < 0.75
            ? tombstone(signer, version, id, 'svc', TTL_MS)
            : heartbeatFor(signer, version, own)
      own.apply(statement, 0)
      out.push(statement)
    }
  }
  return out
}

const random = seededRandom(42)
export const universe: readonly Statement[] = ['alice', 'bob', 'carol'].flatMap((label) =>
  ownerHistory(label, random),
)

export interface Heard {
  statement: Statement
  refreshedAt: number
}

export const heardArbitrary: fc.Arbitrary<Heard> = fc.record({
  statement: fc.constantFrom(...universe),
  refreshedAt: fc.integer({ min: 0, max: 10_000 }),
})

export function setFrom(heard: readonly Heard[]): ServiceSet {
  const set = new ServiceSet()
  for (const h of heard) set.apply(h.statement, h.refreshedAt)
  return set
}

export const setArbitrary: fc.Arbitrary<ServiceSet> = fc
  .array(heardArbitrary, { maxLength: 30 })
  .map(setFrom)
