/**
 * The live heap of an agent process: the heap used right after a full garbage collection, read
 * through the Node inspector (the agent started with `--inspect=127.0.0.1:0`, which prints its
 * WebSocket URL on stderr). `process.memoryUsage().heapUsed`, what an agent's /v1/status reports,
 * also counts garbage not yet collected, so it rises and falls with the collector's schedule;
 * this reading does not, and a leak shows in it as a steady rise.
 */
import type { Agent } from '../../test/helpers/agent-process.ts'
import { SOURCE_LAUNCHER } from '../../test/helpers/agent-process.ts'

/** The repository's sources with the inspector on a loopback port the system picks. */
export const INSPECTABLE_LAUNCHER = {
  ...SOURCE_LAUNCHER,
  args: ['--inspect=127.0.0.1:0', ...SOURCE_LAUNCHER.args],
}

/** Collects garbage in the agent, then returns its heap used in bytes. */
export async function liveHeapBytes(agent: Agent, timeoutMs = 30_000): Promise<number> {
  const url = /ws:\/\/127\.0\.0\.1:\d+\/[\w-]+/.exec(agent.stderr())?.[0]
  if (url === undefined) throw new Error(`agent ${agent.pid} has no inspector URL on stderr`)
  const socket = new WebSocket(url)
  const pending = new Map<number, (result: unknown) => void>()
  socket.addEventListener('message', (event) => {
    const reply = JSON.parse(String(event.data)) as { id?: number; result?: unknown }
    if (reply.id !== undefined) pending.get(reply.id)?.(reply.result)
  })
  let next = 0
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++next
      pending.set(id, resolve)
      socket.send(JSON.stringify({ id, method, params }))
    })
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`agent ${agent.pid}: inspector silent`)), timeoutMs)
  })
  try {
    return await Promise.race([
      deadline,
      (async () => {
        await new Promise((resolve, reject) => {
          socket.addEventListener('open', resolve, { once: true })
          socket.addEventListener('error', reject, { once: true })
        })
        await call('HeapProfiler.collectGarbage')
        const evaluated = (await call('Runtime.evaluate', {
          expression: 'process.memoryUsage().heapUsed',
          returnByValue: true,
        })) as { result: { value: number } }
        return evaluated.result.value
      })(),
    ])
  } finally {
    clearTimeout(timer)
    socket.close()
  }
}
