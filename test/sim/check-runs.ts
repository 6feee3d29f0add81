/**
 * Runs a fast-check property over generated simulator runs; on failure, reports the fast-check
 * seed, the shrunk schedule and a replay file for `npm run sim -- --replay <file>`.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { checkProperties, runScenario } from '../../sim/index.ts'
import { type GeneratedRun, generatedRun, QUIET_MS, type RunShape } from './fault-schedules.ts'

async function failuresOf(run: GeneratedRun): Promise<string[]> {
  try {
    const summary = await runScenario(run.scenario, { seed: run.seed })
    return checkProperties(summary, QUIET_MS).map((f) => `${f.property}: ${f.message}`)
  } catch (err) {
    return [`the run threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`]
  }
}

export async function checkRuns(shape: RunShape, numRuns: number): Promise<void> {
  const result = await fc.check(
    fc.asyncProperty(generatedRun(shape), async (run) => (await failuresOf(run)).length === 0),
    {
      numRuns: Number(process.env.SIM_PROPERTY_RUNS ?? numRuns),
      ...(process.env.SIM_PROPERTY_SEED === undefined
        ? {}
        : { seed: Number(process.env.SIM_PROPERTY_SEED) }),
    },
  )
  if (!result.failed) return
  const run = result.counterexample?.[0]
  assert.ok(
    run !== undefined,
    `fast-check failed without a counterexample: ${String(result.errorInstance)}`,
  )
  const failures = await failuresOf(run)
  const file = join(tmpdir(), `gossip-sd-sim-failure-${result.seed}.json`)
  const replay = {
    seed: run.seed,
    quietMs: QUIET_MS,
    failure: failures.join('; '),
    scenario: run.scenario,
  }
  writeFileSync(file, `${JSON.stringify(replay, null, 2)}\n`)
  assert.fail(
    `fast-check seed ${result.seed} (path ${result.counterexamplePath}), simulator seed ${run.seed}\n` +
      `failures:\n  ${failures.join('\n  ')}\n` +
      `shrunk schedule: ${JSON.stringify(run.scenario.events)}\n` +
      `replay: npm run sim -- --replay ${file}`,
  )
}
