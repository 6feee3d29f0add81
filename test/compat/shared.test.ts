import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Channel } from '../../src/compat/shared/channel.ts'
import { keyOf, keyToRef } from '../../src/compat/shared/keyspace.ts'
import { InvalidArgumentError } from '../../src/membership/errors.ts'
import { deadline } from './helpers.ts'

describe('compat/shared: Channel', () => {
  it('delivers pushed items in order, undefined included, then ends after close', async () => {
    const channel = new Channel<number | undefined>()
    channel.push(1)
    channel.push(undefined)
    channel.close()
    const seen: Array<number | undefined> = []
    for await (const item of channel) seen.push(item)
    assert.deepEqual(seen, [1, undefined])
  })

  it('drops pushes beyond its capacity, as a full buffered Go channel does', async () => {
    const channel = new Channel<number>({ capacity: 2 })
    assert.deepEqual([channel.push(1), channel.push(2), channel.push(3)], [true, true, false])
    assert.deepEqual([(await channel.next()).value, (await channel.next()).value], [1, 2])
  })

  it('a waiting reader gets the next push; closing ends it; the signal closes too', async () => {
    const channel = new Channel<string>()
    const waiting = channel.next()
    channel.push('x')
    assert.deepEqual(await deadline(waiting), { value: 'x', done: false })
    const controller = new AbortController()
    let closed = 0
    const aborted = new Channel<string>({ signal: controller.signal, onClose: () => closed++ })
    const pending = aborted.next()
    controller.abort()
    assert.equal((await deadline(pending)).done, true)
    aborted.close()
    assert.equal(closed, 1, 'onClose runs once')
    assert.equal(aborted.push('late'), false)
  })
})

describe('compat/shared: etcd-style keyspace', () => {
  it('splits a key at its last "/" and maps back exactly', () => {
    for (const key of ['/service/foo/1.2.3.4:80', 'a/b', 'a//b', '/x/y/z']) {
      assert.equal(keyOf(keyToRef(key)), key)
    }
    assert.deepEqual(keyToRef('/service/foo/1.2.3.4:80'), {
      service: '/service/foo',
      id: '1.2.3.4:80',
    })
  })

  it('rejects keys without a directory or a name', () => {
    for (const key of ['plain', '/x', 'dir/', '']) {
      assert.throws(() => keyToRef(key), InvalidArgumentError, key)
    }
  })
})
