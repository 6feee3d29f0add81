/**
 * The constants that define behaviour, pinned as literals (the documented defaults): a change to
 * any of them must fail here and be made on purpose, not slip through tests that read their
 * expectations from the code.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_LIMITS } from '../../src/membership/limits.ts'
import { TOMBSTONE_RETENTION_FACTOR } from '../../src/membership/service-set.ts'
import { lanMeshConfig, localMeshConfig, wanMeshConfig } from '../../src/mesh/config.ts'

const timings = (c: ReturnType<typeof lanMeshConfig>) => ({
  heartbeatIntervalMs: c.heartbeatIntervalMs,
  defaultTtlMs: c.defaultTtlMs,
  antiEntropyIntervalMs: c.antiEntropyIntervalMs,
  expiryIntervalMs: c.expiryIntervalMs,
  syncBackoffMs: c.syncBackoffMs,
  ownerRetentionMs: c.ownerRetentionMs,
  leaveTimeoutMs: c.leaveTimeoutMs,
  maxHeartbeatsPerSecond: c.maxHeartbeatsPerSecond,
})

test('presets: heartbeat, TTL, anti-entropy, sweep, backoff, retention, leave and heartbeat budget', () => {
  assert.deepEqual(timings(lanMeshConfig()), {
    heartbeatIntervalMs: 1000,
    defaultTtlMs: 3000,
    antiEntropyIntervalMs: 5000,
    expiryIntervalMs: 100,
    syncBackoffMs: 250,
    ownerRetentionMs: 600_000,
    leaveTimeoutMs: 3000,
    maxHeartbeatsPerSecond: 50,
  })
  assert.deepEqual(timings(wanMeshConfig()), {
    heartbeatIntervalMs: 2000,
    defaultTtlMs: 15_000,
    antiEntropyIntervalMs: 15_000,
    expiryIntervalMs: 500,
    syncBackoffMs: 1000,
    ownerRetentionMs: 600_000,
    leaveTimeoutMs: 10_000,
    maxHeartbeatsPerSecond: 50,
  })
  assert.deepEqual(timings(localMeshConfig()), {
    heartbeatIntervalMs: 250,
    defaultTtlMs: 1500,
    antiEntropyIntervalMs: 2000,
    expiryIntervalMs: 50,
    syncBackoffMs: 100,
    ownerRetentionMs: 600_000,
    leaveTimeoutMs: 1500,
    maxHeartbeatsPerSecond: 200,
  })
})

test('tombstones are kept twice the lifetime of what they delete', () => {
  assert.equal(TOMBSTONE_RETENTION_FACTOR, 2)
})

test('membership limits', () => {
  const pinned = {
    maxStatementBytes: 131_072,
    maxFieldBytes: 8192,
    maxMetadataEntries: 256,
    maxAddresses: 64,
    maxEndpoints: 1024,
    maxValueDepth: 16,
    minTtlMs: 1000,
    maxTtlMs: 86_400_000,
    maxFrameBytes: 8_388_608,
    maxOwners: 32_768,
    maxBytes: 67_108_864,
    maxOwnersPerPeer: 4096,
    maxRecordsPerOwner: 1024,
    maxBytesPerOwner: 4_194_304,
    maxVouchesPerPeer: 8,
  }
  for (const [name, value] of Object.entries(pinned))
    assert.equal(DEFAULT_LIMITS[name as keyof typeof pinned], value, name)
  assert.deepEqual(Object.keys(DEFAULT_LIMITS).sort(), Object.keys(pinned).sort())
})
