/** The live service table the agent shows and `list` prints. Pure: instances in, text out. */
import type { InstanceJson } from './json.ts'

const COLUMNS = ['SERVICE', 'ID', 'VERSION', 'ADDRESSES', 'OWNER', 'AGE'] as const

/** The last characters of a peer ID: enough to tell a cluster's nodes apart. */
export function shortPeerId(peerId: string): string {
  return peerId.length <= 8 ? peerId : `…${peerId.slice(-8)}`
}

export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000))
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`
  return `${Math.floor(seconds / 86400)}d`
}

export function renderTable(instances: readonly InstanceJson[], now: number): string {
  const rows = [...instances]
    .sort((a, b) => a.service.localeCompare(b.service) || a.id.localeCompare(b.id))
    .map((i) => [
      i.service,
      i.id,
      i.version === '' ? '-' : i.version,
      i.addresses.join(','),
      shortPeerId(i.owner),
      formatAge(now - i.createdAt),
    ])
  const table = [[...COLUMNS], ...rows]
  const widths = COLUMNS.map((_, c) => Math.max(...table.map((row) => (row[c] as string).length)))
  return table
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
