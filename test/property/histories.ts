/**
 * Generated universes of signed statements for property tests. A universe is the history of
 * several owners (keys from a small pool), each living through one or more incarnations
 * (restarts, with incarnations that grow by gaps), registering, updating and deleting instances
 * of several services with several TTLs, and signing heartbeats with and without a lease; some
 * versions are signed twice with different bodies (an equivocating owner). Each heartbeat vouches
 * for its owner's true live set at that moment, and the universe records that set, so a model
 * can tell which heartbeat vouches for what a replica holds without asking the code under test.
 *
 * Signing costs ~15 µs, so statements are memoised by what was signed: fast-check's many runs
 * and shrinks reuse the signatures of the plans they share.
 */
import fc from 'fast-check'
import type { Signer } from '../../src/membership/identity.ts'
import { ServiceSet } from '../../src/membership/service-set.ts'
import type { HeartbeatStatement, Statement } from '../../src/membership/statement.ts'
import { heartbeatFor, registration, signerFor, tombstone } from '../fixtures/statements.ts'

export const SERVICES = ['svc-a', 'svc-b', 'svc-c'] as const
const IDS = ['x', 'y', 'z'] as const
/** TTLs a generated owner picks from (DEFAULT_LIMITS accepts 1 s to 24 h). */
export const TTLS = [1_000, 2_000, 5_000] as const
/** Leases a heartbeat may sign: none, or longer than every TTL above. */
export const LEASES = [0, 8_000, 20_000] as const

type Op =
  | {
      readonly kind: 'register'
      readonly service: number
      readonly id: number
      readonly ttl: number
      readonly twice: boolean
    }
  | {
      readonly kind: 'deregister'
      readonly service: number
      readonly id: number
      readonly ttl: number
      readonly twice: boolean
    }
  | { readonly kind: 'heartbeat'; readonly lease: number; readonly twice: boolean }

interface OwnerPlan {
  readonly owner: number
  /** Incarnation steps (first incarnation = first step) and each incarnation's operations. */
  readonly lives: readonly { readonly step: number; readonly ops: readonly Op[] }[]
}

export interface Universe {
  readonly statements: readonly Statement[]
  /** Per heartbeat: the signatures (hex) of its owner's live registrations when it was signed. */
  readonly vouchesFor: ReadonlyMap<HeartbeatStatement, ReadonlySet<string>>
}

const index = (n: number) => fc.integer({ min: 0, max: n - 1 })
/** A registration or tombstone of one of the instances, twice (equivocating) or not. */
const instanceOp = <K extends 'register' | 'deregister'>(kind: K) =>
  fc.record({
    kind: fc.constant(kind),
    service: index(SERVICES.length),
    id: index(IDS.length),
    ttl: fc.constantFrom(...TTLS),
    twice: fc.boolean(),
  })

const op = (equivocatingHeartbeats: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 4, arbitrary: instanceOp('register') },
    { weight: 2, arbitrary: instanceOp('deregister') },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('heartbeat' as const),
        lease: fc.constantFrom(...LEASES),
        twice: equivocatingHeartbeats ? fc.boolean() : fc.constant(false),
      }),
    },
  )

