/**
 * The shared setup of the agent tests: call `useTestbed(options)` inside a `describe` to get a
 * fresh namespace network (see createNetwork) and a directory for control sockets, both created
 * before the suite's tests and removed after them, on failure too (the network's cleanup stops
 * the agents).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { Agent, type AgentOptions } from './agent.ts'
import { createNetwork, type NetworkOptions, type TestNetwork } from './harness.ts'

export interface Testbed {
  /** The namespace network; available once the suite's `before` hooks have run. */
  readonly net: TestNetwork
  /** Starts an agent on host `index`, in this testbed's cluster, and waits until it is ready. */
  start(index: number, options: Omit<AgentOptions, 'controlDir' | 'cluster'>): Promise<Agent>
}

export function useTestbed(options: NetworkOptions): Testbed {
  let net: TestNetwork | undefined
  let controlDir: string | undefined
  const cluster = `netns-${process.pid}`
  before(async () => {
    controlDir = await mkdtemp(join(tmpdir(), 'gsd-control-'))
    net = createNetwork(options)
  })
  after(async () => {
    try {
      await net?.cleanup()
    } finally {
      if (controlDir !== undefined) await rm(controlDir, { recursive: true, force: true })
    }
  })
  const ready = () => {
    if (net === undefined || controlDir === undefined) throw new Error('the testbed is not set up')
    return { net, controlDir }
  }
  return {
    get net() {
      return ready().net
    },
    start(index, options) {
      const bed = ready()
      const host = bed.net.hosts[index]
      if (host === undefined) throw new RangeError(`no host ${index}`)
      return Agent.start(bed.net, host, { ...options, controlDir: bed.controlDir, cluster })
    },
  }
}
