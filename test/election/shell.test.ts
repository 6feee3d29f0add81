import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  createElection,
  ElectionClosedError,
  type ElectionEvent,
  handoverDelayMs,
  InvalidElectionOptionsError,
} from '../../src/election/index.ts'
import { FakeNode } from './fake-node.ts'
import { instance } from './instances.ts'

function record(events: ElectionEvent[]): (event: ElectionEvent) => void {
  return (event) => events.push(event)
}

function summary(events: ElectionEvent[]): string[] {
  return events.map((e) =>
    e.type === 'leader'
      ? `leader ${e.leader?.instance.id ?? 'none'}`
      : e.type === 'promoted'
        ? `promoted ${e.leadership.instance.id}`
        : `demoted ${e.leadership.instance.id} ${e.reason}`,
  )
}

describe('election shell (default mode)', () => {
  it('names the oldest, promotes and demotes its own instances, in order', () => {
    const node = new FakeNode()
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 200 })
    const older = instance({ owner: 'x', id: 'older', createdAt: 100 })
    const election = createElection(node)
    const events: ElectionEvent[] = []
    election.subscribe(record(events))
    node.put(mine)
    assert.equal(election.amILeader(mine.key), true)
    node.put(older)
    assert.equal(election.amILeader(mine.key), false)
    assert.equal(election.leader('svc')?.instance.key, older.key)
    node.remove(older, 'deleted')
    node.remove(mine, 'expired')
    assert.deepEqual(summary(events), [
      'leader mine',
      'promoted mine',
      'demoted mine superseded',
      'leader older',
      'leader mine',
      'promoted mine',
      'demoted mine lapsed',
      'leader none',
    ])
  })

  it('names a claimed leader with its claim, its successor one above, never going down', () => {
    const node = new FakeNode()
    const election = createElection(node)
    const a = instance({ owner: 'x', id: 'a', createdAt: 300, leaderTerm: 3 })
    const b = instance({ owner: 'y', id: 'b', createdAt: 100 })
    node.put(a)
    node.put(b)
    assert.equal(election.leader('svc')?.instance.id, 'a', 'the claim outranks an older one')
    assert.equal(election.leader('svc')?.term, 3)
    node.remove(a, 'expired')
    assert.deepEqual(election.leader('svc')?.term, 4, 'tentative: what b’s owner will claim')
    node.put({ ...b, leaderTerm: 4 })
    node.put(a)
    assert.equal(election.leader('svc')?.instance.id, 'b', 'the lower claim came back')
    node.put({ ...b, leaderTerm: 4, metadata: { changed: 'yes' } })
    assert.equal(election.leader('svc')?.term, 4)
    assert.equal(election.leader('svc')?.instance.metadata.changed, 'yes')
    node.remove(b, 'deleted')
    assert.equal(election.leader('svc')?.term, 5, 'the stale claim leads with a new term')
  })

  it('streams the current leader, every change and null for an empty set', async () => {
    const node = new FakeNode()
    const election = createElection(node)
    const a = instance({ owner: 'x', id: 'a', createdAt: 100 })
    const b = instance({ owner: 'y', id: 'b', createdAt: 200 })
    node.put(b)
    const controller = new AbortController()
    const stream = election.leaders('svc', { signal: controller.signal })
    node.put(a)
    node.remove(a, 'deleted')
    node.remove(b, 'deleted')
    controller.abort()
    const seen: (string | null)[] = []
    for await (const leader of stream) seen.push(leader === null ? null : leader.instance.id)
    assert.deepEqual(seen, ['b', 'a', 'b', null])
  })

  it('resolves standby on promotion and demoted on demotion, with the reason', async () => {
    const node = new FakeNode()
    const election = createElection(node)
    const older = instance({ owner: 'x', id: 'older', createdAt: 100 })
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 200 })
    node.put(older)
    node.put(mine)
    assert.equal(await election.demoted(mine.key), 'not-leader')
    const standby = election.standby({ key: mine.key })
    node.remove(older, 'expired')
    const leadership = await standby
    assert.equal(leadership.instance.key, mine.key)
    assert.deepEqual(await election.standby(mine.key), leadership)
    const demoted = election.demoted(mine.key)
    node.remove(mine, 'deleted')
    assert.equal(await demoted, 'deregistered')
  })

  it('rejects waits on abort and on close, demoting with reason closed', async () => {
    const node = new FakeNode()
    const election = createElection(node)
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 200 })
    const other = instance({ owner: 'me', id: 'other', createdAt: 300 })
    node.put(mine)
    node.put(other)
    const controller = new AbortController()
    const aborted = election.standby(other.key, { signal: controller.signal })
    controller.abort(new Error('gave up'))
    await assert.rejects(aborted, /gave up/)
    const pending = election.standby(other.key)
    const demoted = election.demoted(mine.key)
    const stream = election.leaders('svc')
    assert.equal((await stream.next()).value?.instance.id, 'mine')
    election.close()
    await assert.rejects(pending, ElectionClosedError)
    assert.equal(await demoted, 'closed')
    assert.equal((await stream.next()).done, true)
    assert.equal(election.amILeader(mine.key), false)
    await assert.rejects(election.standby(mine.key), ElectionClosedError)
  })

  it('keeps going when a listener throws', () => {
    const node = new FakeNode()
    const election = createElection(node)
    election.subscribe(() => {
      throw new Error('listener bug')
    })
    const events: ElectionEvent[] = []
    election.subscribe(record(events))
    node.put(instance({ owner: 'me', id: 'mine' }))
    assert.deepEqual(summary(events), ['leader mine', 'promoted mine'])
  })
})

