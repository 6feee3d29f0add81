/**
 * The control endpoint against the callers it must refuse: no token or a wrong one, requests
 * shaped like a browser's (Origin, Sec-Fetch-*, a DNS-rebound Host, CORS-simple content types),
 * oversized bodies, too many watchers, another local user; and what it must allow: the CLI's
 * own client, which finds the token by itself. A real node and a real HTTP server on loopback,
 * raw requests from node:http; the file modes of a real agent's default socket.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { rm, stat, writeFile } from 'node:fs/promises'
import { type IncomingHttpHeaders, type IncomingMessage, request } from 'node:http'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { controlRequest } from '../../src/cli/control-client.ts'
import { type ControlServer, startControlServer } from '../../src/cli/control-server.ts'
import { readToken, tokenPath } from '../../src/cli/control-token.ts'
import { parseEndpoint, runDirectory } from '../../src/cli/endpoint.ts'
import { createNode, type GossipNode } from '../../src/node/index.ts'
import { killAllAgents, runCli, spawnAgent } from '../helpers/agent-process.ts'
import { withDeadline } from '../helpers/deadline.ts'

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

const NOBODY = 65534

describe('control endpoint authentication', () => {
  let node: GossipNode
  let server: ControlServer
  let port: number
  let token: string

  /** One raw request to the in-process server; resolves with the whole answer. */
  function raw(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method, path, headers, agent: false },
        (res) => {
          let text = ''
          res.setEncoding('utf8').on('data', (chunk: string) => {
            text += chunk
          })
          res.once('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
          )
        },
      )
      req.once('error', reject)
      req.end(body)
    })
  }

  const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}` })
  const spec = JSON.stringify({ service: 'evil', id: 'e1', addresses: ['127.0.0.1:1'] })

  before(async () => {
    node = await createNode({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
      preset: 'local',
    })
    server = await startControlServer(
      node,
      { kind: 'tcp', host: '127.0.0.1', port: 0 },
      { maxWatchers: 2, maxBodyBytes: 4096 },
    )
    if (server.endpoint.kind !== 'tcp') throw new Error('expected a TCP endpoint')
    port = server.endpoint.port
    token = await readToken(server.endpoint)
  })

  after(async () => {
    await server.close()
    await node.stop()
    await killAllAgents()
  })

  it('writes a 64-hex-digit token readable by its owner only', async () => {
    assert.match(token, /^[0-9a-f]{64}$/)
    const path = tokenPath(server.endpoint)
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    assert.equal((await stat(dirname(path))).mode & 0o777, 0o700)
  })

  it('refuses requests without the token or with a wrong one, and counts them', async () => {
    const before = server.stats.rejected.token
    const none = await raw('GET', '/v1/status', {})
    assert.equal(none.status, 401)
    assert.match(none.body, /ControlRequestRefused/)
    const wrong = await raw('GET', '/v1/status', { authorization: `Bearer ${'0'.repeat(64)}` })
    assert.equal(wrong.status, 401)
    const bare = await raw('POST', '/v1/register', { 'content-type': 'application/json' }, spec)
    assert.equal(bare.status, 401)
    assert.equal(server.stats.rejected.token, before + 3)
    assert.deepEqual(node.lookup('evil'), [])
  })

  it('serves the CLI client, which reads the token by itself', async () => {
    const status = await controlRequest<{ peerId: string; control: { watchers: number } }>(
      server.endpoint,
      'GET',
      '/v1/status',
    )
    assert.equal(status.peerId, node.peerId)
    assert.equal(status.control.watchers, 0)
  })

  it('refuses requests shaped like a browser, even with the token', async () => {
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ origin: 'http://evil.example' }, 403, 'browser-origin'],
      [{ origin: 'null' }, 403, 'browser-origin'],
      [{ 'sec-fetch-site': 'cross-site' }, 403, 'fetch-metadata'],
      [{ 'sec-fetch-mode': 'no-cors' }, 403, 'fetch-metadata'],
      [{ host: `evil.example:${port}` }, 403, 'host'],
      [{ host: `127.0.0.1:${port + 1}` }, 403, 'host'],
      [{ 'content-type': 'text/plain' }, 415, 'content-type'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 415, 'content-type'],
      [{ 'content-type': 'multipart/form-data; boundary=x' }, 415, 'content-type'],
      [{}, 415, 'content-type'],
    ]
    for (const [headers, status, reason] of cases) {
      const before = server.stats.rejected[reason as keyof typeof server.stats.rejected]
      const answer = await raw('POST', '/v1/register', { ...auth(), ...headers }, spec)
      assert.equal(answer.status, status, JSON.stringify(headers))
      assert.equal(JSON.parse(answer.body).error.code, reason)
      assert.equal(
        server.stats.rejected[reason as keyof typeof server.stats.rejected],
        before + 1,
        reason,
      )
      assert.deepEqual(
        Object.keys(answer.headers).filter((h) => h.startsWith('access-control-')),
        [],
      )
    }
    assert.deepEqual(node.lookup('evil'), [])
    const preflight = await raw('OPTIONS', '/v1/register', {
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
    })
    assert.equal(preflight.status, 403)
    assert.deepEqual(
      Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-')),
      [],
    )
  })

  it('accepts its own Host names and a JSON body with a charset', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      const answer = await raw('GET', '/v1/services', { ...auth(), host })
      assert.equal(answer.status, 200, host)
    }
    const answer = await raw(
      'POST',
      '/v1/register',
      { ...auth(), 'content-type': 'application/json; charset=utf-8' },
      JSON.stringify({ service: 'ok', id: 'o1', addresses: ['127.0.0.1:2'] }),
    )
    assert.equal(answer.status, 200, answer.body)
    assert.equal(node.lookup('ok').length, 1)
  })

  it('refuses a body over the limit', async () => {
    const big = JSON.stringify({ service: 'big', id: 'b', addresses: ['x'.repeat(5000)] })
    const answer = await raw(
      'POST',
      '/v1/register',
      { ...auth(), 'content-type': 'application/json' },
      big,
    )
    assert.equal(answer.status, 413)
    assert.equal(server.stats.rejected['body-too-large'], 1)
    assert.deepEqual(node.lookup('big'), [])
  })

  it('caps concurrent watch streams', async () => {
    const open = (): Promise<{ status: number; close: () => void }> =>
      new Promise((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/v1/watch', headers: auth(), agent: false },
          (res) => {
            res.resume()
            resolve({ status: res.statusCode ?? 0, close: () => req.destroy() })
          },
        )
        req.once('error', reject)
        req.end()
      })
    const first = await open()
    const second = await open()
    assert.deepEqual([first.status, second.status], [200, 200])
    assert.equal(server.stats.watchers, 2)
    const third = await open()
    assert.equal(third.status, 429)
    assert.equal(server.stats.rejected.watchers, 1)
    first.close()
    await withDeadline(
      (async () => {
        for (;;) {
          const again = await open()
          if (again.status === 200) return again.close()
        }
      })(),
      5000,
      'a watch slot freed by a closed stream',
    )
    second.close()
  })

  it('cuts a watcher that stops reading once its backlog passes the limit', async () => {
    const slow = await startControlServer(
      node,
      { kind: 'tcp', host: '127.0.0.1', port: 0 },
      { maxWatcherBacklogBytes: 64 * 1024 },
    )
    if (slow.endpoint.kind !== 'tcp') throw new Error('expected a TCP endpoint')
    const slowToken = await readToken(slow.endpoint)
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: slow.endpoint.kind === 'tcp' ? slow.endpoint.port : 0,
          path: '/v1/watch?service=flood',
          headers: { authorization: `Bearer ${slowToken}` },
          agent: false,
        },
        resolve,
      )
      req.once('error', reject)
      req.end()
    })
    response.pause() // reads nothing more: the kernel's buffers fill, then the agent's
    const closed = new Promise((resolve) => response.socket.once('close', resolve))
    const metadata = { blob: 'x'.repeat(8000) }
    try {
      await withDeadline(
        (async () => {
          for (let i = 0; slow.stats.rejected['slow-watcher'] === 0; i++)
            await node.register({
              service: 'flood',
              id: `f${i}`,
              addresses: ['127.0.0.1:1'],
              metadata,
            })
        })(),
        30_000,
        'the slow watcher cut',
      )
      await withDeadline(closed, 5000, 'the slow watcher connection closed')
      assert.equal(slow.stats.watchers, 0)
    } finally {
      await slow.close()
    }
  })

  it('removes the tokens and default sockets that dead agents left in the run directory', async () => {
    const dir = runDirectory()
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
    const staleSocket = join(dir, 'gone-1.sock')
    await writeFile(`${staleSocket}.token`, `x\n${dead.stdout.toString()}\n`, { mode: 0o600 })
    await writeFile(staleSocket, '', { mode: 0o600 })
    const liveToken = join(dir, '127.0.0.1-1.token')
    await writeFile(liveToken, `y\n${process.pid}\n`, { mode: 0o600 })
    const another = await startControlServer(node, { kind: 'tcp', host: '127.0.0.1', port: 0 })
    let swept = false
    void another.swept.then(() => {
      swept = true
    })
    // The endpoint serves before the sweep has read anything: on a loaded host a start that
    // waited for it (hundreds of stale tokens, four file operations each) took 10–50 s.
    assert.equal(swept, false, 'the start did not wait for the sweep')
    try {
      await another.swept
      await assert.rejects(stat(`${staleSocket}.token`), /ENOENT/)
      await assert.rejects(stat(staleSocket), /ENOENT/)
      assert.ok((await stat(liveToken)).isFile(), 'a live agent keeps its token')
    } finally {
      await another.close()
      await rm(liveToken)
    }
  })

  it('keeps other local users out: no token to read, and a unix socket they cannot open', async () => {
    const agent = await spawnAgent(['--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'])
    const socket = agent.control
    assert.equal((await stat(socket)).mode & 0o777, 0o600)
    assert.equal((await stat(dirname(socket))).mode & 0o777, 0o700)
    assert.equal((await stat(`${socket}.token`)).mode & 0o777, 0o600)
    const own = await runCli(['status', '--json', '--control', socket])
    assert.equal(own.code, 0, own.stderr)
    // As user nobody: the socket, the token and the TCP token file are all out of reach.
    const probe = `
      const http = require('node:http'); const fs = require('node:fs')
      const tries = []
      try { fs.readFileSync(${JSON.stringify(`${socket}.token`)}); tries.push('token read') } catch (e) { tries.push(e.code) }
      try { fs.readFileSync(${JSON.stringify(tokenPath(server.endpoint))}); tries.push('token read') } catch (e) { tries.push(e.code) }
      const ask = (options) => new Promise((resolve) => {
        const req = http.request({ ...options, path: '/v1/status', agent: false }, (res) => resolve(res.statusCode))
        req.once('error', (e) => resolve(e.code)); req.end()
      })
      Promise.all([ask({ socketPath: ${JSON.stringify(socket)} }), ask({ host: '127.0.0.1', port: ${port} })])
        .then((answers) => console.log(JSON.stringify([...tries, ...answers])))
    `
    const child = spawn(process.execPath, ['-e', probe], {
      uid: NOBODY,
      gid: NOBODY,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
    })
    await withDeadline(
      new Promise((resolve) => child.once('close', resolve)),
      15_000,
      'the probe as nobody',
    )
    assert.deepEqual(JSON.parse(out), ['EACCES', 'EACCES', 'EACCES', 401])
    assert.equal(parseEndpoint(socket).kind, 'unix')
  })
})
