/**
 * Test-only preload (`node --import ./test/faults/clock-preload.ts`): steps this process's wall
 * clock as an NTP step or an operator would, which a test cannot do to the real system clock.
 * The offset in ms is read from the file named by GOSSIP_SD_TEST_CLOCK_FILE at start (it then
 * also shifts performance.timeOrigin, the wall time the process started at) and again on every
 * SIGUSR2 (Date.now only: a monotonic clock does not step), said as a `{"type":"clock"}` line on
 * stdout. Nothing in src/ reads that variable.
 */
import { readFileSync } from 'node:fs'

const file = process.env.GOSSIP_SD_TEST_CLOCK_FILE
if (file !== undefined) {
  const readOffset = (): number => Number(readFileSync(file, 'utf8').trim() || '0')
  const realNow = Date.now.bind(Date)
  let offset = readOffset()
  Date.now = () => realNow() + offset
  const origin = performance.timeOrigin + offset
  Object.defineProperty(performance, 'timeOrigin', { get: () => origin })
  process.on('SIGUSR2', () => {
    offset = readOffset()
    process.stdout.write(`${JSON.stringify({ type: 'clock', offset })}\n`)
  })
}
