#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 --heap-growing-percent=20
// Launcher: runs the compiled CLI (`npm run build` makes dist/; `npm pack` builds it first).
// An agent's garbage is short-lived and small, and its live heap (about 25 MiB at 20 nodes)
// stays flat, so it runs with less memory held in reserve than Node's defaults keep:
// - a young generation of 1 MiB a semi-space (V8 lets it grow to 16 MiB): eight idle agents of
//   a cluster held 99 MiB each instead of 122 MiB, at the same CPU;
// - the old generation grown by 20 % at a time, not V8's adaptive factor (up to 4x), and two
//   malloc arenas (glibc's default is eight per core, one per busy thread): 20-agent clusters
//   at 3.5 minutes held 99.6 MiB per agent against 109.1 MiB with the defaults, at 5.7 against
//   5.3 % of a core (same run, mixed in one cluster; CPU within the run's noise).
// The flags act only when the bin starts the process (`gossip-sd …`), not under
// `node bin/gossip-sd.js`.
// The Node.js version is checked first: an older one would fail later with a message that does
// not say why (the first `node` on PATH may not be the one npm installed with).
const { unsupportedRuntime } = await import('../dist/src/node/runtime.js')
const problem = unsupportedRuntime(process.versions.node)
if (problem !== undefined) {
  process.stderr.write(`gossip-sd: ${problem} (${process.execPath})\n`)
  process.exit(1)
}
await import('../dist/src/cli/main.js')
