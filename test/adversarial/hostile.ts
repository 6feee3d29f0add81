/**
 * The honest cluster and the hostile peer of the adversarial suite, on real TCP on loopback.
 *
 * Honest nodes are `createNode` nodes in this process (so the suite can watch their event loop
 * and heap). A hostile peer is a `createNode` node too: the project's own libp2p stack, with the
 * cluster's pre-shared key when the attack is by a member. Its mesh runs honestly beside the
 * attack; the attack speaks through its transport, raw bytes on the push topic (a gossipsub
 * publish) and on the sync protocol, and signs with its own key or with keys it mints.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks'
import { encodeFrame } from '../../src/membership/frame.ts'
import { generateSigner, type Signer, signingDomain } from '../../src/membership/identity.ts'
import { resolveLimits } from '../../src/membership/limits.ts'
import { LocalOwner } from '../../src/membership/owner.ts'
import type { Statement } from '../../src/membership/statement.ts'
import type { Transport } from '../../src/membership/transport.ts'
import type { Mesh } from '../../src/mesh/mesh.ts'
import { meshOf } from '../../src/node/gossip-node.ts'
import {
  createNode,
  type GossipNode,
  type GossipNodeStats,
  generateSwarmKey,
  type NodeOptions,
} from '../../src/node/index.ts'
import type { Libp2pTransport } from '../../src/node/libp2p-transport.ts'
import { withDeadline } from '../helpers/deadline.ts'

export const CLUSTER = 'adversarial'
export const MS = 10_000

export interface Cluster {
  readonly psk: Uint8Array
  /** The honest node the hostile peers dial. */
  readonly a: GossipNode
  /** An honest node connected to `a` only: what `a` relays reaches it, nothing else does. */
  readonly b: GossipNode
  readonly nodes: GossipNode[]
}

const LOOPBACK: NodeOptions = {
  cluster: CLUSTER,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  mdns: false,
  preset: 'local',
}

export async function startNode(options: NodeOptions, into: GossipNode[]): Promise<GossipNode> {
  const node = await createNode({ ...LOOPBACK, ...options })
  into.push(node)
  return node
}

/** Two honest nodes, `b` bootstrapped to `a`, each with one registration of service `web`. */
export async function honestCluster(config: NodeOptions['config'] = {}): Promise<Cluster> {
  const psk = generateSwarmKey()
  const nodes: GossipNode[] = []
  const a = await startNode({ psk, config }, nodes)
  const b = await startNode({ psk, config, bootstrap: a.addresses() }, nodes)
  await connected(a, b.peerId)
  await a.register({ service: 'web', id: 'a', addresses: ['127.0.0.1:1'] })
  await b.register({ service: 'web', id: 'b', addresses: ['127.0.0.1:2'] })
  await until(() => a.lookup('web').length === 2 && b.lookup('web').length === 2, 'web on both')
  return { psk, a, b, nodes }
}

/** A member of the cluster (it has the key) that attacks `target` and knows no other node. */
export async function hostileMember(cluster: Cluster): Promise<Hostile> {
  const node = await startNode(
    { psk: cluster.psk, bootstrap: cluster.a.addresses() },
    cluster.nodes,
  )
  await connected(node, cluster.a.peerId)
  await connected(cluster.a, node.peerId)
  const transport = meshOf(node).transport as Libp2pTransport
  const pubsub = transport.libp2p.services.pubsub
  await until(
    () => pubsub.getSubscribers(transport.topic).some((p) => p.toString() === cluster.a.peerId),
    'the hostile peer sees the target on the topic',
  )
  return new Hostile(node, cluster.a)
}

export class Hostile {
  readonly node: GossipNode
  readonly mesh: Mesh
  readonly transport: Transport
  readonly target: GossipNode

  constructor(node: GossipNode, target: GossipNode) {
    this.node = node
    this.mesh = meshOf(node)
    this.transport = this.mesh.transport
    this.target = target
  }

  /** Publishes raw bytes on the cluster's push topic. */
  publish(frame: Uint8Array): Promise<void> {
    return this.transport.broadcast(frame)
  }

  /** Writes raw bytes to the target on the sync protocol. */
  send(frame: Uint8Array): Promise<void> {
    return this.transport.send(this.target.peerId, frame)
  }

  /** Signs as this node's own owner, for this cluster. */
  get owner(): LocalOwner {
    return this.mesh.owner
  }
}

/** A freshly minted owner signing for `cluster` (the hostile peer holds its key). */
export function mintedOwner(cluster = CLUSTER, signer: Signer = generateSigner()): LocalOwner {
  const limits = resolveLimits()
  return new LocalOwner(signer, 1n, limits, 1500, signingDomain(cluster))
}

/** A push frame of `statements`, each reported `ageMs` old. */
export function frameOf(statements: readonly Statement[], ageMs = 0): Uint8Array {
  return encodeFrame({
    gossip: statements.map((s) => ({ statement: s.signed, ageMs })),
    wantReply: false,
  })
}

export function connected(node: GossipNode, peer: string): Promise<void> {
  return until(() => node.peers().includes(peer), `${node.peerId} connected to ${peer}`)
}

/**
 * Resolves once `condition` holds, checking it every few milliseconds (counters have no event),
 * or rejects after `ms`.
 */
export function until(condition: () => boolean, what: string, ms = MS): Promise<void> {
  return withDeadline(
    new Promise<void>((resolve) => {
      const check = (): void => {
        if (condition()) resolve()
        else setTimeout(check, 20).unref()
      }
      check()
    }),
    ms,
    what,
  )
}

/**
 * Waits until `b` holds a registration `a` makes now. Gossipsub delivers one neighbour's
 * messages in order, so anything `a` relayed before it has reached `b` by then.
 */
export async function flushedThrough(a: GossipNode, b: GossipNode, id: string): Promise<void> {
  await a.register({ service: 'flush', id, addresses: ['127.0.0.1:3'] })
  await until(
    () => b.lookup('flush').some((i) => i.id === id && i.owner === a.peerId),
    `flush ${id} at ${b.peerId}`,
  )
}

/** The honest view: every live instance as key@version, sorted. */
export function viewOf(node: GossipNode, service = 'web'): string[] {
  return node
    .lookup(service)
    .map((i) => `${i.key}@${i.revision.incarnation}.${i.revision.counter}`)
    .sort()
}

/** Rejections counted by `code` since `before`. */
export function rejectedSince(node: GossipNode, before: GossipNodeStats, code: string): number {
  const now = node.stats().rejected as Record<string, number>
  const then = before.rejected as Record<string, number>
  return (now[code] ?? 0) - (then[code] ?? 0)
}

/** The event-loop delay of this process (where the honest nodes run) while `work` runs. */
export async function eventLoopDelayDuring(work: () => Promise<void>): Promise<IntervalHistogram> {
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  try {
    await work()
  } finally {
    histogram.disable()
  }
  return histogram
}
