// Pure helper: "did you mean" for names a user types (CLI options and commands, AVSS classes).

/** The closest known name within two edits, for "did you mean". */
export function closest(name: string, known: string[]): string | null {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
    for (let j = 1; j <= b.length; j++) d[0]![j] = j
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    return d[a.length]![b.length]!
  }
  let best: string | null = null
  let bestD = 3
  for (const k of known) {
    const dk = dist(name, k)
    if (dk < bestD) [best, bestD] = [k, dk]
  }
  return best
}
