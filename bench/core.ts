/**
 * bench:core — the membership core's costs on this machine: merges, signatures, codec, memory
 * per live record, and anti-entropy digest + delta for two replicas that differ by 1%, compared
 * in full and with bucket fingerprints.
 * Usage: npm run bench:core [-- --json out.json]
 */
import { performance } from 'node:perf_hooks'
import { encodeFrame, packFrames } from '../src/membership/frame.ts'
import {
  type Signer,
  signerFromSeed,
  signingDomain,
  verifyStatementSignature,
} from '../src/membership/identity.ts'
import { DEFAULT_LIMITS } from '../src/membership/limits.ts'
import { Replica } from '../src/membership/replica.ts'
import { ServiceSet } from '../src/membership/service-set.ts'
import {
  decodeSignedStatement,
  encodeSignedStatement,
  openStatement,
  type RegistrationStatement,
  SCHEMA_VERSION,
  signStatement,
} from '../src/membership/statement.ts'
import type { InstanceSpec } from '../src/membership/types.ts'
import * as wire from '../src/membership/wire.ts'
import { printTable, type Row, writeJsonIfAsked } from './table.ts'

const INSTANCES_PER_OWNER = 10
const DOMAIN = signingDomain('default')

function signers(count: number, offset = 0): Signer[] {
  return Array.from({ length: count }, (_, i) => {
    const seed = new Uint8Array(32)
    new DataView(seed.buffer).setUint32(0, i + offset + 1)
    return signerFromSeed(seed)
  })
}

/** A typical registration: a handful of metadata entries and two endpoints. */
function typicalSpec(
  owner: number,
  index: number,
): InstanceSpec & { createdAt: number; ttlMs: number } {
  return {
    service: `svc-${index % 50}`,
    id: `instance-${owner}-${index}`,
    version: '1.4.2',
    addresses: [`10.${(owner >> 8) & 255}.${owner & 255}.${index}:8080`],
    metadata: { protocol: 'grpc', region: 'eu-west-1', zone: 'b', build: 'abc1234' },
    endpoints: [
      {
        name: 'Greeter.Hello',
        request: { name: 'Req', type: 'string', values: [] },
        response: { name: 'Rsp', type: 'string', values: [] },
        metadata: {},
      },
      { name: 'Greeter.Stream', metadata: { stream: 'true' } },
    ],
    createdAt: 1_700_000_000_000,
    ttlMs: 5000,
  }
}

function registrations(owners: Signer[]): RegistrationStatement[] {
  return owners.flatMap((signer, o) =>
    Array.from(
      { length: INSTANCES_PER_OWNER },
      (_, i) =>
        signStatement(
          signer,
          { incarnation: 1n, counter: BigInt(i + 1) },
          { registration: typicalSpec(o, i) },
          DEFAULT_LIMITS,
          DOMAIN,
        ) as RegistrationStatement,
    ),
  )
}

function rate(count: number, fn: () => void): number {
  const start = performance.now()
  fn()
  return count / ((performance.now() - start) / 1000)
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc
  collect?.()
  collect?.()
}

const rows: Row[] = []
const record = (measure: string, value: number, unit: string, target = '') =>
  rows.push({ measure, value, unit, target })

// Signing and verification.
const [signer] = signers(1) as [Signer]
const body = wire.StatementBody.encode({
  schema: SCHEMA_VERSION,
  owner: signer.publicKey,
  incarnation: 1n,
  counter: 1n,
  registration: {
    ...typicalSpec(0, 0),
    leaderTerm: 0n,
    serviceVersion: '1.4.2',
    instanceId: 'x',
    metadata: new Map(),
    endpoints: [],
    createdAt: 1n,
  },
})
const SIGN_COUNT = 20_000
const signatures: Uint8Array[] = []
record(
  'signatures made',
  rate(SIGN_COUNT, () => {
    for (let i = 0; i < SIGN_COUNT; i++) signatures.push(signer.sign(body, DOMAIN))
  }),
  '/s',
)
const sample = registrations(signers(2_000, 10_000))
record(
  'signatures verified (Ed25519 only)',
  rate(sample.length, () => {
    for (const s of sample)
      verifyStatementSignature(s.signed.owner, s.signed.body, s.signed.signature, DOMAIN)
  }),
  '/s',
  '>= 20,000/s',
)
record(
  'statements opened (verify + decode + validate)',
  rate(sample.length, () => {
    for (const s of sample) openStatement(s.signed, DEFAULT_LIMITS, DOMAIN)
  }),
  '/s',
)

// Codec.
const encoded = sample.map(encodeSignedStatement)
const ROUNDS = 5
record(
  'statements encoded',
  rate(sample.length * ROUNDS, () => {
    for (let r = 0; r < ROUNDS; r++) for (const s of sample) encodeSignedStatement(s)
  }),
  '/s',
)
record(
  'statements decoded (envelope + body)',
  rate(encoded.length * ROUNDS, () => {
    for (let r = 0; r < ROUNDS; r++)
      for (const bytes of encoded)
        wire.StatementBody.decode(decodeSignedStatement(bytes, DEFAULT_LIMITS).body)
  }),
  '/s',
)
const typicalBytes = encoded.reduce((sum, b) => sum + b.byteLength, 0) / encoded.length
record('typical record on the wire', typicalBytes, 'bytes', '<= 1 KiB')