const ownerPlan = (owner: number, equivocatingHeartbeats: boolean): fc.Arbitrary<OwnerPlan> =>
  fc.record({
    owner: fc.constant(owner),
    lives: fc.array(
      fc.record({
        step: fc.integer({ min: 1, max: 3 }),
        ops: fc.array(op(equivocatingHeartbeats), { minLength: 1, maxLength: 7 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })

/** Owners are drawn from a pool of this many keys. */
const OWNER_POOL = 4

/**
 * Universes of 1 to 3 owners. Heartbeat equivocation can be left out: anti-entropy compares
 * heartbeats by counter alone, so two replicas holding different heartbeats at one version never
 * exchange them (only an owner that signs two bodies at one version gets there).
 */
export function universes(options: { equivocatingHeartbeats: boolean }): fc.Arbitrary<Universe> {
  const fresh = fc
    .uniqueArray(index(OWNER_POOL), { minLength: 1, maxLength: 3 })
    .chain((owners) =>
      fc.tuple(...owners.map((owner) => ownerPlan(owner, options.equivocatingHeartbeats))),
    )
    .map(buildUniverse)
  // Building a universe (signing, the owners' own views) costs far more than a run using it:
  // most runs draw one of a pool built once per seed, a tenth build a fresh one.
  let pool: Universe[] | undefined
  const pooled = fc.nat(POOL_SIZE - 1).map((i) => {
    pool ??= fc.sample(fresh, { seed: POOL_SEED, numRuns: POOL_SIZE })
    return pool[i] as Universe
  })
  return fc.oneof({ weight: 9, arbitrary: pooled }, { weight: 1, arbitrary: fresh })
}

const POOL_SEED = 19
const POOL_SIZE = 60

export const universeArbitrary = universes({ equivocatingHeartbeats: true })

const signers = new Map<number, Signer>()
const signersById = new Map<string, Signer>()
function signerOf(owner: number): Signer {
  let signer = signers.get(owner)
  if (signer === undefined) {
    signer = signerFor(`generated-owner-${owner}`)
    signers.set(owner, signer)
    signersById.set(signer.ownerId, signer)
  }
  return signer
}

/** The signer of a generated owner (by peer ID), for tests that forge with its key. */
export function generatedSigner(ownerId: string): Signer {
  const signer = signersById.get(ownerId)
  if (signer === undefined) throw new Error(`${ownerId} is not a generated owner`)
  return signer
}

/** Every key of the owner pool (some universes leave some out). */
export function ownerPool(): Signer[] {
  return Array.from({ length: OWNER_POOL }, (_, owner) => signerOf(owner))
}

const signed = new Map<string, Statement>()
function memo<S extends Statement>(key: string, sign: () => S): S {
  let s = signed.get(key)
  if (s === undefined) {
    s = sign()
    signed.set(key, s)
  }
  return s as S
}

function buildUniverse(plans: readonly OwnerPlan[]): Universe {
  const statements: Statement[] = []
  const vouchesFor = new Map<HeartbeatStatement, ReadonlySet<string>>()
  for (const plan of plans) {
    const signer = signerOf(plan.owner)
    let incarnation = 0n
    for (const life of plan.lives) {
      incarnation += BigInt(life.step)
      // The owner's own view: what its heartbeats vouch for.
      const own = new ServiceSet()
      let counter = 0n
      for (const o of life.ops) {
        counter++
        const version = { incarnation, counter }
        const tag = `${plan.owner}|${incarnation}|${counter}|${JSON.stringify(o)}`
        const bodies = o.twice ? [0, 1] : [0]
        for (const variant of bodies) {
          let s: Statement
          if (o.kind === 'register') {
            const spec = {
              service: SERVICES[o.service] as string,
              id: IDS[o.id] as string,
              addresses: [`10.0.${counter}.${variant}:80`],
              ttlMs: o.ttl,
            }
            s = memo(`${tag}|${variant}`, () =>
              registration(signer, version, spec, Number(incarnation) * 1_000),
            )
          } else if (o.kind === 'deregister') {
            const ttl = variant === 0 ? o.ttl : o.ttl + 1_000
            s = memo(`${tag}|${variant}`, () =>
              tombstone(signer, version, IDS[o.id] as string, SERVICES[o.service], ttl),
            )
          } else {
            const lease = variant === 0 ? o.lease : o.lease === 0 ? 8_000 : 0
            const digest = Buffer.from(own.liveDigest(signer.ownerId)).toString('hex')
            const hb = memo(`${tag}|${variant}|${digest}|${lease}`, () =>
              heartbeatFor(signer, version, own, lease),
            )
            vouchesFor.set(hb, liveSignatures(own, signer.ownerId))
            s = hb
          }
          statements.push(s)
        }
        // The owner applies every body it signed: its own view keeps what replicas keep.
        for (const s of statements.slice(-bodies.length)) own.apply(s, 0)
      }
    }
  }
  return { statements, vouchesFor }
}

function liveSignatures(set: ServiceSet, owner: string): Set<string> {
  const out = new Set<string>()
  for (const e of set.rawEntries())
    if (e.statement.kind === 'registration' && e.statement.owner === owner)
      out.add(signatureOf(e.statement))
  return out
}

export function signatureOf(s: Statement): string {
  return Buffer.from(s.signed.signature).toString('hex')
}

/** One statement as a replica heard it: at `refreshedAt` on the replica's clock. */
export interface Heard {
  readonly statement: Statement
  readonly refreshedAt: number
}

/** Any multiset of the universe's statements (duplicates, omissions), in any order. */
export function heardArbitrary(
  universe: Universe,
  maxLength = 40,
  maxRefresh = 10_000,
): fc.Arbitrary<Heard[]> {
  const n = universe.statements.length
  return fc
    .array(fc.tuple(fc.nat(n - 1), fc.integer({ min: 0, max: maxRefresh })), { maxLength })
    .map((picks) =>
      picks.map(([i, refreshedAt]) => ({
        statement: universe.statements[i] as Statement,
        refreshedAt,
      })),
    )
}

/** A universe and what one replica heard of it. */
export const heardUniverseArbitrary = universeArbitrary.chain((universe) =>
  heardArbitrary(universe).map((heard) => ({ universe, heard })),
)

export function setFrom(
  heard: readonly Heard[],
  options?: { ownerRetentionMs?: number },
): ServiceSet {
  const set = new ServiceSet(options)
  for (const h of heard) set.apply(h.statement, h.refreshedAt)
  return set
}
