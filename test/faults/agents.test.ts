/**
 * Faults against real agent processes on loopback (mDNS off, the local preset): kill -9 at
 * seeded moments during registration churn with restarts with and without the key file (and
 * with its incarnation file lost), SIGSTOP/SIGCONT longer than the TTL, a wall clock stepped
 * forward and back (test/faults/clock-preload.ts), a restart whose incarnation file is lost
 * while its clock is behind, and a full disk when saving the identity. After each, every live
 * agent must hold exactly the live registrations of the live agents (nothing lost), and no
 * deleted or crashed instance may come back (nothing resurrected). Tests await agreement with
 * deadlines; nothing sleeps. GOSSIP_SD_FAULT_SEED picks another churn.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { controlRequest } from '../../src/cli/control-client.ts'
import { parseEndpoint } from '../../src/cli/endpoint.ts'
import { instanceKey } from '../../src/contract.ts'
import { seededRandom } from '../../src/util/random.ts'
import {
  type Agent,
  change,
  killAllAgents,
  type Launcher,
  LOOPBACK_FLAGS,
  REPO_ROOT,
  runCli,
  SOURCE_LAUNCHER,
  spawnAgent,
} from '../helpers/agent-process.ts'
import { assertNoResurrection, assertStayedDead, deregister, register, settled } from './views.ts'

const LOCAL = [...LOOPBACK_FLAGS, '--preset', 'local']
/** The local TTL is 1.5 s; the rest is slack for a loaded host. */
const SETTLE_MS = 20_000
const EXPIRY_MS = 10_000
const SEED = Number(process.env.GOSSIP_SD_FAULT_SEED ?? 16)

/** Starts the CLI with the clock preload reading its offset from `clockFile`. */
function clockLauncher(clockFile: string): Launcher {
  return {
    ...SOURCE_LAUNCHER,
    args: ['--import', 'tsx', '--import', './test/faults/clock-preload.ts', 'src/cli/main.ts'],
    cwd: REPO_ROOT,
    env: { ...process.env, GOSSIP_SD_TEST_CLOCK_FILE: clockFile },
  }
}

/** Steps `agent`'s wall clock to `offsetMs` from real time and waits until it says so. */
async function stepClock(agent: Agent, clockFile: string, offsetMs: number): Promise<number> {
  await writeFile(clockFile, String(offsetMs))
  const mark = agent.events.items.length
  agent.kill('SIGUSR2')
  await agent.events.waitFor(
    (e) => (e as { type: string; offset?: number }).offset === offsetMs,
    EXPIRY_MS,
    `clock of ${agent.pid} at ${offsetMs} ms`,
  )
  return mark
}

function expiredSince(agent: Agent, mark: number): string[] {
  return agent.events.items
    .slice(mark)
    .filter((e) => e.type === 'expired')
    .map((e) => ('instance' in e ? e.instance.key : ''))
}

