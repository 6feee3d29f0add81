/**
 * The leader the faces report: the election's rule (src/election/rules.ts) over a face's
 * instances, with the node's attestation, so a face names the leader the node's election names
 * and an owner a member minted leads in no face (rule 0).
 */
import type { DiscoveryNode, Instance } from '../../contract.ts'
import { leaderOf } from '../../election/rules.ts'

/** The instance of `instances` that leads as `node` sees it, or undefined when there is none. */
export function leaderOn(node: DiscoveryNode, instances: Iterable<Instance>): Instance | undefined {
  return leaderOf(instances, (instance) => node.attested(instance.owner))
}
