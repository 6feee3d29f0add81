/**
 * The frame codec: frames written and read without the generic protobuf runtime.
 *
 * Why: frames are the hot path of a large cluster (and of the simulator, which runs thousands of
 * nodes in one process). The generic writer allocates an operation object per field before the
 * output, splitting gossip under the frame limit needed every part encoded once more to measure
 * it, and the generic reader allocates default values it then overwrites. Together they were
 * about a third of a 1,000-node simulation's time and much of its garbage.
 *
 * Writing: exact sizes first, then one buffer of that size filled in a single pass.
 *
 * Reading is strict: it accepts exactly the canonical encoding, the bytes `wire.Frame.encode`
 * writes for what they decode to (proto3 rules: fields in field-number order, each once, a scalar
 * or bytes field at its default value left out, an embedded message that is present written even
 * when empty, minimal varints, no unknown fields). Every byte a peer sends then means exactly one
 * thing and any flipped byte is caught, without encoding the frame again to compare. The tests
 * check both halves against the protobuf runtime on generated and on mutated frames.
 */
import { MalformedInputError } from './errors.ts'
import type * as wire from './wire.ts'

/** Bytes of a varint holding `value` (a non-negative integer). */
export function varintBytes(value: number | bigint): number {
  // Counters and incarnations are bigints but almost always safe integers: size them as numbers.
  const n = Number(value)
  if (n <= Number.MAX_SAFE_INTEGER) {
    let bytes = 1
    for (let limit = 0x80; n >= limit && bytes < 8; limit *= 0x80) bytes++
    return bytes
  }
  let bytes = 1
  for (let big = BigInt(value); big >= 0x80n; big >>= 7n) bytes++
  return bytes
}

/** Bytes of a one-byte-tag varint field; absent at 0. */
function uintField(value: number | bigint): number {
  return value === 0 || value === 0n ? 0 : 1 + varintBytes(value)
}

/** Bytes of a one-byte-tag length-delimited field of `length` bytes; absent when empty. */
function bytesField(length: number): number {
  return length === 0 ? 0 : 1 + varintBytes(length) + length
}

/** Bytes of a one-byte-tag embedded message of `length` bytes. */
function messageField(length: number): number {
  return 1 + varintBytes(length) + length
}

function signedStatementBytes(s: wire.SignedStatement): number {
  return (
    bytesField(s.owner.byteLength) +
    bytesField(s.body.byteLength) +
    bytesField(s.signature.byteLength)
  )
}

function gossipBytes(gossip: wire.Gossip): number {
  const statement =
    gossip.statement === undefined ? 0 : messageField(signedStatementBytes(gossip.statement))
  return statement + uintField(gossip.ageMs)
}

function ownerSummaryBytes(s: Readonly<wire.OwnerSummary>): number {
  return (
    bytesField(s.owner.byteLength) +
    uintField(s.incarnation) +
    uintField(s.heartbeatCounter) +
    bytesField(s.statementsHash.byteLength) +
    uintField(s.maxCounter)
  )
}

/** Bytes of a digest message whose owner summaries take `summaryBytes` each. */
function digestBytes(digest: DigestToWrite, summaryBytes: readonly number[]): number {
  let length = digest.partial ? 2 : 0
  for (const bytes of summaryBytes) length += messageField(bytes)
  return length + uintField(digest.bucketBits) + bytesField(digest.coveredBuckets.byteLength)
}

function bucketDigestBytes(buckets: BucketsToWrite): number {
  return uintField(buckets.bits) + bytesField(buckets.fingerprints.byteLength)
}

/** Bytes one gossip adds to a frame. */
export function gossipFieldBytes(gossip: wire.Gossip): number {
  return messageField(gossipBytes(gossip))
}

/** Bytes a digest adds to a frame. */
export function digestFieldBytes(digest: DigestToWrite): number {
  return messageField(digestBytes(digest, digest.owners.map(ownerSummaryBytes)))
}

/** Bytes a bucket digest adds to a frame. */
export function bucketsFieldBytes(buckets: BucketsToWrite): number {
  return messageField(bucketDigestBytes(buckets))
}

/** Bytes of a frame's schema and reply flag fields. */
export function frameHeaderBytes(schema: number, wantReply: boolean): number {
  return uintField(schema) + (wantReply ? 2 : 0)
}

/** What `writeFrame` takes: a `wire.Frame`, or anything shaped like one (extra fields are ignored). */
export interface FrameToWrite {
  readonly schema: number
  readonly gossip: readonly wire.Gossip[]
  readonly digest?: DigestToWrite | undefined
  readonly wantReply: boolean
  readonly buckets?: BucketsToWrite | undefined
}

export interface DigestToWrite extends Readonly<Omit<wire.Digest, 'owners'>> {
  readonly owners: readonly Readonly<wire.OwnerSummary>[]
}

