/**
 * go-micro's registry, ported: a greeter registers two versions on one node; a client on
 * another node looks it up and watches it change.
 *
 *   npx tsx examples/micro.ts
 */
import { pathToFileURL } from 'node:url'
import { newRegistry, type Service } from '../src/compat/micro/index.ts'
import { startMemoryCluster as startCluster } from '../src/memory/memory-cluster.ts'

export async function main(): Promise<{ versions: string[]; actions: string[] }> {
  const cluster = await startCluster(2)
  const [serverNode, clientNode] = cluster.nodes as [
    (typeof cluster.nodes)[0],
    (typeof cluster.nodes)[0],
  ]
  const server = newRegistry(serverNode)
  const client = newRegistry(clientNode)

  const watcher = client.watch({ service: 'go.micro.srv.greeter' })
  const greeter = (version: string, id: string, port: number): Service => ({
    name: 'go.micro.srv.greeter',
    version,
    metadata: {},
    endpoints: [{ name: 'Say.Hello', metadata: {} }],
    nodes: [{ id, address: `10.0.0.1:${port}`, metadata: { protocol: 'grpc' } }],
  })
  await server.register(greeter('1.0.0', 'greeter-1', 9001), { ttl: 5000 })
  await server.register(greeter('2.0.0', 'greeter-2', 9002), { ttl: 5000 })
  await cluster.settle()

  const services = await client.getService('go.micro.srv.greeter')
  const versions = services.map((s) => `${s.version}:${s.nodes.map((n) => n.address).join(',')}`)

  await server.deregister(greeter('1.0.0', 'greeter-1', 9001))
  await cluster.settle()
  const actions: string[] = []
  for (let i = 0; i < 3; i++) {
    const result = await watcher.next()
    actions.push(`${result.action} ${result.service.version}`)
  }
  watcher.stop()
  await cluster.stop()
  return { versions, actions }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await main())
}
