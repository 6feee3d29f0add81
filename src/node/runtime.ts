/**
 * The oldest Node.js gossip-sd runs on, checked where an older one would otherwise fail deep
 * inside with a message that names none of this: libp2p calls `Promise.withResolvers` (Node 22)
 * once a node starts, and the CLI loads `node:http` through `process.getBuiltinModule` (22.3).
 * `createNode` and the `gossip-sd` launcher check first and name the version needed. npm only
 * warns about `engines`, so an install on an older Node succeeds.
 */
import { GossipSdError } from '../membership/errors.ts'

/** Major and minor of the oldest supported Node.js: package.json's `engines` says the same. */
export const MINIMUM_NODE_VERSION: readonly [major: number, minor: number] = [22, 3]

/** gossip-sd was loaded by a Node.js older than `MINIMUM_NODE_VERSION`. */
export class UnsupportedRuntimeError extends GossipSdError<'ERR_UNSUPPORTED_RUNTIME'> {
  constructor(message: string) {
    super('ERR_UNSUPPORTED_RUNTIME', message)
  }
}

/**
 * Why gossip-sd cannot run on Node.js `version` (as in `process.versions.node`, "22.3.0"), or
 * undefined when it can.
 */
export function unsupportedRuntime(version: string): string | undefined {
  const [major, minor] = version.split('.').map(Number)
  const [neededMajor, neededMinor] = MINIMUM_NODE_VERSION
  const supported =
    major !== undefined &&
    minor !== undefined &&
    (major > neededMajor || (major === neededMajor && minor >= neededMinor))
  return supported
    ? undefined
    : `gossip-sd needs Node.js ${neededMajor}.${neededMinor} or newer; this is ${version}`
}

/** Throws UnsupportedRuntimeError on a Node.js older than `MINIMUM_NODE_VERSION`. */
export function assertSupportedRuntime(version: string = process.versions.node): void {
  const problem = unsupportedRuntime(version)
  if (problem !== undefined) throw new UnsupportedRuntimeError(problem)
}
