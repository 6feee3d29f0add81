/**
 * Decoder fuzzing: 100,000 inputs, half random bytes and half mutations of valid frames (bit
 * flips, byte changes, insertions, deletions, truncations, splices of two frames), pushed through
 * the same path a node runs on every frame it receives. Nothing may throw anything but a named
 * GossipSdError, and the replica's state must not move: the baseline already holds every valid
 * statement at the freshest refresh time, so the only way to change it would be to forge one.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GossipSdError } from '../../src/membership/errors.ts'
import { decodeFrame, packFrames } from '../../src/membership/frame.ts'
import { Replica } from '../../src/membership/replica.ts'
import { seededRandom } from '../../src/util/random.ts'
import { stateOf } from '../fixtures/snapshot.ts'
import { universe } from './universe.ts'

const INPUTS = 100_000
const NOW = 1_000_000

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

test(`decoder fuzz: ${INPUTS} random and mutated inputs, no crash, no state change`, () => {
  const replica = new Replica()
  for (const statement of universe) replica.applyVerified(statement, 0, NOW)
  const before = stateOf(replica.set)
  const valid = universe.map(
    (statement) => packFrames([{ statement, refreshedAt: NOW }], NOW, 1 << 20)[0] as Uint8Array,
  )
  const random = seededRandom(20261122)
  const counts = { decoded: 0, rejectedFrames: 0, statementsSeen: 0 }
  for (let i = 0; i < INPUTS; i++) {
    const input =
      i % 2 === 0
        ? Uint8Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256))
        : mutate(
            valid[i % valid.length] as Uint8Array,
            valid[(i * 7) % valid.length] as Uint8Array,
            random,
          )
    let frame: ReturnType<typeof decodeFrame>
    try {
      frame = decodeFrame(input, replica.limits)
    } catch (err) {
      assert.ok(err instanceof GossipSdError, `input ${i} threw ${String(err)}`)
      counts.rejectedFrames++
      continue
    }
    counts.decoded++
    for (const gossip of frame.gossip) {
      counts.statementsSeen++
      const result = replica.receive(gossip, NOW)
      assert.ok(
        result.outcome !== 'accepted' && result.outcome !== 'refreshed',
        `input ${i} changed state: ${result.outcome}`,
      )
    }
  }
  assert.deepEqual(stateOf(replica.set), before)
  assert.equal(counts.decoded + counts.rejectedFrames, INPUTS)
  assert.ok(
    counts.statementsSeen > 1000,
    `mutations reached the statement path ${counts.statementsSeen} times`,
  )
})
