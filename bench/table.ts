/** Shared bench output: an aligned table on stdout and, with `--json PATH`, the same rows as JSON. */
import { writeFileSync } from 'node:fs'

export type Row = Record<string, string | number>

export function printTable(title: string, rows: readonly Row[]): void {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))]
  const cell = (value: string | number | undefined) =>
    typeof value === 'number'
      ? Number.isInteger(value)
        ? value.toLocaleString('en-US')
        : value.toFixed(2)
      : (value ?? '')
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)))
  const line = (values: string[]) =>
    `| ${values.map((v, i) => v.padEnd(widths[i] as number)).join(' | ')} |`
  console.log(`\n${title}\n`)
  console.log(line(columns))
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const row of rows) console.log(line(columns.map((c) => cell(row[c]))))
}

/** The value of `--name VALUE` in argv, if present. */
export function argValue(name: string, argv = process.argv.slice(2)): string | undefined {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}

export function writeJsonIfAsked(payload: unknown, argv = process.argv.slice(2)): void {
  const path = argValue('--json', argv)
  if (path === undefined) return
  writeFileSync(
    path,
    `${JSON.stringify(payload, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
  )
  console.log(`\nwrote ${path}`)
}

/** The p-th percentile (nearest rank) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
