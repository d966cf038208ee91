import type { Clip } from '../../../../shared/domain'

/** Narrowest card: the grid fits as many columns of at least this width as the list is wide. */
export const MIN_CELL_WIDTH = 200
export const GAP = 12
/** Card height below the thumbnail: name line, meta line, paddings. */
export const CARD_BODY_HEIGHT = 62
export const GROUP_ROW_HEIGHT = 40
/** Thumbnail box aspect (as .thumb-box). */
export const THUMB_ASPECT = 16 / 10

export interface GroupRow {
  kind: 'group'
  key: string
  top: number
  height: number
  videoId: number
  videoName: string
  count: number
}

export interface ClipRow {
  kind: 'clips'
  key: string
  top: number
  height: number
  /** Position of the row's first clip in `order`. */
  first: number
  clips: Clip[]
  /** The row's clip ids, in order (the key of its thumbnail masks). */
  ids: number[]
}

export type GridRow = GroupRow | ClipRow

export interface GridLayout {
  columns: number
  cellWidth: number
  rowHeight: number
  rows: GridRow[]
  /** Clips in display order; a cell's position indexes it. */
  order: Clip[]
  /** Row index of each position in `order`. */
  rowOf: Int32Array
  height: number
}

export function columnsFor(width: number): { columns: number; cellWidth: number } {
  const columns = Math.max(1, Math.floor((width + GAP) / (MIN_CELL_WIDTH + GAP)))
  return { columns, cellWidth: Math.max(1, (width - GAP * (columns - 1)) / columns) }
}

export interface GroupOfClips {
  videoId: number
  videoName: string
  clips: Clip[]
}

/**
 * Rows of the virtual grid: with `groups`, a header row per video then its clips in rows of
 * `columns`; else (one sorted list) clip rows only. Every row has a fixed height, so the visible
 * rows of any scroll offset are found by binary search.
 */
export function layoutGrid(width: number, list: { groups: GroupOfClips[] } | { clips: Clip[] }): GridLayout {
  const { columns, cellWidth } = columnsFor(width)
  const rowHeight = Math.round(cellWidth / THUMB_ASPECT + CARD_BODY_HEIGHT)
  const rows: GridRow[] = []
  const order: Clip[] = []
  const rowIndex: number[] = []
  let top = 0
  const addClips = (clips: Clip[], keyPrefix: string): void => {
    for (let i = 0; i < clips.length; i += columns) {
      const part = clips.slice(i, i + columns)
      for (let k = 0; k < part.length; k++) rowIndex.push(rows.length)
      rows.push({ kind: 'clips', key: `${keyPrefix}:${i}`, top, height: rowHeight, first: order.length, clips: part, ids: part.map((c) => c.id) })
      order.push(...part)
      top += rowHeight + GAP
    }
  }
  if ('groups' in list) {
    for (const g of list.groups) {
      rows.push({ kind: 'group', key: `g${g.videoId}`, top, height: GROUP_ROW_HEIGHT, videoId: g.videoId, videoName: g.videoName, count: g.clips.length })
      top += GROUP_ROW_HEIGHT
      addClips(g.clips, `v${g.videoId}`)
    }
  } else addClips(list.clips, 'all')
  return { columns, cellWidth, rowHeight, rows, order, rowOf: Int32Array.from(rowIndex), height: Math.max(0, top - (rows.length ? GAP : 0)) }
}

/** Rows [first, last) that intersect [top, bottom) (pixels from the grid's top). */
export function visibleRows(rows: readonly GridRow[], top: number, bottom: number): [number, number] {
  let lo = 0
  let hi = rows.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (rows[mid].top + rows[mid].height <= top) lo = mid + 1
    else hi = mid
  }
  let last = lo
  while (last < rows.length && rows[last].top < bottom) last++
  return [lo, last]
}

/**
 * The rows to render for the window [top, bottom): from the first row that intersects it, a fixed
 * number of clip rows (enough to cover it, header rows in between not counted), shifted back at the
 * end of the list. The count of rendered clip rows stays the same while scrolling, so a clip row
 * comes in exactly when one goes out, in the same frame: the grid reuses the leaving row's elements
 * (assignSlots) instead of mounting a row in one frame and removing one in another. Also at most one
 * clip row changes per frame while a scroll step is shorter than a row.
 */
export function renderedRows(rows: readonly GridRow[], top: number, bottom: number, rowPitch: number): [number, number] {
  const count = Math.ceil(Math.max(0, bottom - top) / rowPitch) + 1
  let [a] = visibleRows(rows, top, bottom)
  let b = a
  let n = 0
  while (b < rows.length && (n < count || rows[b].top < bottom)) if (rows[b++].kind === 'clips') n++
  while (a > 0 && n < count) if (rows[--a].kind === 'clips') n++
  return [a, b]
}

/** Clips grouped by video, in the order of `clips` (videos) and by index within each. */
export function groupByVideo(clips: readonly Clip[]): GroupOfClips[] {
  const groups = new Map<number, GroupOfClips>()
  for (const c of clips) {
    let g = groups.get(c.videoId)
    if (!g) groups.set(c.videoId, (g = { videoId: c.videoId, videoName: c.videoName, clips: [] }))
    g.clips.push(c)
  }
  for (const g of groups.values()) g.clips.sort((a, b) => a.index - b.index)
  return [...groups.values()]
}

/**
 * Which rendered row element (slot) shows which row: a row that stays rendered keeps its slot,
 * a row coming in takes the lowest slot no row of `keys` holds. Keyed by slot, a row scrolling in
 * reuses the elements of one that scrolled out (its cells' content changes) instead of React
 * creating a row and removing another; slots stay in one DOM order, so nothing is moved.
 */
export function assignSlots(prev: ReadonlyMap<string, number>, keys: readonly string[]): Map<string, number> {
  const next = new Map<string, number>()
  const used = new Set<number>()
  for (const k of keys) {
    const s = prev.get(k)
    if (s !== undefined && !used.has(s)) {
      next.set(k, s)
      used.add(s)
    }
  }
  let free = 0
  for (const k of keys) {
    if (next.has(k)) continue
    while (used.has(free)) free++
    next.set(k, free)
    used.add(free)
  }
  return next
}
