/**
 * Frames: the unit peers exchange, on the push topic and on the anti-entropy protocol alike.
 * A frame carries gossip (statements with ages), optionally this replica's digest and whether
 * the digest asks for a delta in reply, or a bucket digest. Frames are split so none exceeds
 * the frame limit.
 *
 * Anti-entropy with frames: A sends {digest, wantReply}; B answers {delta for A, B's digest of
 * differences}; A answers {delta for B}. One and a half round trips and both hold the union.
 * B's digest is partial: only the owners A summarised differently, so A's answer skips what
 * both hold.
 *
 * An exchange over every owner opens with bucket fingerprints (buckets.ts) instead: A sends
 * {buckets}; B answers {B's summaries of the buckets that differ, covering them, wantReply}, or
 * an empty partial digest when none differ (the exchange ends there); from then on it is the
 * exchange above with B's answer as its opening digest, except that A's answer also asks for a
 * reply when its digest of differences lists anything, so that A's exchange ends with B's delta.
 */

import { bitmapBytes, FINGERPRINT_BYTES, MAX_BUCKET_BITS } from './buckets.ts'
import type { BucketDigest, Digest } from './digests.ts'
import type { Entry } from './entry.ts'
import { InputTooLargeError, MalformedInputError, UnknownSchemaError } from './errors.ts'
import {
  type DigestToWrite,
  digestFieldBytes,
  frameHeaderBytes,
  gossipFieldBytes,
  readFrame,
  writeFrame,
} from './frame-codec.ts'
import { ED25519_PUBLIC_KEY_BYTES, knownOwnerIdOf } from './identity.ts'
import type { MembershipLimits } from './limits.ts'
import { SCHEMA_VERSION } from './statement.ts'
import type * as wire from './wire.ts'

const MAX_AGE_MS = 0xffff_ffff

/**
 * What one frame carries: signed statements, optionally a digest, and whether a reply is wanted.
 */
export interface FrameContent {
  gossip: wire.Gossip[]
  digest?: Digest
  wantReply: boolean
  buckets?: BucketDigest
}

/** A statement as gossip: its signed bytes and how long ago (on `now`'s clock) it was refreshed. */
export function gossipOf(entry: Entry, now: number): wire.Gossip {
  const age = Math.min(MAX_AGE_MS, Math.max(0, Math.floor(now - entry.refreshedAt)))
  return { statement: entry.statement.signed, ageMs: age }
}

/** Encodes one frame (no size limit: packFrames splits to a limit). */
export function encodeFrame(content: FrameContent): Uint8Array {
  const { digest } = content
  return writeFrame({
    schema: SCHEMA_VERSION,
    ...content,
    digest: digest === undefined ? undefined : toWire(digest),
  })
}

/** The wire form of a digest: its covered buckets as bits and bitmap. */
function toWire(digest: Digest): DigestToWrite {
  return {
    owners: digest.owners,
    partial: digest.partial,
    bucketBits: digest.covered?.bits ?? 0,
    coveredBuckets: digest.covered?.bitmap ?? EMPTY_BYTES,
  }
}

const EMPTY_BYTES = new Uint8Array(0)

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
    const { owners, partial, bucketBits, coveredBuckets } = frame.digest
    const summaries = owners.map((o) => ({ ...o, ownerId: summaryOwnerId(o.owner) }))
    const covered = coveredBucketsOf(bucketBits, coveredBuckets, partial)
    content.digest =
      covered === undefined
        ? { owners: summaries, partial }
        : { owners: summaries, partial, covered }
  }
  if (frame.buckets !== undefined) {
    if (frame.digest !== undefined)
      throw new MalformedInputError('a frame carries both a digest and a bucket digest')
    const { bits, fingerprints } = frame.buckets
    checkBucketBits(bits)
    if (fingerprints.byteLength !== FINGERPRINT_BYTES << bits)
      throw new MalformedInputError(`a bucket digest of ${bits} bits has the wrong size`)
    content.buckets = { bits, fingerprints }
  }
  return content
}

/** The covered buckets of a received digest: a bitmap of exactly 2^bits bits, on a partial digest only. */
function coveredBucketsOf(bits: number, bitmap: Uint8Array, partial: boolean): Digest['covered'] {
  if (bitmap.byteLength === 0) {
    if (bits !== 0) throw new MalformedInputError('a digest has bucket bits and no covered buckets')
    return undefined
  }
  checkBucketBits(bits)
  if (!partial) throw new MalformedInputError('a digest covers buckets without being partial')
  if (
    bitmap.byteLength !== bitmapBytes(bits) ||
    (bits < 3 && (bitmap[0] as number) >>> (1 << bits) !== 0)
  )
    throw new MalformedInputError(`covered buckets do not match ${bits} bucket bits`)
  return { bits, bitmap }
}

function checkBucketBits(bits: number): void {
  if (bits > MAX_BUCKET_BITS)
    throw new MalformedInputError(`bucket bits ${bits} exceed ${MAX_BUCKET_BITS}`)
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
  const digestBytes = digest === undefined ? 0 : digestFieldBytes(toWire(digest))
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
