/**
 * Frames: the unit peers exchange, on the push topic and on the anti-entropy protocol alike.
 * A frame carries gossip (statements with ages), optionally this replica's digest, and whether
 * the digest asks for a delta in reply. Frames are split so none exceeds the frame limit.
 *
 * Anti-entropy with frames: A sends {digest, wantReply}; B answers {delta for A, B's digest of
 * differences}; A answers {delta for B}. One and a half round trips and both hold the union.
 * B's digest is partial: only the owners A summarised differently, so A's answer skips what
 * both hold.
 */
import { InputTooLargeError, MalformedInputError, UnknownSchemaError } from './errors.ts'
import {
  digestFieldBytes,
  frameHeaderBytes,
  gossipFieldBytes,
  readFrame,
  writeFrame,
} from './frame-codec.ts'
import { ED25519_PUBLIC_KEY_BYTES, knownOwnerIdOf } from './identity.ts'
import type { MembershipLimits } from './limits.ts'
import type { Digest, Entry } from './service-set.ts'
import { SCHEMA_VERSION } from './statement.ts'
import type * as wire from './wire.ts'

const MAX_AGE_MS = 0xffff_ffff

export interface FrameContent {
  gossip: wire.Gossip[]
  digest?: Digest
  wantReply: boolean
}

/** A statement as gossip: its signed bytes and how long ago (on `now`'s clock) it was refreshed. */
export function gossipOf(entry: Entry, now: number): wire.Gossip {
  const age = Math.min(MAX_AGE_MS, Math.max(0, Math.floor(now - entry.refreshedAt)))
  return { statement: entry.statement.signed, ageMs: age }
}

export function encodeFrame(content: FrameContent): Uint8Array {
  return writeFrame({ schema: SCHEMA_VERSION, ...content })
}

/** Decodes a frame. Throws a named error for bytes that are too large, malformed or of an unknown schema. */
export function decodeFrame(bytes: Uint8Array, limits: MembershipLimits): FrameContent {
  if (bytes.byteLength > limits.maxFrameBytes) {
    throw new InputTooLargeError(
      `frame is ${bytes.byteLength} bytes, the limit is ${limits.maxFrameBytes}`,
    )
  }
  const frame = readFrame(bytes)
  if (frame.schema !== SCHEMA_VERSION) throw new UnknownSchemaError(frame.schema)
  const content: FrameContent = { gossip: frame.gossip, wantReply: frame.wantReply }
  if (frame.digest !== undefined) {
    content.digest = {
      owners: frame.digest.owners.map((o) => ({ ...o, ownerId: summaryOwnerId(o.owner) })),
      partial: frame.digest.partial,
    }
  }
  return content
}

/** The summary's owner ID if this process knows the key (see `OwnerSummary.ownerId`). */
function summaryOwnerId(ownerKey: Uint8Array): string | undefined {
  if (ownerKey.byteLength !== ED25519_PUBLIC_KEY_BYTES)
    throw new MalformedInputError('a digest names an owner key that is not an Ed25519 public key')
  return knownOwnerIdOf(ownerKey)
}

/**
 * Encodes entries (and optionally a digest) as one or more frames, none over `maxFrameBytes`.
 * The digest and the reply flag go on the last frame, so a peer answers after it has everything.
 */
export function packFrames(
  entries: readonly Entry[],
  now: number,
  maxFrameBytes: number,
  digest?: Digest,
  wantReply = false,
): Uint8Array[] {
  const frames: Uint8Array[] = []
  const header = frameHeaderBytes(SCHEMA_VERSION, wantReply)
  const digestBytes = digest === undefined ? 0 : digestFieldBytes(digest)
  /** A frame of `gossip`; the last one carries the digest and the reply flag. */
  const frame = (gossip: wire.Gossip[], last: boolean): Uint8Array =>
    encodeFrame(
      last && digest !== undefined
        ? { gossip, digest, wantReply }
        : { gossip, wantReply: last && wantReply },
    )
  let batch: wire.Gossip[] = []
  let batchBytes = header
  for (const entry of entries) {
    const gossip = gossipOf(entry, now)
    const size = gossipFieldBytes(gossip)
    if (batch.length > 0 && batchBytes + size > maxFrameBytes) {
      frames.push(frame(batch, false))
      batch = []
      batchBytes = header
    }
    batch.push(gossip)
    batchBytes += size
  }
  if (digest !== undefined && batch.length > 0 && batchBytes + digestBytes > maxFrameBytes) {
    frames.push(frame(batch, false))
    batch = []
  }
  if (batch.length > 0 || digest !== undefined) frames.push(frame(batch, true))
  return frames
}
