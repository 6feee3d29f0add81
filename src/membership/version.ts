/**
 * An owner's version: (incarnation, counter), compared lexicographically. The incarnation is
 * chosen at process start and exceeds every earlier incarnation of the same identity, so a
 * restarted owner outranks all of its old statements; the counter grows with every statement
 * the owner signs within one incarnation.
 */
export interface Version {
  readonly incarnation: bigint
  readonly counter: bigint
}

/** Orders two versions: incarnation first, then counter. */
export function compareVersions(a: Version, b: Version): -1 | 0 | 1 {
  if (a.incarnation !== b.incarnation) return a.incarnation < b.incarnation ? -1 : 1
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1
  return 0
}

export function formatVersion(v: Version): string {
  return `${v.incarnation}.${v.counter}`
}
