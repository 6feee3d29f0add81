/**
 * Signed statements: what an owner asserts about its own instances. Three kinds share one body
 * so one signature check covers them all:
 *
 * - registration: an instance exists with this content (create or update);
 * - tombstone: an instance is deleted (remembered only as long as the TTL of what it deletes);
 * - heartbeat: "my live registrations hash to D" — one constant-size statement refreshes every
 *   instance the owner has, so refresh cost does not grow with instances per node. In a large
 *   cluster it also carries a lease: how long receivers keep those instances when that is
 *   longer than their TTLs (an owner that spaces its heartbeats extends their lifetime with it).
 *
 * Receivers verify the signature over the exact body bytes before parsing the body, and never
 * re-encode: the bytes that were signed are the canonical encoding and are forwarded as they are.
 */

import { validateNeighbours } from './attestation.ts'
import { bytesEqual } from './bytes.ts'
import {
  GossipSdError,
  InputTooLargeError,
  InvalidArgumentError,
  InvalidSignatureError,
  MalformedInputError,
  OutOfRangeError,
  OwnerMismatchError,
  TtlOutOfBoundsError,
  UnknownSchemaError,
} from './errors.ts'
import { ownerIdOf, type Signer, type SigningDomain, verifyStatementSignature } from './identity.ts'
import { Interner } from './intern.ts'
import type { MembershipLimits } from './limits.ts'
import {
  type Instance,
  type InstanceSpec,
  instanceKey,
  type ServiceEndpoint,
  type ServiceValue,
} from './types.ts'
import type { Version } from './version.ts'
import * as wire from './wire.ts'

/**
 * Version of the statement body and frame encodings and of what a signature covers. 2: signatures
 * cover the cluster (identity.ts, `SigningDomain`); a node of schema 1 rejects this node's frames
 * as an unknown schema, and this node rejects its frames, instead of failing every signature.
 */
export const SCHEMA_VERSION = 2

/** Shared copies of what repeats across instances (see intern.ts). */
const INTERN_LIMIT = 16384
const strings = new Interner<string>(INTERN_LIMIT)
const metadataTable = new Interner<Record<string, string>>(INTERN_LIMIT)
const endpointTable = new Interner<ServiceEndpoint[]>(INTERN_LIMIT)
export const OWNER_DIGEST_BYTES = 16

/**
 * The latest creation time accepted: 2^43 ms after the epoch (the year 2248). A creation time is
 * the owner's wall clock in ms; past that it is not one, and it stays far from where arithmetic
 * on it stops being exact. No bound relative to this node's clock: a creation time in the future
 * only makes an instance younger, and rejecting one would make an owner with a fast clock
 * invisible, which the design promises clock skew cannot do. A creation time in the past is an
 * owner's own claim about its own instances: admission cannot check it, so election must not let
 * it displace a live leader (it does not: see src/election).
 */
export const MAX_CREATED_AT_MS = 2 ** 43

/**
 * The highest leadership term a claim may carry: 2^31 − 1, a new leader every second for 68
 * years. A claim above it is rejected (ERR_OUT_OF_RANGE), and the election never names a term
 * beyond it (term.ts), so terms stay exact and cannot overflow. (Nodes built before uint64.ts
 * wrote a claim of 2^31 to 2^32 − 1 as bytes that do not decode: one came back with a TTL of
 * 65 ms. The bound keeps such claims away from them too.)
 */
export const MAX_LEADER_TERM = 2 ** 31 - 1

interface StatementBase {
  /** Owner peer ID. */
  readonly owner: string
  readonly version: Version
  /** The signed envelope exactly as received or created; forwarded unchanged. */
  readonly signed: wire.SignedStatement
}

/** An owner's signed registration of one instance. */
export interface RegistrationStatement extends StatementBase {
  readonly kind: 'registration'
  readonly key: string
  readonly instance: Instance
}

/** An owner's signed deletion of one instance. */
export interface TombstoneStatement extends StatementBase {
  readonly kind: 'tombstone'
  readonly key: string
  readonly service: string
  readonly id: string
  readonly ttlMs: number
}

/** An owner's signed liveness: its digest of what it holds, and its lease. */
export interface HeartbeatStatement extends StatementBase {
  readonly kind: 'heartbeat'
  readonly ownerDigest: Uint8Array
  readonly count: number
  /** Lifetime (ms) this heartbeat gives the registrations it vouches for, if longer than their TTLs; 0: none. */
  readonly leaseMs: number
  /** The owner's neighbours, as its heartbeat lists them (attestation.ts); empty for none. */
  readonly neighbours: Uint8Array
}

