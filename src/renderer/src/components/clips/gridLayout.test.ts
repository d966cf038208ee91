import { expect, test } from 'vitest'
import type { Clip } from '../../../../shared/domain'
import { GAP, GROUP_ROW_HEIGHT, MIN_CELL_WIDTH, assignSlots, columnsFor, groupByVideo, layoutGrid, renderedRows, visibleRows } from './gridLayout'

const clip = (id: number, videoId: number, index: number): Clip =>
  ({ id, videoId, videoName: `v${videoId}.mp4`, index, name: `c${id}`, confidence: null }) as unknown as Clip

test('columnsFor fits as many cells of the minimum width as the width allows, at least one', () => {
  expect(columnsFor(MIN_CELL_WIDTH - 50).columns).toBe(1)
  expect(columnsFor(MIN_CELL_WIDTH * 2 + GAP).columns).toBe(2)
  expect(columnsFor(MIN_CELL_WIDTH * 2 + GAP - 1).columns).toBe(1)
  const { columns, cellWidth } = columnsFor(1328)
  expect(columns).toBe(6)
  expect(cellWidth * columns + GAP * (columns - 1)).toBeCloseTo(1328)
})

test('layoutGrid: a header row per video, clip rows of `columns`, positions and rows that index each other', () => {
  const clips = [clip(1, 1, 0), clip(2, 1, 1), clip(3, 1, 2), clip(4, 2, 0), clip(5, 1, 3), clip(6, 1, 4)]
  const layout = layoutGrid(MIN_CELL_WIDTH * 3 + GAP * 2, { groups: groupByVideo(clips) })
  expect(layout.columns).toBe(3)
  expect(layout.rows.map((r) => (r.kind === 'group' ? `g${r.videoId}:${r.count}` : r.clips.map((c) => c.id).join(',')))).toEqual(['g1:5', '1,2,3', '5,6', 'g2:1', '4'])
  expect(layout.order.map((c) => c.id)).toEqual([1, 2, 3, 5, 6, 4])
  expect([...layout.rowOf]).toEqual([1, 1, 1, 2, 2, 4])
  expect(layout.rows[1].top).toBe(GROUP_ROW_HEIGHT)
  expect(layout.rows[2].top).toBe(GROUP_ROW_HEIGHT + layout.rowHeight + GAP)
  const last = layout.rows[layout.rows.length - 1]
  expect(layout.height).toBe(last.top + last.height)
})

test('visibleRows finds exactly the rows that intersect a window', () => {
  const clips = Array.from({ length: 100 }, (_, i) => clip(i + 1, 1, i))
  const layout = layoutGrid(MIN_CELL_WIDTH * 4 + GAP * 3, { clips })
  expect(layout.rows).toHaveLength(25)
  const step = layout.rowHeight + GAP
  expect(visibleRows(layout.rows, 0, 1)).toEqual([0, 1])
  expect(visibleRows(layout.rows, step * 10 + 1, step * 12)).toEqual([10, 12])
  // The gap between rows belongs to no row.
  expect(visibleRows(layout.rows, step * 10 - GAP + 1, step * 10)).toEqual([10, 10])
  expect(visibleRows(layout.rows, -500, 1e9)).toEqual([0, 25])
  expect(visibleRows(layout.rows, 1e9, 2e9)).toEqual([25, 25])
})

test('renderedRows: the same number of clip rows at every scroll offset, covering the window; one clip row in as one goes out', () => {
  // 9 videos of 10 clips in rows of 4: header, 3 clip rows (4, 4, 2) per video.
  const clips = Array.from({ length: 90 }, (_, i) => clip(i + 1, Math.floor(i / 10) + 1, i % 10))
  const layout = layoutGrid(MIN_CELL_WIDTH * 4 + GAP * 3, { groups: groupByVideo(clips) })
  const pitch = layout.rowHeight + GAP
  const view = 3 * pitch + 50
  const clipRows = ([a, b]: [number, number]): string[] => layout.rows.slice(a, b).filter((r) => r.kind === 'clips').map((r) => r.key)
  let prev: string[] | null = null
  for (let top = -100; top < layout.height + 100; top += 7) {
    const [a, b] = renderedRows(layout.rows, top, top + view, pitch)
    const keys = clipRows([a, b])
    expect(keys).toHaveLength(Math.ceil(view / pitch) + 1)
    // Contiguous, and every row that intersects the window is in.
    const [va, vb] = visibleRows(layout.rows, top, top + view)
    expect(a <= va && b >= vb).toBe(true)
    if (prev) {
      // A 7 px step changes at most one clip row, and as many come in as go out.
      const gone = prev.filter((k) => !keys.includes(k))
      expect(gone.length).toBeLessThanOrEqual(1)
      expect(keys.filter((k) => !prev!.includes(k))).toHaveLength(gone.length)
    }
    prev = keys
  }
  // Fewer rows than the count: all of them.
  expect(renderedRows(layout.rows.slice(0, 3), 0, view, pitch)).toEqual([0, 3])
})

test('assignSlots: rows that stay keep their slot, rows coming in take the slots freed by rows that left', () => {
  const a = assignSlots(new Map(), ['r0', 'r1', 'r2', 'r3'])
  expect([...a]).toEqual([['r0', 0], ['r1', 1], ['r2', 2], ['r3', 3]])
  // Scrolled down by two rows: r2 and r3 keep theirs, r4 and r5 reuse r0's and r1's.
  const b = assignSlots(a, ['r2', 'r3', 'r4', 'r5'])
  expect(Object.fromEntries(b)).toEqual({ r2: 2, r3: 3, r4: 0, r5: 1 })
  // Back up one row with one more row in view: r1 takes a new slot (its old one is r5's now), the others keep theirs.
  const c = assignSlots(b, ['r1', 'r2', 'r3', 'r4', 'r5'])
  expect(Object.fromEntries(c)).toEqual({ r1: 4, r2: 2, r3: 3, r4: 0, r5: 1 })
  // Down again by three: r1-r3 leave, r6 takes the lowest free slot.
  expect(Object.fromEntries(assignSlots(c, ['r4', 'r5', 'r6']))).toEqual({ r4: 0, r5: 1, r6: 2 })
  // Every slot is used once.
  expect(new Set(c.values()).size).toBe(c.size)
})
