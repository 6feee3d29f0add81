/** The libp2p node: `createNode`, its options, presets and errors. Every libp2p import stays in this folder. */
export { createNode, DEFAULT_LISTEN } from './create-node.ts'
export type { GossipNode, GossipNodeStats } from './gossip-node.ts'
export { PeerUnreachableError, type TransportStats } from './libp2p-transport.ts'
export { InvalidNodeOptionError, type NodeOptions } from './options.ts'
export {
  baseLibp2pTuning,
  type Libp2pTuning,
  localLibp2pTuning,
  PRESET_NAMES,
  type PresetName,
  wanLibp2pTuning,
} from './presets.ts'
export { generateSwarmKey } from './psk.ts'
export { MINIMUM_NODE_VERSION, UnsupportedRuntimeError } from './runtime.ts'
