/**
 * The seam between the membership protocol and a network. The libp2p node, the in-memory
 * transport and the simulator implement it; the protocol driver (src/mesh) uses nothing else.
 *
 * Frames are opaque bytes to a transport. Delivery is best effort: a transport may drop, delay,
 * duplicate or reorder frames, and the protocol converges anyway (anti-entropy repairs losses).
 */
export type PeerEvent = { readonly type: 'connected' | 'disconnected'; readonly peer: string }

/** How a frame arrived: pushed to the whole cluster (`broadcast`) or sent to this node alone. */
export type FrameRoute = 'broadcast' | 'direct'

/**
 * What the driver makes of a frame, for a transport that relays broadcasts (gossipsub checks
 * each message before it forwards it): `accept` it (relay it), `reject` it (its sender broke the
 * protocol: drop it and penalise the sender), or `ignore` it (drop it without blame: nothing in
 * it is worth relaying, or it speaks a configuration this node does not accept).
 */
export type FrameVerdict = 'accept' | 'reject' | 'ignore'

/** What a transport calls back into the mesh. */
export interface TransportHandlers {
  /**
   * A frame arrived by `route`. `from` is the neighbour that sent it (not necessarily the
   * statements' owner). Called on the transport's own schedule, never re-entrantly from
   * `broadcast`/`send`; the handler never throws (drivers catch and count). A transport that
   * relays broadcasts relays only those the verdict accepts, after the call.
   */
  onFrame(from: string, frame: Uint8Array, route: FrameRoute): FrameVerdict
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
