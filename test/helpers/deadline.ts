/** Awaiting with a deadline: tests wait for events, never sleep, and fail with a clear message. */

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError'
}

/** Resolves like `promise`, or rejects with DeadlineError naming `what` after `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`timed out after ${ms} ms: ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}
