/**
 * What each agent process believes, rebuilt from its NDJSON events (created/updated add an
 * instance, deleted/expired remove it), and waiting for every agent to believe exactly the
 * expected set of instance keys, with a deadline: fault tests await agreement, never sleep.
 */
import assert from 'node:assert/strict'
import { controlRequest } from '../../src/cli/control-client.ts'
import { parseEndpoint } from '../../src/cli/endpoint.ts'
import type { Agent, AgentEvent } from '../helpers/agent-process.ts'

type ChangeEvent = Extract<AgentEvent, { instance: unknown }>

function isChange(event: AgentEvent): event is ChangeEvent {
  return 'instance' in event
}

/** The instance keys `agent` holds, as its events tell. */
export function viewOf(agent: Agent): Set<string> {
  const keys = new Set<string>()
  for (const event of agent.events.items) {
    if (!isChange(event)) continue
    if (event.type === 'created' || event.type === 'updated') keys.add(event.instance.key)
    else keys.delete(event.instance.key)
  }
  return keys
}

function sameKeys(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((k) => b.has(k))
}

/** Resolves once every agent holds exactly `expected`; rejects naming the difference. */
export async function settled(
  agents: readonly Agent[],
  expected: ReadonlySet<string>,
  ms: number,
  what: string,
): Promise<void> {
  await Promise.all(
    agents.map((agent) =>
      agent.events
        .waitFor(() => sameKeys(viewOf(agent), expected), ms, `${what} on agent ${agent.pid}`)
        .catch((err: unknown) => {
          const view = viewOf(agent)
          const missing = [...expected].filter((k) => !view.has(k))
          const extra = [...view].filter((k) => !expected.has(k))
          throw new Error(
            `${(err as Error).message}; missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}`,
          )
        }),
    ),
  )
}

/** Asserts no agent saw an instance again after its deletion (a tombstone is final). */
export function assertNoResurrection(agents: readonly Agent[]): void {
  for (const agent of agents) {
    const deleted = new Set<string>()
    for (const event of agent.events.items) {
      if (!isChange(event)) continue
      const { key } = event.instance
      if (event.type === 'deleted') deleted.add(key)
      else if (event.type !== 'expired')
        assert.ok(!deleted.has(key), `agent ${agent.pid} saw ${key} ${event.type} after deleted`)
    }
  }
}

/** Asserts the last event each agent logged for each key in `dead` removed it. */
export function assertStayedDead(agents: readonly Agent[], dead: ReadonlySet<string>): void {
  for (const agent of agents) {
    const last = new Map<string, string>()
    for (const event of agent.events.items)
      if (isChange(event) && dead.has(event.instance.key)) last.set(event.instance.key, event.type)
    for (const [key, type] of last)
      assert.ok(type === 'deleted' || type === 'expired', `${key} is ${type} on ${agent.pid}`)
  }
}

export interface Registered {
  readonly key: string
}

/** Registers `service=address` (id `id`) on `agent` through its control endpoint. */
export async function register(agent: Agent, service: string, id: string): Promise<string> {
  const { instance } = await controlRequest<{ instance: Registered }>(
    parseEndpoint(agent.control),
    'POST',
    '/v1/register',
    { service, id, addresses: [`127.0.0.1:${1000 + (id.length % 100)}`] },
  )
  return instance.key
}

/** Deregisters the instance `service/id` on `agent`. */
export async function deregister(agent: Agent, service: string, id: string): Promise<void> {
  const { removed } = await controlRequest<{ removed: boolean }>(
    parseEndpoint(agent.control),
    'POST',
    '/v1/deregister',
    { service, id },
  )
  assert.ok(removed, `${service}/${id} was registered on ${agent.pid}`)
}
