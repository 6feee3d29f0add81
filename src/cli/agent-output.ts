/**
 * What the agent prints. `--json`: NDJSON, a ready line first, then one line per change and per
 * neighbour event (the contract scripts and tests rely on). Otherwise the live table: redrawn in
 * place on every change (and every second for the AGE column) on a terminal, printed anew on
 * every change when stdout is a file or pipe.
 */
import type { PeerEvent, ServiceChange } from '../contract.ts'
import type { GossipNode } from '../node/index.ts'
import { changeToJson, instanceToJson } from './json.ts'
import { renderTable, shortPeerId } from './table.ts'

export interface ReadyInfo {
  readonly peerId: string
  readonly addresses: readonly string[]
  readonly control: string
  /** Insecure settings in use (no pre-shared key), also said on stderr. */
  readonly warnings: readonly string[]
}

export interface AgentOutput {
  ready(info: ReadyInfo): void
  changes(changes: readonly ServiceChange[]): void
  peer(event: PeerEvent): void
  close(): void
}

export function ndjsonOutput(write: (line: string) => void): AgentOutput {
  const emit = (value: unknown): void => write(`${JSON.stringify(value)}\n`)
  return {
    ready: (info) => emit({ type: 'ready', ...info }),
    changes: (changes) => {
      const at = Date.now()
      for (const change of changes) emit(changeToJson(change, at))
    },
    peer: (event) => emit({ type: 'peer', event: event.type, peer: event.peer, at: Date.now() }),
    close: () => undefined,
  }
}

const CLEAR_SCREEN = '\x1b[H\x1b[2J'

export function tableOutput(node: GossipNode, out: NodeJS.WriteStream): AgentOutput {
  let header = ''
  const draw = (): void => {
    const body = renderTable(node.services().map(instanceToJson), Date.now())
    const summary = `peers: ${node.peers().length}  live nodes: ${node.liveNodes().length}`
    out.write(`${out.isTTY ? CLEAR_SCREEN : '\n'}${header}${summary}\n\n${body}\n`)
  }
  const ticker = out.isTTY ? setInterval(draw, 1000) : undefined
  ticker?.unref()
  return {
    ready: (info) => {
      header = `gossip-sd agent ${shortPeerId(info.peerId)}  control: ${info.control}\n${[
        ...info.warnings.map((warning) => `WARNING: ${warning}`),
        ...info.addresses,
      ].join('\n')}\n`
      draw()
    },
    changes: draw,
    peer: draw,
    close: () => clearInterval(ticker),
  }
}
