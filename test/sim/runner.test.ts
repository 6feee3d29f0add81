import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  builtInScenarios,
  checkProperties,
  loadScenario,
  parseScenario,
  renderHtml,
  runScenario,
  type Scenario,
  ScenarioError,
} from '../../sim/index.ts'

const small: Scenario = {
  name: 'small',
  nodes: 6,
  instancesPerNode: 2,
  services: 2,
  preset: 'local',
  startSpreadMs: 300,
  durationMs: 8_000,
  sampleMs: 50,
  network: {
    loss: 0.05,
    duplication: 0.05,
    latency: { dist: 'lognormal', medianMs: 3, sigma: 0.8 },
  },
  clocks: { offsetMs: 5_000, driftPpm: 300 },
  events: [
    { at: 1_500, type: 'partition', groups: [{ slots: [0, 1, 2] }] },
    { at: 3_000, type: 'crash', nodes: { slots: [5] } },
    { at: 3_500, type: 'heal' },
    { at: 4_000, type: 'restart', nodes: { slots: [5] }, keepIdentity: false },
  ],
}

test('the same seed gives the same run, event for event; another seed another run', async () => {
  const a = await runScenario(small, { seed: 42 })
  const b = await runScenario(small, { seed: 42 })
  const c = await runScenario(small, { seed: 43 })
  assert.equal(a.trace.hash, b.trace.hash)
  assert.equal(a.trace.events, b.trace.events)
  assert.deepEqual(a.curve, b.curve)
  assert.deepEqual(a.network, b.network)
  assert.notEqual(a.trace.hash, c.trace.hash)
  assert.ok(a.trace.events > 1000)
})

test('a partition with crash and identity change heals: every live node holds the true set', async () => {
  const summary = await runScenario(small, { seed: 7 })
  assert.deepEqual(checkProperties(summary, 3_000), [])
  assert.equal(summary.nodes.live, 6)
  assert.ok((summary.curve.at(-1)?.[1] ?? 0) === 1)
})

test('leader-crash: the crashed leader is replaced once its record expires, and the cluster agrees', async () => {
  const summary = await runScenario(loadScenario('leader-crash'), { seed: 3 })
  assert.deepEqual(checkProperties(summary, 5_000), [])
  const timeline = summary.leaderTimeline['svc-0'] ?? []
  const before = timeline.find((s) => s.from <= 5_900 && s.to >= 5_900)
  const after = timeline.at(-1)
  assert.ok(before !== undefined && after !== undefined)
  assert.notEqual(before.leader, after.leader, 'a new leader after the crash')
  assert.equal(summary.leaderAgreement.at(-1)?.[1], 1)
})

test('partition-heal at small scale splits the brain during the partition only', async () => {
  const scenario = { ...loadScenario('partition-heal'), nodes: 16, instancesPerNode: 2 }
  const summary = await runScenario(scenario, { seed: 1 })
  assert.deepEqual(checkProperties(summary, 10_000), [])
  const split = summary.splitBrain['svc-0'] ?? []
  assert.ok(
    split.some(([from, to]) => from > 10_000 && to >= 30_000 && to < 32_000),
    JSON.stringify(split),
  )
})

test('beyond the heartbeat capacity, load stays within the budget and a partition longer than the lease heals', async () => {
  // lan with a budget of 5 heartbeats/s serves 5 nodes: 40 nodes stretch heartbeats 8× (every
  // 8 s) with a 24 s lease, so the 40 s partition expires each side's view of the other.
  const scenario: Scenario = {
    ...loadScenario('partition-heal'),
    nodes: 40,
    instancesPerNode: 2,
    preset: 'lan',
    config: { maxHeartbeatsPerSecond: 5 },
    durationMs: 110_000,
    loadWindowMs: [60_000, 110_000],
    events: [
      {
        at: 10_000,
        type: 'partition',
        groups: [
          { from: 0, to: 0.5 },
          { from: 0.5, to: 1 },
        ],
      },
      { at: 50_000, type: 'heal' },
    ],
  }
  const summary = await runScenario(scenario, { seed: 4 })
  assert.deepEqual(checkProperties(summary, 10_000), [])
  const split = summary.splitBrain['svc-0'] ?? []
  assert.ok(
    split.some(([from, to]) => from > 30_000 && from <= 35_000 + 1_000 && to >= 50_000),
    `the far side expires once the lease has run out: ${JSON.stringify(split)}`,
  )
  // Heartbeats (jittered down by up to 10 %) plus the stretched anti-entropy exchanges.
  assert.ok(summary.load.receivedMsgsPerNodePerSec <= 5 / 0.9 + 1, JSON.stringify(summary.load))
  assert.ok(summary.load.receivedMsgsPerNodePerSec >= 3, JSON.stringify(summary.load))
})

