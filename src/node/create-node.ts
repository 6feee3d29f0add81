/**
 * `createNode`: options in, a started node out. Order matters: validate everything, load the
 * identity (and bump the persisted incarnation), build libp2p, then start the mesh, which starts
 * the transport and with it libp2p. A failure at any step leaves nothing running and the key
 * file unlocked.
 */
import { networkInterfaces } from 'node:os'
import { multiaddr } from '@multiformats/multiaddr'
import { signerFromSeed } from '../membership/identity.ts'
import { resolveLimits } from '../membership/limits.ts'
import { Mesh } from '../mesh/mesh.ts'
import { systemScheduler } from '../mesh/scheduler.ts'
import { type GossipNode, Libp2pGossipNode } from './gossip-node.ts'
import { ephemeralIdentity, persistentIdentity } from './identity-store.ts'
import { buildLibp2p } from './libp2p-config.ts'
import { Libp2pTransport } from './libp2p-transport.ts'
import { listenFailure } from './listen-error.ts'
import { type NodeOptions, validateMeshTiming, validateNodeOptions } from './options.ts'
import { PeerKeeper } from './peer-keeper.ts'
import { nodePreset } from './presets.ts'
import { checkSwarmKey, readSwarmKey } from './psk.ts'
import { assertSupportedRuntime } from './runtime.ts'

export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0']

/** How long a discovered peer is redialled after it was last connected: partitions heal within it. */
const FORGET_UNSEEN_PEERS_AFTER_MS = 10 * 60 * 1000

/**
 * Creates and starts a node. Throws InvalidNodeOptionError for bad options, and
 * UnsupportedRuntimeError on a Node.js older than the package supports.
 */
export async function createNode(options: NodeOptions = {}): Promise<GossipNode> {
  assertSupportedRuntime()
  validateNodeOptions(options)
  const cluster = options.cluster ?? 'default'
  const listen = options.listen ?? DEFAULT_LISTEN
  const preset = nodePreset(options.preset ?? 'lan', { ...options.config, cluster })
  validateMeshTiming(preset.mesh)
  const tuning = { ...preset.libp2p, ...options.libp2p }
  const limits = resolveLimits(preset.mesh.limits)
  const psk =
    options.pskFile !== undefined
      ? await readSwarmKey(options.pskFile)
      : options.psk === undefined
        ? undefined
        : checkSwarmKey(options.psk, 'psk')
  const now = systemScheduler.now()
  const identity =
    options.keyFile === undefined
      ? await ephemeralIdentity(now)
      : await persistentIdentity(options.keyFile, now)
  const keeper = new PeerKeeper({
    bootstrap: options.bootstrap ?? [],
    intervalMs: tuning.redialIntervalMs,
    forgetAfterMs: FORGET_UNSEEN_PEERS_AFTER_MS,
    targetPeers: tuning.targetPeers,
    dialTimeoutMs: tuning.dialTimeoutMs,
  })
  const libp2p = await buildLibp2p({
    gater: keeper.gater,
    privateKey: identity.privateKey,
    cluster,
    listen,
    bootstrap: options.bootstrap ?? [],
    mdns: options.mdns ?? true,
    psk,
    tuning,
    maxFrameBytes: limits.maxFrameBytes,
  }).catch(async (err: unknown) => {
    await identity.release()
    throw err
  })
  const transport = new Libp2pTransport({
    libp2p,
    cluster,
    maxFrameBytes: limits.maxFrameBytes,
    dialTimeoutMs: tuning.dialTimeoutMs,
  })
  const mesh = new Mesh({
    transport,
    signer: signerFromSeed(identity.seed),
    scheduler: systemScheduler,
    config: preset.mesh,
    advertisedHost: options.advertisedHost ?? defaultAdvertisedHost(listen),
    incarnation: identity.incarnation,
  })
  keeper.attach(libp2p, {
    reachable: (peer) => mesh.attested(peer),
    meshStarved: () => transport.meshPeers() < tuning.meshDegreeLow,
  })
  try {
    await mesh.start()
  } catch (err) {
    await Promise.resolve(libp2p.stop()).catch(() => undefined)
    await identity.release()
    throw listenFailure(err) ?? err
  }
  return new Libp2pGossipNode(mesh, transport, cluster, identity.release)
}

/** The first concrete listen host, else the first external IPv4 interface, else loopback. */
function defaultAdvertisedHost(listen: readonly string[]): string {
  for (const address of listen) {
    const host = multiaddr(address).nodeAddress().address
    if (host !== '0.0.0.0' && host !== '::') return host
  }
  for (const addresses of Object.values(networkInterfaces())) {
    const external = addresses?.find((a) => a.family === 'IPv4' && !a.internal)
    if (external !== undefined) return external.address
  }
  return '127.0.0.1'
}
