/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export function progressBar(label: string): ((fraction: number) => void) | undefined {
  const stream = process.stderr
  if (!stream.isTTY) return undefined
  const start = performance.now()
  return (fraction) => {
    const width = 30
    const done = Math.round(Math.min(1, fraction) * width)
    const elapsed = ((performance.now() - start) / 1000).toFixed(1)
    stream.write(
      `\r${label} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${Math.floor(fraction * 100)}% ${elapsed}s`,
    )
    if (fraction >= 1) stream.write('\n')
  }
}