test('nodes that register before their first connection are in every set within one heartbeat period', async () => {
  // wan preset: heartbeats every 2 s. Registrations made with no neighbour reach nobody; the
  // node pushes them again when its first neighbour connects (after detectMs = 500 ms).
  const scenario = { ...loadScenario('steady-state'), nodes: 40, durationMs: 4_000 }
  const summary = await runScenario(scenario, { seed: 5 })
  assert.equal(summary.convergence.unconvergedNodes, 0)
  assert.ok(
    (summary.convergence.clusterMs ?? Number.POSITIVE_INFINITY) < 2_000,
    `converged after ${summary.convergence.clusterMs} ms`,
  )
})

test('after a heal, nodes that were alone in the partition are pulled from their owners within seconds', async () => {
  // Heartbeats from owners this replica lacks queue pulls from those owners, one per
  // syncBackoffMs (1 s in wan); a node isolated in the partition is known by nobody at heal.
  const scenario = {
    ...loadScenario('partition-heal'),
    nodes: 60,
    instancesPerNode: 2,
    durationMs: 40_000,
    events: [
      { at: 10_000, type: 'partition' as const, groups: [{ slots: [0] }, { slots: [1] }] },
      { at: 30_000, type: 'heal' as const },
    ],
  }
  const summary = await runScenario(scenario, { seed: 2 })
  assert.deepEqual(checkProperties(summary, 5_000), [])
  assert.ok(
    (summary.convergence.clusterMs ?? Number.POSITIVE_INFINITY) <= 3_000,
    `converged ${summary.convergence.clusterMs} ms after the heal`,
  )
})

test('a restart while a graceful stop is still sending its tombstones leaves the new process running', async () => {
  const summary = await runScenario(
    {
      ...small,
      network: {},
      clocks: {},
      events: [
        { at: 1_000, type: 'stop', nodes: { slots: [0] } },
        { at: 1_000, type: 'restart', nodes: { slots: [0] }, keepIdentity: false },
      ],
    },
    { seed: 0 },
  )
  assert.equal(summary.nodes.live, 6)
  assert.deepEqual(checkProperties(summary, 3_000), [])
})

test('every built-in scenario parses; invalid scenarios are named errors', () => {
  const names = builtInScenarios()
  for (const name of [
    'partition-heal',
    'asymmetric-partition',
    'flapping-link',
    'rolling-restart',
    'mass-join',
    'leader-crash',
    'clock-skew',
  ])
    assert.ok(names.includes(name), name)
  for (const name of names) assert.equal(loadScenario(name).name, name)
  assert.throws(() => parseScenario({ ...small, nodes: 0 }), ScenarioError)
  assert.throws(
    () => parseScenario({ ...small, events: [{ at: 1, type: 'explode' }] }),
    ScenarioError,
  )
  assert.throws(
    () =>
      parseScenario({ ...small, network: { latency: { dist: 'uniform', minMs: 5, maxMs: 1 } } }),
    ScenarioError,
  )
  assert.throws(() => loadScenario('no-such-scenario'), ScenarioError)
})

test('the HTML report is self-contained and draws the curve and the timeline', async () => {
  const summary = await runScenario(small, { seed: 1 })
  const html = renderHtml(summary)
  assert.match(html, /^<!doctype html>/)
  assert.equal((html.match(/<svg /g) ?? []).length, 2)
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
})
