/**
 * Decoder fuzzing: 100,000 inputs, half random bytes and half mutations of valid frames (bit
 * flips, byte changes, insertions, deletions, truncations, splices of two frames), pushed through
 * the same path a node runs on every frame it receives; every tenth input is a valid frame of two
 * statements at random ages instead. Nothing may throw anything but a named
 * GossipSdError, and the replica's state must not move: the baseline already holds every valid
 * statement at the freshest refresh time, so the only way to change it would be to forge one.
 *
 * Each statement that reaches the replica is judged on its own: one whose envelope is exactly a
 * valid statement's is a duplicate when the baseline holds it and stale otherwise (or dropped as
 * expired when its age was mutated up); any other envelope is rejected by name.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { GossipSdError } from '../../src/membership/errors.ts'
import { decodeFrame, packFrames } from '../../src/membership/frame.ts'
import { Replica } from '../../src/membership/replica.ts'
import { seededRandom } from '../../src/util/random.ts'
import { stateOf } from '../fixtures/snapshot.ts'
import { signatureOf, universeArbitrary } from './histories.ts'
import { lifetimeOnArrival, modelState } from './model.ts'
import { runs } from './runs.ts'

const INPUTS = runs(100_000)
const NOW = 1_000_000
/** ServiceSet's default owner retention (10 min). */
const DEFAULT_OWNER_RETENTION_MS = 600_000

function mutate(frame: Uint8Array, other: Uint8Array, random: () => number): Uint8Array {
  const bytes = Array.from(frame)
  const edits = 1 + Math.floor(random() * 4)
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * Math.max(1, bytes.length))
    switch (Math.floor(random() * 6)) {
      case 0:
        bytes[at] = (bytes[at] ?? 0) ^ (1 << Math.floor(random() * 8))
        break
      case 1:
        bytes[at] = Math.floor(random() * 256)
        break
      case 2:
        bytes.splice(at, 0, Math.floor(random() * 256))
        break
      case 3:
        bytes.splice(at, 1 + Math.floor(random() * 8))
        break
      case 4:
        bytes.length = at
        break
      default:
        bytes.splice(at, bytes.length, ...other.subarray(Math.floor(random() * other.length)))
    }
  }
  return Uint8Array.from(bytes)
}

/** Four generated universes, fixed by a seed: every kind of statement, equivocations included. */
const universe = fc
  .sample(universeArbitrary, { seed: 20261122, numRuns: 4 })
  .flatMap((u) => u.statements)

test(`decoder fuzz: ${INPUTS} random and mutated inputs, no crash, no state change`, () => {
  const replica = new Replica()
  // Merged as states merge (the model's rule): the receive path's own rules (relays cannot
  // extend lifetimes) would drop some of a universe heard in this order as replays.
  for (const statement of universe) replica.set.apply(statement, NOW)
  const before = stateOf(replica.set)
  const valid = new Map(universe.map((s) => [signatureOf(s), s]))
  const model = modelState(universe.map((statement) => ({ statement, refreshedAt: NOW })))
  const held = new Set([...model.values()].map((h) => signatureOf(h.statement)))
  const frames = universe.map(
    (statement) => packFrames([{ statement, refreshedAt: NOW }], NOW, 1 << 20)[0] as Uint8Array,
  )
  const random = seededRandom(20261122)
  const counts = { genuine: 0, forged: 0 }
  for (let i = 0; i < INPUTS; i++) {
    const input =
      i % 10 === 1
        ? validFrame(random)
        : i % 2 === 0
          ? Uint8Array.from({ length: Math.floor(random() * 300) }, () =>
              Math.floor(random() * 256),
            )
          : mutate(
              frames[i % frames.length] as Uint8Array,
              frames[(i * 7) % frames.length] as Uint8Array,
              random,
            )
    let frame: ReturnType<typeof decodeFrame>
    try {
      frame = decodeFrame(input, replica.limits)
    } catch (err) {
      assert.ok(err instanceof GossipSdError, `input ${i} threw ${String(err)}`)
      continue
    }
    for (const gossip of frame.gossip) {
      const result = replica.receive(gossip, NOW)
      const signed = gossip.statement
      const original = signed === undefined ? undefined : valid.get(hex(signed.signature))
      const genuine =
        signed !== undefined &&
        original !== undefined &&
        Buffer.compare(signed.body, original.signed.body) === 0 &&
        Buffer.compare(signed.owner, original.signed.owner) === 0
      if (genuine) {
        counts.genuine++
        const expected =
          gossip.ageMs >= lifetimeOnArrival(original, model, DEFAULT_OWNER_RETENTION_MS)
            ? 'expired-on-arrival'
            : held.has(signatureOf(original))
              ? 'duplicate'
              : 'rejected'
        assert.equal(result.outcome, expected, `input ${i}: a valid statement`)
        if (result.outcome === 'rejected') assert.equal(result.error?.code, 'ERR_STALE_VERSION')
      } else {
        counts.forged++
        assert.equal(result.outcome, 'rejected', `input ${i}: a forged statement was taken`)
        assert.ok(result.error instanceof GossipSdError)
      }
    }
  }
  assert.deepEqual(stateOf(replica.set), before)
  assert.ok(
    counts.genuine > INPUTS / 100,
    `valid statements reached the replica ${counts.genuine} times`,
  )
  assert.ok(
    counts.forged > INPUTS / 100,
    `forged statements reached the replica ${counts.forged} times`,
  )
})

/** Two valid statements at random ages (some beyond their lifetimes), as one frame. */
function validFrame(random: () => number): Uint8Array {
  const pick = () => ({
    statement: universe[Math.floor(random() * universe.length)] as (typeof universe)[number],
    refreshedAt: NOW - Math.floor(random() * 60_000),
  })
  return packFrames([pick(), pick()], NOW, 1 << 20)[0] as Uint8Array
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
