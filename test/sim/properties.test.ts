/**
 * Each simulator property can fire: a planted schedule (or, where the real protocol cannot
 * produce the failure, a run's summary with the failure planted in it) on which the checker
 * reports it, beside the same run passing untouched.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkProperties, runScenario, type Scenario, type SimSummary } from '../../sim/index.ts'

/** The local preset (TTL 1.5 s, heartbeats every 250 ms), as the generated runs use it. */
const base: Scenario = {
  name: 'planted',
  nodes: 4,
  instancesPerNode: 1,
  services: 1,
  preset: 'local',
  startSpreadMs: 200,
  durationMs: 9_000,
  sampleMs: 50,
  network: { detectMs: 300 },
  events: [
    { at: 1_000, type: 'partition', groups: [{ slots: [0, 1] }, { slots: [2, 3] }] },
    { at: 3_000, type: 'heal' },
  ],
}

const QUIET_MS = 5_000

const propertiesOf = (summary: SimSummary, quietMs = QUIET_MS) =>
  checkProperties(summary, quietMs).map((f) => f.property)

test('a partition that never heals fails convergence and leader agreement', async () => {
  const healed = await runScenario(base, { seed: 5 })
  assert.deepEqual(checkProperties(healed, QUIET_MS), [])
  const scenario: Scenario = { ...base, events: base.events.slice(0, 1) }
  const failures = propertiesOf(await runScenario(scenario, { seed: 5 }))
  assert.ok(failures.includes('convergence'), failures.join())
  assert.ok(failures.includes('leader-agreement'), failures.join())
})

test('convergence slower than the quiet bound fails convergence', async () => {
  const summary = await runScenario(base, { seed: 5 })
  const took = summary.convergence.clusterMs
  assert.ok(took !== null && took > 0, `the heal takes time to spread (${took} ms)`)
  assert.deepEqual(propertiesOf(summary, took), [])
  assert.deepEqual(propertiesOf(summary, took - 1), ['convergence'])
})

test('a resurrection seen by the safety monitors fails safety', async () => {
  const summary = await runScenario(base, { seed: 5 })
  const planted: SimSummary = {
    ...summary,
    violations: [{ at: 4_000, kind: 'deleted-resurrected', message: 'planted' }],
  }
  assert.deepEqual(propertiesOf(planted), ['safety'])
})

test('several leaders after the set converged fail leader agreement; before it, they do not', async () => {
  const summary = await runScenario(base, { seed: 5 })
  const { referenceMs, clusterMs } = summary.convergence
  assert.ok(clusterMs !== null)
  const settledAt = referenceMs + clusterMs
  const withSplit = (from: number, to: number): SimSummary => ({
    ...summary,
    splitBrain: { ...summary.splitBrain, 'svc-0': [[from, to]] },
  })
  // Split until the sample at which the set converged (half-open): not after it.
  assert.deepEqual(propertiesOf(withSplit(settledAt - 500, settledAt)), [])
  // Split at one sample after it, well before the end and the quiet bound.
  assert.deepEqual(propertiesOf(withSplit(settledAt, settledAt + 50)), ['leader-agreement'])
  // As in generated runs: the run ends exactly at the quiet bound, split to the end.
  const end = referenceMs + QUIET_MS
  assert.deepEqual(propertiesOf({ ...withSplit(end - 100, end), virtualMs: end }), [
    'leader-agreement',
  ])
})
