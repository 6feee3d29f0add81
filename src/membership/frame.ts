/**
 * Frames: the unit peers exchange, on the push topic and on the anti-entropy protocol alike.
 * A frame carries gossip (statements with ages), optionally this replica's digest, and whether
 * the digest asks for a delta in reply. Frames are split so none exceeds the frame limit.
 *
 * Anti-entropy with frames: A sends {digest, wantReply}; B answers {delta for A, B's digest};
 * A answers {delta for B}. One and a half round trips and both hold the union.
 */
import { InputTooLargeError, MalformedInputError, UnknownSchemaError } from './errors.ts'
import type { MembershipLimits } from './limits.ts'
import type { Entry, OwnerSummary } from './service-set.ts'
import { assertCanonical, SCHEMA_VERSION } from './statement.ts'
import * as wire from './wire.ts'

const MAX_AGE_MS = 0xffff_ffff

export interface FrameContent {
  gossip: wire.Gossip[]
  digest?: OwnerSummary[]
  wantReply: boolean
}

/** A statement as gossip: its signed bytes and how long ago (on `now`'s clock) it was refreshed. */
export function gossipOf(entry: Entry, now: number): wire.Gossip {
  const age = Math.min(MAX_AGE_MS, Math.max(0, Math.floor(now - entry.refreshedAt)))
  return { statement: entry.statement.signed, ageMs: age }
}

export function encodeFrame(content: FrameContent): Uint8Array {
  const frame: wire.Frame = {
    schema: SCHEMA_VERSION,
    gossip: content.gossip,
    wantReply: content.wantReply,
  }
  if (content.digest !== undefined) {
    frame.digest = {
      owners: content.digest.map((s) => ({
        owner: s.ownerKey,
        incarnation: s.incarnation,
        heartbeatCounter: s.heartbeatCounter,
        maxCounter: s.maxCounter,
        statementsHash: s.statementsHash,
      })),
    }
  }
  return wire.Frame.encode(frame)
}

/** Decodes a frame. Throws a named error for bytes that are too large, malformed or of an unknown schema. */
export function decodeFrame(bytes: Uint8Array, limits: MembershipLimits): FrameContent {
  if (bytes.byteLength > limits.maxFrameBytes) {
    throw new InputTooLargeError(
      `frame is ${bytes.byteLength} bytes, the limit is ${limits.maxFrameBytes}`,
    )
  }
  let frame: wire.Frame
  try {
    frame = wire.Frame.decode(bytes)
  } catch (err) {
    throw new MalformedInputError(
      `frame does not decode: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
  if (frame.schema !== SCHEMA_VERSION) throw new UnknownSchemaError(frame.schema)
  assertCanonical(wire.Frame.encode(frame), bytes, 'frame')
  const content: FrameContent = { gossip: frame.gossip, wantReply: frame.wantReply }
  if (frame.digest !== undefined) {
    content.digest = frame.digest.owners.map((o) => ({
      ownerKey: o.owner,
      incarnation: o.incarnation,
      heartbeatCounter: o.heartbeatCounter,
      maxCounter: o.maxCounter,
      statementsHash: o.statementsHash,
    }))
  }
  return content
}

/**
 * Encodes entries (and optionally a digest) as one or more frames, none over `maxFrameBytes`.
 * The digest and the reply flag go on the last frame, so a peer answers after it has everything.
 */
export function packFrames(
  entries: readonly Entry[],
  now: number,
  maxFrameBytes: number,
  digest?: OwnerSummary[],
  wantReply = false,
): Uint8Array[] {
  const frames: Uint8Array[] = []
  const overhead = 64
  const digestBytes =
    digest === undefined ? 0 : encodeFrame({ gossip: [], digest, wantReply }).byteLength
  let batch: wire.Gossip[] = []
  let batchBytes = overhead
  for (const entry of entries) {
    const gossip = gossipOf(entry, now)
    const size = wire.Gossip.encode(gossip).byteLength + 8
    if (batch.length > 0 && batchBytes + size > maxFrameBytes - overhead) {
      frames.push(encodeFrame({ gossip: batch, wantReply: false }))
      batch = []
      batchBytes = overhead
    }
    batch.push(gossip)
    batchBytes += size
  }
  if (digest !== undefined && batchBytes + digestBytes > maxFrameBytes) {
    frames.push(encodeFrame({ gossip: batch, wantReply: false }))
    batch = []
  }
  if (batch.length > 0 || digest !== undefined) {
    frames.push(
      digest === undefined
        ? encodeFrame({ gossip: batch, wantReply })
        : encodeFrame({ gossip: batch, digest, wantReply }),
    )
  }
  return frames
}
