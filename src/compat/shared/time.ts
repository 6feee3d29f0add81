/** Bounding work by time on a node's scheduler (virtual in tests, so nothing sleeps). */
import type { Scheduler } from '../../contract.ts'
import { TimeoutError } from './errors.ts'

/** Settles like `promise`, or rejects with TimeoutError after `ms` on `scheduler`. */
export function withTimeout<T>(
  scheduler: Scheduler,
  ms: number,
  what: string,
  promise: Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = scheduler.setTimer(ms, () =>
      reject(new TimeoutError(`${what} did not finish within ${ms} ms`)),
    )
    promise.then(
      (value) => {
        cancel()
        resolve(value)
      },
      (err: unknown) => {
        cancel()
        reject(err)
      },
    )
  })
}
