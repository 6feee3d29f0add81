/**
 * Named errors. Validation at the API throws them; network handlers catch them, count them by
 * `code` and drop the input, so a hostile or broken peer can never crash a node.
 */

export type RejectionCode =
  | 'ERR_MALFORMED'
  | 'ERR_TOO_LARGE'
  | 'ERR_BAD_SIGNATURE'
  | 'ERR_OWNER_MISMATCH'
  | 'ERR_UNKNOWN_SCHEMA'
  | 'ERR_STALE_VERSION'
  | 'ERR_TTL_OUT_OF_BOUNDS'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_REPLAYED'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_PROTOCOL'
  | 'ERR_QUOTA'

/**
 * What a rejection says of the peer that sent it, for drivers deciding whether to relay a frame
 * and whether to blame its sender:
 * - `forged`: no honest node sends it (honest nodes relay only statements they verified, and
 *   frames they encoded): the frame is dropped unread from there on, and its sender blamed;
 * - `unacceptable`: valid, but outside what this node accepts (other limits, another schema):
 *   dropped, not relayed, nobody blamed;
 * - `late`: an honest node may send it (reordering, a lagging relay): dropped alone.
 */
export type RejectionClass = 'forged' | 'unacceptable' | 'late'

/** The class of every rejection code (see `RejectionClass`). */
export const REJECTION_CLASS: Readonly<Record<RejectionCode, RejectionClass>> = Object.freeze({
  ERR_MALFORMED: 'forged',
  ERR_BAD_SIGNATURE: 'forged',
  ERR_OWNER_MISMATCH: 'forged',
  ERR_PROTOCOL: 'forged',
  ERR_TOO_LARGE: 'unacceptable',
  ERR_UNKNOWN_SCHEMA: 'unacceptable',
  ERR_TTL_OUT_OF_BOUNDS: 'unacceptable',
  ERR_INVALID_ARGUMENT: 'unacceptable',
  ERR_OUT_OF_RANGE: 'unacceptable',
  ERR_REPLAYED: 'unacceptable',
  ERR_QUOTA: 'unacceptable',
  ERR_STALE_VERSION: 'late',
})

/**
 * Base class of every error gossip-sd raises. `Code` defaults to the rejection codes the
 * replica counts; API layers (the compat faces, election) declare their own codes.
 */
export class GossipSdError<Code extends string = RejectionCode> extends Error {
  readonly code: Code
  constructor(code: Code, message: string) {
    super(message)
    this.code = code
    this.name = new.target.name
  }
}

/** Bytes that do not decode as the expected protobuf message. */
export class MalformedInputError extends GossipSdError {
  constructor(message: string) {
    super('ERR_MALFORMED', message)
  }
}

/** A statement, field or frame larger than the configured limits. */
export class InputTooLargeError extends GossipSdError {
  constructor(message: string) {
    super('ERR_TOO_LARGE', message)
  }
}

/** The signature does not verify against the claimed owner key. */
export class InvalidSignatureError extends GossipSdError {
  constructor(message = 'signature does not verify against the owner key') {
    super('ERR_BAD_SIGNATURE', message)
  }
}

/** The body names a different owner than the key that signed it, or a write targets another owner's instance. */
export class OwnerMismatchError extends GossipSdError {
  constructor(message: string) {
    super('ERR_OWNER_MISMATCH', message)
  }
}

/** A schema version this build does not understand. */
export class UnknownSchemaError extends GossipSdError {
  constructor(schema: number) {
    super('ERR_UNKNOWN_SCHEMA', `unknown schema version ${schema}`)
  }
}

/** A statement older than what is already known for its key or owner (a replay, or reordering). */
export class StaleVersionError extends GossipSdError {
  constructor(message: string) {
    super('ERR_STALE_VERSION', message)
  }
}

/**
 * A registration its owner had already withdrawn when it signed the newest heartbeat held here:
 * that heartbeat is newer and vouches for exactly what this replica holds, which lacks it. A
 * replay (a relay resending a deleted or replaced instance), never an honest copy.
 */
export class ReplayedStatementError extends GossipSdError {
  constructor(message: string) {
    super('ERR_REPLAYED', message)
  }
}

/** A number outside what the protocol allows (a creation time too late to keep terms exact). */
export class OutOfRangeError extends GossipSdError {
  constructor(message: string) {
    super('ERR_OUT_OF_RANGE', message)
  }
}

/** A message the protocol does not allow where it came (a digest pushed to the whole cluster). */
export class ProtocolViolationError extends GossipSdError {
  constructor(message: string) {
    super('ERR_PROTOCOL', message)
  }
}

/**
 * Admitting a statement would pass a quota or the memory budget (admission.ts): owners one
 * neighbour brought, records or bytes of one owner, or owners and bytes in total. Dropped and
 * counted (`stats().quota`), not relayed; its sender is not blamed (honest relays of a flood send
 * it too).
 */
export class QuotaExceededError extends GossipSdError {
  constructor(message: string) {
    super('ERR_QUOTA', message)
  }
}

/** A TTL outside the configured bounds. */
export class TtlOutOfBoundsError extends GossipSdError {
  constructor(ttlMs: number, minMs: number, maxMs: number) {
    super('ERR_TTL_OUT_OF_BOUNDS', `ttl ${ttlMs} ms is outside [${minMs}, ${maxMs}] ms`)
  }
}

/** A wrong type or value passed to a public API. */
export class InvalidArgumentError extends GossipSdError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message)
  }
}
