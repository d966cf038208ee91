import { describe, expect, test } from 'vitest'
import { averageRanks, pearson, spearman } from '../../bench/spearman'

describe('Spearman rank correlation (bench/spearman.ts)', () => {
  test('tied values share their mean rank', () => {
    expect(averageRanks([1, 2, 2, 3, 5])).toEqual([1, 2.5, 2.5, 4, 5])
    expect(averageRanks([2, 1, 4, 4, 6])).toEqual([2, 1, 3.5, 3.5, 5])
    expect(averageRanks([7, 7, 7])).toEqual([2, 2, 2])
    expect(averageRanks([0.3, -1, 0.3, 0.3])).toEqual([3, 1, 3, 3])
  })

  test('hand-computed example with ties on both sides: 29/38', () => {
    // ranks x = 1, 2.5, 2.5, 4, 5 and ranks y = 2, 1, 3.5, 3.5, 5 (both mean 3):
    // Σdxdy = 2 + 1 − 0.25 + 0.5 + 4 = 7.25, Σdx² = Σdy² = 9.5 → ρ = 7.25 / 9.5 = 29/38
    expect(spearman([1, 2, 2, 3, 5], [2, 1, 4, 4, 6])).toBeCloseTo(29 / 38, 14)
    expect(spearman([2, 1, 4, 4, 6], [1, 2, 2, 3, 5])).toBeCloseTo(29 / 38, 14)
  })

  test('monotonic relations give ±1 whatever the spacing', () => {
    expect(spearman([1, 2, 3, 4], [1, 10, 100, 1000])).toBeCloseTo(1, 14)
    expect(spearman([0.1, 0.2, 0.9], [5, 3, -8])).toBeCloseTo(-1, 14)
  })

  test('undefined cases are NaN; mismatched lengths throw', () => {
    expect(spearman([1], [2])).toBeNaN()
    expect(spearman([], [])).toBeNaN()
    expect(spearman([1, 2, 3], [4, 4, 4])).toBeNaN()
    expect(pearson([1, 1], [1, 2])).toBeNaN()
    expect(() => spearman([1, 2], [1])).toThrow(RangeError)
    expect(() => averageRanks([1, NaN])).toThrow(RangeError)
  })
})
