/** How benchmark processes join: each bootstraps to a few processes already up. */

/** Node i bootstraps to up to three nodes already up: the first, the newest and i/2 (a connected, low-diameter graph). */
export function bootstrapFor(i: number, up: readonly { readonly address: string }[]): string[] {
  const picks = new Set(
    [0, up.length - 1, Math.floor(i / 2)].filter((j) => j >= 0 && j < up.length),
  )
  return [...picks].flatMap((j) => ['--bootstrap', (up[j] as { address: string }).address])
}
