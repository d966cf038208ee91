/**
 * Test harness over the real Editor's public API (tldraw TestEditor style): tests say
 * `editor.brush.paint([[x, y], …])`, `editor.key('mod+z')`, never touch internals.
 */
import { Editor, type EditorOptions } from '../../../src/renderer/src/editor/Editor'
import type { EditorHost, FrameDirection } from '../../../src/renderer/src/editor/EditorHost'
import { createLabelMap, type LabelMap, type Modifiers, type ReviewStatus } from '../../../src/renderer/src/editor/types'

type Pt = readonly [number, number]

/** Fast byte comparison (vitest's deep equality is slow on multi-megabyte arrays). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}

export interface HostCall {
  method: string
  args: unknown[]
}

export class MockHost implements EditorHost {
  calls: HostCall[] = []
  rejectComment: string | null = ''
  constructor(private readonly editor: () => TestEditor) {}
  private log(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args })
  }
  goToFrame(direction: FrameDirection): void {
    this.log('goToFrame', direction)
  }
  goToNextNeedingReview(): void {
    this.log('goToNextNeedingReview')
  }
  getNeighborMask(direction: FrameDirection): LabelMap | null {
    this.log('getNeighborMask', direction)
    const e = this.editor()
    const ids = e.frameIds
    const at = ids.indexOf(e.getCurrentFrameId() as number) + (direction === 'previous' ? -1 : 1)
    return at >= 0 && at < ids.length ? e.getLabelMap(ids[at]) : null
  }
  getClipFrameIds(): number[] {
    this.log('getClipFrameIds')
    return this.editor().frameIds
  }
  togglePlay(): void {
    this.log('togglePlay')
  }
  playCurrentSecond(): void {
    this.log('playCurrentSecond')
  }
  promptRejectComment(): Promise<string | null> {
    this.log('promptRejectComment')
    return Promise.resolve(this.rejectComment)
  }
  showHelp(): void {
    this.log('showHelp')
  }
  reportError(error: unknown): void {
    this.log('reportError', error)
  }
  called(method: string): HostCall[] {
    return this.calls.filter((c) => c.method === method)
  }
}

export interface TestEditorOptions extends Partial<EditorOptions> {
  width?: number
  height?: number
  /** Frames 1..n, all empty; frame 1 is current. */
  frames?: number
}

export class TestEditor extends Editor {
  readonly mockHost: MockHost
  readonly frameIds: number[]
  readonly commits: { frameId: number; bytes: Uint8Array }[] = []
  readonly statusCommits: { frameId: number; status: ReviewStatus; comment: string | null }[][] = []

  constructor(options: TestEditorOptions = {}) {
    const ref: { editor?: TestEditor } = {}
    const host = new MockHost(() => ref.editor as TestEditor)
    super({ task: 'avss', ...options, host })
    ref.editor = this
    this.mockHost = host
    const w = options.width ?? 100
    const h = options.height ?? 80
    this.frameIds = Array.from({ length: options.frames ?? 3 }, (_, i) => i + 1)
    for (const id of this.frameIds) this.loadFrame(id, createLabelMap(w, h), { status: 'auto', select: false })
    this.selectFrame(this.frameIds[0])
    this.onCommit((frameId, map) => this.commits.push({ frameId, bytes: map.data.slice() }))
    this.onStatusCommit((changes) => this.statusCommits.push(changes))
  }

  get map(): LabelMap {
    return this.getLabelMap() as LabelMap
  }

  pixel(x: number, y: number, frameId = this.getCurrentFrameId() as number): number {
    const m = this.getLabelMap(frameId) as LabelMap
    return m.data[y * m.width + x]
  }

  count(label: number, frameId = this.getCurrentFrameId() as number): number {
    const d = (this.getLabelMap(frameId) as LabelMap).data
    let n = 0
    for (let i = 0; i < d.length; i++) if (d[i] === label) n++
    return n
  }

  bytes(frameId = this.getCurrentFrameId() as number): Uint8Array {
    return (this.getLabelMap(frameId) as LabelMap).data.slice()
  }

  /** 'mod+shift+z', 'escape', 'shift+a', '[' … → keyDown (and keyUp for space). */
  key(combo: string, extra: Modifiers & { repeat?: boolean } = {}): boolean {
    const parts = combo.split('+')
    let key = parts.pop() as string
    const mods: Modifiers & { repeat?: boolean } = { ...extra }
    for (const p of parts) {
      if (p === 'mod' || p === 'ctrl') mods.ctrl = true
      else if (p === 'meta') mods.meta = true
      else if (p === 'shift') mods.shift = true
      else if (p === 'alt') mods.alt = true
    }
    if (mods.shift && key.length === 1) key = key.toUpperCase()
    if (key === 'space') key = ' '
    const handled = this.keyDown(key, mods)
    if (key === ' ') this.keyUp(key, mods)
    return handled
  }

  private stroke(tool: 'brush' | 'eraser', points: readonly Pt[], opts: { size?: number; end?: boolean } & Modifiers): this {
    this.setTool(tool)
    if (opts.size) this.setBrushSize(opts.size)
    const [first, ...rest] = points
    this.pointerDown(first[0], first[1], opts)
    for (const p of rest) this.pointerMove(p[0], p[1], opts)
    if (opts.end !== false) {
      const last = points[points.length - 1]
      this.pointerUp(last[0], last[1], opts)
    }
    return this
  }

  readonly brush = {
    /** Down at the first point, moves through the rest, up at the last (unless end: false). */
    paint: (points: readonly Pt[], opts: { size?: number; end?: boolean } & Modifiers = {}): this => this.stroke('brush', points, opts)
  }

  readonly eraser = {
    erase: (points: readonly Pt[], opts: { size?: number; end?: boolean } & Modifiers = {}): this => this.stroke('eraser', points, opts)
  }

  readonly polygon = {
    /** Clicks each point (with modifiers); `close`: 'first' clicks the first point again, 'enter' presses Enter. */
    place: (points: readonly Pt[], opts: { close?: 'first' | 'enter' | 'none' } & Modifiers = {}): this => {
      this.setTool('polygon')
      const { close = 'first', ...mods } = opts
      for (const [x, y] of points) {
        this.pointerDown(x, y, mods)
        this.pointerUp(x, y, mods)
      }
      if (close === 'first') {
        this.pointerDown(points[0][0] + 0.5, points[0][1] + 0.5, mods)
        this.pointerUp(points[0][0] + 0.5, points[0][1] + 0.5, mods)
      } else if (close === 'enter') {
        this.keyDown('Enter', mods)
      }
      return this
    }
  }

  readonly bucket = {
    fill: (x: number, y: number, mods: Modifiers = {}): this => {
      this.setTool('fill')
      this.pointerDown(x, y, mods)
      this.pointerUp(x, y, mods)
      return this
    }
  }
}
