/**
 * Node's `http` module, loaded the cheap way. An ESM `import … from 'node:http'` builds a module
 * namespace from every export, and on Node 22 three of them (WebSocket, CloseEvent and
 * MessageEvent) are lazy getters that load undici, and with it tls, http2, zlib and the
 * performance API: 67 more built-in modules, about 9 MiB of resident memory in a bare process
 * and 6 MiB in each agent of a 20-agent cluster. `process.getBuiltinModule` returns the module
 * object itself, whose getters stay untouched. (Type-only imports of 'node:http' load nothing.)
 */
export const http = process.getBuiltinModule('node:http')
