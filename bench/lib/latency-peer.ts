/**
 * One end of a two-process latency measurement (bench/latency.ts): a writer that stamps the
 * time just before it writes, or a watcher that stamps the time an event reaches it, for
 * gossip-sd (a node made by createNode, lan preset, on loopback) or etcd (an etcd3 client).
 *
 *   latency-peer.ts gossip-sd writer|watcher [--bootstrap MULTIADDR]
 *   latency-peer.ts etcd writer|watcher --endpoint http://HOST:PORT
 *
 * Prints `{"type":"ready","address"?}` once up; a writer reads `send ID` lines on stdin and prints
 * `{"type":"sent","id","at"}` stamped just before registering (or putting) ID; a watcher prints
 * `{"type":"seen","id","at"}` for each ID created. `at` is ms since the epoch with sub-millisecond
 * resolution, comparable between processes of one host. Exits when stdin closes.
 */
import { createInterface } from 'node:readline'
import { Etcd3 } from 'etcd3'
import { createNode } from '../../src/node/index.ts'
import { argValue } from '../table.ts'

const [system, role] = process.argv.slice(2)
const SERVICE = 'latency'
const now = (): number => performance.timeOrigin + performance.now()
const print = (line: object): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}

interface End {
  address?: string
  write(id: string): Promise<unknown>
  watch(seen: (id: string) => void): void
  close(): Promise<void>
}

async function gossipSd(): Promise<End> {
  const bootstrap = argValue('--bootstrap')
  const node = await createNode({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    preset: 'lan',
    ...(bootstrap === undefined ? {} : { bootstrap: [bootstrap] }),
  })
  return {
    address: node.addresses()[0] as string,
    write: (id) => node.register({ service: SERVICE, id, addresses: ['127.0.0.1:1'] }),
    watch: (seen) =>
      node.subscribe((changes) => {
        for (const change of changes) if (change.type === 'created') seen(change.instance.id)
      }),
    close: () => node.stop(),
  }
}

async function etcd(): Promise<End> {
  const client = new Etcd3({ hosts: [argValue('--endpoint') as string] })
  const prefix = `/${SERVICE}/`
  await client.get('warm-up').string()
  return {
    write: async (id) => {
      await client.put(`${prefix}${id}`).value('x')
    },
    watch: (seen) => {
      void client
        .watch()
        .prefix(prefix)
        .create()
        .then((watcher) => {
          watcher.on('put', (kv) => seen(kv.key.toString().slice(prefix.length)))
          print({ type: 'watching' })
        })
    },
    close: async () => client.close(),
  }
}

const end = system === 'etcd' ? await etcd() : await gossipSd()
if (role === 'watcher') end.watch((id) => print({ type: 'seen', id, at: now() }))
print({ type: 'ready', address: end.address })
const commands = createInterface({ input: process.stdin })
commands.on('line', (line) => {
  const [command, id] = line.split(' ')
  if (command !== 'send' || id === undefined) return
  // Stamped before the write starts, printed once it is under way (a print costs time too).
  const at = now()
  void end.write(id)
  print({ type: 'sent', id, at })
})
commands.on('close', () => {
  void end.close().finally(() => process.exit(0))
})
