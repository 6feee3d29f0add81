/**
 * How many runs a property gets: its own count, scaled by PROPERTY_RUN_SCALE (default 1).
 * `npm run mutate` runs every covering test file once per mutant and scales runs down to stay
 * fast; the suite runs them whole.
 */
const scale = Number(process.env.PROPERTY_RUN_SCALE ?? 1)

export function runs(count: number): number {
  return Math.max(1, Math.round(count * scale))
}
