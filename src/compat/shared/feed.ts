/**
 * The node's synchronous change feed, narrowed to what a face cares about. Faces keep full
 * snapshots (go-kit `Event`, discoverd's set, biregister's cache) and derive their deltas at the
 * edge; these helpers only decide when a snapshot must be recomputed.
 */
import type { DiscoveryNode, Instance, ServiceChange } from '../../contract.ts'

/** Calls `listener` with each batch's changes that `affects` selects; returns unsubscribe. */
export function subscribeMatching(
  node: DiscoveryNode,
  affects: (instance: Instance) => boolean,
  listener: (changes: readonly ServiceChange[]) => void,
): () => void {
  return node.subscribe((changes) => {
    const relevant = changes.filter((change) => affects(change.instance))
    if (relevant.length > 0) listener(relevant)
  })
}

export interface WaitOptions {
  /** Give up after this long on the node's scheduler; resolve `undefined`. @default no limit */
  timeoutMs?: number
  /** Stop waiting: the promise rejects with the signal's reason. */
  signal?: AbortSignal
}

/**
 * Resolves with the first defined value `check` returns: at once, or after a change that
 * `affects` selects. Resolves `undefined` when the timeout (virtual time in tests) passes first.
 */
export function waitUntil<T>(
  node: DiscoveryNode,
  affects: (instance: Instance) => boolean,
  check: () => T | undefined,
  options: WaitOptions = {},
): Promise<T | undefined> {
  const now = check()
  if (now !== undefined) return Promise.resolve(now)
  return new Promise<T | undefined>((resolve, reject) => {
    const { signal, timeoutMs } = options
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const finish = (): void => {
      unsubscribe()
      cancelTimer()
      signal?.removeEventListener('abort', onAbort)
    }
    const onAbort = (): void => {
      finish()
      reject(signal?.reason)
    }
    const unsubscribe = subscribeMatching(node, affects, () => {
      const value = check()
      if (value === undefined) return
      finish()
      resolve(value)
    })
    const cancelTimer =
      timeoutMs === undefined
        ? () => undefined
        : node.scheduler.setTimer(timeoutMs, () => {
            finish()
            resolve(undefined)
          })
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
