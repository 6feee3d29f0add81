/**
 * go-micro's Watcher over the node's watch stream. The stream opens with a snapshot, which
 * go-micro watchers do not report: results start with the first change after watch(). An update
 * that leaves the go-micro Service as it was (a server re-registering every RegisterInterval, an
 * election claim) is not reported: go-micro's etcd registry compares the node's hash and only
 * refreshes the lease when nothing changed, so its watchers see no event.
 */
import type { DiscoveryNode, Instance, WatchEvent } from '../../contract.ts'
import { instanceToService, sameService } from './convert.ts'
import { WatcherStoppedError } from './errors.ts'
import { eventTypeOf, type Result, resultOf } from './event.ts'

/** go-micro's `registry.Watcher`: changes after watch(), one Result at a time. */
export interface Watcher {
  /** Waits for the next change; rejects with WatcherStoppedError once stop() was called. */
  next(): Promise<Result>
  /** Stops the watch; a pending next() rejects with WatcherStoppedError. Idempotent. */
  stop(): void
}

export class MeshWatcher implements Watcher {
  readonly #abort = new AbortController()
  readonly #events: AsyncIterableIterator<WatchEvent>

  constructor(node: DiscoveryNode, service: string | undefined) {
    this.#events = node.watch(service, { signal: this.#abort.signal })
  }

  async next(): Promise<Result> {
    for (;;) {
      if (this.#abort.signal.aborted) throw new WatcherStoppedError()
      const { value, done } = await this.#events.next()
      if (done === true || this.#abort.signal.aborted) throw new WatcherStoppedError()
      if (value.type === 'snapshot') continue
      const service = instanceToService(value.instance as Instance)
      if (value.type === 'updated' && sameService(instanceToService(value.previous), service))
        continue
      return resultOf(eventTypeOf(value), service)
    }
  }

  stop(): void {
    this.#abort.abort()
  }
}
