/**
 * Command-line parsing for every command: one declarative spec per command drives parsing,
 * validation and `--help`. Anything the spec does not allow is a UsageError (exit code 2).
 */
import { parseArgs } from 'node:util'

/** Bad command-line usage: the message says what is wrong; the process exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export interface FlagSpec {
  readonly type: 'string' | 'boolean'
  /** May be given several times (collected into a list). */
  readonly multiple?: boolean
  /** Shown after the flag in help, e.g. MULTIADDR. */
  readonly placeholder?: string
  readonly help: string
}

export interface PositionalSpec {
  readonly name: string
  readonly required: boolean
  readonly help: string
}

export interface CommandSpec {
  readonly name: string
  readonly summary: string
  readonly positionals: readonly PositionalSpec[]
  readonly flags: Readonly<Record<string, FlagSpec>>
}

export interface ParsedArgs {
  readonly positionals: readonly string[]
  readonly values: Readonly<Record<string, string | boolean | Array<string | boolean> | undefined>>
}

/** Flags shared by the commands that talk to a running agent. */
export const CLIENT_FLAGS: Readonly<Record<string, FlagSpec>> = {
  control: {
    type: 'string',
    placeholder: 'ENDPOINT',
    help: 'agent control endpoint: a unix socket path or 127.0.0.1:PORT (env GOSSIP_SD_CONTROL)',
  },
  json: { type: 'boolean', help: 'machine-readable JSON output' },
}

/** Parses `argv` against `spec`; returns 'help' when --help was asked for. */
export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help'
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(spec.flags).map(([name, flag]) => [
          name,
          { type: flag.type, multiple: flag.multiple === true },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    })
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
  const required = spec.positionals.filter((p) => p.required).length
  if (parsed.positionals.length < required)
    throw new UsageError(
      `missing ${spec.positionals[parsed.positionals.length]?.name ?? 'argument'}`,
    )
  if (parsed.positionals.length > spec.positionals.length)
    throw new UsageError(`unexpected argument "${parsed.positionals[spec.positionals.length]}"`)
  return { positionals: parsed.positionals, values: parsed.values }
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name]
  return typeof value === 'string' ? value : undefined
}

export function listFlag(args: ParsedArgs, name: string): string[] {
  const value = args.values[name]
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

export function booleanFlag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true
}

/** A non-negative integer flag, or undefined when absent. */
export function integerFlag(args: ParsedArgs, name: string): number | undefined {
  const text = stringFlag(args, name)
  if (text === undefined) return undefined
  if (!/^[0-9]+$/.test(text)) throw new UsageError(`--${name} takes a whole number, not "${text}"`)
  return Number(text)
}

/** Splits `key=value`; `what` names the flag in the error. */
export function splitPair(text: string, what: string): [string, string] {
  const at = text.indexOf('=')
  if (at <= 0 || at === text.length - 1)
    throw new UsageError(`${what} takes KEY=VALUE, not "${text}"`)
  return [text.slice(0, at), text.slice(at + 1)]
}

export function helpText(spec: CommandSpec): string {
  const usage = [
    `gossip-sd ${spec.name}`,
    ...spec.positionals.map((p) => (p.required ? p.name : `[${p.name}]`)),
    '[flags]',
  ].join(' ')
  const rows: Array<[string, string]> = [
    ...spec.positionals.map((p): [string, string] => [p.name, p.help]),
    ...Object.entries(spec.flags).map(([name, flag]): [string, string] => [
      `--${name}${flag.placeholder === undefined ? '' : ` ${flag.placeholder}`}`,
      `${flag.help}${flag.multiple === true ? ' (repeatable)' : ''}`,
    ]),
    ['--help', 'show this help'],
  ]
  const width = Math.max(...rows.map(([left]) => left.length))
  return `${spec.summary}\n\nUsage: ${usage}\n\n${rows
    .map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)
    .join('\n')}\n`
}
