/**
 * The Instancer/Registrar compliance suite. Every discovery backend runs it: the mesh-native
 * pair and the sd/etcd pair over the mesh client now, the etcd, ZooKeeper and Consul bridges
 * later. A backend supplies a factory; each test gets a fresh harness.
 *
 *   instancerRegistrarCompliance('etcd bridge', async () => ({ instancer, registrar, settle, teardown }))
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { Event, Instancer, Registrar } from '../../src/compat/gokit/index.ts'

export interface InstancerRegistrarHarness {
  /** Watches the one service every registrar below announces. */
  readonly instancer: Instancer
  /** A Registrar announcing `instance` (the string subscribers receive) for that service. */
  registrar(instance: string): Registrar
  /** Lets writes reach the instancer: advance virtual time, or wait for the store's watch. */
  settle(): Promise<void>
  /** Releases everything the harness built. */
  teardown(): Promise<void>
}

export type HarnessFactory = () => Promise<InstancerRegistrarHarness>

/** Records every Event a listener receives. */
function recorder(): { events: Event[]; listener: (event: Event) => void; last(): Event } {
  const events: Event[] = []
  return {
    events,
    listener: (event) => events.push(event),
    last: () => {
      const event = events.at(-1)
      assert.ok(event, 'the listener received no event')
      return event
    },
  }
}

export function instancerRegistrarCompliance(name: string, factory: HarnessFactory): void {
  describe(`Instancer/Registrar compliance: ${name}`, () => {
    let h: InstancerRegistrarHarness
    beforeEach(async () => {
      h = await factory()
    })
    afterEach(() => h.teardown())

    it('a new listener receives the current Event at once, without error when empty', () => {
      const r = recorder()
      h.instancer.register(r.listener)
      assert.equal(r.events.length, 1)
      assert.deepEqual(r.last().instances, [])
      assert.equal(r.last().err, undefined)
    })

    it('a registration reaches the listener', async () => {
      const r = recorder()
      h.instancer.register(r.listener)
      await h.registrar('10.0.0.1:8080').register()
      await h.settle()
      assert.deepEqual(r.last().instances, ['10.0.0.1:8080'])
    })

    it('several registrars yield every instance, sorted', async () => {
      const r = recorder()
      h.instancer.register(r.listener)
      await h.registrar('10.0.0.2:8080').register()
      await h.registrar('10.0.0.1:8080').register()
      await h.settle()
      assert.deepEqual(r.last().instances, ['10.0.0.1:8080', '10.0.0.2:8080'])
    })

    it('deregistration removes the instance', async () => {
      const r = recorder()
      h.instancer.register(r.listener)
      const a = h.registrar('10.0.0.1:8080')
      await a.register()
      await h.registrar('10.0.0.2:8080').register()
      await h.settle()
      await a.deregister()
      await h.settle()
      assert.deepEqual(r.last().instances, ['10.0.0.2:8080'])
    })

    it('registering twice yields the instance once and sends no duplicate Event', async () => {
      const r = recorder()
      h.instancer.register(r.listener)
      const a = h.registrar('10.0.0.1:8080')
      await a.register()
      await h.settle()
      const count = r.events.length
      await a.register()
      await h.settle()
      assert.deepEqual(r.last().instances, ['10.0.0.1:8080'])
      assert.equal(r.events.length, count, 'an unchanged state is not re-sent')
    })

    it('a listener registered later receives the current state at once', async () => {
      await h.registrar('10.0.0.1:8080').register()
      await h.settle()
      const r = recorder()
      h.instancer.register(r.listener)
      assert.equal(r.events.length, 1)
      assert.deepEqual(r.last().instances, ['10.0.0.1:8080'])
    })

    it('a deregistered listener receives nothing more; the others still do', async () => {
      const gone = recorder()
      const kept = recorder()
      h.instancer.register(gone.listener)
      h.instancer.register(kept.listener)
      h.instancer.deregister(gone.listener)
      await h.registrar('10.0.0.1:8080').register()
      await h.settle()
      assert.equal(gone.events.length, 1)
      assert.deepEqual(kept.last().instances, ['10.0.0.1:8080'])
    })

    it('a throwing listener does not stop the others', async () => {
      const r = recorder()
      h.instancer.register(() => {
        throw new Error('listener bug')
      })
      h.instancer.register(r.listener)
      await h.registrar('10.0.0.1:8080').register()
      await h.settle()
      assert.deepEqual(r.last().instances, ['10.0.0.1:8080'])
    })

    it('after stop() listeners receive nothing more', async () => {
      const r = recorder()
      h.instancer.register(r.listener)
      h.instancer.stop()
      await h.registrar('10.0.0.1:8080').register()
      await h.settle()
      assert.equal(r.events.length, 1)
      h.instancer.stop()
    })
  })
}
