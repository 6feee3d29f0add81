/**
 * The ZooKeeper bridge against a real ZooKeeper (Debian's zookeeper package on the machine's
 * Java), started once for this file on a loopback port of its own. Go-side reads and writes
 * follow go-kit's sd/zk client (zk-go-style.ts).
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, describe, it } from 'node:test'
import { type Bridge, createBridge } from '../../src/compat/bridges/core/bridge.ts'
import { zooKeeperBackend } from '../../src/compat/bridges/zookeeper/backend.ts'
import {
  CreateMode,
  call,
  connect,
  Exception,
  type ZkClient,
  type ZkStat,
  zkCode,
} from '../../src/compat/bridges/zookeeper/client.ts'
import { InstanceCache } from '../../src/compat/gokit/index.ts'
import type { Mesh } from '../../src/membership/index.ts'
import { killAllAgents, runCli } from '../helpers/agent-process.ts'
import { withDeadline } from '../helpers/deadline.ts'
import { type StoreServer, startZooKeeper } from '../helpers/stores.ts'
import { startZkProxy, type ZkProxy } from '../helpers/zk-proxy.ts'
import { bridgeCompliance } from './compliance.ts'
import {
  meshWake,
  sorted,
  spawnBridgedWebAgent,
  spawnBridgeProcess,
  startRealTimeMesh,
  stateWake,
  until,
  type Wake,
} from './helpers.ts'
import { childrenWake, deregister, entries, register } from './zk-go-style.ts'

let server: StoreServer
let zk: ZkClient
before(async () => {
  server = await startZooKeeper()
  zk = await connect(server.endpoint, 60_000, 30_000)
})
after(async () => {
  await killAllAgents()
  zk.close()
  await server.stop()
})

let paths = 0
function freshPath(): string {
  return `/t${paths++}/services`
}

function bridgeOn(node: Mesh, path: string, mesh = 'gossip-sd'): Bridge {
  return createBridge(node, {
    mesh,
    backend: zooKeeperBackend({ servers: server.endpoint, path, callTimeoutMs: 1000 }),
    initialBackoffMs: 50,
    maxBackoffMs: 500,
  })
}

/** go-kit's sd/zk Instancer: GetEntries with a children watch, re-read on every event. */
function goKitZkInstancer(path: string): InstanceCache {
  let stopWatch: () => void = () => undefined
  const cache = new InstanceCache(() => stopWatch())
  const read = (): void => {
    void entries(zk, path).then((instances) => cache.update({ instances }))
  }
  stopWatch = childrenWake(zk, path)(read)
  read()
  return cache
}

bridgeCompliance('ZooKeeper go-kit layout', async () => {
  const path = freshPath()
  return {
    backend: zooKeeperBackend({ servers: server.endpoint, path, callTimeoutMs: 1000 }),
    registrar: (instance) => {
      let node: string | undefined
      return {
        register: async () => {
          node ??= await register(zk, `${path}/orders`, 'instance', instance)
        },
        deregister: async () => {
          if (node !== undefined) await deregister(zk, node)
          node = undefined
        },
      }
    },
    instancer: async () => goKitZkInstancer(`${path}/orders`),
    entries: () => entries(zk, `${path}/orders`),
    close: async () => undefined,
  }
})

