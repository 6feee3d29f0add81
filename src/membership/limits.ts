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
})

/** The default limits with `overrides` applied. */
export function resolveLimits(overrides: Partial<MembershipLimits> = {}): MembershipLimits {
  return { ...DEFAULT_LIMITS, ...overrides }
}
