/**
 * Consul blocking queries, as Consul's API documentation says clients must run them.
 *
 * A query carries `index` (the X-Consul-Index of the last answer) and `wait`; Consul holds it
 * until the index moves past it or the wait runs out, and an answer is no promise of a change.
 * Two rules keep the loop sound (nextIndex): an index of 0, or no index at all, is taken as 1
 * (waiting on 1 is always safe, and 0 would never block, a busy loop); an index lower than the
 * last one (a restored snapshot, a restarted agent that lost its state) resets the loop to 0, so
 * the next query answers at once with the new state instead of waiting for an index that is
 * already past. A failed query is retried after a backoff (doubling, capped, jittered) so an
 * agent that is down is not hammered, and from index 0: an agent that comes back may have
 * restarted with its state lost, and a query held at the old index would wait out its whole
 * `wait` before saying so. The first answer after a failure resets the backoff.
 */
import type { Blocking, BlockingParams } from './api.ts'

/** The index the next blocking query carries, from the last one and the answer's header. */
export function nextIndex(previous: number, header: string | null): number {
  const parsed = header === null ? Number.NaN : Number(header)
  const index = Number.isSafeInteger(parsed) && parsed > 0 ? parsed : 1
  return index < previous ? 0 : index
}

/** How a blocking loop waits and backs off. */
export interface BlockingLoopOptions {
  /** The `wait` each query asks for, in seconds. */
  readonly waitS: number
  readonly initialBackoffMs: number
  readonly maxBackoffMs: number
}

/**
 * Runs `query` as a blocking loop until stopped: `onAnswer` gets every answer's body, `onError`
 * every failure (then the loop backs off and retries). Returns the function that stops it
 * (aborting the query in flight).
 */
export function blockingLoop<T>(
  query: (params: BlockingParams) => Promise<Blocking<T>>,
  onAnswer: (body: T) => void,
  onError: (err: Error) => void,
  options: BlockingLoopOptions,
): () => void {
  const stop = new AbortController()
  const { signal } = stop
  void (async () => {
    let index = 0
    let backoffMs = options.initialBackoffMs
    while (!signal.aborted) {
      try {
        const answer = await query({ index, waitS: options.waitS, signal })
        index = nextIndex(index, answer.index)
        backoffMs = options.initialBackoffMs
        if (!signal.aborted) onAnswer(answer.body)
      } catch (err) {
        if (signal.aborted) return
        index = 0
        onError(err instanceof Error ? err : new Error(String(err)))
        await abortableDelay(backoffMs * (0.75 + Math.random() / 2), signal)
        backoffMs = Math.min(backoffMs * 2, options.maxBackoffMs)
      }
    }
  })()
  return () => stop.abort()
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done)
  })
}
