/**
 * Packing entries into frames: whatever the entries, limit and digest, no frame exceeds the
 * limit (when each entry fits in one alone), every entry arrives once and in order with its age
 * on the sender's clock, and the digest and the reply flag travel on the last frame only.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { decodeFrame, encodeFrame, gossipOf, packFrames } from '../../src/membership/frame.ts'
import { resolveLimits } from '../../src/membership/limits.ts'
import { heardUniverseArbitrary, setFrom, signatureOf } from './histories.ts'
import { runs } from './runs.ts'

test('frames stay within the limit and carry every entry once, in order, the digest last', () => {
  fc.assert(
    fc.property(
      heardUniverseArbitrary,
      fc.integer({ min: 0, max: 2_000 }),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 0, max: 3_000 }),
      ({ heard }, now, withDigest, wantReply, extra) => {
        const entries = heard.map((h) => ({
          statement: h.statement,
          refreshedAt: h.refreshedAt - 5_000,
        }))
        const digest = withDigest ? setFrom(heard).digest() : undefined
        // The smallest limit every entry fits in alone, with the digest, plus some room.
        const alone = entries.map(
          (e) =>
            encodeFrame(
              digest === undefined
                ? { gossip: [gossipOf(e, now)], wantReply: true }
                : { gossip: [gossipOf(e, now)], digest, wantReply: true },
            ).byteLength,
        )
        const limit = Math.max(64, ...alone) + extra
        const frames = packFrames(entries, now, limit, digest, wantReply)
        const limits = resolveLimits({ maxFrameBytes: limit })
        const decoded = frames.map((f) => {
          assert.ok(f.byteLength <= limit, `a frame of ${f.byteLength} bytes, limit ${limit}`)
          return decodeFrame(f, limits)
        })
        assert.deepEqual(
          decoded.flatMap((f) => f.gossip.map((g) => `${hex(g.statement?.signature)} ${g.ageMs}`)),
          // A refresh later than `now` (another clock) goes as age 0.
          entries.map(
            (e) => `${signatureOf(e.statement)} ${Math.max(0, Math.floor(now - e.refreshedAt))}`,
          ),
        )
        decoded.forEach((f, i) => {
          const last = i === decoded.length - 1
          assert.equal(f.wantReply, last && wantReply, `reply flag on frame ${i}`)
          assert.equal(f.digest !== undefined, last && digest !== undefined, `digest on frame ${i}`)
        })
        if (digest !== undefined)
          assert.equal(decoded.at(-1)?.digest?.owners.length, digest.owners.length)
        if (entries.length === 0 && digest === undefined) assert.equal(frames.length, 0)
      },
    ),
    { numRuns: runs(300) },
  )
})

function hex(bytes: Uint8Array | undefined): string {
  return Buffer.from(bytes ?? []).toString('hex')
}