export type BucketsToWrite = Readonly<wire.BucketDigest>

/** Encodes a frame; the same bytes as `wire.Frame.encode(frame)`. */
export function writeFrame(frame: FrameToWrite): Uint8Array {
  let size = frameHeaderBytes(frame.schema, frame.wantReply)
  for (const gossip of frame.gossip) size += gossipFieldBytes(gossip)
  const summaryBytes = frame.digest?.owners.map(ownerSummaryBytes) ?? []
  const digestLength = frame.digest === undefined ? 0 : digestBytes(frame.digest, summaryBytes)
  if (frame.digest !== undefined) size += messageField(digestLength)
  if (frame.buckets !== undefined) size += bucketsFieldBytes(frame.buckets)
  const out = new Writer(size)
  out.uint(0x08, frame.schema)
  for (const gossip of frame.gossip) {
    out.message(0x12, gossipBytes(gossip))
    if (gossip.statement !== undefined) {
      const s = gossip.statement
      out.message(0x0a, signedStatementBytes(s))
      out.bytes(0x0a, s.owner)
      out.bytes(0x12, s.body)
      out.bytes(0x1a, s.signature)
    }
    out.uint(0x10, gossip.ageMs)
  }
  if (frame.digest !== undefined) {
    out.message(0x1a, digestLength)
    const owners = frame.digest.owners
    for (let i = 0; i < owners.length; i++) {
      const s = owners[i] as Readonly<wire.OwnerSummary>
      out.message(0x0a, summaryBytes[i] as number)
      out.bytes(0x0a, s.owner)
      out.uint(0x10, s.incarnation)
      out.uint(0x18, s.heartbeatCounter)
      out.bytes(0x22, s.statementsHash)
      out.uint(0x28, s.maxCounter)
    }
    if (frame.digest.partial) out.uint(0x10, 1)
    out.uint(0x18, frame.digest.bucketBits)
    out.bytes(0x22, frame.digest.coveredBuckets)
  }
  if (frame.wantReply) out.uint(0x20, 1)
  if (frame.buckets !== undefined) {
    out.message(0x2a, bucketDigestBytes(frame.buckets))
    out.uint(0x08, frame.buckets.bits)
    out.bytes(0x12, frame.buckets.fingerprints)
  }
  return out.output
}

/** Fills a buffer of a known size front to back. */
class Writer {
  readonly output: Uint8Array
  #pos = 0

  constructor(size: number) {
    this.output = new Uint8Array(size)
  }

  /** A varint field, skipped at 0. */
  uint(tag: number, value: number | bigint): void {
    if (value === 0 || value === 0n) return
    this.#byte(tag)
    this.#varint(value)
  }

  /** A bytes field, skipped when empty. */
  bytes(tag: number, value: Uint8Array): void {
    if (value.byteLength === 0) return
    this.#byte(tag)
    this.#varint(value.byteLength)
    this.output.set(value, this.#pos)
    this.#pos += value.byteLength
  }

  /** The tag and length of an embedded message; its fields follow. */
  message(tag: number, length: number): void {
    this.#byte(tag)
    this.#varint(length)
  }

  #byte(value: number): void {
    this.output[this.#pos++] = value
  }

  #varint(value: number | bigint): void {
    let n = Number(value)
    if (n <= Number.MAX_SAFE_INTEGER) {
      while (n >= 0x80) {
        this.#byte((n % 0x80) | 0x80)
        n = Math.floor(n / 0x80)
      }
      this.#byte(n)
      return
    }
    let big = BigInt(value)
    while (big >= 0x80n) {
      this.#byte(Number(big & 0x7fn) | 0x80)
      big >>= 7n
    }
    this.#byte(Number(big))
  }
}

const EMPTY_BYTES = new Uint8Array(0)
const MAX_UINT32 = 0xffff_ffff

/** Decodes a canonically encoded frame; throws `MalformedInputError` for anything else. */
export function readFrame(bytes: Uint8Array): wire.Frame {
  const r = new Reader(bytes)
  const frame: wire.Frame = { schema: 0, gossip: [], wantReply: false }
  if (r.take(0x08)) frame.schema = r.uint32()
  while (r.take(0x12)) {
    r.enter()
    frame.gossip.push(readGossip(r))
    r.leave('gossip')
  }
  if (r.take(0x1a)) {
    r.enter()
    frame.digest = readDigest(r)
    r.leave('digest')
  }
  if (r.take(0x20)) frame.wantReply = r.flag()
  if (r.take(0x2a)) {
    r.enter()
    frame.buckets = {
      bits: r.take(0x08) ? r.uint32() : 0,
      fingerprints: r.take(0x12) ? r.bytes() : EMPTY_BYTES,
    }
    r.leave('bucket digest')
  }
  r.leave('frame')
  return frame
}

