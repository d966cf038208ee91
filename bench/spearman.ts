// Pure: Spearman rank correlation (ties take their average rank), for bench/realFootage.bench.ts.

/** 1-based ranks of `xs`; tied values share the mean of the ranks they span. NaN is not allowed. */
export function averageRanks(xs: readonly number[]): number[] {
  if (xs.some((x) => Number.isNaN(x))) throw new RangeError('averageRanks: NaN value')
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b])
  const ranks = new Array<number>(xs.length)
  for (let i = 0; i < order.length; ) {
    let j = i
    while (j + 1 < order.length && xs[order[j + 1]] === xs[order[i]]) j++
    // positions i..j (0-based) are ranks i+1..j+1: their mean is (i + j) / 2 + 1
    const r = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) ranks[order[k]] = r
    i = j + 1
  }
  return ranks
}

/** Pearson correlation; NaN when there are fewer than 2 pairs or either side is constant. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError(`pearson: ${x.length} x values for ${y.length} y values`)
  const n = x.length
  if (n < 2) return NaN
  const mx = x.reduce((a, b) => a + b, 0) / n
  const my = y.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx
    const dy = y[i] - my
    sxy += dx * dy
    sxx += dx * dx
    syy += dy * dy
  }
  if (sxx === 0 || syy === 0) return NaN
  return sxy / Math.sqrt(sxx * syy)
}

/**
 * Spearman's ρ: the Pearson correlation of the average ranks (the tie-corrected form, as
 * scipy.stats.spearmanr). NaN when fewer than 2 pairs or when either side is constant.
 */
export function spearman(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError(`spearman: ${x.length} x values for ${y.length} y values`)
  return pearson(averageRanks(x), averageRanks(y))
}
