/**
 * A single-consumer async queue: producers push, the consumer iterates. Ends when closed or
 * when the signal aborts. Unbounded by design: the producer is the node's own event loop, and
 * a watcher that stops reading should close its iterator.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = []
  #waiter: ((result: IteratorResult<T>) => void) | undefined
  #closed = false
  readonly #onClose: () => void

  constructor(onClose: () => void, signal?: AbortSignal) {
    this.#onClose = onClose
    if (signal?.aborted) this.close()
    else signal?.addEventListener('abort', () => this.close(), { once: true })
  }

  push(item: T): void {
    if (this.#closed) return
    const waiter = this.#waiter
    if (waiter !== undefined) {
      this.#waiter = undefined
      waiter({ value: item, done: false })
    } else {
      this.#items.push(item)
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#onClose()
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.({ value: undefined, done: true })
  }

  get closed(): boolean {
    return this.#closed
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.#items.shift()
    if (item !== undefined) return Promise.resolve({ value: item, done: false })
    if (this.#closed) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve) => {
      this.#waiter = resolve
    })
  }

  return(): Promise<IteratorResult<T>> {
    this.close()
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this
  }
}
