/**
 * The seam between the membership protocol and a network. The libp2p node, the in-memory
 * transport and the simulator implement it; the protocol driver (src/mesh) uses nothing else.
 *
 * Frames are opaque bytes to a transport. Delivery is best effort: a transport may drop, delay,
 * duplicate or reorder frames, and the protocol converges anyway (anti-entropy repairs losses).
 */
export type PeerEvent = { readonly type: 'connected' | 'disconnected'; readonly peer: string }

/** What a transport calls back into the mesh. */
export interface TransportHandlers {
  /**
   * A frame arrived. `from` is the neighbour that sent it (not necessarily the statements'
   * owner). Called on the transport's own schedule, never re-entrantly from `broadcast`/`send`;
   * the handler must not throw (drivers catch and count).
   */
  onFrame(from: string, frame: Uint8Array): void
  /** A neighbour connected or disconnected. */
  onPeer(event: PeerEvent): void
}

/** The seam between the mesh and a network: libp2p, the in-memory network, or the simulator. */
export interface Transport {
  /** This node's peer ID. */
  readonly localPeer: string
  /** Starts delivering to `handlers`. Called once, before any other method. */
  start(handlers: TransportHandlers): Promise<void>
  /** Sends a frame to every member of the cluster (eager push). Returns once handed off; never throws. */
  broadcast(frame: Uint8Array): Promise<void>
  /** Sends a frame to one neighbour. Rejects if the neighbour cannot be reached. */
  send(peer: string, frame: Uint8Array): Promise<void>
  /** Currently connected neighbours. */
  peers(): string[]
  /** Stops delivery and releases resources. Pending broadcasts are flushed first. */
  stop(): Promise<void>
}
