/** `gossip-sd psk`: prints a new pre-shared key; give the file to every node of a private cluster. */
// From its own module: the node's index would load libp2p for a command that needs none.
import { generateSwarmKey } from '../../node/psk.ts'
import type { Command } from '../command.ts'

export const command: Command = {
  spec: {
    name: 'psk',
    summary: 'Prints a new pre-shared key (swarm.key format): gossip-sd psk > swarm.key',
    positionals: [],
    flags: {},
  },
  async run() {
    process.stdout.write(new TextDecoder().decode(generateSwarmKey()))
    process.stdout.write('\n')
    return 0
  },
}