function readGossip(r: Reader): wire.Gossip {
  const gossip: wire.Gossip = { ageMs: 0 }
  if (r.take(0x0a)) {
    r.enter()
    gossip.statement = {
      owner: r.take(0x0a) ? r.bytes() : EMPTY_BYTES,
      body: r.take(0x12) ? r.bytes() : EMPTY_BYTES,
      signature: r.take(0x1a) ? r.bytes() : EMPTY_BYTES,
    }
    r.leave('signed statement')
  }
  if (r.take(0x10)) gossip.ageMs = r.uint32()
  return gossip
}

function readDigest(r: Reader): wire.Digest {
  const digest: wire.Digest = {
    owners: [],
    partial: false,
    bucketBits: 0,
    coveredBuckets: EMPTY_BYTES,
  }
  while (r.take(0x0a)) {
    r.enter()
    digest.owners.push({
      owner: r.take(0x0a) ? r.bytes() : EMPTY_BYTES,
      incarnation: r.take(0x10) ? r.uint64() : 0n,
      heartbeatCounter: r.take(0x18) ? r.uint64() : 0n,
      statementsHash: r.take(0x22) ? r.bytes() : EMPTY_BYTES,
      maxCounter: r.take(0x28) ? r.uint64() : 0n,
    })
    r.leave('owner summary')
  }
  if (r.take(0x10)) digest.partial = r.flag()
  if (r.take(0x18)) digest.bucketBits = r.uint32()
  if (r.take(0x22)) digest.coveredBuckets = r.bytes()
  return digest
}

/** Reads fields in order; `enter` and `leave` bracket an embedded message. */
class Reader {
  readonly #bytes: Uint8Array
  #pos = 0
  /** Where the message being read ends, and the ends of the messages enclosing it. */
  #end: number
  readonly #ends: number[] = []

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
    this.#end = bytes.byteLength
  }

  /** Consumes the next field's tag when it is `tag` (every tag here is one byte). */
  take(tag: number): boolean {
    if (this.#pos >= this.#end || this.#bytes[this.#pos] !== tag) return false
    this.#pos++
    return true
  }

  /** A present uint32 field: never 0 (that is left out). */
  uint32(): number {
    const value = this.#varint()
    if (typeof value !== 'number' || value > MAX_UINT32)
      throw malformed('a uint32 field is out of range')
    if (value === 0) throw malformed('a field at its default value is written')
    return value
  }

  /** A present uint64 field: never 0. */
  uint64(): bigint {
    const value = this.#varint()
    if (value === 0) throw malformed('a field at its default value is written')
    return BigInt(value)
  }

  /** A present bool field: only true is written. */
  flag(): true {
    if (this.#varint() !== 1) throw malformed('a bool field is not 1')
    return true
  }

  /** A present bytes field: never empty. Returns a view into the frame. */
  bytes(): Uint8Array {
    const end = this.#lengthEnd()
    if (end === this.#pos) throw malformed('an empty bytes field is written')
    const value = this.#bytes.subarray(this.#pos, end)
    this.#pos = end
    return value
  }

  /** Enters an embedded message (which may be empty): fields are read from it until `leave`. */
  enter(): void {
    const end = this.#lengthEnd()
    this.#ends.push(this.#end)
    this.#end = end
  }

  /**
   * Checks that the message was read whole (what is left is an unknown, repeated or misplaced
   * field) and returns to the enclosing one.
   */
  leave(what: string): void {
    if (this.#pos !== this.#end)
      throw malformed(`${what} has an unexpected field at byte ${this.#pos}`)
    this.#end = this.#ends.pop() ?? this.#end
  }

  #lengthEnd(): number {
    const length = this.#varint()
    if (typeof length !== 'number' || length > this.#end - this.#pos)
      throw malformed('a length runs past the end of its message')
    return this.#pos + length
  }

  /** A minimal varint of at most 64 bits: a number when it is a safe integer, else a bigint. */
  #varint(): number | bigint {
    let value = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#end) throw malformed('a varint runs past the end of its message')
      const byte = this.#bytes[this.#pos++] as number
      if (i === 9 && byte > 1) throw malformed('a varint exceeds 64 bits')
      if (byte < 0x80) {
        if (byte === 0 && i > 0) throw malformed('a varint is not minimal')
        if (i < 7) return value + byte * scale
        return this.#bigVarint(i)
      }
      value += (byte & 0x7f) * scale
      scale *= 0x80
    }
    throw malformed('a varint exceeds 64 bits')
  }

  /** Re-reads the varint of `last + 1` bytes that ended just before the position, as a bigint. */
  #bigVarint(last: number): number | bigint {
    let value = 0n
    for (let i = last; i >= 0; i--)
      value = (value << 7n) | BigInt((this.#bytes[this.#pos - 1 - (last - i)] as number) & 0x7f)
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value
  }
}

function malformed(reason: string): MalformedInputError {
  return new MalformedInputError(`frame is malformed: ${reason}`)
}
