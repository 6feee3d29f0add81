/**
 * `gossip-sd`: the command-line entry. Each command lives in its own module, loaded on demand so
 * client commands start without loading libp2p. Exit codes: 0 ok, 1 failure, 2 bad usage.
 */
import { helpText, parseCommandArgs, UsageError } from './args.ts'
import type { Command } from './command.ts'

const COMMANDS: Readonly<Record<string, () => Promise<{ command: Command }>>> = {
  agent: () => import('./commands/agent.ts'),
  register: () => import('./commands/register.ts'),
  deregister: () => import('./commands/deregister.ts'),
  list: () => import('./commands/list.ts'),
  watch: () => import('./commands/watch.ts'),
  leader: () => import('./commands/leader.ts'),
  status: () => import('./commands/status.ts'),
  psk: () => import('./commands/psk.ts'),
}

const USAGE = `gossip-sd: peer-to-peer service discovery

Usage: gossip-sd COMMAND [flags]      (gossip-sd COMMAND --help for its flags)

Commands:
  agent       run a node and show the live service table
  register    register a service instance with a running agent
  deregister  delete an instance a running agent registered
  list        list live instances
  watch       stream changes
  leader      show the leader of a service
  status      show the agent's peer ID, addresses, peers and counters
  psk         print a new pre-shared key (swarm.key) for a private cluster
`

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE)
    return name === undefined ? 2 : 0
  }
  const load = COMMANDS[name]
  if (load === undefined) {
    process.stderr.write(`gossip-sd: unknown command "${name}"\n\n${USAGE}`)
    return 2
  }
  const { command } = await load()
  try {
    const args = parseCommandArgs(command.spec, rest)
    if (args === 'help') {
      process.stdout.write(helpText(command.spec))
      return 0
    }
    return await command.run(args)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`gossip-sd ${name}: ${err.message}\n(see gossip-sd ${name} --help)\n`)
      return 2
    }
    process.stderr.write(`gossip-sd ${name}: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}

process.exit(await main(process.argv.slice(2)))
