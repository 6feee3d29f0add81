/**
 * bench:bridge: how long a change takes to cross a bridge, beside the store's own watch latency
 * measured in the same run.
 *
 *   npm run bench:bridge -- [--count 200] [--no-zookeeper] [--json out.json]
 *
 * Starts a real etcd (and ZooKeeper) on loopback with the test harness's starters, and two mesh
 * nodes on the in-memory network (1 ms latency, local preset): a writer/reader node and the
 * bridge's node. Each path is measured `count` times, one change at a time:
 * - mesh → store: `register` on the writer node → the export seen by a store watcher (etcd: a
 *   prefix watch on go-kit's layout; ZooKeeper: a children watch on go-kit's sd/zk path).
 * - store → mesh: a Go-style write (etcd: put on a lease granted beforehand, as go-kit's
 *   Registrar writes; ZooKeeper: a protected ephemeral sequential node, as go-kit's sd/zk
 *   does) → the instance created on the writer node (store → bridge → gossip → node).
 * - store → store (the reference): a write by one client → seen by another client's watch.
 * Everything is timed with performance.now() in this one process, so the figures include this
 * process's event loop; the host's load average is printed at start and end.
 */
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import type { Etcd3 } from 'etcd3'
import { createBridge } from '../src/compat/bridges/core/bridge.ts'
import { etcdBackend } from '../src/compat/bridges/etcd/backend.ts'
import { connectEtcd } from '../src/compat/bridges/etcd/connect.ts'
import { goKitLayout } from '../src/compat/bridges/etcd/layouts.ts'
import type { StoreBackend } from '../src/compat/bridges/index.ts'
import { zooKeeperBackend } from '../src/compat/bridges/zookeeper/backend.ts'
import { connect, type ZkClient } from '../src/compat/bridges/zookeeper/client.ts'
import type { Mesh } from '../src/membership/index.ts'
import { startRealTimeMesh } from '../test/bridges/helpers.ts'
import { childrenWake, register as zkRegister } from '../test/bridges/zk-go-style.ts'
import { type StoreServer, startEtcd, startZooKeeper } from '../test/helpers/stores.ts'
import { argValue, percentile, printTable, type Row, writeJsonIfAsked } from './table.ts'

const COUNT = Number(argValue('--count') ?? 200)
const WITH_ZOOKEEPER = !process.argv.includes('--no-zookeeper')
/** Bound on one change crossing; a miss fails the run instead of hanging it. */
const DEADLINE_MS = 10_000

/** Runs `change` and resolves with the ms until `seen` is called (registered before the change). */
function timeOne(
  arm: (seen: () => void) => () => void,
  change: () => Promise<unknown>,
  what: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let t0 = Number.NaN
    let settled = false
    const finish = (err?: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      disarm()
      if (err === undefined) resolve(performance.now() - t0)
      else reject(err)
    }
    const timer = setTimeout(
      () => finish(new Error(`${what}: not seen in ${DEADLINE_MS} ms`)),
      DEADLINE_MS,
    )
    const disarm = arm(() => finish())
    t0 = performance.now()
    change().catch((err: Error) => finish(err))
  })
}

async function measure(
  what: string,
  one: (i: number) => Promise<number>,
): Promise<{ what: string; samples: number[] }> {
  const samples: number[] = []
  for (let i = 0; i < COUNT; i++) samples.push(await one(i))
  console.log(`${what}: ${COUNT} done`)
  return { what, samples }
}

/** Seen once `node` reports an instance of `service` created at `address`. */
function meshSees(node: Mesh, service: string, address: string) {
  return (seen: () => void) =>
    node.subscribe((changes) => {
      for (const c of changes) {
        if (
          c.type === 'created' &&
          c.instance.service === service &&
          c.instance.addresses[0] === address
        )
          seen()
      }
    })
}

/** Runs `run` with a bridge from `node` to `backend`, synced first and closed after. */
async function withBridge<T>(node: Mesh, backend: StoreBackend, run: () => Promise<T>): Promise<T> {
  const bridge = createBridge(node, { backend, mesh: 'bench' })
  try {
    await bridge.synced()
    return await run()
  } finally {
    await bridge.close()
  }
}

async function etcdPaths(server: StoreServer, writer: Mesh, bridgeNode: Mesh) {
  const prefix = '/bench/services/'
  const [a, b]: [Etcd3, Etcd3] = [
    connectEtcd([server.endpoint], 5000),
    connectEtcd([server.endpoint], 5000),
  ]
  // A watcher created per sample would add its setup to the figure: one prefix watch instead
  const watchPrefix = async (client: Etcd3, p: string) => {
    const listeners = new Map<string, () => void>()
    const watcher = await client.watch().prefix(p).create()
    watcher.on('put', (kv) => listeners.get(kv.key.toString())?.())
    return {
      arm: (key: string) => (seen: () => void) => {
        listeners.set(key, seen)
        return () => listeners.delete(key)
      },
      close: () => watcher.cancel(),
    }
  }
  const lease = b.lease(60)
  await lease.grant()
  try {
    const reference = await watchPrefix(b, '/bench/reference/')
    const exports = await watchPrefix(a, prefix)
    const results = await withBridge(
      bridgeNode,
      etcdBackend({ endpoints: [server.endpoint], layout: goKitLayout(prefix) }),
      async () => [
        await measure('etcd: mesh register → etcd watch (go-kit layout)', (i) =>
          timeOne(
            exports.arm(`${prefix}m/m${i}`),
            () =>
              writer.register({
                service: 'm',
                id: `m${i}`,
                addresses: [`10.1.0.${i % 250}:${1000 + i}`],
              }),
            `export m${i}`,
          ),
        ),
        await measure('etcd: Go-style put (lease) → mesh node', (i) =>
          timeOne(
            meshSees(writer, 'g', `10.2.0.${i % 250}:${1000 + i}`),
            () =>
              lease
                .put(`${prefix}g/g${i}`)
                .value(`10.2.0.${i % 250}:${1000 + i}`)
                .exec(),
            `import g${i}`,
          ),
        ),
        await measure('etcd: put → another client’s watch (reference)', (i) =>
          timeOne(
            reference.arm(`/bench/reference/r${i}`),
            () => a.put(`/bench/reference/r${i}`).value('x').exec(),
            `reference r${i}`,
          ),
        ),
      ],
    )
    await reference.close()
    await exports.close()
    return results
  } finally {
    await lease.revoke().catch(() => undefined)
    a.close()
    b.close()
  }
}

