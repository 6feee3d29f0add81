/**
 * A single-consumer async channel: the compat faces' stand-in for Go channels. Producers push
 * synchronously from the node's change feed; the consumer awaits `next()` or iterates.
 *
 * Items are wrapped in the queue so `undefined` is a valid item (go-kit's `struct{}` sentinel).
 * With a `capacity`, pushes beyond it are dropped, as a Go `select { case ch <- x: default: }`
 * does on a full buffered channel.
 */
export interface ChannelOptions {
  /** Buffered items kept before new ones are dropped. @default Infinity */
  capacity?: number
  /** Closes the channel when it aborts. */
  signal?: AbortSignal
  /** Called once when the channel closes (for unsubscribing from a source). */
  onClose?: () => void
}

export class Channel<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = []
  readonly #capacity: number
  readonly #onClose: (() => void) | undefined
  #waiter: ((result: IteratorResult<T, undefined>) => void) | undefined
  #closed = false

  constructor(options: ChannelOptions = {}) {
    this.#capacity = options.capacity ?? Number.POSITIVE_INFINITY
    this.#onClose = options.onClose
    if (options.signal?.aborted) this.close()
    else options.signal?.addEventListener('abort', () => this.close(), { once: true })
  }

  /** Delivers `item`; false when it was dropped (channel closed or buffer full). */
  push(item: T): boolean {
    if (this.#closed) return false
    const waiter = this.#waiter
    if (waiter !== undefined) {
      this.#waiter = undefined
      waiter({ value: item, done: false })
      return true
    }
    if (this.#items.length >= this.#capacity) return false
    this.#items.push(item)
    return true
  }

  /** Ends the stream: buffered items are still delivered, then `done`. Idempotent. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#onClose?.()
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.({ value: undefined, done: true })
  }

  get closed(): boolean {
    return this.#closed
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#items.length > 0) {
      return Promise.resolve({ value: this.#items.shift() as T, done: false })
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve) => {
      this.#waiter = resolve
    })
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.close()
    this.#items.length = 0
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this
  }
}
