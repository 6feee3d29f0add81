/**
 * The floor bench:cluster measures agents against: a bare libp2p process built from the
 * project's own dependencies with the modules the agent uses (TCP, Noise, Yamux, identify, ping,
 * gossipsub subscribed to one topic), with their defaults (but gossipsub's IP-colocation
 * penalty, below) and no application code.
 *
 *   node bench/lib/bare-node.mjs [--bootstrap MULTIADDR]... [--print-messages]
 *
 * Plain JavaScript on plain Node, so nothing but libp2p is loaded (no TypeScript loader). It
 * listens on 127.0.0.1, dials its bootstrap peers, prints one JSON line
 * `{"type":"ready","peerId","address"}`, and then reads commands on stdin, one a line:
 * `publish MS BYTES` publishes a message of BYTES random bytes every MS ms (first one after a
 * random fraction of MS, so processes do not publish in lockstep); `idle` stops publishing. It
 * prints `{"type":"peers","count"}` when asked `peers`. `send ID` prints
 * `{"type":"sent","id","at"}` and publishes ID (as the text `probe:ID`); with `--print-messages`
 * every such message received prints `{"type":"seen","id","at"}` (`at` in ms since the epoch,
 * sub-millisecond, comparable between processes of one host), and the random ones nothing. It
 * exits when stdin closes.
 */
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { gossipsub } from '@chainsafe/libp2p-gossipsub'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'

const TOPIC = 'bench-floor'

const bootstrap = []
for (let i = 2; i < process.argv.length; i++)
  if (process.argv[i] === '--bootstrap') bootstrap.push(process.argv[++i])
const printMessages = process.argv.includes('--print-messages')
const PROBE = 'probe:'
const now = () => performance.timeOrigin + performance.now()

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    ping: ping(),
    // Defaults, but for one: gossipsub's IP-colocation penalty scores a peer by how many peers
    // share its IP, so on one host a process with more than 10 peers (the bootstrap hub)
    // graylisted all of them and neither relayed nor delivered anything. Peers on a real LAN
    // have an IP each; the agents turn it off for the same reason.
    pubsub: gossipsub({
      allowPublishToZeroTopicPeers: true,
      scoreParams: { IPColocationFactorWeight: 0 },
    }),
  },
})
node.services.pubsub.subscribe(TOPIC)
if (printMessages)
  node.services.pubsub.addEventListener('message', (event) => {
    const at = now()
    const text = new TextDecoder().decode(event.detail.data)
    if (text.startsWith(PROBE))
      console.log(JSON.stringify({ type: 'seen', id: text.slice(PROBE.length), at }))
  })
await Promise.all(bootstrap.map((address) => node.dial(multiaddr(address)).catch(() => undefined)))
const address = `${node.getMultiaddrs()[0]}`
console.log(JSON.stringify({ type: 'ready', peerId: node.peerId.toString(), address }))

let publisher
const stopPublishing = () => {
  clearTimeout(publisher)
  clearInterval(publisher)
}
const publish = (bytes) =>
  node.services.pubsub.publish(TOPIC, randomBytes(bytes)).catch(() => undefined)

const commands = createInterface({ input: process.stdin })
commands.on('line', (line) => {
  const [command, ...args] = line.trim().split(' ')
  if (command === 'publish') {
    const [ms, bytes] = args.map(Number)
    stopPublishing()
    publisher = setTimeout(() => {
      void publish(bytes)
      publisher = setInterval(() => void publish(bytes), ms)
    }, Math.random() * ms)
  } else if (command === 'idle') stopPublishing()
  else if (command === 'send') {
    console.log(JSON.stringify({ type: 'sent', id: args[0], at: now() }))
    void node.services.pubsub
      .publish(TOPIC, new TextEncoder().encode(`${PROBE}${args[0]}`))
      .catch(() => undefined)
  } else if (command === 'peers')
    console.log(JSON.stringify({ type: 'peers', count: node.getPeers().length }))
})
commands.on('close', () => {
  stopPublishing()
  void node.stop().finally(() => process.exit(0))
})
