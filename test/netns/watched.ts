/**
 * A child process whose stdout is read line by line, with `until(...)`: wait for a condition that
 * is re-checked on every line, with a deadline that fails with a clear message. Tests never sleep
 * to wait: they await what the process says.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'

/** How many trailing stdout lines and stderr characters a failure message shows. */
const TAIL_LINES = 15
const TAIL_CHARS = 2000

export interface WatchedOptions {
  /** Called for every stdout line before waiting conditions are re-checked. */
  onLine?: (line: string) => void
  /** Extra context for failure messages, e.g. the state derived from the lines. */
  describe?: () => string
}

export class WatchedProcess {
  /** Every stdout line so far. */
  readonly lines: string[] = []
  #stderr = ''
  /** Why waiting can no longer succeed (the process exited, or `fail` was called). */
  #ended: string | undefined
  readonly #waiters = new Set<() => void>()
  readonly #exit: Promise<number | null>

  constructor(
    readonly name: string,
    readonly child: ChildProcessWithoutNullStreams,
    readonly options: WatchedOptions = {},
  ) {
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-TAIL_CHARS)
    })
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.lines.push(line)
      options.onLine?.(line)
      this.#notify()
    })
    // 'close' comes after the exit and after stdout and stderr are drained, so a failure message
    // shows everything the process wrote.
    this.#exit = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.fail(`exited with ${code === null ? `signal ${signal}` : `code ${code}`}`)
        resolve(code)
      })
    })
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Ends every wait with `reason` (e.g. the process broke its output contract). */
  fail(reason: string): void {
    this.#ended ??= reason
    this.#notify()
  }

  /**
   * Resolves once `done()` is true, checking now and after every stdout line. Rejects after
   * `timeoutMs`, or when the process exits or `fail` is called first, with a message naming
   * `what`, the process's recent output and its state.
   */
  until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (error?: Error) => {
        clearTimeout(timer)
        this.#waiters.delete(check)
        if (error === undefined) resolve()
        else reject(error)
      }
      const check = () => {
        if (done()) finish()
        else if (this.#ended !== undefined) finish(this.#error(what, this.#ended))
      }
      const timer = setTimeout(
        () => finish(this.#error(what, `timed out after ${timeoutMs} ms`)),
        timeoutMs,
      )
      this.#waiters.add(check)
      check()
    })
  }

  /** Resolves with the exit code (null if killed by a signal), or rejects after `timeoutMs`. */
  exited(timeoutMs: number): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(this.#error('its exit', `timed out after ${timeoutMs} ms`)),
        timeoutMs,
      )
      void this.#exit.then((code) => {
        clearTimeout(timer)
        resolve(code)
      })
    })
  }

  /** The stderr tail, for messages. */
  get stderr(): string {
    return this.#stderr
  }

  #notify(): void {
    for (const check of [...this.#waiters]) check()
  }

  #error(what: string, reason: string): Error {
    const state = this.options.describe?.()
    return new Error(
      [
        `${this.name}: ${reason} while waiting for ${what}`,
        ...(state === undefined ? [] : [`state: ${state}`]),
        `last stdout lines:\n  ${this.lines.slice(-TAIL_LINES).join('\n  ') || '(none)'}`,
        `stderr tail:\n  ${this.#stderr.trim().replaceAll('\n', '\n  ') || '(none)'}`,
      ].join('\n'),
    )
  }
}
