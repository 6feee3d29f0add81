/**
 * go-kit's sd, ported: two servers announce themselves with Registrars; a client discovers them
 * with an Instancer, turns instances into endpoints with a Factory, and calls them through a
 * round-robin balancer wrapped in retry. When a server leaves, its endpoint's closer runs.
 *
 *   npx tsx examples/gokit.ts
 */
import { pathToFileURL } from 'node:url'
import {
  type Event,
  type Factory,
  lb,
  newEndpointer,
  newInstancer,
  newRegistrar,
} from '../src/compat/gokit/index.ts'
import { startMemoryCluster as startCluster } from '../src/memory/memory-cluster.ts'

export async function main(): Promise<{
  instances: string[]
  responses: string[]
  closed: string[]
}> {
  const cluster = await startCluster(3)
  const [server1, server2, client] = cluster.nodes as [
    (typeof cluster.nodes)[0],
    (typeof cluster.nodes)[0],
    (typeof cluster.nodes)[0],
  ]
  const registrar1 = newRegistrar(server1, {
    service: 'hello',
    id: 'one',
    addresses: ['10.0.0.1:8080'],
  })
  const registrar2 = newRegistrar(server2, {
    service: 'hello',
    id: 'two',
    addresses: ['10.0.0.2:8080'],
  })
  await registrar1.register()
  await registrar2.register()
  await cluster.settle()

  // Client side: instances -> endpoints -> balancer -> retrying endpoint.
  const instancer = newInstancer(client, 'hello')
  let latest: Event = { instances: [] }
  instancer.register((event) => {
    latest = event
  })
  const closed: string[] = []
  // A real factory would open a connection to `instance`; this one answers in-process.
  const factory: Factory<string, string> = (instance) => [
    async (request) => `${instance} says ${request}`,
    { close: () => void closed.push(instance) },
  ]
  const endpointer = newEndpointer(instancer, factory, { scheduler: cluster.scheduler })
  const hello = lb.retry(3, 1000, lb.roundRobin(endpointer), { scheduler: cluster.scheduler })

  const instances = [...latest.instances]
  const responses = [await hello('hello'), await hello('hello')]
  await registrar1.deregister()
  await cluster.settle()
  responses.push(await hello('hello'))
  const closedOnLeave = [...closed]

  endpointer.close()
  instancer.stop()
  await cluster.stop()
  return { instances, responses, closed: closedOnLeave }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await main())
}
