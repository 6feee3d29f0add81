/**
 * Loading scenarios: the built-ins shipped in sim/scenarios/*.json (by name), any scenario file
 * (by path), and replay files written by failing property tests ({ seed, scenario }).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ScenarioError } from './errors.ts'
import { parseScenario, type Scenario } from './scenario.ts'

const BUILT_IN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios')

/** Names of the built-in scenarios. */
export function builtInScenarios(): string[] {
  return readdirSync(BUILT_IN_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort()
}

/** A built-in scenario by name, or a scenario file by path. */
export function loadScenario(nameOrPath: string): Scenario {
  const builtIn = join(BUILT_IN_DIR, `${nameOrPath}.json`)
  const path = existsSync(builtIn) ? builtIn : nameOrPath
  if (!existsSync(path))
    throw new ScenarioError(
      `no scenario ${nameOrPath}; built-ins: ${builtInScenarios().join(', ')}`,
    )
  return parseScenario(readJson(path))
}

/** What a failing property test saves: enough to rerun the failure exactly. */
export interface ReplayFile {
  readonly seed: number
  readonly scenario: Scenario
  /** Quiet-time bound the properties were checked with. */
  readonly quietMs: number
  readonly failure?: string
}

/** Reads a replay file written by a failed run: its seed and scenario, to run it again. */
export function loadReplay(path: string): ReplayFile {
  const value = readJson(path)
  if (value === null || typeof value !== 'object' || !('seed' in value) || !('scenario' in value))
    throw new ScenarioError(`${path} is not a replay file ({ seed, scenario })`)
  const { seed, scenario, quietMs, failure } = value as Record<string, unknown>
  if (typeof seed !== 'number' || !Number.isInteger(seed))
    throw new ScenarioError(`${path}: seed must be an integer`)
  if (typeof quietMs !== 'number' || !(quietMs >= 0))
    throw new ScenarioError(`${path}: quietMs must be a number >= 0`)
  return {
    seed,
    quietMs,
    scenario: parseScenario(scenario),
    ...(typeof failure === 'string' ? { failure } : {}),
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new ScenarioError(`${path}: ${err instanceof Error ? err.message : String(err)}`)
  }
}
