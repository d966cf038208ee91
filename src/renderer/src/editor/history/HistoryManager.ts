/**
 * The one undo/redo choke point (tldraw HistoryManager style). Edits are recorded as inverse-able
 * patches; a gesture calls `mark()` when it starts, `squashToMark()` when it ends (one undo step)
 * and `bailToMark()` on Escape (its patches are reverted and forgotten). At most `limit` steps are
 * kept; the oldest is dropped first.
 */
import type { ReviewStatus } from '../types'
import { decodeBase64, encodeBase64 } from './base64'
import { mergeTiles, type TilePatch } from './tiles'

export interface MaskPatch {
  kind: 'mask'
  frameId: number
  width: number
  height: number
  tiles: TilePatch[]
}

export interface FrameReview {
  status: ReviewStatus
  comment: string | null
}

export interface StatusPatch {
  kind: 'status'
  changes: { frameId: number; before: FrameReview; after: FrameReview }[]
}

export type Patch = MaskPatch | StatusPatch

/** One undo step: patches in the order they were applied. */
export type Step = Patch[]

interface Mark {
  mark: string
}

type Entry = Step | Mark

function isMark(e: Entry): e is Mark {
  return !Array.isArray(e)
}

export type ApplyPatch = (patch: Patch, direction: 'undo' | 'redo') => void

export interface HistoryOptions {
  /** Undo steps kept (≥ 1); default 200. */
  limit?: number
  /**
   * Memory budget for tile bytes (default 512 MiB): beyond it the oldest steps go first even under
   * `limit`, so 200 whole-frame edits of a 4K clip cannot exhaust the renderer. The newest step stays.
   */
  maxBytes?: number
}

export const HISTORY_JSON_VERSION = 1

export interface HistoryJSON {
  version: number
  limit: number
  undos: SerialStep[]
  redos: SerialStep[]
}

type SerialPatch =
  | { kind: 'mask'; frameId: number; width: number; height: number; tiles: { x: number; y: number; w: number; h: number; before: string; after: string }[] }
  | StatusPatch
type SerialStep = SerialPatch[]

let markCounter = 0

export class HistoryManager {
  private undos: Entry[] = []
  private redos: Step[] = []
  private limit: number
  private readonly maxBytes: number

  constructor(
    private readonly apply: ApplyPatch,
    options: HistoryOptions = {}
  ) {
    this.limit = Math.max(1, Math.floor(options.limit ?? 200))
    this.maxBytes = options.maxBytes ?? 512 * 1024 * 1024
  }

  getLimit(): number {
    return this.limit
  }

  setLimit(limit: number): void {
    this.limit = Math.max(1, Math.floor(limit))
    this.trim()
  }

  /** Records an already-applied patch as its own step (squashed into the gesture if one is open). */
  record(patch: Patch): void {
    if (patch.kind === 'mask' && patch.tiles.length === 0) return
    if (patch.kind === 'status' && patch.changes.length === 0) return
    this.redos = []
    const top = this.undos[this.undos.length - 1]
    if (top && !isMark(top) && this.undos.some(isMark)) {
      // Inside a gesture: grow its one open step, merging tiles as we go so memory stays bounded.
      const last = top[top.length - 1]
      if (last && last.kind === 'mask' && patch.kind === 'mask' && last.frameId === patch.frameId) {
        for (const t of patch.tiles) {
          const same = last.tiles.find((o) => o.x === t.x && o.y === t.y)
          if (same) same.after = t.after
          else last.tiles.push(t)
        }
      } else {
        top.push(patch)
      }
      return
    }
    this.undos.push([patch])
    this.trim()
  }

  mark(id = `mark-${++markCounter}`): string {
    this.undos.push({ mark: id })
    return id
  }

  hasMark(id: string): boolean {
    return this.undos.some((e) => isMark(e) && e.mark === id)
  }

  /** Everything recorded since the mark becomes one step (nothing, if it changed nothing). */
  squashToMark(id: string): Step | null {
    const at = this.findMark(id)
    if (at < 0) return null
    const patches: Patch[] = []
    for (const e of this.undos.slice(at + 1)) if (!isMark(e)) patches.push(...e)
    this.undos.length = at
    const merged = mergePatches(patches)
    if (merged.length > 0) {
      this.undos.push(merged)
      this.redos = []
    }
    this.trim()
    return merged.length > 0 ? merged : null
  }