describe('faults on agent processes', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossip-sd-faults-'))
  })

  after(async () => {
    await killAllAgents()
    await rm(dir, { recursive: true, force: true })
  })

  it(`kill -9 at seeded moments in churn, restarts with and without the key (seed ${SEED})`, async () => {
    const random = seededRandom(SEED)
    const a = await spawnAgent(LOCAL)
    const b = await spawnAgent([...LOCAL, '--bootstrap', a.address])
    const keyFile = join(dir, 'victim.key')
    const victimFlags = (withKey: boolean): string[] => [
      ...LOCAL,
      ...['--bootstrap', a.address, '--bootstrap', b.address],
      ...(withKey ? ['--key-file', keyFile] : []),
    ]
    let victim = await spawnAgent(victimFlags(true))
    const everyone: Agent[] = [a, b, victim]
    const live = new Map<Agent, Map<string, string>>([
      [a, new Map()],
      [b, new Map()],
      [victim, new Map()],
    ])
    const dead = new Set<string>()
    let serial = 0
    for (let round = 0; round < 3; round++) {
      const ops = 3 + Math.floor(random() * 6)
      const killAt = Math.floor(random() * ops)
      for (let op = 0; op < ops; op++) {
        const agent = [a, b, victim][Math.floor(random() * 3)] as Agent
        const own = live.get(agent) as Map<string, string>
        const ids = [...own.keys()]
        const removing = ids.length > 0 && random() < 0.4
        const id = removing ? (ids[Math.floor(random() * ids.length)] as string) : `i${serial++}`
        const key = instanceKey(agent.peerId, 'churn', id)
        const work = removing ? deregister(agent, 'churn', id) : register(agent, 'churn', id)
        if (op === killAt) {
          // The request may be cut short by the kill: its outcome is unknown, and irrelevant,
          // since everything the victim registered must die with it.
          const outcome = work.then(
            () => true,
            () => false,
          )
          victim.kill('SIGKILL')
          await victim.exited
          const done = await outcome
          if (agent === victim) dead.add(key)
          else if (!done) throw new Error(`${key} failed on a live agent`)
          else if (removing) own.delete(id)
          else own.set(id, key)
        } else {
          await work
          if (removing) own.delete(id)
          else own.set(id, key)
          continue
        }
        for (const gone of (live.get(victim) as Map<string, string>).values()) dead.add(gone)
        live.delete(victim)
        const withKey = random() < 0.5
        if (withKey && random() < 0.5) await rm(`${keyFile}.incarnation`, { force: true })
        victim = await spawnAgent(victimFlags(withKey))
        everyone.push(victim)
        live.set(victim, new Map())
      }
    }
    const expected = new Set([...live.values()].flatMap((own) => [...own.values()]))
    await settled([a, b, victim], expected, SETTLE_MS, `churn with seed ${SEED}`)
    assertNoResurrection(everyone)
    assertStayedDead([a, b, victim], dead)
  })

  it('an agent paused past its TTL expires everywhere, then comes back whole', async () => {
    const a = await spawnAgent(LOCAL)
    const paused = await spawnAgent([...LOCAL, '--bootstrap', a.address])
    const keys = new Set([
      await register(a, 'steady', 's1'),
      await register(paused, 'paused', 'p1'),
    ])
    await settled([a, paused], keys, SETTLE_MS, 'before the pause')
    paused.kill('SIGSTOP')
    await a.events.waitFor(
      change('expired', instanceKey(paused.peerId, 'paused', 'p1')),
      EXPIRY_MS,
      'the paused agent expired',
    )
    paused.kill('SIGCONT')
    await a.events.waitFor(
      (e) => e.type === 'created' && 'instance' in e && e.instance.owner === paused.peerId,
      SETTLE_MS,
      'the resumed agent back',
    )
    await settled([a, paused], keys, SETTLE_MS, 'after SIGCONT')
    assertNoResurrection([a, paused])
  })

  it('a wall clock stepped forward expires nothing, and stepped back delays no expiry', async () => {
    const clockFile = join(dir, 'clock')
    await writeFile(clockFile, '0')
    const a = await spawnAgent(LOCAL)
    const stepped = await spawnAgent(
      [...LOCAL, '--bootstrap', a.address],
      undefined,
      clockLauncher(clockFile),
    )
    const ka = await register(a, 'here', 'a1')
    const ks = await register(stepped, 'there', 's1')
    await settled([a, stepped], new Set([ka, ks]), SETTLE_MS, 'before the step')

    const mark = await stepClock(stepped, clockFile, 60_000)
    // Two round trips through both agents: the stepped one has swept its records since.
    const k2 = await register(a, 'here', 'a2')
    const k3 = await register(stepped, 'there', 's2')
    await settled([a, stepped], new Set([ka, ks, k2, k3]), SETTLE_MS, 'after the step forward')
    assert.deepEqual(expiredSince(stepped, mark), [], 'the forward step expired records')
    assert.deepEqual(expiredSince(a, mark), [])

    await stepClock(stepped, clockFile, -60_000)
    a.kill('SIGKILL')
    await stepped.events.waitFor(
      change('expired', ka),
      EXPIRY_MS,
      'crash expiry after the step back',
    )
    await settled([stepped], new Set([ks, k3]), SETTLE_MS, 'after the crash')
  })

  it('a restart that lost its incarnation file while its clock is behind is not shadowed', async () => {
    const clockFile = join(dir, 'behind')
    await writeFile(clockFile, '0')
    const keyFile = join(dir, 'lost.key')
    const a = await spawnAgent(LOCAL)
    const flags = [...LOCAL, '--bootstrap', a.address, '--key-file', keyFile]
    const first = await spawnAgent(flags)
    const old = await register(first, 'owned', 'before')
    await settled([a, first], new Set([old]), SETTLE_MS, 'before the crash')
    first.kill('SIGKILL')
    await first.exited
    await rm(`${keyFile}.incarnation`)
    await writeFile(clockFile, '-120000')
    const second = await spawnAgent(flags, undefined, clockLauncher(clockFile))
    assert.equal(second.peerId, first.peerId)
    const fresh = await register(second, 'owned', 'after')
    await settled([a, second], new Set([fresh]), SETTLE_MS, 'the restarted owner visible')
    assertStayedDead([a, second], new Set([old]))
    const { stats } = await controlRequest<{ stats: { reincarnations: number } }>(
      parseEndpoint(second.control),
      'GET',
      '/v1/status',
    )
    assert.equal(stats.reincarnations, 1, 'it moved above its earlier run once')
  })

  it('a full disk when saving the identity: one clear line, exit 1, no file left', async () => {
    const disk = join(dir, 'full')
    await mkdir(disk)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k,mode=0700', 'tmpfs', disk])
    try {
      await writeFile(join(disk, 'filler'), Buffer.alloc(64 * 1024)).catch(() => undefined)
      const r = await runCli(['agent', ...LOCAL, '--key-file', join(disk, 'node.key')])
      assert.equal(r.code, 1, r.stderr)
      assert.match(
        r.stderr,
        /^gossip-sd agent: cannot save .*: no space left on device \(ENOSPC\)\n$/,
      )
      assert.deepEqual(await readdir(disk), ['filler'])
    } finally {
      execFileSync('umount', [disk])
    }
  })
})
