/**
 * The election's documented guarantees, checked on the real src/election running on every
 * simulated node (see src/election/index.ts for the statements):
 * - default mode, any fault schedule: terms never decrease on a node, and once the faults are
 *   over and the set has converged every live node names the same leader per service;
 * - quorum mode, within its model (symmetric partitions, no sustained loss, clock rates within
 *   ±ρ; crashes, restarts, stops and deregistrations allowed): at no sampled instant do two
 *   owners both hold leadership of one service, and after healing the majority agrees.
 */
import { test } from 'node:test'
import { checkRuns } from '../sim/check-runs.ts'

test('default mode: terms never go back and leaders agree after any schedule', async () => {
  await checkRuns({ faults: 'all', maxDriftPpm: 2_000, election: { mode: 'default' } }, 30)
})

test('quorum mode: never two leaders of one service at once, under symmetric lossless faults', async () => {
  await checkRuns(
    {
      faults: 'symmetric-lossless',
      maxDriftPpm: 5_000,
      election: { mode: 'quorum', maxClockDriftRatio: 0.01 },
    },
    30,
  )
})
