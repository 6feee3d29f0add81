/**
 * go-kit's `lb.Retry`: wraps a Balancer into one Endpoint that asks the balancer for an endpoint
 * and calls it, again and again on failure, until the callback says stop or the timeout (on the
 * scheduler's clock) passes. When the callback stops it, the RetryError keeps every attempt's
 * error, in order. When the time runs out (or the caller's signal aborts), the call rejects with
 * that reason itself, a TimeoutError or the signal's reason, as go-kit returns `ctx.Err()`.
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
  /** Why retrying stopped: the last error, or the callback's replacement of it. */
  readonly final: Error

  constructor(rawErrors: readonly Error[], final: Error) {
    // go-kit lists every raw error but the last, which `final` stands for.
    const previous = rawErrors.slice(0, -1).map((e) => e.message)
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

/** Keeps trying until the timeout: go-kit's callback when none is given. */
const alwaysRetry: RetryCallback = () => [true]

/**
 * Retries while `callback` says so, within `timeoutMs` (go-kit `lb.RetryWithCallback`); without
 * a callback, until the timeout.
 */
export function retryWithCallback<Request, Response>(
  timeoutMs: number,
  balancer: Balancer<Request, Response>,
  callback: RetryCallback | null | undefined,
  options: RetryOptions = {},
): Endpoint<Request, Response> {
  requireDuration('timeout', timeoutMs)
  requireFunction('balancer.endpoint', balancer?.endpoint)
  const decide = callback ?? alwaysRetry
  requireFunction('callback', decide)
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
          if (deadline.signal.aborted) throw deadline.signal.reason
          received = asError(err)
        }
        rawErrors.push(received)
        const [keepTrying, replacement] = decide(n, received)
        if (!keepTrying) throw new RetryError(rawErrors, replacement ?? received)
        // Let timers run between attempts: go-kit's timeout fires beside a retry loop that fails
        // at once (no endpoints), which here would otherwise never give the timer a turn.
        await new Promise((resolve) => setImmediate(resolve))
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
