/**
 * A self-contained HTML report (inline SVG and CSS, no scripts, no external resources): the
 * convergence curve with leader agreement, and a timeline of faults, partitions, and each
 * service's majority leader with split-brain intervals marked.
 */
import type { SimSummary } from '../summary.ts'
import { renderTable } from './table.ts'

const WIDTH = 960
const LEFT = 110
const RIGHT = 20
const MAX_SERVICES = 12

/** A self-contained HTML report of a run (charts and the fault timeline). */
export function renderHtml(s: SimSummary): string {
  const title = `gossip-sd sim: ${s.scenario.name}, ${s.nodes.slots} nodes, seed ${s.seed}`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:${WIDTH + 40}px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
pre{background:#f6f6f6;padding:12px;font-size:12px;overflow:auto}
svg text{font:11px system-ui,sans-serif;fill:#333}
.legend span{display:inline-block;margin-right:16px}
.sw{display:inline-block;width:12px;height:12px;vertical-align:middle;margin-right:4px}
</style></head><body>
<h1>${esc(title)}</h1>
<p>${esc(s.scenario.description ?? '')}</p>
<h2>Convergence</h2>
<p class="legend"><span><i class="sw" style="background:#1f6feb"></i>live nodes holding the true set</span>
<span><i class="sw" style="background:#2da44e"></i>leader agreement (lowest over services)</span>
<span><i class="sw" style="background:#d29922"></i>faults</span></p>
${convergenceChart(s)}
<h2>Timeline: partitions and leadership</h2>
<p class="legend"><span><i class="sw" style="background:#f0b0b0"></i>network cut</span>
<span><i class="sw" style="background:#cf222e"></i>split brain</span>
<span>bars: majority leader (label = node slot)</span></p>
${timeline(s)}
<h2>Figures</h2>
<pre>${esc(renderTable(s))}</pre>
</body></html>
`
}

function x(s: SimSummary, t: number): number {
  return LEFT + (t / Math.max(1, s.virtualMs)) * (WIDTH - LEFT - RIGHT)
}

function axis(s: SimSummary, y: number): string {
  const ticks: string[] = []
  const step = niceStep(s.virtualMs / 10)
  for (let t = 0; t <= s.virtualMs; t += step) {
    ticks.push(
      `<line x1="${x(s, t)}" x2="${x(s, t)}" y1="${y}" y2="${y + 4}" stroke="#888"/><text x="${x(s, t)}" y="${y + 16}" text-anchor="middle">${t / 1000}s</text>`,
    )
  }
  return `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" stroke="#888"/>${ticks.join('')}`
}

function convergenceChart(s: SimSummary): string {
  const top = 10
  const height = 220
  const y = (f: number) => top + (1 - f) * height
  const path = (points: readonly (readonly [number, number])[]) =>
    points
      .map(([t, f], i) => `${i === 0 ? 'M' : 'L'}${x(s, t).toFixed(1)},${y(f).toFixed(1)}`)
      .join('')
  const faults = s.faults
    .map(
      (f) =>
        `<line x1="${x(s, f.at)}" x2="${x(s, f.at)}" y1="${top}" y2="${top + height}" stroke="#d29922" stroke-dasharray="4 3"><title>${esc(`${f.at} ms: ${f.label}`)}</title></line>`,
    )
    .join('')
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (f) =>
        `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(f)}" y2="${y(f)}" stroke="#eee"/><text x="${LEFT - 6}" y="${y(f) + 4}" text-anchor="end">${f * 100}%</text>`,
    )
    .join('')
  const ref = s.convergence.referenceMs
  const done = s.convergence.clusterMs
  const marker =
    done === null
      ? ''
      : `<line x1="${x(s, ref + done)}" x2="${x(s, ref + done)}" y1="${top}" y2="${top + height}" stroke="#1f6feb" stroke-width="2"/><text x="${x(s, ref + done) + 4}" y="${top + 12}">converged +${done} ms</text>`
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height + 40}" role="img" aria-label="convergence curve">
${grid}${faults}${marker}
<path d="${path(s.leaderAgreement)}" fill="none" stroke="#2da44e" stroke-width="1.5" stroke-dasharray="6 3"/>
<path d="${path(s.curve)}" fill="none" stroke="#1f6feb" stroke-width="2"/>
${axis(s, top + height)}
</svg>`
}

function timeline(s: SimSummary): string {
  const row = 22
  const services = Object.keys(s.leaderTimeline).slice(0, MAX_SERVICES)
  const rows: string[] = []
  rows.push(`<text x="${LEFT - 6}" y="${row - 7}" text-anchor="end">network</text>`)
  for (const [from, to] of cutIntervals(s)) {
    rows.push(
      `<rect x="${x(s, from)}" y="2" width="${Math.max(1, x(s, to) - x(s, from))}" height="${row - 6}" fill="#f0b0b0"/>`,
    )
  }
  for (const f of s.faults) {
    rows.push(
      `<rect x="${x(s, f.at) - 1}" y="2" width="${Math.max(2, x(s, f.until) - x(s, f.at))}" height="${row - 6}" fill="#d29922" opacity="0.6"><title>${esc(`${f.at} ms: ${f.label}`)}</title></rect>`,
    )
  }
  services.forEach((service, i) => {
    const y0 = (i + 1) * row + 2
    rows.push(`<text x="${LEFT - 6}" y="${y0 + row - 9}" text-anchor="end">${esc(service)}</text>`)
    for (const seg of s.leaderTimeline[service] ?? []) {
      const w = Math.max(1, x(s, seg.to) - x(s, seg.from))
      rows.push(
        `<rect x="${x(s, seg.from)}" y="${y0}" width="${w}" height="${row - 6}" fill="${colour(seg.leader)}"><title>${esc(`${seg.from}–${seg.to} ms: leader ${seg.leader}, agreement ≥ ${Math.round(seg.agreement * 100)}%`)}</title></rect>`,
      )
      if (w > 28)
        rows.push(`<text x="${x(s, seg.from) + 3}" y="${y0 + row - 10}">${esc(seg.leader)}</text>`)
    }
    for (const [from, to] of s.splitBrain[service] ?? []) {
      rows.push(
        `<rect x="${x(s, from)}" y="${y0 + row - 8}" width="${Math.max(2, x(s, to) - x(s, from))}" height="4" fill="#cf222e"><title>${esc(`split brain ${from}–${to} ms`)}</title></rect>`,
      )
    }
  })
  const height = (services.length + 1) * row + 4
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height + 24}" role="img" aria-label="partition and leadership timeline">
${rows.join('\n')}
${axis(s, height)}
</svg>${Object.keys(s.leaderTimeline).length > MAX_SERVICES ? `<p>First ${MAX_SERVICES} services shown.</p>` : ''}`
}

/** Intervals during which some cut (partition, one-way, flapping) was in force. */
function cutIntervals(s: SimSummary): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let start: number | undefined
  for (const f of [...s.faults].sort((a, b) => a.at - b.at)) {
    if (f.type === 'partition' || f.type === 'one-way') start ??= f.at
    else if (f.type === 'flap') out.push([f.at, f.until])
    else if (f.type === 'heal' && start !== undefined) {
      out.push([start, f.at])
      start = undefined
    }
  }
  if (start !== undefined) out.push([start, s.virtualMs])
  return out
}

function colour(label: string): string {
  if (label === '-') return '#ddd'
  if (label === '?') return '#999'
  let h = 0
  for (let i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) % 360
  return `hsl(${h} 55% 72%)`
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(1, raw)))
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p
  return 10 * p
}

function esc(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
}
