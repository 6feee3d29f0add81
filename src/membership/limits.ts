/**
 * Bounds on what a node accepts. The defaults hold real go-micro registrations (dozens of
 * endpoints with nested request/response Value trees and rich metadata) with room to spare:
 * memberlist's 512-byte meta limit is the pain point they are sized against.
 */
export interface MembershipLimits {
  /** Largest signed statement on the wire. @default 131072 (128 KiB) */
  maxStatementBytes: number
  /** Longest single string (name, address, metadata key or value). @default 8192 */
  maxFieldBytes: number
  /** Metadata entries per registration or endpoint. @default 256 */
  maxMetadataEntries: number
  /** Addresses per registration. @default 64 */
  maxAddresses: number
  /** Endpoints per registration. @default 1024 */
  maxEndpoints: number
  /** Nesting depth of endpoint request/response Value trees. @default 16 */
  maxValueDepth: number
  /** Shortest TTL accepted: shorter ones would need heartbeats faster than gossip settles. @default 1000 */
  minTtlMs: number
  /** Longest TTL accepted: bounds how long a dead owner's records can linger. @default 86400000 (24 h) */
  maxTtlMs: number
  /** Largest frame a peer may send in one anti-entropy or gossip message. @default 8388608 (8 MiB) */
  maxFrameBytes: number
  /**
   * Owners a replica holds at most (admission.ts): past it, an owner nobody vouches for is
   * refused, and one that is vouched for takes the place of the newest owner nobody vouches for.
   * @default 32768
   */
  maxOwners: number
  /** Bytes of signed statements a replica holds at most, with the same rule. @default 67108864 (64 MiB) */
  maxBytes: number
  /**
   * Owners held that one neighbour brought (it forwarded their first statement here). A node of a
   * cluster larger than this needs more than one neighbour (or a higher value). @default 4096
   */
  maxOwnersPerPeer: number
  /** Registrations and tombstones held of one owner. @default 1024 */
  maxRecordsPerOwner: number
  /** Bytes of signed statements held of one owner. @default 4194304 (4 MiB) */
  maxBytesPerOwner: number
  /**
   * Owners one connected neighbour may vouch for (make count as live nodes here) beyond itself,
   * per stretch of its heartbeats (admission.ts). @default 8
   */
  maxVouchesPerPeer: number
}

/** The limits every node applies unless configured otherwise. */
export const DEFAULT_LIMITS: Readonly<MembershipLimits> = Object.freeze({
  maxStatementBytes: 128 * 1024,
  maxFieldBytes: 8192,
  maxMetadataEntries: 256,
  maxAddresses: 64,
  maxEndpoints: 1024,
  maxValueDepth: 16,
  minTtlMs: 1000,
  maxTtlMs: 24 * 60 * 60 * 1000,
  maxFrameBytes: 8 * 1024 * 1024,
  maxOwners: 32_768,
  maxBytes: 64 * 1024 * 1024,
  maxOwnersPerPeer: 4096,
  maxRecordsPerOwner: 1024,
  maxBytesPerOwner: 4 * 1024 * 1024,
  maxVouchesPerPeer: 8,
})

/** The default limits with `overrides` applied. */
export function resolveLimits(overrides: Partial<MembershipLimits> = {}): MembershipLimits {
  return { ...DEFAULT_LIMITS, ...overrides }
}