async function zooKeeperPaths(server: StoreServer, writer: Mesh, bridgeNode: Mesh) {
  const root = '/bench/services'
  const [a, b]: [ZkClient, ZkClient] = [
    await connect(server.endpoint, 30_000, 10_000),
    await connect(server.endpoint, 30_000, 10_000),
  ]
  /**
   * One re-arming children watch on `path` for the whole path (one per sample would pile up
   * ZooKeeper's one-shot watches); on each event the children are read, as go-kit's
   * GetEntries does after its watch fires, and the armed sample is seen once its child is there.
   */
  const zkWatch = (client: ZkClient, path: string) => {
    let current: ((children: string[]) => void) | undefined
    const stop = childrenWake(
      client,
      path,
    )(() =>
      client.getChildren(path, (err, children) => {
        if (err === null) current?.(children)
      }),
    )
    return {
      arm: (child: (name: string) => boolean) => (seen: () => void) => {
        current = (children) => {
          if (children.some(child)) seen()
        }
        return () => {
          current = undefined
        }
      },
      close: stop,
    }
  }
  try {
    // Parents first, so that the figures leave out go-kit's one-time parent creation
    for (const path of ['/bench/reference', `${root}/zg/instance`]) {
      await new Promise((resolve) => a.mkdirp(path, resolve))
    }
    const exports = zkWatch(b, `${root}/zm`)
    const reference = zkWatch(b, '/bench/reference')
    const results = await withBridge(
      bridgeNode,
      zooKeeperBackend({ servers: server.endpoint, path: root }),
      async () => [
        await measure('ZooKeeper: mesh register → children watch (go-kit sd/zk)', (i) =>
          timeOne(
            exports.arm((name) => name === `z${i}`),
            () =>
              writer.register({
                service: 'zm',
                id: `z${i}`,
                addresses: [`10.3.0.${i % 250}:${1000 + i}`],
              }),
            `export z${i}`,
          ),
        ),
        await measure('ZooKeeper: Go-style protected ephemeral sequential → mesh node', (i) =>
          timeOne(
            meshSees(writer, 'zg', `10.4.0.${i % 250}:${1000 + i}`),
            () => zkRegister(a, `${root}/zg`, 'instance', `10.4.0.${i % 250}:${1000 + i}`),
            `import zg${i}`,
          ),
        ),
        await measure('ZooKeeper: create → another client’s children watch (reference)', (i) =>
          timeOne(
            reference.arm((name) => name === `r${i}`),
            () =>
              new Promise((resolve, reject) =>
                a.create(`/bench/reference/r${i}`, (err) =>
                  err ? reject(err) : resolve(undefined),
                ),
              ),
            `reference r${i}`,
          ),
        ),
      ],
    )
    exports.close()
    reference.close()
    return results
  } finally {
    a.close()
    b.close()
  }
}

async function main(): Promise<void> {
  const loadStart = loadavg().map((l) => l.toFixed(1))
  console.log(`host load average (1, 5, 15 min) at start: ${loadStart.join(', ')}`)
  const started = performance.now()
  const mesh = await startRealTimeMesh(2)
  const [writer, bridgeNode] = mesh.nodes as [Mesh, Mesh]
  const results: { what: string; samples: number[] }[] = []
  const etcd = await startEtcd()
  try {
    results.push(...(await etcdPaths(etcd, writer, bridgeNode)))
  } finally {
    await etcd.stop()
  }
  if (WITH_ZOOKEEPER) {
    const zk = await startZooKeeper()
    try {
      results.push(...(await zooKeeperPaths(zk, writer, bridgeNode)))
    } finally {
      await zk.stop()
    }
  }
  await mesh.stop()
  const loadEnd = loadavg().map((l) => l.toFixed(1))
  const rows: Row[] = results.map(({ what, samples }) => ({
    path: what,
    n: samples.length,
    'p50 ms': percentile(samples, 50),
    'p90 ms': percentile(samples, 90),
    'p99 ms': percentile(samples, 99),
    'max ms': Math.max(...samples),
  }))
  printTable(
    `bench:bridge — one change at a time, ${COUNT} per path, in ${((performance.now() - started) / 1000).toFixed(0)} s; load ${loadStart[0]} → ${loadEnd[0]}`,
    rows,
  )
  console.log(`\nhost load average (1, 5, 15 min) at end: ${loadEnd.join(', ')}`)
  writeJsonIfAsked({ count: COUNT, loadStart, loadEnd, rows })
}

await main()
process.exit(0)