describe('election shell: claims', () => {
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) await Promise.resolve()
  }

  it('claims its own leader once the claim delay has passed, with the term it names', async () => {
    const node = new FakeNode()
    const election = createElection(node, { claimDelayMs: 500 })
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 200 })
    node.put(mine)
    await settle()
    assert.deepEqual(node.claims, [], 'no claim before the delay')
    node.scheduler.advance(500)
    await settle()
    assert.deepEqual(node.claims, [{ key: mine.key, term: 1 }])
    assert.equal(election.leader('svc')?.term, 1)
  })

  it('keeps a claimed leader when an older instance registers, whatever its clock', async () => {
    const node = new FakeNode()
    const election = createElection(node, { claimDelayMs: 0 })
    const events: ElectionEvent[] = []
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 5_000 })
    node.put(mine)
    await settle()
    election.subscribe(record(events))
    node.put(instance({ owner: 'a', id: 'forged', createdAt: 0 }))
    assert.equal(election.amILeader(mine.key), true)
    assert.deepEqual(events, [])
  })

  it('after a heal, the higher claim leads and the lower one is demoted', async () => {
    const node = new FakeNode()
    const election = createElection(node, { claimDelayMs: 0 })
    const events: ElectionEvent[] = []
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 100 })
    node.put(mine)
    await settle()
    election.subscribe(record(events))
    node.put(instance({ owner: 'x', id: 'other', createdAt: 900, leaderTerm: 4 }))
    assert.equal(election.leader('svc')?.term, 4, 'the claim is every observer’s term')
    assert.deepEqual(summary(events), ['demoted mine superseded', 'leader other'])
  })

  it('on equal terms the older leads, and re-claims above its rival', async () => {
    const node = new FakeNode()
    const election = createElection(node, { claimDelayMs: 0 })
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 1 })
    node.put(mine)
    await settle()
    node.put(instance({ owner: 'a', id: 'rival', createdAt: 900, leaderTerm: 1 }))
    await settle()
    assert.deepEqual(node.claims, [
      { key: mine.key, term: 1 },
      { key: mine.key, term: 2 },
    ])
    assert.equal(election.leader('svc')?.term, 2)
    assert.equal(election.amILeader(mine.key), true)
  })
})

describe('election shell: attestation', () => {
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) await Promise.resolve()
  }

  it('an unattested owner’s age or claim neither wins nor raises the term', () => {
    const node = new FakeNode()
    node.attest('minted', false)
    const election = createElection(node, { claimDelayMs: 60_000 })
    const honest = instance({ owner: 'x', id: 'honest', createdAt: 500, leaderTerm: 2 })
    node.put(honest)
    node.put(instance({ owner: 'minted', id: 'old', createdAt: 1 }))
    node.put(instance({ owner: 'minted', id: 'claim', createdAt: 1, leaderTerm: 2 ** 31 - 1 }))
    assert.equal(election.leader('svc')?.instance.key, honest.key)
    assert.equal(election.leader('svc')?.term, 2)
  })

  it('an unattested instance leads only while no attested one is live', () => {
    const node = new FakeNode()
    node.attest('minted', false)
    const election = createElection(node, { claimDelayMs: 60_000 })
    const minted = instance({ owner: 'minted', id: 'm', createdAt: 1 })
    const honest = instance({ owner: 'x', id: 'h', createdAt: 500 })
    node.put(minted)
    assert.equal(election.leader('svc')?.instance.key, minted.key)
    node.put(honest)
    assert.equal(election.leader('svc')?.instance.key, honest.key)
    node.remove(honest, 'expired')
    assert.equal(election.leader('svc')?.instance.key, minted.key)
  })

  it('re-derives when attestation changes with no instance changing', () => {
    const node = new FakeNode()
    const election = createElection(node, { claimDelayMs: 60_000 })
    const events: ElectionEvent[] = []
    node.put(instance({ owner: 'x', id: 'old', createdAt: 1 }))
    node.put(instance({ owner: 'y', id: 'young', createdAt: 500 }))
    election.subscribe(record(events))
    node.attest('x', false)
    node.attest('x', true)
    assert.deepEqual(summary(events), ['leader young', 'leader old'])
  })

  it('claims above attested rivals only: an unattested claim does not raise its own', async () => {
    const node = new FakeNode()
    node.attest('minted', false)
    const election = createElection(node, { claimDelayMs: 0 })
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 100 })
    node.put(instance({ owner: 'minted', id: 'm', createdAt: 1, leaderTerm: 9 }))
    node.put(mine)
    await settle()
    assert.deepEqual(node.claims, [{ key: mine.key, term: 1 }])
    assert.equal(election.amILeader(mine.key), true)
  })
})

