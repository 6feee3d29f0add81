/**
 * Tiny network programs the harness test runs inside namespaces, so the harness is proven
 * without the agent. Each prints one line per thing that happened:
 *
 *   tcp-serve ADDRESS PORT          prints `listening`, answers every connection with `pong`
 *   tcp-probe ADDRESS PORT MS       prints `reachable` or `unreachable: REASON`, then exits 0
 *   mcast-listen GROUP PORT         joins GROUP, prints `listening`, then `got MESSAGE` per datagram
 *   mcast-send GROUP PORT MESSAGE   sends MESSAGE to GROUP every 100 ms until terminated
 */
import { createSocket } from 'node:dgram'
import { connect, createServer } from 'node:net'

const [command, first = '', second = '', third = ''] = process.argv.slice(2)
const port = Number(second)

switch (command) {
  case 'tcp-serve':
    createServer((socket) => socket.end('pong')).listen(port, first, () => console.log('listening'))
    break
  case 'tcp-probe': {
    const socket = connect({ host: first, port, timeout: Number(third) })
    const verdict = (line: string) => {
      console.log(line)
      socket.destroy()
    }
    socket.setEncoding('utf8')
    socket.once('data', (data: string) =>
      verdict(data === 'pong' ? 'reachable' : `unreachable: got ${data}`),
    )
    socket.once('timeout', () => verdict(`unreachable: no answer within ${third} ms`))
    socket.once('error', (error) => verdict(`unreachable: ${error.message}`))
    break
  }
  case 'mcast-listen': {
    const socket = createSocket({ type: 'udp4', reuseAddr: true })
    socket.on('message', (message) => console.log(`got ${message.toString()}`))
    socket.bind(port, () => {
      socket.addMembership(first)
      console.log('listening')
    })
    break
  }
  case 'mcast-send': {
    const socket = createSocket('udp4')
    setInterval(() => socket.send(third, port, first), 100)
    break
  }
  default:
    console.error(`unknown probe command: ${command}`)
    process.exitCode = 2
}
