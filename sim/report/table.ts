/** The terminal view of a run: a few aligned tables, plain text (no colours, pipe-friendly). */
import type { SimSummary } from '../summary.ts'

/** A plain-text table of a run's headline figures. */
export function renderTable(s: SimSummary): string {
  const c = s.convergence
  const ms = (v: number | null | undefined) => (v === null || v === undefined ? 'never' : `${v} ms`)
  const rows: Array<[string, string]> = [
    ['scenario', `${s.scenario.name} (seed ${s.seed})`],
    [
      'nodes',
      `${s.nodes.live} live of ${s.nodes.slots}, ${s.scenario.instancesPerNode} instances each`,
    ],
    ['virtual / wall', `${s.virtualMs} ms / ${s.wallMs} ms`],
    ['events', `${s.trace.dispatched} dispatched, trace ${s.trace.hash}`],
    ['convergence from', `${c.referenceMs} ms (end of the last fault)`],
    ['cluster converged', ms(c.clusterMs)],
    [
      'per node p50/p90/p99/max',
      c.perNode === null
        ? 'n/a'
        : `${c.perNode.p50} / ${c.perNode.p90} / ${c.perNode.p99} / ${c.perNode.max} ms`,
    ],
    ['unconverged nodes', String(c.unconvergedNodes)],
    [
      'load window',
      `${s.load.windowMs[0]}–${s.load.windowMs[1]} ms, ${s.load.liveNodes} live nodes`,
    ],
    [
      'received / node / s',
      `${s.load.receivedMsgsPerNodePerSec} msgs, ${formatBytes(s.load.receivedBytesPerNodePerSec)}`,
    ],
    [
      'sent / node / s',
      `${s.load.sentMsgsPerNodePerSec} msgs, ${formatBytes(s.load.sentBytesPerNodePerSec)} (anti-entropy ${formatBytes(s.load.antiEntropyBytesPerNodePerSec)})`,
    ],
    [
      'network',
      `${s.network.delivered} delivered (${formatBytes(s.network.deliveredBytes)}), ${s.network.dropped} dropped, ${s.network.duplicated} duplicated; anti-entropy ${s.network.unicastFrames} frames, ${formatBytes(s.network.unicastBytes)}`,
    ],
    [
      'verifications',
      `${s.codec.verifications} (+${s.codec.verifyHits} shared hits), decodes ${s.codec.frameDecodes} (+${s.codec.frameHits})`,
    ],
    ['violations', s.violations.length === 0 ? 'none' : String(s.violations.length)],
  ]
  const out = [align(rows), '', 'split brain (≥2 leaders named by live nodes):']
  const split = Object.entries(s.splitBrain).filter(([, intervals]) => intervals.length > 0)
  if (split.length === 0) out.push('  none')
  for (const [service, intervals] of split) {
    const total = intervals.reduce((sum, [a, b]) => sum + (b - a), 0)
    const shown = intervals
      .slice(0, 4)
      .map(([a, b]) => `${a}–${b}`)
      .join(', ')
    out.push(
      `  ${service}: ${total} ms in ${intervals.length} interval(s): ${shown}${intervals.length > 4 ? ', …' : ''}`,
    )
  }
  out.push('', 'faults:')
  if (s.faults.length === 0) out.push('  none')
  for (const f of s.faults)
    out.push(`  ${f.at} ms  ${f.label}${f.until > f.at ? ` (until ${f.until} ms)` : ''}`)
  for (const v of s.violations.slice(0, 10))
    out.push(`VIOLATION ${v.kind} at ${v.at}: ${v.message}`)
  return out.join('\n')
}

function align(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')
}

export function formatBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`
  return `${Math.round(n)} B`
}