describe('election shell (quorum mode)', () => {
  const quorum = { expectedNodes: 3, maxClockDriftRatio: 0.01 }
  const g = handoverDelayMs(1500, quorum)

  it('refuses an expected cluster beyond the node’s heartbeat capacity, by name', () => {
    const node = new FakeNode()
    node.capacity = 2
    assert.throws(() => createElection(node, { quorum }), InvalidElectionOptionsError)
    createElection(node).close() // default mode makes no lease argument
    node.capacity = 3
    createElection(node, { quorum }).close()
  })

  it('names no one until a majority has lasted the handover delay', () => {
    const node = new FakeNode()
    const election = createElection(node, { quorum })
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 200 })
    node.put(mine)
    assert.equal(election.leader('svc'), undefined)
    node.scheduler.advance(g - 1)
    assert.equal(election.amILeader(mine.key), false)
    node.scheduler.advance(1)
    assert.equal(election.amILeader(mine.key), true)
  })

  it('demotes with quorum-lost when the majority goes, and waits again when it returns', () => {
    const node = new FakeNode()
    const election = createElection(node, { quorum })
    const events: ElectionEvent[] = []
    election.subscribe(record(events))
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 200 })
    node.put(mine)
    node.scheduler.advance(g)
    assert.equal(election.amILeader(mine.key), true)
    node.live = ['me']
    assert.equal(election.amILeader(mine.key), false, 'checked fresh, before any tick')
    node.live = ['me', 'x']
    assert.equal(election.leader('svc'), undefined, 'the majority counts from when it is seen')
    node.scheduler.advance(g - 100)
    assert.equal(election.leader('svc'), undefined)
    node.scheduler.advance(100)
    assert.equal(election.amILeader(mine.key), true)
    assert.deepEqual(summary(events), [
      'leader mine',
      'promoted mine',
      'demoted mine quorum-lost',
      'leader none',
      'leader mine',
      'promoted mine',
    ])
  })

  it('hands over only after the handover delay and a TTL when an older leader expires', () => {
    const node = new FakeNode()
    const election = createElection(node, { quorum })
    const older = instance({ owner: 'x', id: 'older', createdAt: 100 })
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 200 })
    node.put(older)
    node.put(mine)
    node.scheduler.advance(g)
    assert.equal(election.leader('svc')?.instance.id, 'older')
    node.remove(older, 'expired')
    assert.equal(election.leader('svc'), undefined)
    node.scheduler.advance(g + older.ttlMs - 1)
    assert.equal(election.amILeader(mine.key), false)
    node.scheduler.advance(1)
    assert.equal(election.amILeader(mine.key), true)
  })

  it('withholds for 2G when an older instance appears while the leader is live', () => {
    const node = new FakeNode()
    const election = createElection(node, { quorum })
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 200 })
    const older = instance({ owner: 'x', id: 'older', createdAt: 100 })
    node.put(mine)
    node.scheduler.advance(g)
    assert.equal(election.amILeader(mine.key), true)
    node.put(older)
    assert.equal(election.amILeader(mine.key), false)
    const g2 = handoverDelayMs(3000, quorum)
    node.scheduler.advance(g2 - 1)
    assert.equal(election.leader('svc'), undefined)
    node.scheduler.advance(1)
    assert.equal(election.leader('svc')?.instance.id, 'older')
  })

  it('hands over at once when the older leader left gracefully', () => {
    const node = new FakeNode()
    const election = createElection(node, { quorum })
    const older = instance({ owner: 'x', id: 'older', createdAt: 100 })
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 200 })
    node.put(older)
    node.put(mine)
    node.scheduler.advance(g)
    node.remove(older, 'deleted')
    assert.equal(election.amILeader(mine.key), true)
  })

  it('emits demotion from its periodic check without being asked', () => {
    const node = new FakeNode()
    const election = createElection(node, { quorum, checkIntervalMs: 50 })
    const mine = instance({ owner: 'me', id: 'mine', createdAt: 200 })
    node.put(mine)
    node.scheduler.advance(g + 50)
    const events: ElectionEvent[] = []
    election.subscribe(record(events))
    node.live = ['me']
    node.scheduler.advance(50)
    assert.deepEqual(summary(events), ['demoted mine quorum-lost', 'leader none'])
  })
})
