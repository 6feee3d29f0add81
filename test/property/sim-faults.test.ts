/**
 * Fault-schedule properties of the real protocol, run in the simulator: after any generated
 * schedule of partitions, one-way cuts, crashes, restarts (with and without identity), stops,
 * deregistrations, loss, duplication and clock skew, and a bounded quiet time, every live node
 * holds the same (true) set, no deleted or expired record ever comes back, and every live node
 * names the same leader per service.
 *
 * A failure prints the fast-check seed and the shrunk schedule and writes a replay file that
 * `npm run sim -- --replay <file>` reruns event for event. SIM_PROPERTY_RUNS / SIM_PROPERTY_SEED
 * override the run count and the seed.
 */
import { test } from 'node:test'
import { checkRuns } from '../sim/check-runs.ts'

test('after any fault schedule and a quiet time, live nodes converge, nothing resurrects, leaders agree', async () => {
  await checkRuns({ faults: 'all', maxDriftPpm: 2_000 }, 60)
})