// Merge of verified statements.
const MERGE_ROUNDS = 10
record(
  'records merged (apply, new keys)',
  rate(sample.length * MERGE_ROUNDS, () => {
    for (let r = 0; r < MERGE_ROUNDS; r++) {
      const set = new ServiceSet()
      for (const s of sample) set.apply(s, 0)
    }
  }),
  '/s',
  '>= 1,000,000/s',
)
const warm = new ServiceSet()
for (const s of sample) warm.apply(s, 0)
record(
  'records merged (apply, duplicates/refreshes)',
  rate(sample.length * MERGE_ROUNDS, () => {
    for (let r = 1; r <= MERGE_ROUNDS; r++) for (const s of sample) warm.apply(s, r)
  }),
  '/s',
  '>= 1,000,000/s',
)

// Memory per 100,000 live records.
const LIVE = 100_000
const liveStatements = registrations(signers(LIVE / INSTANCES_PER_OWNER, 100_000))
const liveBytes = liveStatements.map(encodeSignedStatement)
liveStatements.length = 0
gc()
const before = process.memoryUsage()
const replica = new Replica({ verifyCacheSize: 0 })
for (const bytes of liveBytes)
  replica.receive({ statement: decodeSignedStatement(bytes, replica.limits), ageMs: 0 }, 0)
gc()
const after = process.memoryUsage()
if (replica.set.instances().length !== LIVE) throw new Error('not every record is live')
const heapPerRecord =
  (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / LIVE
record('heap per live record', heapPerRecord, 'bytes', '<= 1 KiB')
record('RSS per 100,000 live records', (after.rss - before.rss) / 1024 / 1024, 'MiB')

// Digest + delta: 10,000 records in 1,000 owners, the other replica misses 1% of them.
const a = new ServiceSet()
const b = new ServiceSet()
const tenK = registrations(signers(1_000, 300_000))
tenK.forEach((s, i) => {
  a.apply(s, 0)
  if (i % 100 !== 0) b.apply(s, 0)
})
let deltaEntries = 0
const DIGEST_ROUNDS = 20
const digestStart = performance.now()
for (let r = 0; r < DIGEST_ROUNDS; r++) {
  a.apply(tenK[r] as RegistrationStatement, r) // touch one owner so its cached hash is recomputed
  deltaEntries = a.delta(b.digest()).length
}
const digestMs = (performance.now() - digestStart) / DIGEST_ROUNDS
const digestBytes = encodeFrame({ gossip: [], digest: b.digest(), wantReply: true }).byteLength
const deltaBytes = packFrames(a.delta(b.digest()), 0, DEFAULT_LIMITS.maxFrameBytes).reduce(
  (sum, f) => sum + f.byteLength,
  0,
)
record('digest + delta, 10,000 records differing by 1%', digestMs, 'ms')
record('  digest frame size', digestBytes, 'bytes')
record('  delta size (statements sent)', deltaEntries, 'statements')
record('  delta frame bytes', deltaBytes, 'bytes')

// The same comparison as a full exchange runs it: b opens with bucket fingerprints, a answers
// with its summaries of the buckets that differ, b answers with its summaries that differ, and
// a's delta follows. Then the common case: replicas that agree.
function measureBucketedExchange(): void {
  const bucketStart = performance.now()
  let bucketDelta = 0
  for (let r = 0; r < DIGEST_ROUNDS; r++) {
    a.apply(tenK[r] as RegistrationStatement, DIGEST_ROUNDS + r)
    bucketDelta = a.delta(b.differences(a.bucketAnswer(b.bucketDigest()))).length
  }
  const bucketMs = (performance.now() - bucketStart) / DIGEST_ROUNDS
  const answer = a.bucketAnswer(b.bucketDigest())
  const bucketBytes =
    encodeFrame({ gossip: [], buckets: b.bucketDigest(), wantReply: false }).byteLength +
    encodeFrame({ gossip: [], digest: answer, wantReply: true }).byteLength +
    encodeFrame({ gossip: [], digest: b.differences(answer), wantReply: true }).byteLength
  record('bucketed exchange, the same replicas', bucketMs, 'ms')
  record('  digest frames (fingerprints, answer, differences)', bucketBytes, 'bytes')
  record('  delta size (statements sent)', bucketDelta, 'statements')
  const agreeing = new ServiceSet()
  for (const entry of a.rawEntries()) agreeing.apply(entry.statement, entry.refreshedAt)
  const agreeStart = performance.now()
  for (let r = 0; r < DIGEST_ROUNDS; r++) a.bucketAnswer(agreeing.bucketDigest())
  record(
    'bucketed exchange, replicas that agree',
    (performance.now() - agreeStart) / DIGEST_ROUNDS,
    'ms',
  )
  record(
    '  digest frames (fingerprints, empty answer)',
    encodeFrame({ gossip: [], buckets: agreeing.bucketDigest(), wantReply: false }).byteLength +
      encodeFrame({ gossip: [], digest: a.bucketAnswer(agreeing.bucketDigest()), wantReply: false })
        .byteLength,
    'bytes',
  )
}
measureBucketedExchange()

printTable(`bench:core — node ${process.version}, ${new Date().toISOString()}`, rows)
writeJsonIfAsked({ node: process.version, date: new Date().toISOString(), rows })
