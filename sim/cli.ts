/**
 * The simulator's command line: run a built-in or file scenario, or replay a property failure.
 *
 *   npm run sim -- --scenario partition-heal --nodes 1000 --seed 7 [--json out.json] [--report out.html]
 *   npm run sim -- --replay failure.json
 *   npm run sim -- --list
 *
 * Prints the table on stdout; the progress bar goes to stderr, only on a terminal. Exits 1 when
 * the run breaks a property (always checked on replays, and with --check).
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { ScenarioError } from './errors.ts'
import { builtInScenarios, loadReplay, loadScenario } from './library.ts'
import { progressBar } from './progress.ts'
import { checkProperties } from './properties.ts'
import { renderHtml } from './report/html.ts'
import { renderTable } from './report/table.ts'
import { runScenario } from './runner.ts'
import type { Scenario } from './scenario.ts'

const USAGE = `usage: npm run sim -- [--scenario <name|file>] [--nodes N] [--instances N] [--seed S]
                       [--duration ms] [--json out.json] [--report out.html] [--check quietMs]
       npm run sim -- --replay <failure.json>
       npm run sim -- --list`

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', default: 'partition-heal' },
      nodes: { type: 'string' },
      instances: { type: 'string' },
      seed: { type: 'string', default: '1' },
      duration: { type: 'string' },
      json: { type: 'string' },
      report: { type: 'string' },
      replay: { type: 'string' },
      check: { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (values.list) {
    console.log(builtInScenarios().join('\n'))
    return 0
  }
  let scenario: Scenario
  let seed: number
  let quietMs: number | undefined
  if (values.replay !== undefined) {
    const replay = loadReplay(values.replay)
    scenario = replay.scenario
    seed = replay.seed
    quietMs = replay.quietMs
    if (replay.failure !== undefined) console.log(`replaying: ${replay.failure}`)
  } else {
    const base = loadScenario(values.scenario)
    scenario = {
      ...base,
      ...(values.nodes === undefined ? {} : { nodes: integer(values.nodes, '--nodes') }),
      ...(values.instances === undefined
        ? {}
        : { instancesPerNode: integer(values.instances, '--instances') }),
      ...(values.duration === undefined
        ? {}
        : { durationMs: integer(values.duration, '--duration') }),
    }
    seed = integer(values.seed, '--seed')
    quietMs = values.check === undefined ? undefined : integer(values.check, '--check')
  }
  const onProgress = progressBar(`${scenario.name} ×${scenario.nodes}`)
  const summary = await runScenario(
    scenario,
    onProgress === undefined ? { seed } : { seed, onProgress },
  )
  console.log(renderTable(summary))
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024)
  console.log(`peak RSS ${peakRssMb} MB`)
  if (values.json !== undefined)
    writeFileSync(values.json, `${JSON.stringify({ ...summary, peakRssMb }, null, 2)}\n`)
  if (values.report !== undefined) writeFileSync(values.report, renderHtml(summary))
  if (quietMs === undefined) return 0
  const failures = checkProperties(summary, quietMs)
  for (const f of failures) console.log(`PROPERTY FAILED (${f.property}): ${f.message}`)
  if (failures.length === 0) console.log(`properties hold (quiet bound ${quietMs} ms)`)
  return failures.length === 0 ? 0 : 1
}

function integer(text: string, flag: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0) throw new ScenarioError(`${flag} takes a non-negative integer`)
  return n
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(err instanceof Error ? `${err.name}: ${err.message}` : String(err))
    console.error(USAGE)
    process.exitCode = 2
  },
)
