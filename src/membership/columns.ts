/**
 * Growth of the typed columns that hold per-owner and per-statement state (owner-table.ts,
 * entry-lists.ts, owner-sums.ts): a column at least `length` long, doubling so that growing one
 * slot at a time costs O(1) amortised. A column that is long enough is returned as is.
 */
export function grown<T extends Float64Array | Int32Array | Uint8Array>(
  column: T,
  length: number,
): T {
  if (length <= column.length) return column
  const Column = column.constructor as new (length: number) => T
  const next = new Column(Math.max(length, column.length * 2))
  next.set(column)
  return next
}