/** A statement about one instance: its registration or its tombstone. */
export type InstanceStatement = RegistrationStatement | TombstoneStatement
/** Any signed statement an owner makes. */
export type Statement = InstanceStatement | HeartbeatStatement

/** The fields validateInstance checks: shared by InstanceSpec and Instance. */
export interface InstanceFields {
  service: string
  id: string
  version?: string
  addresses: readonly string[]
  metadata?: Readonly<Record<string, string>>
  endpoints?: readonly ServiceEndpoint[]
  ttlMs?: number
}

/** What an owner asks to sign; exactly one of the three kinds. */
export type StatementContent =
  | { registration: InstanceSpec & { createdAt: number; ttlMs: number; leaderTerm?: number } }
  | { tombstone: { service: string; id: string; ttlMs: number } }
  | {
      heartbeat: {
        ownerDigest: Uint8Array
        count: number
        leaseMs: number
        neighbours?: Uint8Array
      }
    }

/** Signs a statement and returns it in the same form a receiver gets after verification. */
export function signStatement(
  signer: Signer,
  version: Version,
  content: StatementContent,
  limits: MembershipLimits,
  domain: SigningDomain,
): Statement {
  const body: wire.StatementBody = {
    schema: SCHEMA_VERSION,
    owner: signer.publicKey,
    incarnation: version.incarnation,
    counter: version.counter,
  }
  if ('registration' in content) {
    const r = content.registration
    body.registration = {
      service: r.service,
      serviceVersion: r.version ?? '',
      instanceId: r.id,
      addresses: r.addresses,
      metadata: new Map(Object.entries(r.metadata ?? {})),
      endpoints: (r.endpoints ?? []).map(endpointToWire),
      createdAt: BigInt(r.createdAt),
      ttlMs: r.ttlMs,
      leaderTerm: BigInt(r.leaderTerm ?? 0),
    }
  } else if ('tombstone' in content) {
    const t = content.tombstone
    body.tombstone = { service: t.service, instanceId: t.id, ttlMs: t.ttlMs }
  } else {
    body.heartbeat = {
      ownerDigest: content.heartbeat.ownerDigest,
      statementCount: content.heartbeat.count,
      leaseMs: content.heartbeat.leaseMs,
      neighbours: content.heartbeat.neighbours ?? new Uint8Array(0),
    }
  }
  const bodyBytes = wire.StatementBody.encode(body)
  const signed: wire.SignedStatement = {
    owner: signer.publicKey,
    body: bodyBytes,
    signature: signer.sign(bodyBytes, domain),
  }
  const encodedSize = wire.SignedStatement.encode(signed).byteLength
  if (encodedSize > limits.maxStatementBytes) {
    throw new InputTooLargeError(
      `statement is ${encodedSize} bytes, the limit is ${limits.maxStatementBytes}`,
    )
  }
  return interpretBody(signed, body, limits)
}

/**
 * Verifies (for `domain`'s cluster) and parses a signed envelope. Throws a GossipSdError naming
 * what is wrong; nothing else escapes, whatever the bytes. A statement signed for another
 * cluster fails as a bad signature: the cluster is not on the wire, only in what was signed.
 */
export function openStatement(
  signed: wire.SignedStatement,
  limits: MembershipLimits,
  domain: SigningDomain,
): Statement {
  if (!verifyStatementSignature(signed.owner, signed.body, signed.signature, domain)) {
    throw new InvalidSignatureError(
      `signature does not verify against the owner key in cluster ${JSON.stringify(domain.cluster)}`,
    )
  }
  let body: wire.StatementBody
  try {
    body = wire.StatementBody.decode(signed.body)
  } catch (err) {
    throw new MalformedInputError(`statement body does not decode: ${describe(err)}`)
  }
  if (!bytesEqual(body.owner, signed.owner)) {
    throw new OwnerMismatchError('statement body names a different owner than the signing key')
  }
  return interpretBody(signed, body, limits)
}

/** Decodes a signed envelope from bytes (no verification yet). */
export function decodeSignedStatement(
  bytes: Uint8Array,
  limits: MembershipLimits,
): wire.SignedStatement {
  if (bytes.byteLength > limits.maxStatementBytes) {
    throw new InputTooLargeError(
      `statement is ${bytes.byteLength} bytes, the limit is ${limits.maxStatementBytes}`,
    )
  }
  let signed: wire.SignedStatement
  try {
    signed = wire.SignedStatement.decode(bytes)
  } catch (err) {
    throw new MalformedInputError(`signed statement does not decode: ${describe(err)}`)
  }
  assertCanonical(wire.SignedStatement.encode(signed), bytes, 'signed statement')
  return signed
}

