/**
 * Every line a stream produces, parsed and kept, plus waiting for the first line (already seen
 * or still to come) that matches a predicate, with a deadline.
 */

import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { withDeadline } from './deadline.ts'

interface Waiter<T> {
  readonly match: (item: T) => boolean
  readonly resolve: (item: T) => void
}

export class LineLog<T> {
  readonly items: T[] = []
  /** Resolves when the stream ends. */
  readonly ended: Promise<void>
  readonly #waiters = new Set<Waiter<T>>()

  constructor(stream: Readable, parse: (line: string) => T | undefined) {
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })
    lines.on('line', (line) => {
      const item = parse(line)
      if (item === undefined) return
      this.items.push(item)
      for (const waiter of [...this.#waiters]) {
        if (waiter.match(item)) {
          this.#waiters.delete(waiter)
          waiter.resolve(item)
        }
      }
    })
    this.ended = new Promise((resolve) => lines.once('close', resolve))
  }

  /** The first item matching `match`, already received or the next to arrive, within `ms`. */
  waitFor(match: (item: T) => boolean, ms: number, what: string): Promise<T> {
    const seen = this.items.find(match)
    if (seen !== undefined) return Promise.resolve(seen)
    let waiter: Waiter<T> | undefined
    const arrived = new Promise<T>((resolve) => {
      waiter = { match, resolve }
      this.#waiters.add(waiter)
    })
    return withDeadline(arrived, ms, what).finally(() => {
      if (waiter !== undefined) this.#waiters.delete(waiter)
    })
  }
}

/** Parses an NDJSON line; lines that are not JSON objects are ignored. */
export function parseJsonLine<T>(line: string): T | undefined {
  try {
    const value: unknown = JSON.parse(line)
    return value !== null && typeof value === 'object' ? (value as T) : undefined
  } catch {
    return undefined
  }
}