  /** Reverts everything recorded since the mark and forgets it (Escape mid-gesture). */
  bailToMark(id: string): void {
    const at = this.findMark(id)
    if (at < 0) return
    const tail = this.undos.splice(at)
    for (let i = tail.length - 1; i >= 0; i--) {
      const e = tail[i]
      if (isMark(e)) continue
      for (let j = e.length - 1; j >= 0; j--) this.apply(e[j], 'undo')
    }
  }

  canUndo(): boolean {
    return this.undos.some((e) => !isMark(e))
  }

  canRedo(): boolean {
    return this.redos.length > 0
  }

  /** Undoes the newest step; returns it (or null when there is none). */
  undo(): Step | null {
    while (this.undos.length > 0) {
      const e = this.undos.pop() as Entry
      if (isMark(e)) continue
      for (let j = e.length - 1; j >= 0; j--) this.apply(e[j], 'undo')
      this.redos.push(e)
      return e
    }
    return null
  }

  redo(): Step | null {
    const step = this.redos.pop()
    if (!step) return null
    for (const p of step) this.apply(p, 'redo')
    this.undos.push(step)
    this.trim()
    return step
  }

  clear(): void {
    this.undos = []
    this.redos = []
  }

  /** Completed undo steps (open gestures not counted). */
  getUndoCount(): number {
    return this.undos.filter((e) => !isMark(e)).length
  }

  getRedoCount(): number {
    return this.redos.length
  }

  /** Bytes of tile data held (before + after), undo and redo stacks together. */
  byteSize(): number {
    let n = 0
    for (const e of this.undos) if (!isMark(e)) n += stepBytes(e)
    for (const s of this.redos) n += stepBytes(s)
    return n
  }

  /** Frame ids a step touches (so the UI can jump to / save them). */
  static framesOf(step: Step): number[] {
    const ids = new Set<number>()
    for (const p of step) {
      if (p.kind === 'mask') ids.add(p.frameId)
      else for (const c of p.changes) ids.add(c.frameId)
    }
    return [...ids]
  }

  /** Completed steps only; a gesture still open is not part of the saved history. */
  toJSON(): HistoryJSON {
    const firstMark = this.undos.findIndex(isMark)
    const done = (firstMark < 0 ? this.undos : this.undos.slice(0, firstMark)) as Step[]
    return { version: HISTORY_JSON_VERSION, limit: this.limit, undos: done.map(encodeStep), redos: this.redos.map(encodeStep) }
  }

  /** Replaces the stacks with a saved history (the label maps must already be in the saved state). */
  loadJSON(json: HistoryJSON): void {
    if (!json || json.version !== HISTORY_JSON_VERSION || !Array.isArray(json.undos) || !Array.isArray(json.redos)) {
      throw new Error('unsupported history format')
    }
    this.limit = Math.max(1, Math.floor(json.limit || this.limit))
    this.undos = json.undos.map(decodeStep)
    this.redos = json.redos.map(decodeStep)
    this.trim()
  }

  static fromJSON(json: HistoryJSON, apply: ApplyPatch): HistoryManager {
    const h = new HistoryManager(apply, { limit: json.limit })
    h.loadJSON(json)
    return h
  }

  private findMark(id: string): number {
    for (let i = this.undos.length - 1; i >= 0; i--) {
      const e = this.undos[i]
      if (isMark(e) && e.mark === id) return i
    }
    return -1
  }

  /** Drops the oldest completed steps over the limit; an open gesture's step is not counted yet. */
  private trim(): void {
    const firstMark = this.undos.findIndex(isMark)
    let steps = (firstMark < 0 ? this.undos : this.undos.slice(0, firstMark)).length
    while (steps > this.limit) {
      const i = this.undos.findIndex((e) => !isMark(e))
      this.undos.splice(i, 1)
      steps--
    }
    if (this.redos.length > this.limit) this.redos.splice(0, this.redos.length - this.limit)
    if (this.maxBytes < Infinity) {
      let bytes = this.byteSize()
      while (bytes > this.maxBytes && this.redos.length > 0) bytes -= stepBytes(this.redos.shift() as Step)
      while (bytes > this.maxBytes && steps > 1) {
        const i = this.undos.findIndex((e) => !isMark(e))
        bytes -= stepBytes(this.undos.splice(i, 1)[0] as Step)
        steps--
      }
    }
  }
}