/**
 * Rejects bytes that decode but are not the canonical encoding of what they decode to (protobuf
 * readers accept wrong wire types, repeated fields and the like). Every byte a peer sends then
 * means exactly one thing, and any flipped byte is caught.
 */
export function assertCanonical(canonical: Uint8Array, received: Uint8Array, what: string): void {
  if (!bytesEqual(canonical, received))
    throw new MalformedInputError(`${what} is not in canonical encoding`)
}

/** The wire bytes of a statement, signature included. */
export function encodeSignedStatement(statement: Statement): Uint8Array {
  return wire.SignedStatement.encode(statement.signed)
}

function interpretBody(
  signed: wire.SignedStatement,
  body: wire.StatementBody,
  limits: MembershipLimits,
): Statement {
  if (body.schema !== SCHEMA_VERSION) throw new UnknownSchemaError(body.schema)
  const kinds =
    Number(body.registration !== undefined) +
    Number(body.tombstone !== undefined) +
    Number(body.heartbeat !== undefined)
  if (kinds !== 1)
    throw new MalformedInputError(`a statement carries exactly one kind, found ${kinds}`)
  if (body.incarnation === 0n || body.counter === 0n) {
    throw new MalformedInputError('incarnation and counter start at 1')
  }
  const owner = ownerIdOf(body.owner)
  const version: Version = { incarnation: body.incarnation, counter: body.counter }
  if (body.registration !== undefined) {
    const r = body.registration
    const instance: Instance = {
      key: instanceKey(owner, r.service, r.instanceId),
      service: strings.intern(r.service),
      id: r.instanceId,
      version: strings.intern(r.serviceVersion),
      addresses: Object.freeze(r.addresses),
      metadata: metadataTable.intern(Object.fromEntries(r.metadata)),
      endpoints: endpointTable.intern(r.endpoints.map(endpointFromWire)),
      owner,
      createdAt: Number(r.createdAt),
      ttlMs: r.ttlMs,
      leaderTerm: Number(r.leaderTerm),
      revision: version,
    }
    validateInstance(instance, limits)
    if (r.createdAt > BigInt(MAX_CREATED_AT_MS))
      throw new OutOfRangeError(`createdAt ${r.createdAt} is beyond ${MAX_CREATED_AT_MS}`)
    if (r.leaderTerm > BigInt(MAX_LEADER_TERM))
      throw new OutOfRangeError(`leaderTerm ${r.leaderTerm} is beyond ${MAX_LEADER_TERM}`)
    return { kind: 'registration', owner, version, signed, key: instance.key, instance }
  }
  if (body.tombstone !== undefined) {
    const t = body.tombstone
    validateName('service', t.service, limits)
    validateName('instance id', t.instanceId, limits)
    validateTtl(t.ttlMs, limits)
    return {
      kind: 'tombstone',
      owner,
      version,
      signed,
      key: instanceKey(owner, t.service, t.instanceId),
      service: t.service,
      id: t.instanceId,
      ttlMs: t.ttlMs,
    }
  }
  const h = body.heartbeat as wire.Heartbeat
  if (h.ownerDigest.byteLength !== OWNER_DIGEST_BYTES) {
    throw new MalformedInputError(`owner digest must be ${OWNER_DIGEST_BYTES} bytes`)
  }
  if (h.leaseMs !== 0) validateTtl(h.leaseMs, limits)
  validateNeighbours(h.neighbours)
  return {
    kind: 'heartbeat',
    owner,
    version,
    signed,
    ownerDigest: h.ownerDigest,
    count: h.statementCount,
    leaseMs: h.leaseMs,
    neighbours: h.neighbours,
  }
}

/**
 * Checks an instance against the limits. Used both when a local caller registers (so bad input
 * fails at the API with a named error) and when a peer's statement arrives.
 */
