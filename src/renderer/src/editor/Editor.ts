/**
 * The mask editor: the one API that tools, actions, the timeline and React call. Framework-free
 * (no DOM, no fetch): the canvas layer feeds it pointer events in frame pixel coordinates and
 * renders from its state; the app persists through `onCommit` / `onStatusCommit` and implements
 * `EditorHost` for navigation, audio and prompts.
 *
 * Document state (label maps, review status) changes only through `editMask` / `setStatus` and is
 * undoable; session state (tool, brush, class, camera, view toggles) is neither saved nor undone.
 */
import { ActionRegistry, type Action } from './actions/register'
import { editorActions } from './actions/editorActions'
import { comboFromEvent, normalizeKey } from './actions/keys'
import type { EditorHost } from './EditorHost'
import { HistoryManager, type FrameReview, type HistoryJSON, type Patch, type Step } from './history/HistoryManager'
import { applyTiles, copyRect, DEFAULT_TILE_SIZE, diffTiles, TileSet, type TilePatch } from './history/tiles'
import { copyLabels, fillAll, floodFill } from './rasterize'
import { BrushTool } from './tools/brush/BrushTool'
import { EraserTool } from './tools/eraser/EraserTool'
import { FillTool } from './tools/fill/FillTool'
import { PolygonTool } from './tools/polygon/PolygonTool'
import { StateNode, type ToolPointerEvent } from './tools/StateNode'
import {
  cloneLabelMap,
  maxClassFor,
  type LabelMap,
  type Modifiers,
  type ModelMaskMode,
  type Point,
  type PointerInfo,
  type Rect,
  type ReviewStatus,
  type TaskType,
  type ToolId
} from './types'

export const MIN_BRUSH = 1
export const MAX_BRUSH = 200
export const MIN_ZOOM = 0.02
export const MAX_ZOOM = 64
const RECENT_CLASSES = 9

export interface PolygonPreview {
  kind: 'polygon'
  points: Point[]
  hover: Point | null
  subtract: boolean
  /** The hover point would close the polygon (draw the first handle highlighted). */
  closable: boolean
}

export type Preview = PolygonPreview

export interface SessionState {
  tool: ToolId
  brushSize: number
  classId: number
  /** Most recent first; number key n selects recentClasses[n - 1]. */
  recentClasses: number[]
  /** screen = frame × zoom + pan (CSS pixels of the canvas). */
  zoom: number
  panX: number
  panY: number
  viewportWidth: number
  viewportHeight: number
  overlayOpacity: number
  outlineOnly: boolean
  maskHidden: boolean
  modelMaskMode: ModelMaskMode
  /** Pointer position in frame pixels (null when outside the canvas). */
  cursor: Point | null
  /** Gesture in progress to draw on the active layer. */
  preview: Preview | null
  /** A pan (space-drag or middle button) is in progress. */
  panning: boolean
}

export type EditorChange =
  /** Pixels changed; rect null = the whole frame. */
  | { kind: 'mask'; frameId: number; rect: Rect | null }
  /** The current frame changed (or was (re)loaded). */
  | { kind: 'frame'; frameId: number | null }
  | { kind: 'status'; frameIds: number[] }
  | { kind: 'session'; keys: (keyof SessionState)[] }
  | { kind: 'history' }

export type CommitListener = (frameId: number, labelMap: LabelMap) => void
export type StatusCommitListener = (changes: { frameId: number; status: ReviewStatus; comment: string | null }[]) => void

export interface EditorOptions {
  /** s4 / ms3 paint class 1 only; avss paints classes 1..70. */
  task: TaskType
  host?: EditorHost | null
  /** Undo steps kept per clip (default 200). */
  historyLimit?: number
  /** Memory budget for undo tiles (default 512 MiB); oldest steps go first beyond it. */
  historyMaxBytes?: number
  tileSize?: number
  /** Polygon closes when a click lands this many screen pixels from the first point. */
  closeDistancePx?: number
  actions?: readonly Action[]
}

