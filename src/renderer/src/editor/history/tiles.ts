/** Tile bookkeeping for undo: only tiles whose bytes changed are stored, before and after. */
import type { LabelMap, Rect } from '../types'

export const DEFAULT_TILE_SIZE = 64

export interface TilePatch {
  /** Tile origin and size in pixels (edge tiles are smaller). */
  x: number
  y: number
  w: number
  h: number
  before: Uint8Array
  after: Uint8Array
}

function extract(data: Uint8Array, stride: number, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h)
  for (let r = 0; r < h; r++) out.set(data.subarray((y + r) * stride + x, (y + r) * stride + x + w), r * w)
  return out
}

function write(data: Uint8Array, stride: number, tile: { x: number; y: number; w: number; h: number }, bytes: Uint8Array): void {
  for (let r = 0; r < tile.h; r++) data.set(bytes.subarray(r * tile.w, (r + 1) * tile.w), (tile.y + r) * stride + tile.x)
}

function words(a: Uint8Array): Uint32Array | null {
  return a.byteOffset % 4 === 0 && a.length % 4 === 0 ? new Uint32Array(a.buffer, a.byteOffset, a.length / 4) : null
}

function rowsEqual(a: Uint8Array, b: Uint8Array, stride: number, x: number, y: number, w: number, h: number): boolean {
  // Compare 4 bytes at a time when rows and tiles are word-aligned (e.g. 1920 or 3840 wide).
  const wa = stride % 4 === 0 && x % 4 === 0 && w % 4 === 0 ? words(a) : null
  const wb = wa ? words(b) : null
  if (wa && wb) {
    const s4 = stride / 4
    const n4 = w / 4
    for (let r = 0; r < h; r++) {
      const o = (y + r) * s4 + x / 4
      for (let i = o, end = o + n4; i < end; i++) if (wa[i] !== wb[i]) return false
    }
    return true
  }
  for (let r = 0; r < h; r++) {
    const o = (y + r) * stride + x
    for (let i = o, end = o + w; i < end; i++) if (a[i] !== b[i]) return false
  }
  return true
}

/**
 * Compares `map` with `shadow` (its last recorded bytes) over the tiles that `rect` touches,
 * returns a patch for each tile that differs, and brings the shadow up to date.
 */
export function diffTiles(map: LabelMap, shadow: Uint8Array, rect: Rect, tileSize = DEFAULT_TILE_SIZE): TilePatch[] {
  const { width: w, height: h, data } = map
  const x0 = Math.max(0, rect.x0)
  const y0 = Math.max(0, rect.y0)
  const x1 = Math.min(w, rect.x1)
  const y1 = Math.min(h, rect.y1)
  const out: TilePatch[] = []
  if (x0 >= x1 || y0 >= y1) return out
  for (let ty = Math.floor(y0 / tileSize) * tileSize; ty < y1; ty += tileSize) {
    const th = Math.min(tileSize, h - ty)
    for (let tx = Math.floor(x0 / tileSize) * tileSize; tx < x1; tx += tileSize) {
      const tw = Math.min(tileSize, w - tx)
      if (rowsEqual(data, shadow, w, tx, ty, tw, th)) continue
      const after = extract(data, w, tx, ty, tw, th)
      out.push({ x: tx, y: ty, w: tw, h: th, before: extract(shadow, w, tx, ty, tw, th), after })
      write(shadow, w, { x: tx, y: ty, w: tw, h: th }, after)
    }
  }
  return out
}

/** Tile grid of a map: flags for touched tiles (one byte per tile). */
export class TileSet {
  readonly cols: number
  readonly rows: number
  readonly flags: Uint8Array
  count = 0

  constructor(
    readonly width: number,
    readonly height: number,
    readonly tileSize = DEFAULT_TILE_SIZE
  ) {
    this.cols = Math.ceil(width / tileSize)
    this.rows = Math.ceil(height / tileSize)
    this.flags = new Uint8Array(this.cols * this.rows)
  }

  add(rect: Rect): void {
    const s = this.tileSize
    const tx0 = Math.max(0, Math.floor(rect.x0 / s))
    const ty0 = Math.max(0, Math.floor(rect.y0 / s))
    const tx1 = Math.min(this.cols - 1, Math.floor((rect.x1 - 1) / s))
    const ty1 = Math.min(this.rows - 1, Math.floor((rect.y1 - 1) / s))
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        const i = ty * this.cols + tx
        if (!this.flags[i]) {
          this.flags[i] = 1
          this.count++
        }
      }
    }
  }

  /** Pixel rects of the flagged tiles. */
  *rects(): Generator<Rect> {
    const s = this.tileSize
    for (let i = 0; i < this.flags.length; i++) {
      if (!this.flags[i]) continue
      const x0 = (i % this.cols) * s
      const y0 = Math.floor(i / this.cols) * s
      yield { x0, y0, x1: Math.min(this.width, x0 + s), y1: Math.min(this.height, y0 + s) }
    }
  }
}

/** Copies `from` into `to` over a rect (both the same stride). */
export function copyRect(from: Uint8Array, to: Uint8Array, stride: number, r: Rect): void {
  for (let y = r.y0; y < r.y1; y++) to.set(from.subarray(y * stride + r.x0, y * stride + r.x1), y * stride + r.x0)
}

/** Writes each tile's before (undo) or after (redo) bytes into `data`; returns the rect covered. */
export function applyTiles(data: Uint8Array, stride: number, tiles: readonly TilePatch[], which: 'before' | 'after'): Rect | null {
  let rect: Rect | null = null
  for (const t of tiles) {
    write(data, stride, t, t[which])
    rect = rect
      ? { x0: Math.min(rect.x0, t.x), y0: Math.min(rect.y0, t.y), x1: Math.max(rect.x1, t.x + t.w), y1: Math.max(rect.y1, t.y + t.h) }
      : { x0: t.x, y0: t.y, x1: t.x + t.w, y1: t.y + t.h }
  }
  return rect
}

/** Merges tile lists in time order: first before, last after; tiles that ended unchanged vanish. */
export function mergeTiles(lists: readonly (readonly TilePatch[])[]): TilePatch[] {
  const byKey = new Map<string, TilePatch>()
  for (const list of lists) {
    for (const t of list) {
      const key = `${t.x},${t.y}`
      const prev = byKey.get(key)
      byKey.set(key, prev ? { ...prev, after: t.after } : t)
    }
  }
  const out: TilePatch[] = []
  for (const t of byKey.values()) {
    let same = t.before.length === t.after.length
    for (let i = 0; same && i < t.before.length; i++) if (t.before[i] !== t.after[i]) same = false
    if (!same) out.push(t)
  }
  return out
}