export function validateInstance(spec: InstanceFields, limits: MembershipLimits): void {
  validateName('service', spec.service, limits)
  validateName('instance id', spec.id, limits)
  if (spec.version !== undefined) validateString('version', spec.version, limits)
  if (!Array.isArray(spec.addresses))
    throw new InvalidArgumentError('addresses must be an array of strings')
  if (spec.addresses.length > limits.maxAddresses) {
    throw new InputTooLargeError(
      `${spec.addresses.length} addresses, the limit is ${limits.maxAddresses}`,
    )
  }
  for (const address of spec.addresses) validateString('address', address, limits)
  if (spec.metadata !== undefined) validateMetadata(spec.metadata, limits)
  if (spec.endpoints !== undefined) {
    if (!Array.isArray(spec.endpoints)) throw new InvalidArgumentError('endpoints must be an array')
    if (spec.endpoints.length > limits.maxEndpoints) {
      throw new InputTooLargeError(
        `${spec.endpoints.length} endpoints, the limit is ${limits.maxEndpoints}`,
      )
    }
    for (const e of spec.endpoints) {
      if (e === null || typeof e !== 'object')
        throw new InvalidArgumentError('an endpoint must be an object')
      validateString('endpoint name', e.name, limits)
      validateMetadata(e.metadata ?? {}, limits)
      if (e.request !== undefined) validateValue(e.request, 1, limits)
      if (e.response !== undefined) validateValue(e.response, 1, limits)
    }
  }
  if (spec.ttlMs !== undefined) validateTtl(spec.ttlMs, limits)
}

export function validateTtl(ttlMs: number, limits: MembershipLimits): void {
  if (
    typeof ttlMs !== 'number' ||
    !Number.isInteger(ttlMs) ||
    ttlMs < limits.minTtlMs ||
    ttlMs > limits.maxTtlMs
  ) {
    throw new TtlOutOfBoundsError(Number(ttlMs), limits.minTtlMs, limits.maxTtlMs)
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/

export function validateName(what: string, value: string, limits: MembershipLimits): void {
  validateString(what, value, limits)
  if (value.length === 0) throw new InvalidArgumentError(`${what} must not be empty`)
  if (CONTROL_CHARACTERS.test(value))
    throw new InvalidArgumentError(`${what} must not contain control characters`)
}

function validateString(what: string, value: unknown, limits: MembershipLimits): void {
  if (typeof value !== 'string') throw new InvalidArgumentError(`${what} must be a string`)
  if (Buffer.byteLength(value) > limits.maxFieldBytes) {
    throw new InputTooLargeError(`${what} is longer than ${limits.maxFieldBytes} bytes`)
  }
}

function validateMetadata(metadata: unknown, limits: MembershipLimits): void {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new InvalidArgumentError('metadata must be an object of strings')
  }
  const entries = Object.entries(metadata)
  if (entries.length > limits.maxMetadataEntries) {
    throw new InputTooLargeError(
      `${entries.length} metadata entries, the limit is ${limits.maxMetadataEntries}`,
    )
  }
  for (const [k, v] of entries) {
    validateString('metadata key', k, limits)
    validateString(`metadata value of ${k}`, v, limits)
  }
}

function validateValue(value: ServiceValue, depth: number, limits: MembershipLimits): void {
  if (depth > limits.maxValueDepth)
    throw new InputTooLargeError(`value tree deeper than ${limits.maxValueDepth}`)
  if (value === null || typeof value !== 'object')
    throw new InvalidArgumentError('a value must be an object')
  validateString('value name', value.name, limits)
  validateString('value type', value.type, limits)
  const children = value.values ?? []
  if (!Array.isArray(children)) throw new InvalidArgumentError('value.values must be an array')
  if (children.length > limits.maxEndpoints)
    throw new InputTooLargeError('value has too many children')
  for (const child of children) validateValue(child, depth + 1, limits)
}

function endpointToWire(e: ServiceEndpoint): wire.Endpoint {
  return {
    name: e.name,
    request: e.request === undefined ? undefined : valueToWire(e.request),
    response: e.response === undefined ? undefined : valueToWire(e.response),
    metadata: new Map(Object.entries(e.metadata ?? {})),
  }
}

function valueToWire(v: ServiceValue): wire.Value {
  return { name: v.name, type: v.type, values: (v.values ?? []).map(valueToWire) }
}

function endpointFromWire(e: wire.Endpoint): ServiceEndpoint {
  const endpoint: ServiceEndpoint = { name: e.name, metadata: Object.fromEntries(e.metadata) }
  if (e.request !== undefined) endpoint.request = e.request
  if (e.response !== undefined) endpoint.response = e.response
  return endpoint
}

function describe(err: unknown): string {
  if (err instanceof GossipSdError) return err.message
  return err instanceof Error ? err.message : String(err)
}
