/**
 * The election rule (discoverd's): the leader of a service is its live instance with the oldest
 * registration, ties broken by instance key. It is a pure function of the instance set, so every
 * node that holds the same set names the same leader without exchanging a message.
 */
import type { Instance } from '../contract.ts'

/** Orders instances oldest first; equal ages by key. */
export function compareByAge(a: Instance, b: Instance): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0
}

/** The leader of a set of instances of one service, or undefined when it is empty. */
export function leaderOf(instances: Iterable<Instance>): Instance | undefined {
  let leader: Instance | undefined
  for (const instance of instances) {
    if (leader === undefined || compareByAge(instance, leader) < 0) leader = instance
  }
  return leader
}
