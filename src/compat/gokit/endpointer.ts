/**
 * go-kit's Endpointer: listens to an Instancer and keeps one endpoint per instance, built by a
 * Factory. Invalidation rule (go-kit `endpointCache`):
 *
 * - An Event without an error replaces the set: new instances get an endpoint from the factory
 *   (a throwing factory skips that instance), vanished instances have their closer run.
 * - An Event with an error keeps the last endpoints. With `invalidateOnError` the endpoints
 *   stay usable until that timeout passes on the scheduler's clock; after it, they are closed
 *   and endpoints() throws the error until an Event without an error arrives.
 */
import { InvalidArgumentError, type Scheduler, systemScheduler } from '../../contract.ts'
import { requireDuration, requireFunction } from '../shared/validate.ts'
import type { Closer, Endpoint, Event, EventListener, Factory, Instancer } from './types.ts'

/** Options of an Endpointer. */
export interface EndpointerOptions {
  /**
   * Invalidate the endpoints this many ms after the Instancer reports an error (go-kit
   * `InvalidateOnError(timeout)`). @default undefined (keep the last endpoints on error)
   */
  invalidateOnError?: number
  /** Clock for the invalidation timeout. @default systemScheduler */
  scheduler?: Scheduler
}

/**
 * Endpoints built from an Instancer's instances by a Factory, kept current (go-kit
 * `sd.Endpointer`).
 */
export interface Endpointer<Request = unknown, Response = unknown> {
  /** The current endpoints in instance order; throws the Instancer's error once invalidated. */
  endpoints(): Endpoint<Request, Response>[]
  /** Stops listening and runs every closer. */
  close(): void
}

interface Built<Request, Response> {
  readonly endpoint: Endpoint<Request, Response>
  readonly closer: Closer | undefined
}

class DefaultEndpointer<Request, Response> implements Endpointer<Request, Response> {
  readonly #instancer: Instancer
  readonly #factory: Factory<Request, Response>
  readonly #invalidateAfter: number | undefined
  readonly #scheduler: Scheduler
  readonly #listener: EventListener = (event) => this.#update(event)
  #cache = new Map<string, Built<Request, Response>>()
  #err: Error | undefined
  #invalidateAt = 0

  constructor(
    instancer: Instancer,
    factory: Factory<Request, Response>,
    options: EndpointerOptions,
  ) {
    this.#instancer = instancer
    this.#factory = factory
    this.#invalidateAfter = options.invalidateOnError
    this.#scheduler = options.scheduler ?? systemScheduler
    instancer.register(this.#listener)
  }

  endpoints(): Endpoint<Request, Response>[] {
    if (this.#err !== undefined && this.#scheduler.now() >= this.#invalidateAt) {
      this.#replace([])
      throw this.#err
    }
    return [...this.#cache.values()].map((built) => built.endpoint)
  }

  close(): void {
    this.#instancer.deregister(this.#listener)
    this.#replace([])
  }

  #update(event: Event): void {
    if (event.err === undefined) {
      this.#replace(event.instances)
      this.#err = undefined
      return
    }
    if (this.#invalidateAfter === undefined || this.#err !== undefined) return
    this.#err = event.err
    this.#invalidateAt = this.#scheduler.now() + this.#invalidateAfter
  }

  /** Keeps endpoints of instances still present, builds new ones, closes the rest. */
  #replace(instances: readonly string[]): void {
    const next = new Map<string, Built<Request, Response>>()
    for (const instance of [...instances].sort()) {
      const kept = this.#cache.get(instance)
      if (kept !== undefined) {
        next.set(instance, kept)
        continue
      }
      const built = this.#build(instance)
      if (built !== undefined) next.set(instance, built)
    }
    for (const [instance, built] of this.#cache) {
      if (!next.has(instance)) closeQuietly(built.closer)
    }
    this.#cache = next
  }

  #build(instance: string): Built<Request, Response> | undefined {
    try {
      const [endpoint, closer] = this.#factory(instance)
      if (typeof endpoint !== 'function') return undefined
      return { endpoint, closer }
    } catch {
      return undefined // go-kit logs and skips an instance its factory rejects
    }
  }
}

function closeQuietly(closer: Closer | undefined): void {
  try {
    void Promise.resolve(closer?.close()).catch(() => undefined)
  } catch {
    // A closer's failure must not stop the others.
  }
}

/** An Endpointer over `instancer` (go-kit `sd.NewEndpointer`). */
export function newEndpointer<Request = unknown, Response = unknown>(
  instancer: Instancer,
  factory: Factory<Request, Response>,
  options: EndpointerOptions = {},
): Endpointer<Request, Response> {
  if (instancer === null || typeof instancer?.register !== 'function') {
    throw new InvalidArgumentError('newEndpointer takes an Instancer')
  }
  requireFunction('factory', factory)
  if (options.invalidateOnError !== undefined) {
    requireDuration('invalidateOnError', options.invalidateOnError)
  }
  return new DefaultEndpointer(instancer, factory, options)
}

/**
 * An Endpointer that always yields `endpoints` (go-kit `sd.FixedEndpointer`): for tests and for
 * a fixed set of backends behind a balancer. `close()` does nothing; there is nothing to close.
 */
export function fixedEndpointer<Request = unknown, Response = unknown>(
  endpoints: readonly Endpoint<Request, Response>[],
): Endpointer<Request, Response> {
  if (!Array.isArray(endpoints)) throw new InvalidArgumentError('endpoints must be an array')
  for (const [i, e] of endpoints.entries()) requireFunction(`endpoints[${i}]`, e)
  const fixed = [...endpoints]
  return { endpoints: () => [...fixed], close: () => undefined }
}
