/**
 * fast-check arbitraries of simulator scenarios: a small cluster on the local preset with random
 * clock offsets and drift, and a random schedule of partitions, one-way cuts, crashes, restarts
 * (with and without identity), graceful stops, deregistrations and link loss, all inside a fault
 * window. The schedule always ends with a heal and clean links, followed by a quiet period in
 * which the properties must come true.
 */
import fc from 'fast-check'
import type { ElectionMode, FaultEvent, NodeSelector, Scenario } from '../../sim/index.ts'

export const FAULT_WINDOW_MS = 12_000
export const QUIET_MS = 10_000

export interface GeneratedRun {
  readonly seed: number
  readonly scenario: Scenario
}

function slotsOf(nodes: number): fc.Arbitrary<NodeSelector> {
  return fc
    .uniqueArray(fc.integer({ min: 0, max: nodes - 1 }), { minLength: 1, maxLength: nodes })
    .map((slots) => ({ slots: [...slots].sort((a, b) => a - b) }))
}

/** Which faults a schedule may contain: all of them, or only those quorum mode's model covers. */
export type FaultSet = 'all' | 'symmetric-lossless'

function fault(nodes: number, faults: FaultSet): fc.Arbitrary<FaultEvent> {
  const at = fc.integer({ min: 1_000, max: FAULT_WINDOW_MS }).map((t) => t - (t % 50))
  const nodeSet = slotsOf(nodes)
  const common: fc.Arbitrary<FaultEvent>[] = [
    fc.record({
      at,
      type: fc.constant('partition' as const),
      groups: fc.array(nodeSet, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ at, type: fc.constant('heal' as const) }),
    fc.record({ at, type: fc.constant('crash' as const), nodes: nodeSet }),
    fc.record({
      at,
      type: fc.constant('restart' as const),
      nodes: nodeSet,
      keepIdentity: fc.boolean(),
    }),
    fc.record({ at, type: fc.constant('stop' as const), nodes: nodeSet }),
    fc.record({ at, type: fc.constant('deregister' as const), nodes: nodeSet }),
  ]
  if (faults === 'symmetric-lossless') return fc.oneof(...common)
  return fc.oneof(
    ...common,
    fc.record({ at, type: fc.constant('one-way' as const), from: nodeSet, to: nodeSet }),
    fc.record({
      at,
      type: fc.constant('conditions' as const),
      conditions: fc.record({
        loss: fc.double({ min: 0, max: 0.4, noNaN: true }),
        duplication: fc.double({ min: 0, max: 0.2, noNaN: true }),
      }),
    }),
  )
}

export interface RunShape {
  readonly faults: FaultSet
  /** Clock drift bound, ppm. */
  readonly maxDriftPpm: number
  readonly election?: ElectionMode
}

/** A generated run: cluster size, clocks, fault schedule and the simulator seed. */
export function generatedRun(shape: RunShape): fc.Arbitrary<GeneratedRun> {
  return fc.integer({ min: 2, max: 6 }).chain((nodes) =>
    fc.record({
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
      scenario: fc
        .record({
          offsetMs: fc.integer({ min: 0, max: 60_000 }),
          driftPpm: fc.integer({ min: 0, max: shape.maxDriftPpm }),
          instancesPerNode: fc.integer({ min: 1, max: 3 }),
          events: fc.array(fault(nodes, shape.faults), { maxLength: 8 }),
        })
        .map(
          ({ offsetMs, driftPpm, instancesPerNode, events }): Scenario => ({
            name: 'property',
            nodes,
            instancesPerNode,
            services: 2,
            preset: 'local',
            startSpreadMs: 500,
            durationMs: FAULT_WINDOW_MS + 1_000 + QUIET_MS,
            sampleMs: 50,
            network: { detectMs: 300 },
            clocks: { offsetMs, driftPpm },
            ...(shape.election === undefined ? {} : { election: shape.election }),
            events: [
              ...[...events].sort((a, b) => a.at - b.at),
              { at: FAULT_WINDOW_MS + 1_000, type: 'heal' },
              {
                at: FAULT_WINDOW_MS + 1_000,
                type: 'conditions',
                conditions: { loss: 0, duplication: 0 },
              },
            ],
          }),
        ),
    }),
  )
}
