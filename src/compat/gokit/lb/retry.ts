/**
 * go-kit's `lb.Retry`: wraps a Balancer into one Endpoint that asks the balancer for an endpoint
 * and calls it, again and again on failure, until the callback says stop or the timeout (on the
 * scheduler's clock) passes. The error keeps every attempt's error, in order.
 */
import { GossipSdError, type Scheduler, systemScheduler } from '../../../contract.ts'
import { TimeoutError } from '../../shared/errors.ts'
import { requireDuration, requireFunction, requirePositiveInteger } from '../../shared/validate.ts'
import type { Endpoint } from '../types.ts'
import type { Balancer } from './balancer.ts'

/** Every attempt failed (go-kit `lb.RetryError`). */
export class RetryError extends GossipSdError<'ERR_RETRY_EXHAUSTED'> {
  /** Each attempt's error, in order (go-kit `RawErrors`). */
  readonly rawErrors: readonly Error[]
  /** Why retrying stopped: the last error, the callback's replacement, or a TimeoutError. */
  readonly final: Error

  constructor(rawErrors: readonly Error[], final: Error) {
    const previous = rawErrors.filter((e) => e !== final).map((e) => e.message)
    super(
      'ERR_RETRY_EXHAUSTED',
      previous.length === 0
        ? final.message
        : `${final.message} (previously: ${previous.join('; ')})`,
    )
    this.rawErrors = rawErrors
    this.final = final
  }
}

/**
 * Decides after the n-th failed attempt (1-based) whether to keep trying, optionally replacing
 * the error that becomes `final` (go-kit `lb.Callback`).
 */
export type RetryCallback = (
  n: number,
  received: Error,
) => readonly [keepTrying: boolean, replacement?: Error]

/** Options of retry. */
export interface RetryOptions {
  /** Clock for the timeout. @default systemScheduler */
  scheduler?: Scheduler
}

/** Retries up to `max` attempts in all, within `timeoutMs` (go-kit `lb.Retry`). */
export function retry<Request, Response>(
  max: number,
  timeoutMs: number,
  balancer: Balancer<Request, Response>,
  options: RetryOptions = {},
): Endpoint<Request, Response> {
  requirePositiveInteger('max', max)
  return retryWithCallback(timeoutMs, balancer, (n) => [n < max], options)
}

/** Retries while `callback` says so, within `timeoutMs` (go-kit `lb.RetryWithCallback`). */
export function retryWithCallback<Request, Response>(
  timeoutMs: number,
  balancer: Balancer<Request, Response>,
  callback: RetryCallback,
  options: RetryOptions = {},
): Endpoint<Request, Response> {
  requireDuration('timeout', timeoutMs)
  requireFunction('balancer.endpoint', balancer?.endpoint)
  requireFunction('callback', callback)
  const scheduler = options.scheduler ?? systemScheduler
  return async (request, signal) => {
    const deadline = new AbortController()
    const timeout = new TimeoutError(`retry timed out after ${timeoutMs} ms`)
    const cancelTimer = scheduler.setTimer(timeoutMs, () => deadline.abort(timeout))
    const onAbort = () => deadline.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    const expired = new Promise<never>((_, reject) => {
      if (signal?.aborted) deadline.abort(signal.reason)
      if (deadline.signal.aborted) reject(deadline.signal.reason)
      deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason), {
        once: true,
      })
    })
    expired.catch(() => undefined)
    const rawErrors: Error[] = []
    try {
      for (let n = 1; ; n++) {
        let received: Error
        try {
          const attempt = Promise.resolve().then(() =>
            balancer.endpoint()(request, deadline.signal),
          )
          return await Promise.race([attempt, expired])
        } catch (err) {
          if (deadline.signal.aborted)
            throw new RetryError(rawErrors, asError(deadline.signal.reason))
          received = asError(err)
        }
        rawErrors.push(received)
        const [keepTrying, replacement] = callback(n, received)
        if (!keepTrying) throw new RetryError(rawErrors, replacement ?? received)
      }
    } finally {
      cancelTimer()
      signal?.removeEventListener('abort', onAbort)
    }
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value))
}
