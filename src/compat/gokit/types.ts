/** go-kit `sd` and `endpoint` shapes. Channels become listeners; contexts become AbortSignals. */

/**
 * A snapshot from a service discovery system (go-kit `sd.Event`). `err` reports trouble reaching
 * the system; an Instancer may publish no instances without an error.
 */
export interface Event {
  /** Instance strings (e.g. "host:port"), sorted. */
  readonly instances: readonly string[]
  readonly err?: Error
}

/** Receives Events. Called synchronously; it must not throw (a throw is caught and ignored). */
export type EventListener = (event: Event) => void

/**
 * Listens to a service discovery system and yields a set of identical instances on demand
 * (go-kit `sd.Instancer`, formerly Subscriber).
 */
export interface Instancer {
  /** Adds a listener; it receives the current Event at once, then every change. */
  register(listener: EventListener): void
  /** Removes a listener; it receives nothing more. */
  deregister(listener: EventListener): void
  /** Stops watching the system; listeners receive nothing more. Idempotent. */
  stop(): void
}

/**
 * Announces this instance while it is alive and healthy (go-kit `sd.Registrar`). Identifying
 * data is given to the concrete constructor; these calls only signal lifecycle changes.
 * Unlike Go (which logs), failures surface as rejected promises with named errors.
 */
export interface Registrar {
  /** Registers the instance; resolves once it is pushed. */
  register(): Promise<void>
  /** Deregisters the instance (a tombstone). Idempotent. */
  deregister(): Promise<void>
}

/** A remote call (go-kit `endpoint.Endpoint`): the context becomes an optional AbortSignal. */
export type Endpoint<Request = unknown, Response = unknown> = (
  request: Request,
  signal?: AbortSignal,
) => Promise<Response>

/** Cleans up what a Factory built (go-kit's `io.Closer`). */
export interface Closer {
  /** Releases what the endpoint holds. */
  close(): void | Promise<void>
}

/**
 * Converts an instance string to an endpoint (go-kit `sd.Factory`), with an optional closer run
 * when the instance goes away. Throw to reject an instance (it is skipped).
 */
export type Factory<Request = unknown, Response = unknown> = (
  instance: string,
) => readonly [Endpoint<Request, Response>, Closer | undefined]
