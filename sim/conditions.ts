/** Scenario link specs to network conditions, with the defaults of each timing preset. */
import type { LatencySpec } from './latency.ts'
import type { LinkConditions, NetworkOptions } from './network.ts'
import type { LinkConditionsSpec, Scenario } from './scenario.ts'

/** Default one-way latency: a switched LAN, or a WAN with a long tail. */
export function defaultLatency(preset: Scenario['preset']): LatencySpec {
  return preset === 'wan'
    ? { dist: 'lognormal', medianMs: 40, sigma: 0.5 }
    : { dist: 'uniform', minMs: 0.2, maxMs: 2 }
}

export function toConditions(spec: LinkConditionsSpec): Partial<LinkConditions> {
  const out: Partial<LinkConditions> = {}
  if (spec.latency !== undefined) out.latency = spec.latency
  if (spec.loss !== undefined) out.loss = spec.loss
  if (spec.duplication !== undefined) out.duplication = spec.duplication
  return out
}

export function networkOptions(scenario: Scenario): NetworkOptions {
  const n = scenario.network ?? {}
  return {
    latency: n.latency ?? defaultLatency(scenario.preset),
    loss: n.loss ?? 0,
    duplication: n.duplication ?? 0,
    latencySpread: n.latencySpread ?? 0.5,
    overlayDegree: n.overlayDegree ?? 8,
    detectMs: n.detectMs ?? 500,
    tickMs: 1,
  }
}