export interface LoadFrameOptions {
  modelMask?: LabelMap | null
  status?: ReviewStatus
  comment?: string | null
  /** Make it the current frame (default true). */
  select?: boolean
}

interface FrameDoc {
  map: LabelMap
  modelMask: LabelMap | null
}

class RootState extends StateNode {
  static override id = 'root'
  static initial = 'brush'
  static children = (): (typeof BrushTool | typeof EraserTool | typeof PolygonTool | typeof FillTool)[] => [
    BrushTool,
    EraserTool,
    PolygonTool,
    FillTool
  ]
}

export class Editor {
  readonly task: TaskType
  readonly maxClass: number
  readonly history: HistoryManager
  readonly actions: ActionRegistry
  private host: EditorHost | null
  private readonly tileSize: number
  private readonly closeDistancePx: number

  private readonly frames = new Map<number, FrameDoc>()
  private readonly reviews = new Map<number, FrameReview>()
  private currentFrameId: number | null = null
  /** Last recorded bytes of the current frame: the 'before' of the next edit's dirty tiles. */
  private shadow: Uint8Array | null = null

  /** Tiles a gesture in progress has touched; recorded (diffed against the shadow) when it ends. */
  private pending: TileSet | null = null
  private session: SessionState
  private readonly root: RootState
  private openMarks: string[] = []
  private lastStrokePoint: Point | null = null

  private pointerDownButton: number | null = null
  private panAnchor: Point | null = null
  private spaceHeld = false
  private spaceUsedForPan = false

  private listeners = new Set<(c: EditorChange) => void>()
  private commitListeners = new Set<CommitListener>()
  private statusListeners = new Set<StatusCommitListener>()

  constructor(options: EditorOptions) {
    this.task = options.task
    this.maxClass = maxClassFor(options.task)
    this.host = options.host ?? null
    this.tileSize = options.tileSize ?? DEFAULT_TILE_SIZE
    this.closeDistancePx = options.closeDistancePx ?? 8
    this.history = new HistoryManager((p, dir) => this.applyPatch(p, dir), { limit: options.historyLimit ?? 200, maxBytes: options.historyMaxBytes })
    this.actions = new ActionRegistry(options.actions ?? editorActions)
    this.session = {
      tool: 'brush',
      brushSize: 20,
      classId: 1,
      recentClasses: [1],
      zoom: 1,
      panX: 0,
      panY: 0,
      viewportWidth: 0,
      viewportHeight: 0,
      overlayOpacity: 0.5,
      outlineOnly: false,
      maskHidden: false,
      modelMaskMode: 'off',
      cursor: null,
      preview: null,
      panning: false
    }
    this.root = new RootState(this)
    this.root.enter({})
  }

  // ---------------------------------------------------------------- host and subscriptions

  setHost(host: EditorHost | null): void {
    this.host = host
  }

  getHost(): EditorHost | null {
    return this.host
  }

  /** For actions that need the app; throws a readable error when the UI has not set one. */
  requireHost(): EditorHost {
    if (!this.host) throw new Error('the editor has no host (call editor.setHost)')
    return this.host
  }

  reportError(error: unknown): void {
    if (this.host?.reportError) this.host.reportError(error)
    else console.error(error)
  }

