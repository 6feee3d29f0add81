/**
 * biregister behaviours a ported program relies on, each written from biregister's own tests or
 * source (watcher.go, register.go, README; cited per test, paraphrased), not from this
 * implementation.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import {
  ChangeOp,
  NameTakenError,
  newRegister,
  newRegisterNoName,
  newWatcher,
} from '../../src/compat/biregister/index.ts'
import type { Mesh } from '../../src/mesh/mesh.ts'
import { take } from './biregister-changes.ts'
import { type Cluster, deadline, startCluster } from './helpers.ts'

describe('from biregister', () => {
  let cluster: Cluster
  const node = (i: number) => cluster.nodes[i] as Mesh
  beforeEach(async () => {
    cluster = await startCluster(3)
  })
  afterEach(() => cluster.stop())

  // watcher_test.go TestWatcherBase: two registers under one prefix; the first one's Changes()
  // reports both, and GetValueByName reads each value.
  it('two registers: changes report both, values read by name', async () => {
    const r1 = await newRegister(node(0), '/watcherbase/', '1111', '1.2.3.4:1234', 2)
    await cluster.settle()
    await newRegister(node(1), '/watcherbase/', '2222', '2.2.3.4:1234', 2)
    await cluster.settle()
    assert.deepEqual(await take(r1.changes(), 2), [`${ChangeOp.Put} 1111`, `${ChangeOp.Put} 2222`])
    assert.equal(r1.getValueByName('1111'), '1.2.3.4:1234')
    assert.equal(r1.getValueByName('2222'), '2.2.3.4:1234')
  })

  // watcher.go update/updateLoop: the leader is the lowest create revision; it is re-chosen
  // only when the leader's key is deleted; other PUTs and DELETEs leave it as it is.
  it('GetLeader stays with the first registration until its key is deleted', async () => {
    const first = await newRegister(node(0), '/jobs/', 'first', 'v1', 5)
    await cluster.settle(1500)
    const watcher = newWatcher(node(2), '/jobs/', 5)
    const second = await newRegister(node(1), '/jobs/', 'second', 'v2', 5)
    await cluster.settle()
    await newRegister(node(1), '/jobs/', 'third', 'v3', 5)
    await cluster.settle()
    assert.deepEqual(watcher.getLeader(), { name: 'first', value: 'v1' })
    first.close()
    await cluster.settle(5500)
    assert.deepEqual(watcher.getLeader(), { name: 'second', value: 'v2' })
    assert.equal(second.amILeader(), true)
  })

  // register.go registerMyself: a put only if the key's create revision is 0 (absent); a taken
  // name fails the transaction.
  it('a taken name fails', async () => {
    await newRegister(node(0), '/x/', 'name', 'v', 5)
    await cluster.settle()
    await assert.rejects(newRegister(node(1), '/x/', 'name', 'w', 5), NameTakenError)
  })

  // README / register.go: without a name the register names itself "/" + a 20-digit number
  // that grows with each registration, and MyKey is prefix + MyName.
  it('without a name: "/" + 20 increasing digits; MyKey = prefix + MyName', async () => {
    const a = await newRegisterNoName(node(0), '/anon/', 'v', 5)
    const b = await newRegisterNoName(node(0), '/anon/', 'v', 5)
    const digits = (name: string) => /^\/(\d{20})/.exec(name)?.[1] as string
    assert.match(a.myName(), /^\/\d{20}/)
    assert.ok(BigInt(digits(b.myName())) > BigInt(digits(a.myName())))
    assert.equal(a.myKey(), `/anon/${a.myName()}`)
  })

  // watcher.go Close: closes the client and the Closed() channel.
  it('Close fires Closed()', async () => {
    const watcher = newWatcher(node(0), '/p/', 5)
    watcher.close()
    await deadline(watcher.closed())
  })
})
