/** Per-process resource counters from Linux /proc: CPU time, bytes written, resident memory. */
import { readdir, readFile } from 'node:fs/promises'

/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK; 100 on Linux). */
const TICKS_PER_SECOND = 100

export interface ProcSample {
  /** User plus system CPU time, in ms. */
  cpuMs: number
  /** Bytes the process passed to write-like syscalls (sockets included). */
  writtenBytes: number
  /** When the sample was taken (performance.now()). */
  at: number
}

/** User plus system CPU time in ms from the text of a /proc stat file (a process's or a thread's). */
function cpuMsOf(stat: string): number {
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
}

export async function sampleProcess(pid: number): Promise<ProcSample> {
  const [stat, io] = await Promise.all([
    readFile(`/proc/${pid}/stat`, 'utf8'),
    readFile(`/proc/${pid}/io`, 'utf8'),
  ])
  const wchar = /^wchar: (\d+)$/m.exec(io)
  return {
    cpuMs: cpuMsOf(stat),
    writtenBytes: wchar === null ? 0 : Number(wchar[1]),
    at: performance.now(),
  }
}

/** CPU % of one core and bytes written per second between two samples. */
export function rates(
  from: ProcSample,
  to: ProcSample,
): { cpuPercent: number; bytesPerSecond: number } {
  const seconds = (to.at - from.at) / 1000
  return {
    cpuPercent: (to.cpuMs - from.cpuMs) / 10 / seconds,
    bytesPerSecond: (to.writtenBytes - from.writtenBytes) / seconds,
  }
}

/** Resident set size (VmRSS) of a process, in bytes. */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (rss === null) throw new Error(`no VmRSS for process ${pid}`)
  return Number(rss[1]) * 1024
}

/**
 * CPU time in ms of a process's threads: the main thread (`main`: its thread ID is the process
 * ID) and the others summed by name (Node 22 names most of its pool threads `node`, as the main
 * thread; `libuv-worker` threads run file system and crypto work).
 */
export async function threadCpuMs(pid: number): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => undefined)
    if (stat === undefined) continue
    const name =
      Number(tid) === pid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    out.set(name, (out.get(name) ?? 0) + cpuMsOf(stat))
  }
  return out
}