describe('ZooKeeper bridge, go-kit layout', () => {
  it('Go registrations (protected ephemeral sequential) enter the mesh; exports are read as go-kit reads them', async () => {
    const path = freshPath()
    const mesh = await startRealTimeMesh(2)
    const [bridgeNode, other] = mesh.nodes as [Mesh, Mesh]
    const bridge = bridgeOn(bridgeNode, path)
    try {
      const goNode = await register(zk, `${path}/cart`, 'instance1', '10.5.0.1:8080')
      const id = goNode.slice(`${path}/cart/`.length)
      assert.match(id, /^_c_[0-9a-f]{32}-instance1\d{10}$/)
      await until(
        () => other.lookup('cart').some((i) => i.id === id),
        [meshWake(other)],
        15_000,
        'the Go node in the mesh',
      )
      // go-kit's persistent placeholder `<path>/cart/instance1` holds no data and no instance
      assert.deepEqual(
        other.lookup('cart').map((i) => [i.id, i.addresses]),
        [[id, ['10.5.0.1:8080']]],
      )
      await other.register({ service: 'cart', id: 'cart/2', addresses: ['10.5.0.2:8080'] })
      await until(
        async () => (await entries(zk, `${path}/cart`)).includes('10.5.0.2:8080'),
        [childrenWake(zk, `${path}/cart`)],
        15_000,
        'the export',
      )
      // what go-kit's GetEntries returns: every child's data (the placeholder's is empty)
      assert.deepEqual(sorted(await entries(zk, `${path}/cart`)), [
        '',
        '10.5.0.1:8080',
        '10.5.0.2:8080',
      ])
      await bridge.synced()
      assert.equal(other.lookup('cart').length, 2, 'no echo')
      await deregister(zk, goNode)
      await until(
        () => !other.lookup('cart').some((i) => i.id === id),
        [meshWake(other)],
        15_000,
        'the Go node leaves',
      )
    } finally {
      await bridge.close()
      await mesh.stop()
    }
  })

  it('passes over an unchanged tree leave one watcher per path and still wake on a change', async () => {
    const path = freshPath()
    await register(zk, `${path}/orders`, 'instance', '10.0.0.1:80')
    const backend = zooKeeperBackend({ servers: server.endpoint, path, callTimeoutMs: 1000 })
    const warnings: Error[] = []
    const onWarning = (warning: Error): void => {
      if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning)
    }
    process.on('warning', onWarning)
    let woken = 0
    const wakeListeners = new Set<() => void>()
    const backendWake: Wake = (callback) => {
      wakeListeners.add(callback)
      return () => wakeListeners.delete(callback)
    }
    try {
      await backend.open('gossip-sd', () => {
        woken++
        for (const callback of wakeListeners) callback()
      })
      // More passes than an emitter's default listener limit (10).
      const before = (await backend.list()).length
      // More passes than an emitter's default listener limit (10).
      for (let pass = 0; pass < 30; pass++) assert.equal((await backend.list()).length, before)
      await register(zk, `${path}/orders`, 'instance', '10.0.0.2:80')
      await until(() => woken > 0, [backendWake], 15_000, 'a new child wakes the backend')
      assert.equal((await backend.list()).length, before + 1)
      // Warnings are emitted on the next turn.
      await new Promise((resolve) => setImmediate(resolve))
      assert.deepEqual(warnings, [])
    } finally {
      process.off('warning', onWarning)
      await backend.close()
    }
  })

  it("a node's data changed in place reaches the mesh (a pass does not re-read unchanged nodes)", async () => {
    const path = freshPath()
    const mesh = await startRealTimeMesh(2)
    const [bridgeNode, other] = mesh.nodes as [Mesh, Mesh]
    const bridge = bridgeOn(bridgeNode, path)
    const addresses = (): string[] => other.lookup('cart').flatMap((i) => i.addresses)
    try {
      const goNode = await register(zk, `${path}/cart`, 'instance', '10.5.1.1:80')
      await until(
        () => addresses().includes('10.5.1.1:80'),
        [meshWake(other)],
        15_000,
        'the Go node in the mesh',
      )
      await call<ZkStat>('setData', 5000, (done) =>
        zk.setData(goNode, Buffer.from('10.5.1.2:80'), -1, done),
      )
      await until(
        () => JSON.stringify(addresses()) === JSON.stringify(['10.5.1.2:80']),
        [meshWake(other)],
        15_000,
        'the new data in the mesh',
        addresses,
      )
    } finally {
      await bridge.close()
      await mesh.stop()
    }
  })

  it('round-trips between two meshes', async () => {
    const path = freshPath()
    const [ma, mb] = [await startRealTimeMesh(2), await startRealTimeMesh(2)]
    const bridges = [
      bridgeOn(ma.nodes[0] as Mesh, path, 'a'),
      bridgeOn(mb.nodes[0] as Mesh, path, 'b'),
    ]
    const [a, b] = [ma.nodes[1] as Mesh, mb.nodes[1] as Mesh]
    try {
      await a.register({ service: 'pay', id: 'p1', addresses: ['10.6.0.1:80'] })
      await until(() => b.lookup('pay').length === 1, [meshWake(b)], 15_000, 'b sees a')
      assert.deepEqual(b.lookup('pay')[0]?.addresses, ['10.6.0.1:80'])
      assert.equal(b.lookup('pay')[0]?.id, 'p1')
      await b.register({ service: 'pay', id: 'p2', addresses: ['10.6.0.2:80'] })
      await until(() => a.lookup('pay').length === 2, [meshWake(a)], 15_000, 'a sees b')
      for (const bridge of bridges) await bridge.synced()
      assert.equal(b.lookup('pay').length, 2, 'no echo')
      assert.deepEqual(sorted(await entries(zk, `${path}/pay`)), ['10.6.0.1:80', '10.6.0.2:80'])
      await a.deregister(a.lookup('pay').find((i) => i.id === 'p1')?.key ?? '')
      await until(
        () => b.lookup('pay').length === 1,
        [meshWake(b)],
        15_000,
        'the deregistration crosses',
      )
    } finally {
      for (const bridge of bridges) await bridge.close()
      await ma.stop()
      await mb.stop()
    }
  })
})

