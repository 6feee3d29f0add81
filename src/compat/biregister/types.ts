/** biregister's change notification, with a typed op instead of etcd's "PUT"/"DELETE" strings. */

export const ChangeOp = {
  /** A name was created or its value changed. */
  Put: 'PUT',
  /** A name was deleted or expired. */
  Delete: 'DELETE',
} as const
export type ChangeOp = (typeof ChangeOp)[keyof typeof ChangeOp]

/** One change under the watched prefix (biregister `Change`). */
export interface Change {
  /** The key without the prefix. */
  readonly name: string
  readonly op: ChangeOp
}

/** The leader's name and value (biregister `GetLeader()`'s two results). */
export interface Leader {
  readonly name: string
  readonly value: string
}