  /** Every change, synchronously; the canvas layer batches redraws to one per animation frame. */
  subscribe(listener: (change: EditorChange) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * After each finished edit (stroke end, polygon close, fill, clear, copy, undo, redo) with the
   * frame's live label map: debounce (≤ 0.5 s) and call `mask.save`. Read the map at save time.
   */
  onCommit(listener: CommitListener): () => void {
    this.commitListeners.add(listener)
    return () => this.commitListeners.delete(listener)
  }

  /** After each review-status change (including its undo/redo): call `frame.setStatus`. */
  onStatusCommit(listener: StatusCommitListener): () => void {
    this.statusListeners.add(listener)
    return () => this.statusListeners.delete(listener)
  }

  private emit(change: EditorChange): void {
    for (const l of [...this.listeners]) l(change)
  }

  private emitSession(...keys: (keyof SessionState)[]): void {
    this.emit({ kind: 'session', keys })
  }

  private commit(frameId: number): void {
    const doc = this.frames.get(frameId)
    if (!doc) return
    for (const l of [...this.commitListeners]) l(frameId, doc.map)
  }

  private commitStatus(frameIds: number[]): void {
    const changes = frameIds.map((frameId) => {
      const r = this.reviews.get(frameId) as FrameReview
      return { frameId, status: r.status, comment: r.comment }
    })
    if (changes.length > 0) for (const l of [...this.statusListeners]) l(changes)
  }

  // ---------------------------------------------------------------- document: frames

  /**
   * Puts a frame's mask into the document (replacing any local copy) and by default makes it
   * current. Refuses a map with a class this project does not have. Prefer `selectFrame` for a
   * frame already loaded: the editor's copy may hold edits not yet saved.
   */
  loadFrame(frameId: number, labelMap: LabelMap, options: LoadFrameOptions = {}): void {
    this.checkLabels(labelMap)
    if (options.modelMask) this.checkLabels(options.modelMask)
    const willSelect = options.select !== false || this.currentFrameId === frameId
    // A gesture belongs to the current frame: end it before that frame changes (a background
    // load of another frame, e.g. a prefetch, leaves a stroke in progress alone).
    if (willSelect) this.cancel()
    const map = cloneLabelMap(labelMap)
    const prev = this.frames.get(frameId)
    this.frames.set(frameId, { map, modelMask: options.modelMask ?? prev?.modelMask ?? null })
    if (options.status) this.reviews.set(frameId, { status: options.status, comment: options.comment ?? null })
    if (willSelect) {
      this.currentFrameId = null
      this.selectFrame(frameId)
    }
  }

  hasFrame(frameId: number): boolean {
    return this.frames.has(frameId)
  }

  /** Switches to a loaded frame (a gesture in progress is cancelled). */
  selectFrame(frameId: number): void {
    const doc = this.frames.get(frameId)
    if (!doc) throw new Error(`frame ${frameId} is not loaded`)
    if (this.currentFrameId === frameId) return
    this.cancel()
    this.currentFrameId = frameId
    if (this.shadow && this.shadow.length === doc.map.data.length) this.shadow.set(doc.map.data)
    else this.shadow = doc.map.data.slice()
    this.lastStrokePoint = null
    this.emit({ kind: 'frame', frameId })
  }

  /** Drops a frame from memory (its history steps then no longer apply). */
  unloadFrame(frameId: number): void {
    if (this.currentFrameId === frameId) {
      this.cancel()
      this.currentFrameId = null
      this.shadow = null
      this.emit({ kind: 'frame', frameId: null })
    }
    this.frames.delete(frameId)
  }

  /** Forgets every frame, status and history step (switching clips without restoring history). */
  reset(): void {
    this.cancel()
    this.frames.clear()
    this.reviews.clear()
    this.history.clear()
    this.currentFrameId = null
    this.shadow = null
    this.emit({ kind: 'frame', frameId: null })
    this.emit({ kind: 'history' })
  }

  getCurrentFrameId(): number | null {
    return this.currentFrameId
  }

  getLoadedFrameIds(): number[] {
    return [...this.frames.keys()]
  }

  /** The live label map (do not mutate; edits go through the editor). */
  getLabelMap(frameId: number | null = this.currentFrameId): LabelMap | null {
    return frameId === null ? null : (this.frames.get(frameId)?.map ?? null)
  }

  getModelMask(frameId: number | null = this.currentFrameId): LabelMap | null {
    return frameId === null ? null : (this.frames.get(frameId)?.modelMask ?? null)
  }

  setModelMask(frameId: number, modelMask: LabelMap | null): void {
    const doc = this.frames.get(frameId)
    if (!doc) throw new Error(`frame ${frameId} is not loaded`)
    if (modelMask) this.checkLabels(modelMask)
    doc.modelMask = modelMask
    if (frameId === this.currentFrameId) this.emit({ kind: 'frame', frameId })
  }

  // ---------------------------------------------------------------- document: review status

  /** Statuses as the server has them (not undoable, no commit). */
  loadStatuses(entries: readonly { frameId: number; status: ReviewStatus; comment?: string | null }[]): void {
    for (const e of entries) this.reviews.set(e.frameId, { status: e.status, comment: e.comment ?? null })
    if (entries.length > 0) this.emit({ kind: 'status', frameIds: entries.map((e) => e.frameId) })
  }

  getStatus(frameId: number | null = this.currentFrameId): FrameReview | null {
    return frameId === null ? null : (this.reviews.get(frameId) ?? null)
  }

  /** Undoable review-status change; `onStatusCommit` persists it. */
  setStatus(frameIds: readonly number[], status: ReviewStatus, comment: string | null = null): void {
    const changes = frameIds.map((frameId) => ({
      frameId,
      before: this.reviews.get(frameId) ?? { status: 'unreviewed' as ReviewStatus, comment: null },
      after: { status, comment }
    }))
    const real = changes.filter((c) => c.before.status !== c.after.status || c.before.comment !== c.after.comment)
    if (real.length === 0) return
    const patch: Patch = { kind: 'status', changes: real }
    this.applyPatch(patch, 'redo')
    this.history.record(patch)
    this.emit({ kind: 'history' })
    this.commitStatus(real.map((c) => c.frameId))
  }

  // ---------------------------------------------------------------- document: mask edits

  /**
   * THE choke point for mask edits: runs `edit` on the current frame's map, records before/after
   * of the tiles that actually changed, and notifies subscribers. Outside a gesture the edit is
   * its own undo step and is committed at once. Returns the rect `edit` reported.
   */
  editMask(edit: (map: LabelMap) => Rect | null): Rect | null {
    const frameId = this.currentFrameId
    if (frameId === null || !this.shadow) return null
    const map = (this.frames.get(frameId) as FrameDoc).map
    const rect = edit(map)
    if (!rect) return null
    if (this.openMarks.length > 0) {
      // Mid-gesture: only note the tiles; one diff at the end keeps each pointer move cheap.
      this.pending ??= new TileSet(map.width, map.height, this.tileSize)
      this.pending.add(rect)
      this.emit({ kind: 'mask', frameId, rect })
      return rect
    }
    const tiles = diffTiles(map, this.shadow, rect, this.tileSize)
    if (tiles.length === 0) return rect
    this.history.record({ kind: 'mask', frameId, width: map.width, height: map.height, tiles })
    this.emit({ kind: 'mask', frameId, rect })
    if (this.openMarks.length === 0) {
      this.emit({ kind: 'history' })
      this.commit(frameId)
    }
    return rect
  }

  clearFrame(): void {
    this.cancel()
    this.editMask((map) => fillAll(map, 0))
  }

  /** Replaces the current mask with another frame's (resampled nearest if the size differs). */
  copyMaskFrom(source: LabelMap): void {
    this.checkLabels(source)
    this.cancel()
    this.editMask((map) => copyLabels(map, source))
  }

  /** The model's mask becomes the current one (an undoable edit; the model revision stays stored). */
  revertToModel(): void {
    const model = this.getModelMask()
    if (model) this.copyMaskFrom(model)
  }

  /** Bucket fill at a frame pixel with the current class (or `label`, e.g. 0 to clear a region). */
  fill(x: number, y: number, label: number = this.session.classId): void {
    this.checkClass(label, true)
    this.editMask((map) => floodFill(map, x, y, label))
  }

  // ---------------------------------------------------------------- gestures and history

  /** A gesture starts: history is marked here (tools call this, not the UI). */
  beginGesture(): string {
    const id = this.history.mark()
    this.openMarks.push(id)
    return id
  }

  /** The gesture ends: its edits become one undo step and are committed. */
  completeGesture(markId: string): void {
    if (!this.openMarks.includes(markId)) return
    this.openMarks = this.openMarks.filter((m) => m !== markId)
    this.flushPending()
    const step = this.history.squashToMark(markId)
    this.emit({ kind: 'history' })
    if (step) for (const p of step) if (p.kind === 'mask') this.commit(p.frameId)
  }

  /** Escape: everything since the mark is reverted exactly. */
  cancelGesture(markId: string): void {
    if (!this.openMarks.includes(markId)) return
    this.openMarks = this.openMarks.filter((m) => m !== markId)
    this.restorePending()
    this.history.bailToMark(markId)
    this.emit({ kind: 'history' })
  }

  /** Records the gesture's changed tiles (before = shadow, after = map) as one patch. */
  private flushPending(): void {
    const pending = this.pending
    this.pending = null
    const frameId = this.currentFrameId
    if (!pending || frameId === null || !this.shadow) return
    const map = (this.frames.get(frameId) as FrameDoc).map
    const tiles: TilePatch[] = []
    for (const r of pending.rects()) tiles.push(...diffTiles(map, this.shadow, r, this.tileSize))
    this.history.record({ kind: 'mask', frameId, width: map.width, height: map.height, tiles })
  }

  /** Escape: the gesture's tiles get their bytes from before the gesture back. */
  private restorePending(): void {
    const pending = this.pending
    this.pending = null
    const frameId = this.currentFrameId
    if (!pending || frameId === null || !this.shadow) return
    const map = (this.frames.get(frameId) as FrameDoc).map
    let all: Rect | null = null
    for (const r of pending.rects()) {
      copyRect(this.shadow, map.data, map.width, r)
      all = all ? { x0: Math.min(all.x0, r.x0), y0: Math.min(all.y0, r.y0), x1: Math.max(all.x1, r.x1), y1: Math.max(all.y1, r.y1) } : r
    }
    if (all) this.emit({ kind: 'mask', frameId, rect: all })
  }

  isInGesture(): boolean {
    return this.openMarks.length > 0
  }

  /** Cancels the gesture or pan in progress; true when there was one. */
  cancel(): boolean {
    let cancelled = false
    if (this.session.panning) {
      this.session.panning = false
      this.panAnchor = null
      cancelled = true
    }
    this.pointerDownButton = null
    if (this.root.handleCancel()) cancelled = true
    return cancelled
  }

  canUndo(): boolean {
    return this.history.canUndo()
  }

  canRedo(): boolean {
    return this.history.canRedo()
  }

  /** Mid-gesture, undo cancels the gesture (one keypress never does two things). */
  undo(): boolean {
    if (this.isInGesture()) return this.cancel()
    const step = this.history.undo()
    this.afterUndoRedo(step)
    return step !== null
  }

  redo(): boolean {
    if (this.isInGesture()) return false
    const step = this.history.redo()
    this.afterUndoRedo(step)
    return step !== null
  }

  /**
   * Frames that undo/redo steps refer to. After `importHistory`, load these (in their saved state)
   * before the user undoes: a step for a frame that is not loaded is skipped.
   */
  getHistoryFrameIds(): number[] {
    const json = this.history.toJSON()
    const ids = new Set<number>()
    for (const step of [...json.undos, ...json.redos]) {
      for (const p of step) {
        if (p.kind === 'mask') ids.add(p.frameId)
        else for (const c of p.changes) ids.add(c.frameId)
      }
    }
    return [...ids]
  }

  /** The last 200 steps, for the UI to persist per clip (JSON; tiles run-length + base64). */
  exportHistory(): HistoryJSON {
    return this.history.toJSON()
  }

  /** Restores a persisted history; load the frames (in their saved state) first. */
  importHistory(json: HistoryJSON): void {
    this.cancel()
    this.history.loadJSON(json)
    this.emit({ kind: 'history' })
  }

  private afterUndoRedo(step: Step | null): void {
    if (!step) return
    this.emit({ kind: 'history' })
    const statusFrames: number[] = []
    for (const p of step) {
      if (p.kind === 'mask') this.commit(p.frameId)
      else statusFrames.push(...p.changes.map((c) => c.frameId))
    }
    this.commitStatus(statusFrames)
  }

  private applyPatch(patch: Patch, direction: 'undo' | 'redo'): void {
    if (patch.kind === 'status') {
      for (const c of patch.changes) this.reviews.set(c.frameId, { ...(direction === 'undo' ? c.before : c.after) })
      const ids = patch.changes.map((c) => c.frameId)
      this.emit({ kind: 'status', frameIds: ids })
      return
    }
    const doc = this.frames.get(patch.frameId)
    if (!doc || doc.map.width !== patch.width || doc.map.height !== patch.height) return
    const which = direction === 'undo' ? 'before' : 'after'
    const rect = applyTiles(doc.map.data, doc.map.width, patch.tiles, which)
    if (patch.frameId === this.currentFrameId && this.shadow) applyTiles(this.shadow, doc.map.width, patch.tiles, which)
    this.emit({ kind: 'mask', frameId: patch.frameId, rect })
  }

  // ---------------------------------------------------------------- input

  /** Pointer pressed at frame pixel (x, y). Button 1 or a held Space pans instead of painting. */
  pointerDown(x: number, y: number, info: PointerInfo = {}): void {
    const button = info.button ?? 0
    this.pointerDownButton = button
    this.setCursor(x, y)
    if (button === 1 || (this.spaceHeld && button === 0)) {
      this.session.panning = true
      this.panAnchor = { x, y }
      this.spaceUsedForPan = this.spaceHeld
      this.emitSession('panning')
      return
    }
    if (this.currentFrameId === null) return
    this.root.handlePointerDown(this.toolEvent(x, y, info))
  }

  pointerMove(x: number, y: number, info: PointerInfo = {}): void {
    if (this.session.panning && this.panAnchor) {
      // The grabbed frame point stays under the cursor: after panning, (x, y) maps to the anchor.
      const z = this.session.zoom
      this.session.panX += (x - this.panAnchor.x) * z
      this.session.panY += (y - this.panAnchor.y) * z
      this.emitSession('panX', 'panY')
      return
    }
    this.setCursor(x, y)
    if (this.currentFrameId === null) return
    this.root.handlePointerMove(this.toolEvent(x, y, info))
  }

  pointerUp(x: number, y: number, info: PointerInfo = {}): void {
    this.pointerDownButton = null
    if (this.session.panning) {
      this.session.panning = false
      this.panAnchor = null
      this.emitSession('panning')
      return
    }
    if (this.currentFrameId === null) return
    this.root.handlePointerUp(this.toolEvent(x, y, info))
  }

  /** The pointer left the canvas (the cursor outline disappears; a stroke keeps going). */
  pointerLeave(): void {
    this.session.cursor = null
    this.emitSession('cursor')
  }

  isPointerDown(): boolean {
    return this.pointerDownButton !== null
  }

  /**
   * A key from the UI (`KeyboardEvent.key` plus modifiers; skip it when focus is in a text field).
   * The active tool state sees it first (Enter/Backspace while placing a polygon), then the action
   * registry. Returns true when handled (the UI should preventDefault).
   */
  keyDown(key: string, mods: Modifiers & { repeat?: boolean } = {}): boolean {
    const k = normalizeKey(key)
    if (k === 'space' && !mods.ctrl && !mods.meta && !mods.alt) {
      if (!mods.repeat && !this.spaceHeld) {
        this.spaceHeld = true
        this.spaceUsedForPan = false
      }
      return true
    }
    if (this.root.handleKeyDown({ key: k, ...mods })) return true
    const action = this.actions.forCombo(comboFromEvent(k, mods))
    if (!action) return false
    if (mods.repeat && !(action.id === 'brush.smaller' || action.id === 'brush.bigger' || action.id.startsWith('history.') || action.id.startsWith('frame.'))) {
      return true
    }
    // False when the action is disabled (Escape with nothing to cancel), so the UI can let it through.
    return this.actions.run(action.id, this)
  }

  /** Space tapped (not used to pan) toggles playback. */
  keyUp(key: string, mods: Modifiers = {}): boolean {
    const k = normalizeKey(key)
    if (k !== 'space' || !this.spaceHeld) return false
    this.spaceHeld = false
    const panned = this.spaceUsedForPan
    this.spaceUsedForPan = false
    if (!panned) {
      const action = this.actions.forCombo(comboFromEvent('space', mods))
      if (action) this.actions.run(action.id, this)
    }
    return true
  }

  /** Window blur: forget held keys (a missed Space key-up must not leave every click panning). */
  releaseKeys(): void {
    this.spaceHeld = false
    this.spaceUsedForPan = false
  }

  /** Runs an action by id (menus, toolbar); false when unknown or disabled. */
  runAction(id: string): boolean {
    return this.actions.run(id, this)
  }

  private toolEvent(x: number, y: number, info: PointerInfo): ToolPointerEvent {
    return { x, y, button: info.button, shift: info.shift, alt: info.alt, ctrl: info.ctrl, meta: info.meta }
  }

  private setCursor(x: number, y: number): void {
    this.session.cursor = { x, y }
    this.emitSession('cursor')
  }

  // ---------------------------------------------------------------- session: tools, brush, class

  getSession(): Readonly<SessionState> {
    return this.session
  }

  setTool(tool: ToolId): void {
    if (this.session.tool === tool) return
    this.root.transition(tool)
    this.session.tool = tool
    this.emitSession('tool')
  }

  getTool(): ToolId {
    return this.session.tool
  }

  /** Active state path, e.g. 'brush.painting', 'polygon.placing'. */
  getToolPath(): string {
    return this.root.getPath().replace(/^root\./, '')
  }

  setBrushSize(size: number): void {
    const s = Math.round(Math.min(MAX_BRUSH, Math.max(MIN_BRUSH, size)))
    if (!Number.isFinite(s) || s === this.session.brushSize) return
    this.session.brushSize = s
    this.emitSession('brushSize')
  }

  /** `[` / `]`: 1 px steps when small, ~10 % steps when large. */
  stepBrushSize(direction: 1 | -1): void {
    const s = this.session.brushSize
    const step = Math.max(1, Math.round(s * 0.1))
    this.setBrushSize(s + direction * step)
  }

  getCurrentClass(): number {
    return this.session.classId
  }

  /** Sets the paint class (moves it to the front of the recent list). Refuses a class the project lacks. */
  setClass(classId: number): void {
    this.checkClass(classId, false)
    this.session.classId = classId
    this.session.recentClasses = [classId, ...this.session.recentClasses.filter((c) => c !== classId)].slice(0, RECENT_CLASSES)
    this.emitSession('classId', 'recentClasses')
  }

  /** Number key n: the n-th recent class (the list keeps its order so keys stay put). */
  selectRecentClass(n: number): void {
    const id = this.session.recentClasses[n - 1]
    if (id === undefined) return
    this.session.classId = id
    this.emitSession('classId')
  }

  // ---------------------------------------------------------------- session: view

  setOverlayOpacity(opacity: number): void {
    this.session.overlayOpacity = Math.min(1, Math.max(0, opacity))
    this.emitSession('overlayOpacity')
  }

  toggleOutlineOnly(): void {
    this.session.outlineOnly = !this.session.outlineOnly
    this.emitSession('outlineOnly')
  }

  toggleMaskHidden(): void {
    this.session.maskHidden = !this.session.maskHidden
    this.emitSession('maskHidden')
  }

  setModelMaskMode(mode: ModelMaskMode): void {
    this.session.modelMaskMode = mode
    this.emitSession('modelMaskMode')
  }

  cycleModelMaskMode(): void {
    const order: ModelMaskMode[] = ['off', 'over', 'beside']
    this.setModelMaskMode(order[(order.indexOf(this.session.modelMaskMode) + 1) % order.length])
  }

  /** Tools and actions write the preview drawn on the active layer. */
  setPreview(preview: Preview | null): void {
    this.session.preview = preview
    this.emitSession('preview')
  }

  getLastStrokePoint(): Point | null {
    return this.lastStrokePoint
  }

  setLastStrokePoint(p: Point | null): void {
    this.lastStrokePoint = p
  }

  /** Frame pixels within which a click closes the polygon (a fixed screen distance). */
  getCloseDistance(): number {
    return Math.max(1, this.closeDistancePx / this.session.zoom)
  }

  // ---------------------------------------------------------------- session: camera

  setViewport(width: number, height: number): void {
    this.session.viewportWidth = width
    this.session.viewportHeight = height
    this.emitSession('viewportWidth', 'viewportHeight')
  }

  setCamera(zoom: number, panX: number, panY: number): void {
    this.session.zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom))
    this.session.panX = panX
    this.session.panY = panY
    this.emitSession('zoom', 'panX', 'panY')
  }

  screenToFrame(sx: number, sy: number): Point {
    const { zoom, panX, panY } = this.session
    return { x: (sx - panX) / zoom, y: (sy - panY) / zoom }
  }

  frameToScreen(fx: number, fy: number): Point {
    const { zoom, panX, panY } = this.session
    return { x: fx * zoom + panX, y: fy * zoom + panY }
  }

  /** Wheel zoom keeping the frame point under (sx, sy) fixed. */
  zoomAt(sx: number, sy: number, factor: number): void {
    const f = this.screenToFrame(sx, sy)
    const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.session.zoom * factor))
    this.setCamera(zoom, sx - f.x * zoom, sy - f.y * zoom)
  }

  panBy(dx: number, dy: number): void {
    this.setCamera(this.session.zoom, this.session.panX + dx, this.session.panY + dy)
  }

  /** Fits the current frame into the viewport (set with setViewport), centred. */
  fitToViewport(): void {
    const map = this.getLabelMap()
    const { viewportWidth: vw, viewportHeight: vh } = this.session
    if (!map || vw <= 0 || vh <= 0) return
    const zoom = Math.min(vw / map.width, vh / map.height)
    this.setCamera(zoom, (vw - map.width * zoom) / 2, (vh - map.height * zoom) / 2)
  }

  // ---------------------------------------------------------------- validation

  /** RangeError unless 1 ≤ id ≤ maxClass (0 too when `allowBackground`). */
  checkClass(classId: number, allowBackground: boolean): void {
    const min = allowBackground ? 0 : 1
    if (!Number.isInteger(classId) || classId < min || classId > this.maxClass) {
      throw new RangeError(`class ${classId} does not exist in a ${this.task} project (classes ${min}..${this.maxClass})`)
    }
  }

  private checkLabels(map: LabelMap): void {
    if (map.data.length !== map.width * map.height) throw new RangeError('label map size does not match its data')
    const max = this.maxClass
    const d = map.data
    for (let i = 0; i < d.length; i++) {
      if (d[i] > max) throw new RangeError(`label map has class ${d[i]}, but a ${this.task} project has classes 0..${max}`)
    }
  }
}
