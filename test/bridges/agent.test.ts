/**
 * `gossip-sd agent --bridge etcd=…`: a real agent process bridged to a real etcd. Its
 * registration reaches etcd as go-kit lays it out, a Go key reaches the agent, `status` shows
 * the bridge, and a graceful stop withdraws the export at once (the lease is revoked).
 * `--bridge consul=…` likewise against the recorded-behaviour Consul agent (fake-consul.ts).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Etcd3 } from 'etcd3'
import { connectEtcd } from '../../src/compat/bridges/etcd/connect.ts'
import { killAllAgents, runCli } from '../helpers/agent-process.ts'
import { type StoreServer, startEtcd } from '../helpers/stores.ts'
import { goRegistrar } from './consul-go-style.ts'
import { startFakeConsul } from './fake-consul.ts'
import { etcdKeys, etcdWake, spawnBridgedWebAgent, until } from './helpers.ts'

let server: StoreServer
let raw: Etcd3
before(async () => {
  server = await startEtcd()
  raw = connectEtcd([server.endpoint], 3000)
})
after(async () => {
  await killAllAgents()
  raw.close()
  await server.stop()
})

describe('gossip-sd agent --bridge', () => {
  it('mirrors the agent and etcd both ways and reports the bridge in status', async () => {
    const agent = await spawnBridgedWebAgent([
      '--bridge',
      `etcd=${server.endpoint}`,
      '--bridge-layout',
      'go-kit',
      '--bridge-prefix',
      '/agent/',
    ])
    const keys = (): Promise<Record<string, string>> => etcdKeys(raw, '/agent/')
    await until(
      async () => (await keys())['/agent/web/127.0.0.1:8080'] === '127.0.0.1:8080',
      [etcdWake(raw, '/agent/')],
      20_000,
      'the agent registration in etcd',
      keys,
    )
    await raw.put('/agent/db/10.8.0.1:5432').value('10.8.0.1:5432')
    const created = await agent.events.waitFor(
      (e) => e.type === 'created' && e.instance.service === 'db',
      20_000,
      'the Go key in the agent',
    )
    assert.equal(
      created.type === 'created' && created.instance.metadata['gossip-sd.bridge.origin'],
      'etcd go-kit /agent/|/agent/db/10.8.0.1:5432',
    )

    const status = await runCli(['status', '--json', '--control', agent.control])
    assert.equal(status.code, 0, status.stderr)
    const bridges = (JSON.parse(status.stdout) as { bridges: Array<Record<string, unknown>> })
      .bridges
    assert.equal(bridges.length, 1)
    assert.equal(bridges[0]?.store, 'etcd go-kit /agent/')
    assert.equal(bridges[0]?.state, 'live')
    assert.equal(bridges[0]?.exported, 1)
    assert.equal(bridges[0]?.imported, 1)
    const text = await runCli(['status', '--control', agent.control])
    assert.match(text.stdout, /bridges:\n {2}etcd go-kit \/agent\/: live, exported 1, imported 1/)

    agent.kill('SIGTERM')
    assert.equal(await agent.exited, 0)
    assert.deepEqual(
      await keys(),
      { '/agent/db/10.8.0.1:5432': '10.8.0.1:5432' },
      'the export left with the revoked lease',
    )
  })

  it('mirrors the agent and Consul both ways with --bridge consul=URL', async () => {
    const consul = await startFakeConsul()
    try {
      const agent = await spawnBridgedWebAgent(['--bridge', `consul=${consul.url}`])
      const wake = (callback: () => void): (() => void) => {
        consul.changes.on('change', callback)
        return () => consul.changes.off('change', callback)
      }
      await until(
        () => consul.instances('web').length === 1,
        [wake],
        20_000,
        'the agent registration in Consul',
      )
      assert.deepEqual(consul.instances('web'), ['127.0.0.1:8080'])
      await goRegistrar(consul.url, 'db', '10.8.0.1:5432').register()
      const created = await agent.events.waitFor(
        (e) => e.type === 'created' && e.instance.service === 'db',
        20_000,
        'the Consul registration in the agent',
      )
      assert.deepEqual(created.type === 'created' && created.instance.addresses, ['10.8.0.1:5432'])
      const text = await runCli(['status', '--control', agent.control])
      assert.match(
        text.stdout,
        new RegExp(`bridges:\\n {2}consul ${consul.url}: live, exported 1, imported 1`),
      )
      agent.kill('SIGTERM')
      assert.equal(await agent.exited, 0)
      assert.deepEqual(consul.instances('web', false), [], 'deregistered on a graceful stop')
    } finally {
      await consul.stop()
    }
  })

  it('rejects a store it does not know and a bad layout as usage errors', async () => {
    const unknown = await runCli(['agent', '--no-mdns', '--bridge', 'redis=127.0.0.1:6379'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /unknown store "redis" \(etcd, zookeeper or consul\)/)
    const consul = await runCli(['agent', '--no-mdns', '--bridge', 'consul=127.0.0.1:8500'])
    assert.equal(consul.code, 2)
    assert.match(consul.stderr, /--bridge consul=127.0.0.1:8500: expected http:\/\/HOST:PORT/)
    const layout = await runCli([
      'agent',
      '--no-mdns',
      '--bridge',
      `etcd=${server.endpoint}`,
      '--bridge-layout',
      'consul',
    ])
    assert.equal(layout.code, 2)
    assert.match(layout.stderr, /--bridge-layout must be one of go-kit, go-micro, biregister/)
  })
})