describe('gossip-sd agent --bridge zookeeper=HOST:PORT', () => {
  it('exports the agent, shows the session counters in status and ends the session on a stop', async () => {
    const agent = await spawnBridgedWebAgent([
      '--bridge',
      `zookeeper=${server.endpoint}`,
      '--bridge-prefix',
      '/agent',
    ])
    const values = (): Promise<string[]> => entries(zk, '/agent/web')
    await until(
      async () => JSON.stringify(await values()) === JSON.stringify(['127.0.0.1:8080']),
      [childrenWake(zk, '/agent/web')],
      20_000,
      'the agent registration in ZooKeeper',
    )
    const status = await runCli(['status', '--json', '--control', agent.control])
    assert.equal(status.code, 0, status.stderr)
    const [bridge] = (JSON.parse(status.stdout) as { bridges: Array<Record<string, unknown>> })
      .bridges
    assert.equal(bridge?.store, 'zookeeper go-kit /agent')
    assert.deepEqual(bridge?.backend, { sessions: 1, stalls: 0, protocolErrors: 0 })
    const text = await runCli(['status', '--control', agent.control])
    assert.match(
      text.stdout,
      /bridges:\n {2}zookeeper go-kit \/agent: live, exported 1, .*, sessions 1, stalls 0, protocol errors 0/,
    )
    agent.kill('SIGTERM')
    assert.equal(await agent.exited, 0)
    assert.deepEqual(
      await values(),
      [],
      'the session closed with the agent, its ephemerals with it',
    )
  })
})

