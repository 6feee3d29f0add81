/** The mesh-native Registrar: announces one InstanceSpec through the node. */
import {
  type DiscoveryNode,
  type InstanceSpec,
  InvalidArgumentError,
  instanceKey,
} from '../../contract.ts'
import { requireNode } from '../shared/validate.ts'
import type { Registrar } from './types.ts'

/** A Registrar that registers `spec` on `node` (go-kit `sd.Registrar`). */
export function newRegistrar(node: DiscoveryNode, spec: InstanceSpec): Registrar {
  requireNode(node)
  if (spec === null || typeof spec !== 'object') {
    throw new InvalidArgumentError('newRegistrar takes an InstanceSpec object')
  }
  const fixed: InstanceSpec = { ...spec }
  return {
    register: async () => {
      await node.register(fixed)
    },
    deregister: async () => {
      await node.deregister(instanceKey(node.peerId, fixed.service, fixed.id))
    },
  }
}