function stepBytes(step: Step): number {
  let n = 0
  for (const p of step) if (p.kind === 'mask') for (const t of p.tiles) n += t.before.length + t.after.length
  return n
}

/** Merges a gesture's patches: per frame, tiles merged in time order; statuses first-before/last-after. */
export function mergePatches(patches: readonly Patch[]): Patch[] {
  const masks = new Map<number, MaskPatch[]>()
  const statuses = new Map<number, { before: FrameReview; after: FrameReview }>()
  for (const p of patches) {
    if (p.kind === 'mask') {
      const list = masks.get(p.frameId) ?? []
      list.push(p)
      masks.set(p.frameId, list)
    } else {
      for (const c of p.changes) {
        const prev = statuses.get(c.frameId)
        statuses.set(c.frameId, { before: prev ? prev.before : c.before, after: c.after })
      }
    }
  }
  const out: Patch[] = []
  for (const [frameId, list] of masks) {
    // One patch per frame (the usual gesture) holds only changed tiles already: no merge needed.
    const tiles = list.length === 1 ? list[0].tiles : mergeTiles(list.map((p) => p.tiles))
    if (tiles.length > 0) out.push({ kind: 'mask', frameId, width: list[0].width, height: list[0].height, tiles })
  }
  const changes = [...statuses].filter(([, c]) => c.before.status !== c.after.status || c.before.comment !== c.after.comment)
  if (changes.length > 0) out.push({ kind: 'status', changes: changes.map(([frameId, c]) => ({ frameId, ...c })) })
  return out
}

function encodeStep(step: Step): SerialStep {
  return step.map((p) =>
    p.kind === 'mask'
      ? { ...p, tiles: p.tiles.map((t) => ({ x: t.x, y: t.y, w: t.w, h: t.h, before: encodeTile(t.before), after: encodeTile(t.after) })) }
      : p
  )
}

function decodeStep(step: SerialStep): Step {
  if (!Array.isArray(step)) throw new Error('bad history step')
  return step.map((p): Patch => {
    if (p.kind === 'status') return { kind: 'status', changes: p.changes.map((c) => ({ frameId: c.frameId, before: { ...c.before }, after: { ...c.after } })) }
    if (p.kind !== 'mask') throw new Error('bad history patch')
    return {
      kind: 'mask',
      frameId: p.frameId,
      width: p.width,
      height: p.height,
      tiles: p.tiles.map((t) => {
        const before = decodeTile(t.before, t.w * t.h)
        const after = decodeTile(t.after, t.w * t.h)
        if (before.length !== t.w * t.h || after.length !== t.w * t.h) throw new Error('bad history tile')
        return { x: t.x, y: t.y, w: t.w, h: t.h, before, after }
      })
    }
  })
}

/**
 * Tile bytes as text: 'r:' + base64 of (value, run length − 1) pairs when that is shorter (masks are
 * mostly long runs), else 'b:' + base64 of the raw bytes.
 */
export function encodeTile(bytes: Uint8Array): string {
  const rle = new Uint8Array(bytes.length * 2)
  let n = 0
  for (let i = 0; i < bytes.length && n < bytes.length; ) {
    const v = bytes[i]
    let j = i + 1
    while (j < bytes.length && bytes[j] === v && j - i < 256) j++
    rle[n++] = v
    rle[n++] = j - i - 1
    i = j
  }
  return n < bytes.length ? 'r:' + encodeBase64(rle.subarray(0, n)) : 'b:' + encodeBase64(bytes)
}

export function decodeTile(text: string, length: number): Uint8Array {
  if (text.startsWith('b:')) return decodeBase64(text.slice(2))
  if (!text.startsWith('r:')) throw new Error('bad history tile encoding')
  const rle = decodeBase64(text.slice(2))
  const out = new Uint8Array(length)
  let o = 0
  for (let i = 0; i + 1 < rle.length; i += 2) {
    const end = o + rle[i + 1] + 1
    if (end > length) throw new Error('bad history tile')
    out.fill(rle[i], o, end)
    o = end
  }
  if (o !== length) throw new Error('bad history tile')
  return out
}