describe('ZooKeeper bridge, outages, crashes and expired sessions', { timeout: 120_000 }, () => {
  it('a server killed mid-run and restarted ends with mesh and store in agreement', async () => {
    const path = freshPath()
    const mesh = await startRealTimeMesh(2)
    const [bridgeNode, other] = mesh.nodes as [Mesh, Mesh]
    const { wake: bridgeWake, onStateChange } = stateWake()
    const bridge = createBridge(bridgeNode, {
      backend: zooKeeperBackend({
        servers: server.endpoint,
        path,
        callTimeoutMs: 1000,
        sessionTimeoutMs: 30_000,
      }),
      initialBackoffMs: 50,
      maxBackoffMs: 500,
      onStateChange,
    })
    try {
      const a = await other.register({ service: 'svc', id: 'a', addresses: ['10.7.0.1:1'] })
      await other.register({ service: 'svc', id: 'b', addresses: ['10.7.0.2:1'] })
      const ids = (): string[] => sorted(other.lookup('svc').map((i) => i.id))
      const storeValues = async (): Promise<string[]> => sorted(await entries(zk, `${path}/svc`))
      await until(
        async () =>
          JSON.stringify(await storeValues()) === JSON.stringify(['10.7.0.1:1', '10.7.0.2:1']),
        [childrenWake(zk, `${path}/svc`)],
        15_000,
        'the exports before the kill',
      )
      await server.kill('SIGKILL')
      await other.deregister(a.key)
      await other.register({ service: 'svc', id: 'c', addresses: ['10.7.0.3:1'] })
      await until(() => bridge.state === 'down', [bridgeWake], 10_000, 'the bridge sees the outage')
      await server.restart()
      // node-zookeeper-client does not always come back after a server restart (the bridge
      // starts a new session when its client stays away); the test's own reader starts afresh,
      // allowed 30 s (a JVM just restarted at load 59 took over 10 s to answer a handshake)
      zk.close()
      zk = await connect(server.endpoint, 60_000, 30_000)
      await until(
        async () =>
          bridge.state === 'live' &&
          JSON.stringify(await storeValues().catch(() => [])) ===
            JSON.stringify(['10.7.0.2:1', '10.7.0.3:1']) &&
          JSON.stringify(ids()) === JSON.stringify(['b', 'c']),
        [bridgeWake, childrenWake(zk, `${path}/svc`), meshWake(other)],
        30_000,
        'mesh and store agree after the restart',
        async () => ({
          mesh: ids(),
          store: await storeValues().catch(String),
          bridge: bridge.stats(),
        }),
      )
    } finally {
      await bridge.close()
      await mesh.stop()
    }
  })

  it("a crashed bridge's ephemerals leave when its session ends; after a session expires they are recreated", async () => {
    const path = freshPath()
    const child = await spawnBridgeProcess('zookeeper', server.endpoint, path, 2)
    try {
      const values = (): Promise<string[]> => entries(zk, `${path}/crash`)
      assert.deepEqual(await values(), ['10.9.9.9:1'])
      // Frozen past its session timeout: ZooKeeper expires the session and deletes the export
      process.kill(child.pid as number, 'SIGSTOP')
      await until(
        async () => (await values()).length === 0,
        [childrenWake(zk, `${path}/crash`)],
        15_000,
        'the session expires',
      )
      // Thawed: the client learns its session expired, opens a new one and recreates the export
      process.kill(child.pid as number, 'SIGCONT')
      await until(
        async () => JSON.stringify(await values()) === JSON.stringify(['10.9.9.9:1']),
        [childrenWake(zk, `${path}/crash`)],
        15_000,
        'the export recreated in a new session',
      )
      // Killed: the new session ends on its timeout and the export goes with it
      const exited = once(child, 'exit')
      process.kill(child.pid as number, 'SIGKILL')
      await exited
      await until(
        async () => (await values()).length === 0,
        [childrenWake(zk, `${path}/crash`)],
        15_000,
        'the export expires',
      )
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  })
})

describe('ZooKeeper client faults, through a proxy in front of the real server', () => {
  /** A bridge whose backend reaches ZooKeeper through `proxy`, exporting svc/a. */
  async function bridgedThrough(proxy: ZkProxy, sessionTimeoutMs = 10_000) {
    const path = freshPath()
    const mesh = await startRealTimeMesh(2)
    const [bridgeNode, other] = mesh.nodes as [Mesh, Mesh]
    const { wake, onStateChange } = stateWake()
    const bridge = createBridge(bridgeNode, {
      backend: zooKeeperBackend({
        servers: proxy.endpoint,
        path,
        callTimeoutMs: 1000,
        sessionTimeoutMs,
      }),
      initialBackoffMs: 50,
      maxBackoffMs: 500,
      onStateChange,
    })
    const storeValues = async (): Promise<string[]> =>
      sorted(await entries(zk, `${path}/svc`).catch(() => []))
    /** The store holds exactly `values` (svc's exports) and the bridge is live. */
    const agree = (values: string[], also: () => boolean, what: string) =>
      until(
        async () =>
          bridge.state === 'live' &&
          also() &&
          JSON.stringify(await storeValues()) === JSON.stringify(values),
        [wake, childrenWake(zk, `${path}/svc`), meshWake(other)],
        15_000,
        what,
        async () => ({ store: await storeValues(), bridge: bridge.stats() }),
      )
    await other.register({ service: 'svc', id: 'a', addresses: ['10.8.0.1:1'] })
    await agree(['10.8.0.1:1'], () => true, 'the export before the fault')
    return {
      bridge,
      other,
      agree,
      stop: async () => {
        await bridge.close()
        await mesh.stop()
      },
    }
  }

  it('a handshake answered after the connect deadline is never read (it was taken for a reply and threw)', async () => {
    const proxy = await startZkProxy(server.endpoint)
    try {
      proxy.stallNext()
      await assert.rejects(connect(proxy.endpoint, 30_000, 300), { code: 'ERR_ZOOKEEPER_TIMEOUT' })
      await proxy.release()
      await withDeadline(proxy.drained(), 15_000, 'the abandoned connection closes')
    } finally {
      await proxy.close()
    }
  })

  it('a reply with an error code no client knows is contained: the client is replaced and the bridge resyncs', async () => {
    const proxy = await startZkProxy(server.endpoint)
    const { bridge, other, agree, stop } = await bridgedThrough(proxy)
    try {
      proxy.corruptNextReply(0x7fff0000)
      await other.register({ service: 'svc', id: 'b', addresses: ['10.8.0.2:1'] })
      await agree(
        ['10.8.0.1:1', '10.8.0.2:1'],
        () => bridge.stats().backend?.protocolErrors === 1,
        'the bridge back on a new session',
      )
      assert.ok((bridge.stats().backend?.sessions ?? 0) >= 2, 'a new session')
    } finally {
      await stop()
      await proxy.close()
    }
  })

  it('a connection that stops answering is replaced: calls are bounded, a new session resyncs', async () => {
    const proxy = await startZkProxy(server.endpoint)
    // A session that outlives the test's deadline: no expiry comes to the rescue
    const { bridge, other, agree, stop } = await bridgedThrough(proxy, 30_000)
    try {
      proxy.stallOpen()
      await other.register({ service: 'svc', id: 'b', addresses: ['10.8.0.2:1'] })
      await agree(
        ['10.8.0.1:1', '10.8.0.2:1'],
        () => (bridge.stats().backend?.stalls ?? 0) >= 1,
        'the bridge back on a new session',
      )
      assert.ok(proxy.opened >= 2, 'a new connection')
    } finally {
      await stop()
      await proxy.close()
    }
  })

  it('a reply torn by a dying connection leaves nothing behind for the next one', async () => {
    const proxy = await startZkProxy(server.endpoint)
    const client = await connect(proxy.endpoint, 30_000, 5000)
    const node = `/torn-${paths++}`
    const data = Buffer.alloc(2000, 'x')
    try {
      await call<string>('create', 5000, (done) =>
        zk.create(node, data, CreateMode.PERSISTENT, done),
      )
      const read = () =>
        call<Buffer | undefined>(`getData ${node}`, 5000, (done) => client.getData(node, done))
      proxy.tearAfter(100)
      await assert.rejects(read(), (err) => zkCode(err) === Exception.CONNECTION_LOSS)
      // The library reconnects (same session) and the read is sent again on the new connection
      assert.equal((await read())?.length, data.length)
    } finally {
      client.close()
      await proxy.close()
    }
  })
})
