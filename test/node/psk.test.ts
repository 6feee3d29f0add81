/**
 * Private clusters: agent processes sharing a pre-shared key (libp2p pnet) form a cluster; an
 * agent without the key, bootstrapped to the same addresses, never connects and never sees a
 * single instance.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, it } from 'node:test'
import { controlRequest } from '../../src/cli/control-client.ts'
import { parseEndpoint } from '../../src/cli/endpoint.ts'
import { generateSwarmKey } from '../../src/node/index.ts'
import { change, killAllAgents, LOOPBACK_FLAGS, spawnAgent } from '../helpers/agent-process.ts'

after(killAllAgents)

it('admits only agents holding the pre-shared key', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gossip-sd-psk-'))
  try {
    const pskFile = join(dir, 'swarm.key')
    await writeFile(pskFile, generateSwarmKey(), { mode: 0o600 })
    const flags = [...LOOPBACK_FLAGS, '--preset', 'local']
    const first = await spawnAgent([
      ...flags,
      '--psk-file',
      pskFile,
      '--register',
      'private=127.0.0.1:1',
    ])
    const outsider = await spawnAgent([...flags, '--bootstrap', first.address])
    const member = await spawnAgent([...flags, '--psk-file', pskFile, '--bootstrap', first.address])

    const k = `${first.peerId}\nprivate\n127.0.0.1:1`
    await member.events.waitFor(change('created', k), 5000, 'the key holder sees the instance')
    // The outsider dialled first; by the time a later key holder has joined and synced, its
    // handshake has long failed. It saw no peer and no instance, and it still runs.
    const status = await controlRequest<{ peers: string[] }>(
      parseEndpoint(outsider.control),
      'GET',
      '/v1/status',
    )
    assert.deepEqual(status.peers, [])
    assert.deepEqual(
      outsider.events.items.filter((e) => e.type !== 'ready'),
      [],
      'the outsider logged peers or instances',
    )
    const firstStatus = await controlRequest<{ peers: string[] }>(
      parseEndpoint(first.control),
      'GET',
      '/v1/status',
    )
    assert.deepEqual(firstStatus.peers, [member.peerId])
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
