/** How benchmark agents join: each bootstraps to a few agents already up. */
import type { Agent } from '../../test/helpers/agent-process.ts'

/** Node i bootstraps to up to three nodes already up: the first, the newest and i/2 (a connected, low-diameter graph). */
export function bootstrapFor(i: number, agents: readonly Agent[]): string[] {
  const picks = new Set(
    [0, agents.length - 1, Math.floor(i / 2)].filter((j) => j >= 0 && j < agents.length),
  )
  return [...picks].flatMap((j) => ['--bootstrap', (agents[j] as Agent).address])
}
