/**
 * The core, `gossip-sd/membership`: records, signatures, the CRDT service set, frames, the
 * Transport seam, and the protocol driver (`Mesh`) that runs them over any Transport.
 *
 * @module gossip-sd/membership
 */

export { type ChangeListener, Mesh, type MeshInit, type MeshStats } from '../mesh/mesh.ts'
export {
  Admission,
  type AdmissionVerdict,
  emptyQuotaStats,
  type QuotaStats,
  type VouchingContext,
} from './admission.ts'
export type { BucketSet } from './buckets.ts'
export * from './errors.ts'
export { decodeFrame, encodeFrame, type FrameContent, gossipOf, packFrames } from './frame.ts'
export {
  generateSigner,
  ownerIdOf,
  type Signer,
  type SigningDomain,
  signerFromSeed,
  signingDomain,
  verifyStatementSignature,
} from './identity.ts'
export { DEFAULT_LIMITS, type MembershipLimits, resolveLimits } from './limits.ts'
export { LocalOwner, nextIncarnation } from './owner.ts'
export { OwnerDirectory } from './owner-directory.ts'
export {
  type ReceiveOutcome,
  type ReceiveResult,
  Replica,
  type ReplicaOptions,
  type ReplicaStats,
  type StatementOpener,
} from './replica.ts'
export {
  type ApplyOutcome,
  type ApplyResult,
  type BucketDigest,
  type CoveringHeartbeat,
  type Digest,
  type Entry,
  mergeSets,
  type OwnerSummary,
  type Resolution,
  resolveEntry,
  type ServiceChange,
  ServiceSet,
  type ServiceSetOptions,
  TOMBSTONE_RETENTION_FACTOR,
} from './service-set.ts'
export {
  decodeSignedStatement,
  encodeSignedStatement,
  type HeartbeatStatement,
  type InstanceFields,
  type InstanceStatement,
  openStatement,
  type RegistrationStatement,
  SCHEMA_VERSION,
  type Statement,
  type StatementContent,
  signStatement,
  type TombstoneStatement,
  validateInstance,
} from './statement.ts'
export type {
  FrameRoute,
  FrameVerdict,
  PeerEvent,
  Transport,
  TransportHandlers,
} from './transport.ts'
export {
  type Instance,
  type InstanceSpec,
  instanceKey,
  type ServiceEndpoint,
  type ServiceValue,
} from './types.ts'
export { compareVersions, type Version } from './version.ts'
