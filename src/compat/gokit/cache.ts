/**
 * The latest Event and its listeners (go-kit's `sd/internal/instance.Cache`): every Instancer
 * here is a source that calls `update` with full snapshots, and this class does the rest. A new
 * listener gets the current Event at once; an Event equal to the current one is not re-sent.
 */
import { requireFunction } from '../shared/validate.ts'
import type { Event, EventListener, Instancer } from './types.ts'

export class InstanceCache implements Instancer {
  #state: Event = { instances: [] }
  readonly #listeners = new Set<EventListener>()
  #stopped = false
  readonly #onStop: () => void

  /** `onStop` releases the source feeding this cache (a subscription, a watch loop). */
  constructor(onStop: () => void = () => undefined) {
    this.#onStop = onStop
  }

  /** The current Event. */
  get state(): Event {
    return this.#state
  }

  /** Publishes a snapshot (instances are sorted here) unless it equals the current one. */
  update(event: Event): void {
    if (this.#stopped) return
    const next: Event = {
      instances: [...new Set(event.instances)].sort(),
      ...(event.err === undefined ? {} : { err: event.err }),
    }
    if (sameEvent(this.#state, next)) return
    this.#state = next
    for (const listener of [...this.#listeners]) deliver(listener, next)
  }

  register(listener: EventListener): void {
    requireFunction('listener', listener)
    if (this.#stopped) {
      deliver(listener, this.#state)
      return
    }
    this.#listeners.add(listener)
    deliver(listener, this.#state)
  }

  deregister(listener: EventListener): void {
    this.#listeners.delete(listener)
  }

  stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#listeners.clear()
    this.#onStop()
  }
}

function deliver(listener: EventListener, event: Event): void {
  try {
    listener(event)
  } catch {
    // A listener's failure is its own; the other listeners still get the event.
  }
}

function sameEvent(a: Event, b: Event): boolean {
  return (
    a.err === b.err &&
    a.instances.length === b.instances.length &&
    a.instances.every((instance, i) => instance === b.instances[i])
  )
}
