/**
 * biregister, ported: three workers register under one prefix (two by name, one with the
 * default name) and elect the oldest as leader; a watcher caches names and values and follows
 * the changes. When the leader closes, its key lapses after its TTL and the next oldest takes over.
 *
 *   npx tsx examples/biregister.ts
 */
import { pathToFileURL } from 'node:url'
import {
  type Change,
  newRegister,
  newRegisterNoName,
  newWatcher,
} from '../src/compat/biregister/index.ts'
import { startMemoryCluster as startCluster } from '../src/memory/memory-cluster.ts'

export async function main(): Promise<{
  all: Record<string, string>
  leaders: boolean[]
  leaderAfter: string | undefined
  changes: string[]
}> {
  const cluster = await startCluster(4)
  const [n1, n2, n3, n4] = cluster.nodes as [
    (typeof cluster.nodes)[0],
    (typeof cluster.nodes)[0],
    (typeof cluster.nodes)[0],
    (typeof cluster.nodes)[0],
  ]
  const watcher = newWatcher(n4, '/workers/', 10)

  const alpha = await newRegister(n1, '/workers/', 'alpha', '10.0.0.1:7000', 10)
  await cluster.settle()
  const beta = await newRegister(n2, '/workers/', 'beta', '10.0.0.2:7000', 10)
  await cluster.settle()
  const anonymous = await newRegisterNoName(n3, '/workers/', '10.0.0.3:7000', 10)
  await cluster.settle()

  // The default name is "/" + a zero-padded increasing number + "-" + the peer ID.
  const short = (name: string) => name.replace(/-.*/, '-<peer>')
  const all = Object.fromEntries(
    Object.entries(watcher.getAll()).map(([name, value]) => [short(name), value]),
  )
  const leaders = [alpha.amILeader(), beta.amILeader(), anonymous.amILeader()]

  // Closing stops the lease keep-alive: alpha's key lapses after its 10 s TTL, then beta leads.
  alpha.close()
  await cluster.settle(10_500)
  const leaderAfter = watcher.getLeader()?.name

  watcher.close()
  const changes: string[] = []
  for await (const change of watcher.changes() as AsyncIterable<Change>) {
    changes.push(`${change.op} ${short(change.name)}`)
  }
  beta.close()
  anonymous.close()
  await cluster.stop()
  return { all, leaders, leaderAfter, changes }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await main())
}
