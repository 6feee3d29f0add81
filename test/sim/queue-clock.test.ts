import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NodeClock } from '../../sim/clock.ts'
import { EventQueue } from '../../sim/queue.ts'
import { TraceHash } from '../../sim/trace.ts'

test('the queue runs buckets in time order and events within a bucket first-in first-out', () => {
  const queue = new EventQueue(0)
  const order: string[] = []
  queue.schedule(5, () => order.push('b1'))
  queue.schedule(1, () => {
    order.push('a')
    queue.schedule(1, () => order.push('a-same-time'))
  })
  queue.schedule(5, () => order.push('b2'))
  const cancelled = queue.schedule(3, () => order.push('never'))
  cancelled.cancelled = true
  while (queue.runNext()) {}
  assert.deepEqual(order, ['a', 'a-same-time', 'b1', 'b2'])
  assert.equal(queue.now, 5)
  assert.equal(queue.dispatched, 4)
})

test('a node clock reads true time plus offset at its drift, and scales timers by the drift', () => {
  const queue = new EventQueue(1000)
  const clock = new NodeClock(queue, new TraceHash(), 0, 1000, { offsetMs: 500, driftPpm: 100_000 })
  assert.equal(clock.now(), 1500)
  let firedAt = 0
  clock.setTimer(110, () => {
    firedAt = queue.now
  })
  while (queue.runNext()) {}
  assert.ok(Math.abs(firedAt - 1100) < 1e-9, `fired at ${firedAt}`)
  assert.ok(Math.abs(clock.now() - (1000 + 500 + 110)) < 1e-9)
  clock.adjust({ offsetMs: -200, driftPpm: 0 })
  assert.ok(Math.abs(clock.now() - (queue.now - 200)) < 1e-9)
})

test('halting a clock drops every timer set before the halt, not those set after', () => {
  const queue = new EventQueue(0)
  const clock = new NodeClock(queue, new TraceHash(), 0, 0, { offsetMs: 0, driftPpm: 0 })
  const fired: string[] = []
  clock.setTimer(10, () => fired.push('before'))
  clock.halt()
  clock.setTimer(10, () => fired.push('after'))
  while (queue.runNext()) {}
  assert.deepEqual(fired, ['after'])
})

test('the trace hash depends on every mixed value and on the order', () => {
  const a = new TraceHash()
  const b = new TraceHash()
  a.mix(1, 2, 3)
  a.mix(2, 3, 4)
  b.mix(2, 3, 4)
  b.mix(1, 2, 3)
  assert.notEqual(a.digest(), b.digest())
  const c = new TraceHash()
  c.mix(1, 2, 3)
  c.mix(2, 3, 4)
  assert.equal(a.digest(), c.digest())
})
