/**
 * The CLI against a running agent process: every command, --help, --json, exit codes (0 ok,
 * 1 failure, 2 bad usage), the control endpoint on a loopback port and on a unix socket, and the
 * bin launcher.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { InstanceJson } from '../../src/cli/json.ts'
import {
  type Agent,
  killAllAgents,
  LOOPBACK_FLAGS,
  REPO_ROOT,
  runCli,
  spawnAgent,
} from '../helpers/agent-process.ts'
import { LineLog, parseJsonLine } from '../helpers/line-log.ts'

const COMMANDS = ['agent', 'register', 'deregister', 'list', 'watch', 'leader', 'status', 'psk']

describe('gossip-sd CLI', () => {
  let agent: Agent
  let socketAgent: Agent
  let dir: string
  const control = (): string[] => ['--control', agent.control]

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossip-sd-cli-'))
    ;[agent, socketAgent] = await Promise.all([
      spawnAgent([
        ...LOOPBACK_FLAGS,
        '--preset',
        'local',
        '--heartbeat-budget',
        '8',
        '--register',
        'web=127.0.0.1:8080',
      ]),
      spawnAgent([
        '--no-mdns',
        '--listen',
        '/ip4/127.0.0.1/tcp/0',
        '--control',
        join(dir, 'agent.sock'),
      ]),
    ])
  })

  after(async () => {
    await killAllAgents()
    await rm(dir, { recursive: true, force: true })
  })

  it('prints --help for every command and exits 0', async () => {
    const results = await Promise.all(COMMANDS.map((c) => runCli([c, '--help'])))
    results.forEach((r, i) => {
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, new RegExp(`Usage: gossip-sd ${COMMANDS[i]}`))
      assert.match(r.stdout, /--help/)
    })
    const top = await runCli(['--help'])
    assert.equal(top.code, 0)
    for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`\\n  ${c} `))
  })

  it('exits 2 with a clear message on bad usage', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['list', '--bogus', ...control()], /Unknown option '--bogus'/],
      [['register', ...control()], /missing NAME=ADDRESS/],
      [['register', 'no-equals-sign', ...control()], /NAME=ADDRESS takes KEY=VALUE/],
      [['deregister', 'web', ...control()], /missing ID/],
      [['register', 'a=b', '--ttl', 'soon', ...control()], /--ttl takes a whole number/],
      [['agent', '--no-mdns', '--heartbeat-budget', 'many'], /--heartbeat-budget takes a whole/],
      [['list'], /--control ENDPOINT is required/],
      [['list', '--control', '10.0.0.1:80'], /must be loopback/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['agent', '--preset', 'moon', '--no-mdns'], /--preset must be one of lan, wan, local/],
      [['agent', '--no-mdns', '--bootstrap', '/ip4/127.0.0.1/tcp/1'], /bootstrap: .* no \/p2p\//],
      [['agent', '--no-mdns', '--cluster', 'bad name'], /cluster: /],
    ]
    const results = await Promise.all(cases.map(([args]) => runCli(args)))
    results.forEach((r, i) => {
      const [args, message] = cases[i] as [string[], RegExp]
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, message, args.join(' '))
    })
  })

  it('registers, lists, elects, reports status and deregisters through the control endpoint', async () => {
    const registered = await runCli([
      'register',
      'api=127.0.0.1:9000',
      '--id',
      'api-1',
      '--meta',
      'zone=a',
      '--version',
      '1.2',
      '--json',
      ...control(),
    ])
    assert.equal(registered.code, 0, registered.stderr)
    const instance = JSON.parse(registered.stdout) as InstanceJson
    assert.equal(instance.owner, agent.peerId)
    assert.deepEqual(instance.metadata, { zone: 'a' })

    const listed = await runCli(['list', '--json', ...control()])
    const keys = (JSON.parse(listed.stdout) as InstanceJson[]).map((i) => `${i.service}/${i.id}`)
    assert.deepEqual(keys.sort(), ['api/api-1', 'web/127.0.0.1:8080'])

    const table = await runCli(['list', 'api', ...control()])
    assert.match(table.stdout, /^SERVICE\s+ID\s+VERSION\s+ADDRESSES\s+OWNER\s+AGE\n/)
    assert.match(table.stdout, /\napi\s+api-1\s+1\.2\s+127\.0\.0\.1:9000\s+…\S{8}\s+\d+s/)
    assert.doesNotMatch(table.stdout, /web/)

    const leader = await runCli(['leader', 'web', '--json', ...control()])
    assert.equal(
      (JSON.parse(leader.stdout) as { leader: InstanceJson }).leader.id,
      '127.0.0.1:8080',
    )
    const none = await runCli(['leader', 'nothing', ...control()])
    assert.equal(none.code, 1)
    assert.match(none.stdout, /no live instance of nothing/)

    const status = await runCli(['status', '--json', ...control()])
    const parsed = JSON.parse(status.stdout) as {
      peerId: string
      liveNodes: string[]
      heartbeat: { heartbeatIntervalMs: number; leaseMs: number; capacity: number }
      stats: object
    }
    assert.equal(parsed.peerId, agent.peerId)
    assert.deepEqual(parsed.liveNodes, [agent.peerId])
    // local: 250 ms heartbeats; a budget of 8 per second serves 2 nodes, and one runs.
    assert.deepEqual(parsed.heartbeat, {
      heartbeatIntervalMs: 250,
      antiEntropyIntervalMs: 2000,
      leaseMs: 0,
      capacity: 2,
    })
    const text = await runCli(['status', ...control()])
    assert.match(text.stdout, /heartbeat: {2}every 250 ms, lease none \(capacity 2 nodes\)/)
    assert.ok('framesSent' in parsed.stats)

    const removed = await runCli(['deregister', 'api', 'api-1', ...control()])
    assert.equal(removed.code, 0, removed.stderr)
    assert.match(removed.stdout, /deregistered api api-1/)
    const again = await runCli(['deregister', 'api', 'api-1', ...control()])
    assert.equal(again.code, 1)
    const after = await runCli(['list', 'api', '--json', ...control()])
    assert.deepEqual(JSON.parse(after.stdout), [])
  })

  it('reports a node error (bad registration) with exit code 1', async () => {
    const r = await runCli(['register', 'bad=127.0.0.1:1', '--ttl', '5', ...control()])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /TtlOutOfBoundsError: ttl 5 ms/)
  })

  it('watches: a snapshot line first, then each change as NDJSON', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'watch', 'queue', '--json', ...control()],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    try {
      const lines = new LineLog<{
        type: string
        instance?: InstanceJson
        instances?: InstanceJson[]
      }>(child.stdout, parseJsonLine)
      const snapshot = await lines.waitFor(() => true, 10_000, 'watch snapshot line')
      assert.deepEqual(snapshot.type === 'snapshot' && snapshot.instances, [])
      const r = await runCli(['register', 'queue=127.0.0.1:5672', ...control()])
      assert.equal(r.code, 0, r.stderr)
      const created = await lines.waitFor((l) => l.type === 'created', 5000, 'created line')
      assert.equal(created.instance?.service, 'queue')
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('serves the control API on a unix socket, found through GOSSIP_SD_CONTROL', async () => {
    const r = await runCli(['status', '--json', '--control', socketAgent.control])
    assert.equal(r.code, 0, r.stderr)
    assert.equal((JSON.parse(r.stdout) as { peerId: string }).peerId, socketAgent.peerId)
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'list', '--json'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, GOSSIP_SD_CONTROL: socketAgent.control },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    const out = new LineLog<unknown>(child.stdout, parseJsonLine)
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    assert.equal(code, 0)
    assert.deepEqual(out.items, [[]])
  })

  it('stops the agent gracefully on SIGINT with exit code 0 and removes its socket', async () => {
    socketAgent.kill('SIGINT')
    assert.equal(await socketAgent.exited, 0)
    const r = await runCli(['status', '--control', socketAgent.control])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /cannot reach the agent/)
    assert.equal(existsSync(socketAgent.control), false, 'the socket file is left behind')
  })
})
