#!/usr/bin/env node
// Launcher: runs the compiled CLI (`npm run build` makes dist/; `npm pack` builds it first).
await import('../dist/src/cli/main.js')
