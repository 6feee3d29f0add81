/**
 * Link latency distributions. A sample is a one-way delay in ms, never negative. Every link
 * also has a stable personality: its mean is scaled by a factor in [1 − spread, 1 + spread]
 * derived from the link's endpoints, so some links are consistently slower than others.
 */
import { ScenarioError } from './errors.ts'

/** One-way delay of a link: fixed, uniform in a range, or normal (clamped at 0). */
export type LatencySpec =
  | { readonly dist: 'fixed'; readonly ms: number }
  | { readonly dist: 'uniform'; readonly minMs: number; readonly maxMs: number }
  | { readonly dist: 'normal'; readonly meanMs: number; readonly stdMs: number }
  | { readonly dist: 'lognormal'; readonly medianMs: number; readonly sigma: number }
  | { readonly dist: 'pareto'; readonly minMs: number; readonly alpha: number }

export function validateLatency(spec: LatencySpec): void {
  const positive = (name: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new ScenarioError(`latency ${name} must be a number >= 0`)
  }
  switch (spec.dist) {
    case 'fixed':
      positive('ms', spec.ms)
      return
    case 'uniform':
      positive('minMs', spec.minMs)
      positive('maxMs', spec.maxMs)
      if (spec.maxMs < spec.minMs) throw new ScenarioError('latency maxMs is below minMs')
      return
    case 'normal':
      positive('meanMs', spec.meanMs)
      positive('stdMs', spec.stdMs)
      return
    case 'lognormal':
      positive('medianMs', spec.medianMs)
      positive('sigma', spec.sigma)
      return
    case 'pareto':
      positive('minMs', spec.minMs)
      if (!(spec.alpha > 0)) throw new ScenarioError('latency alpha must be > 0')
      return
    default:
      throw new ScenarioError(`unknown latency distribution ${JSON.stringify(spec)}`)
  }
}

/** One delay drawn from `spec`, scaled by the link's factor. */
export function sampleLatency(spec: LatencySpec, random: () => number, factor: number): number {
  let ms: number
  switch (spec.dist) {
    case 'fixed':
      ms = spec.ms
      break
    case 'uniform':
      ms = spec.minMs + random() * (spec.maxMs - spec.minMs)
      break
    case 'normal':
      ms = spec.meanMs + spec.stdMs * gaussian(random)
      break
    case 'lognormal':
      ms = spec.medianMs * Math.exp(spec.sigma * gaussian(random))
      break
    case 'pareto':
      ms = spec.minMs / (1 - random()) ** (1 / spec.alpha)
      break
  }
  return Math.max(0, ms * factor)
}

/** The stable latency factor of the directed link a → b. */
export function linkFactor(a: number, b: number, spread: number): number {
  if (spread === 0) return 1
  let h = Math.imul(a + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35)
  h = Math.imul(h ^ (h >>> 15), 0x27d4eb2f)
  const unit = ((h ^ (h >>> 13)) >>> 0) / 4294967296
  return 1 + spread * (2 * unit - 1)
}

function gaussian(random: () => number): number {
  const u = 1 - random()
  const v = random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}
