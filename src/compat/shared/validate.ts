/**
 * Argument checks shared by the compat faces. Ported code is often loosely typed (JavaScript
 * callers, JSON input), so every public entry point checks its arguments and throws a named
 * InvalidArgumentError instead of failing somewhere deep inside.
 */
import { type DiscoveryNode, InvalidArgumentError } from '../../contract.ts'

export function requireString(what: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(`${what} must be a string`)
  return value
}

export function requireNonEmptyString(what: string, value: unknown): string {
  if (requireString(what, value).length === 0) {
    throw new InvalidArgumentError(`${what} must not be empty`)
  }
  return value as string
}

/** A finite, non-negative number of milliseconds. */
export function requireDuration(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`${what} must be a non-negative number of milliseconds`)
  }
  return value
}

export function requireFiniteNumber(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`${what} must be a finite number`)
  }
  return value
}

export function requirePositiveInteger(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${what} must be a positive integer`)
  }
  return value
}

/** A string-to-string map; null and undefined mean empty (Go's nil map). Returns a copy. */
export function requireStringMap(what: string, value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError(`${what} must be an object of strings`)
  }
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new InvalidArgumentError(`${what}.${k} must be a string`)
    out[k] = v
  }
  return out
}

export function requireFunction<F extends (...args: never[]) => unknown>(
  what: string,
  value: unknown,
): F {
  if (typeof value !== 'function') throw new InvalidArgumentError(`${what} must be a function`)
  return value as F
}

/** Anything with the DiscoveryNode methods the faces call. */
export function requireNode(value: unknown): DiscoveryNode {
  const node = value as Partial<DiscoveryNode> | null
  if (
    node === null ||
    typeof node !== 'object' ||
    typeof node.register !== 'function' ||
    typeof node.lookup !== 'function' ||
    typeof node.subscribe !== 'function'
  ) {
    throw new InvalidArgumentError('expected a DiscoveryNode (a Mesh or a node from createNode)')
  }
  return node as DiscoveryNode
}

/** True when every entry of `wanted` is present with the same value in `attrs`. */
export function matchesAll(
  attrs: Readonly<Record<string, string>>,
  wanted: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(wanted).every(([k, v]) => attrs[k] === v)
}
