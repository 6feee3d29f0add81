/**
 * discoverd, ported: three members of a cluster register with a ServiceSet on ":9099" (expanded
 * to each node's host) and follow the leader; when the leader leaves, the next oldest member is
 * upgraded. A fourth process waits for the service with services(name, timeout).
 *
 *   npx tsx examples/discoverd.ts
 */
import { pathToFileURL } from 'node:url'
import { newClient, type ServiceSet } from '../src/compat/discoverd/index.ts'
import { startMemoryCluster as startCluster } from '../src/memory/memory-cluster.ts'

export async function main(): Promise<{
  members: string[]
  roles: Record<string, string[]>
  afterFailover: string | undefined
}> {
  const cluster = await startCluster(4)
  const clients = cluster.nodes.map((node) => newClient(node))
  const [c1, c2, c3, observer] = clients as [
    (typeof clients)[0],
    (typeof clients)[0],
    (typeof clients)[0],
    (typeof clients)[0],
  ]
  const roles: Record<string, string[]> = {}

  /** discoverd's upgrade/downgrade pattern over set.leaders(). */
  const follow = (set: ServiceSet): void => {
    const log: string[] = []
    roles[set.selfAddr()] = log
    void (async () => {
      let isLeader = false
      for await (const leader of set.leaders()) {
        if (leader?.addr === set.selfAddr()) {
          isLeader = true
          log.push('upgrade')
        } else if (isLeader) {
          isLeader = false
          log.push('downgrade')
        }
      }
    })()
  }

  // The members join one after another, so the first is the oldest.
  for (const client of [c1, c2, c3]) {
    follow(await client.registerWithSet('cluster', ':9099', { role: 'db' }))
    await cluster.settle()
  }

  const members = (await observer.services('cluster', 1000)).map((s) => s.addr)

  await c1.unregister('cluster', ':9099')
  await cluster.settle()
  const afterFailover = observer.newServiceSet('cluster').leader()?.addr

  for (const client of clients) await client.close()
  await cluster.stop()
  return { members, roles, afterFailover }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await main())
}
