// Regenerates src/membership/wire.ts from wire.proto (protons), then routes every uint64 encoder
// through writeUint64 (src/membership/uint64.ts: protons-runtime writes [2^31, 2^32) wrong).
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'

const PROTO = 'src/membership/wire.proto'
const WIRE = 'src/membership/wire.ts'
const RUNTIME_IMPORT = "from 'protons-runtime'\n"

execFileSync('npx', ['protons', PROTO], { stdio: 'inherit' })
let code = readFileSync(WIRE, 'utf8')
const calls = code.match(/\bw\.uint64\(/g)?.length ?? 0
code = code.replace(/\bw\.uint64\(([^)]*)\)/g, 'writeUint64(w, $1)')
const at = code.indexOf(RUNTIME_IMPORT)
if (at < 0 || calls === 0) throw new Error(`${WIRE}: no protons-runtime import or no uint64 field`)
const end = at + RUNTIME_IMPORT.length
code = `${code.slice(0, end)}import { writeUint64 } from './uint64.ts'\n${code.slice(end)}`
writeFileSync(WIRE, code)
console.log(`${WIRE}: ${calls} uint64 encoders use writeUint64`)
