/** One statement as a replica holds it, with the time the owner last refreshed it there. */
import type { Statement } from './statement.ts'

/** One statement as this replica holds it. */
export interface Entry<S extends Statement = Statement> {
  readonly statement: S
  /** Receiver-clock ms of the owner's last refresh of this statement that this replica knows of. */
  readonly refreshedAt: number
}
