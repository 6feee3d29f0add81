/**
 * Bad agent options through the real CLI: each exits 2 with one line saying what is wrong (and
 * the pointer to --help), never a stack trace, and leaves nothing running: ports in use, an
 * address not on this host, a heartbeat that cannot keep its TTL alive, zero budgets and
 * intervals, bad peer IDs, bad --register values, an unusable control endpoint, a key file open
 * to others or in use by another process. And the warning an agent without a pre-shared key
 * gives, on stderr and in its ready line.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateSwarmKey } from '../../src/node/index.ts'
import { killAllAgents, runCli, spawnAgent } from '../helpers/agent-process.ts'

const LOOPBACK = ['--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0']
const CONTROL = ['--control', '127.0.0.1:0']

describe('agent usage errors', () => {
  let dir: string
  let busy: Server
  let busyPort: number

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossip-sd-usage-'))
    busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    busyPort = (busy.address() as { port: number }).port
  })

  after(async () => {
    busy.close()
    await killAllAgents()
    await rm(dir, { recursive: true, force: true })
  })

  it('exits 2 with one clear line for each bad option', async () => {
    const openKey = join(dir, 'open.key')
    await writeFile(openKey, 'whatever', { mode: 0o644 })
    const lockedKey = join(dir, 'locked.key')
    await writeFile(`${lockedKey}.lock`, `${process.pid}\n`, { mode: 0o600 })
    const cases: Array<[string[], RegExp]> = [
      [
        ['--no-mdns', '--listen', `/ip4/127.0.0.1/tcp/${busyPort}`, ...CONTROL],
        /^listen: cannot listen on \/ip4\/127\.0\.0\.1\/tcp\/\d+ \(listen EADDRINUSE: address already in use/,
      ],
      [
        ['--no-mdns', '--listen', '/ip4/192.0.2.1/tcp/0', ...CONTROL],
        /^listen: cannot listen on \/ip4\/192\.0\.2\.1\/tcp\/0 \(listen EADDRNOTAVAIL/,
      ],
      [['--no-mdns', '--listen', '/ip4/127.0.0.1/udp/1', ...CONTROL], /^listen: cannot listen on/],
      [
        [...LOOPBACK, ...CONTROL, '--heartbeat', '2000', '--ttl', '3000'],
        /^config\.heartbeatIntervalMs: a heartbeat every 2000 ms does not fit the 3000 ms TTL/,
      ],
      [
        [...LOOPBACK, ...CONTROL, '--heartbeat', '5000'],
        /^config\.heartbeatIntervalMs: a heartbeat every 5000 ms does not fit the 3000 ms TTL/,
      ],
      [
        [...LOOPBACK, ...CONTROL, '--heartbeat-budget', '0'],
        /^config\.maxHeartbeatsPerSecond: must be a whole number ≥ 1, not 0/,
      ],
      [
        [...LOOPBACK, ...CONTROL, '--heartbeat-budget', '1', '--heartbeat', '500'],
        /^config\.maxHeartbeatsPerSecond: 1 heartbeats per second cannot serve one node/,
      ],
      [[...LOOPBACK, ...CONTROL, '--ttl', '0'], /^config\.defaultTtlMs: must be a whole number/],
      [
        [...LOOPBACK, ...CONTROL, '--ttl', '999999999999'],
        /^config\.defaultTtlMs: 999999999999 ms is outside \[1000, 86400000\] ms/,
      ],
      [
        [...LOOPBACK, ...CONTROL, '--bootstrap', '/ip4/127.0.0.1/tcp/1/p2p/QmNotAPeer'],
        /^bootstrap: "\/ip4\/127\.0\.0\.1\/tcp\/1\/p2p\/QmNotAPeer" has a bad peer ID/,
      ],
      [
        [...LOOPBACK, ...CONTROL, '--bootstrap', '/ip4/127.0.0.1/tcp/1'],
        /^bootstrap: .* has no \/p2p\/<peer id> part/,
      ],
      [[...LOOPBACK, ...CONTROL, '--register', 'web='], /^--register takes KEY=VALUE/],
      [
        [...LOOPBACK, ...CONTROL, '--register', `${'x'.repeat(9000)}=127.0.0.1:1`],
        /^--register x+=127\.0\.0\.1:1: service is longer than 8192 bytes/,
      ],
      [
        [...LOOPBACK, ...CONTROL, '--register', 'web\u0007=127.0.0.1:1'],
        /^--register .*: service must not contain control characters/,
      ],
      [
        [...LOOPBACK, '--control', `127.0.0.1:${busyPort}`],
        /^cannot serve control endpoint 127\.0\.0\.1:\d+: listen EADDRINUSE/,
      ],
      [
        [...LOOPBACK, '--control', join(dir, 'missing', 'agent.sock')],
        /^cannot serve control endpoint .*missing\/agent\.sock: listen E[A-Z]+/,
      ],
      [[...LOOPBACK, ...CONTROL, '--key-file', openKey], /^keyFile: .*open\.key is open to group/],
      [
        [...LOOPBACK, ...CONTROL, '--key-file', lockedKey],
        new RegExp(`^keyFile: .*locked\\.key\\.lock is held by process ${process.pid}`),
      ],
      [[...LOOPBACK, ...CONTROL, '--psk-file', join(dir, 'none')], /^pskFile: cannot read/],
      [[...LOOPBACK, ...CONTROL, '--psk-file', openKey], /^pskFile: not a swarm key/],
    ]
    // A few at a time: each starts a Node process, and the host is shared.
    for (let i = 0; i < cases.length; i += 4) {
      const batch = cases.slice(i, i + 4)
      const results = await Promise.all(batch.map(([args]) => runCli(['agent', ...args], 60_000)))
      results.forEach((r, j) => {
        const [args, message] = batch[j] as [string[], RegExp]
        const what = args.join(' ').slice(0, 200)
        assert.equal(r.code, 2, `${what}: ${r.stderr}`)
        const lines = r.stderr
          .split('\n')
          .filter((line) => line !== '' && !line.includes('warning: no pre-shared key'))
        assert.equal(lines.length, 2, `${what}: ${r.stderr}`)
        const [line, pointer] = lines as [string, string]
        assert.match(line.replace(/^gossip-sd agent: /, ''), message, what)
        assert.equal(pointer, '(see gossip-sd agent --help)')
        assert.equal(r.stdout, '', what)
      })
    }
  })

  it('warns loudly, on stderr and in the ready line, when no pre-shared key is set', async () => {
    const open = await spawnAgent([...LOOPBACK, ...CONTROL])
    const ready = await open.events.waitFor((e) => e.type === 'ready', 1000, 'ready')
    if (ready.type !== 'ready') throw new Error('not a ready line')
    assert.equal(ready.warnings.length, 1)
    assert.match(ready.warnings[0] as string, /^no pre-shared key \(--psk-file\): any host/)
    assert.match(open.stderr(), /gossip-sd agent: warning: no pre-shared key/)
    const pskFile = join(dir, 'swarm.key')
    await writeFile(pskFile, generateSwarmKey(), { mode: 0o600 })
    const closed = await spawnAgent([...LOOPBACK, ...CONTROL, '--psk-file', pskFile])
    const quiet = await closed.events.waitFor((e) => e.type === 'ready', 1000, 'ready')
    assert.deepEqual(quiet.type === 'ready' && quiet.warnings, [])
    assert.doesNotMatch(closed.stderr(), /warning/)
  })
})
