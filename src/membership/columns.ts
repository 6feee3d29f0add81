/**
 * Growth of the columns (typed arrays and lists) that hold per-owner and per-statement state (owner-table.ts,
 * entry-lists.ts, owner-sums.ts).
 */

/** A capacity for at least `needed` slots, growing by half so that adding one at a time costs O(1) amortised. */
export function capacityFor(needed: number, current: number): number {
  return Math.max(needed, current + (current >> 1), 16)
}

/** A copy of `column`, `length` long (at least its length), zero beyond its values. */
export function grown<T extends Float64Array | Int32Array | Uint8Array>(
  column: T,
  length: number,
): T {
  const Column = column.constructor as new (length: number) => T
  const next = new Column(length)
  next.set(column)
  return next
}

/** A copy of `list`, `length` long (at least its length), `fill` beyond its values: sized exactly, where pushing leaves up to half again unused. */
export function grownList<T>(list: T[], length: number, fill: T): T[] {
  const next = new Array<T>(length)
  for (let i = 0; i < list.length; i++) next[i] = list[i] as T
  return next.fill(fill, list.length)
}
