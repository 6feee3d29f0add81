/** What every CLI command module exports: its spec (parsing and --help) and its body. */
import type { CommandSpec, ParsedArgs } from './args.ts'

export interface Command {
  readonly spec: CommandSpec
  /** Runs the command; resolves with the process exit code. */
  run(args: ParsedArgs): Promise<number>
}

/** Writes one JSON value as a line. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}
