import assert from 'node:assert/strict'
import { test } from 'node:test'
import { VirtualScheduler } from '../../src/mesh/scheduler.ts'
import { SyncQueue } from '../../src/mesh/sync-queue.ts'

/** A queue whose `start` records the peers it opened and rejects for `unreachable` ones. */
function queueWith(unreachable: string[] = []) {
  const scheduler = new VirtualScheduler()
  const started: string[] = []
  const scopes: Array<readonly string[] | undefined> = []
  const queue = new SyncQueue(
    async (peer, owners) => {
      started.push(peer)
      scopes.push(owners)
      if (unreachable.includes(peer)) throw new Error(`${peer} unreachable`)
    },
    scheduler,
    1_000,
  )
  return { scheduler, started, scopes, queue }
}

/** Lets rejected `start` promises settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve))

test('one exchange at a time: the next starts when the peer answers; repeated requests are ignored', () => {
  const { started, queue } = queueWith()
  queue.request('a')
  queue.request('b')
  queue.request('b')
  queue.request('a')
  assert.deepEqual(started, ['a'])
  queue.answered('b')
  assert.deepEqual(started, ['a'], 'an answer from a peer not in flight changes nothing')
  queue.answered('a')
  assert.deepEqual(started, ['a', 'b'])
  queue.answered('b')
  queue.request('a')
  assert.deepEqual(started, ['a', 'b', 'a'])
})

test('an unanswered exchange gives way after the reply wait', () => {
  const { scheduler, started, queue } = queueWith()
  queue.request('a')
  queue.request('b')
  scheduler.advance(999)
  assert.deepEqual(started, ['a'])
  scheduler.advance(1)
  assert.deepEqual(started, ['a', 'b'])
})

test('an unreachable peer hands over to its fallback, then to the next request', async () => {
  const { started, queue } = queueWith(['owner', 'gone'])
  queue.request('owner', 'forwarder')
  queue.request('gone')
  queue.request('c')
  await settle()
  assert.deepEqual(started, ['owner', 'forwarder'])
  queue.answered('forwarder')
  await settle()
  assert.deepEqual(started, ['owner', 'forwarder', 'gone', 'c'])
})

test('after close nothing starts', () => {
  const { scheduler, started, queue } = queueWith()
  queue.request('a')
  queue.request('b')
  queue.close()
  queue.answered('a')
  queue.request('c')
  scheduler.advance(5_000)
  assert.deepEqual(started, ['a'])
})

test('scoped requests: covered ones are dropped, waiting ones merge, a full one widens them', () => {
  const { started, scopes, queue } = queueWith()
  queue.request('a', undefined, ['x', 'y'])
  queue.request('a', undefined, ['y'])
  queue.request('b', undefined, ['x'])
  queue.request('b', undefined, ['z'])
  queue.request('a')
  queue.request('c', undefined, ['x'])
  queue.request('c')
  queue.answered('a')
  queue.answered('b')
  queue.answered('a')
  assert.deepEqual(started, ['a', 'b', 'a', 'c'])
  assert.deepEqual(scopes, [['x', 'y'], ['x', 'z'], undefined, undefined])
})
