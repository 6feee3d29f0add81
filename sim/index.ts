/**
 * gossip-sd/sim: a seeded discrete-event simulator that runs the real membership, mesh and
 * election code over a simulated network with a virtual clock.
 *
 *   const summary = await runScenario(loadScenario('partition-heal'), { seed: 7 })
 *   checkProperties(summary, 30_000) // [] when convergence, safety and leader agreement hold
 *
 * @module gossip-sd/sim
 */
export type { CodecCacheStats } from './codec-cache.ts'
export type { ElectionMode } from './elections.ts'
export { ScenarioError } from './errors.ts'
export type { FaultRecord } from './faults.ts'
export type { LatencySpec } from './latency.ts'
export { builtInScenarios, loadReplay, loadScenario, type ReplayFile } from './library.ts'
export type { Violation } from './observer.ts'
export { checkProperties, type PropertyFailure } from './properties.ts'
export { renderHtml } from './report/html.ts'
export { renderTable } from './report/table.ts'
export { meshConfigOf, type RunOptions, runScenario, SIM_EPOCH } from './runner.ts'
export type {
  FaultEvent,
  LinkConditionsSpec,
  MeshTimings,
  NodeSelector,
  Scenario,
} from './scenario.ts'
export { parseScenario } from './scenario.ts'
export type { Distribution, LeaderSegment, SimSummary } from './summary.ts'
