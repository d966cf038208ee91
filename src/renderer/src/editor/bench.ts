/**
 * Editor micro-benchmark: one brush stroke of `events` pointer moves across a frame, timing each
 * `pointerMove` (rasterise + tile diff + change events). Pass `onMove` to include the render work
 * (e.g. MaskBitmap.update + flush of the dirty rect) in each sample. Runs anywhere (Chromium, Node).
 */
import { Editor, type EditorChange } from './Editor'
import { createLabelMap, type Rect } from './types'

export interface BrushBenchOptions {
  events?: number
  brushSize?: number
  /** Called after each move with the dirty rect the move produced (render it here). */
  onMove?: (dirty: Rect | null, editor: Editor) => void
  now?: () => number
}

export interface BrushBenchResult {
  events: number
  brushSize: number
  medianMs: number
  p95Ms: number
  maxMs: number
  /** Stroke end to commit callback (the save itself is the app's). */
  strokeEndMs: number
  samples: number[]
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]
}

/** Needs a current frame (e.g. 1920×1080) loaded; leaves one undoable stroke behind (undone at the end). */
export function benchBrushStroke(editor: Editor, options: BrushBenchOptions = {}): BrushBenchResult {
  const events = options.events ?? 200
  const brushSize = options.brushSize ?? 200
  const now = options.now ?? (() => performance.now())
  const map = editor.getLabelMap()
  if (!map) throw new Error('load a frame first')
  const prevTool = editor.getTool()
  const prevSize = editor.getSession().brushSize
  editor.setTool('brush')
  editor.setBrushSize(brushSize)
  let dirty: Rect | null = null
  const unsubscribe = editor.subscribe((c: EditorChange) => {
    if (c.kind === 'mask' && c.rect) {
      dirty = dirty
        ? { x0: Math.min(dirty.x0, c.rect.x0), y0: Math.min(dirty.y0, c.rect.y0), x1: Math.max(dirty.x1, c.rect.x1), y1: Math.max(dirty.y1, c.rect.y1) }
        : { ...c.rect }
    }
  })
  // A zig-zag across the whole frame: fast moves (~40 px apart) like a quick real stroke.
  const point = (i: number): [number, number] => {
    const t = i / (events - 1)
    return [t * map.width, map.height / 2 + (Math.sin(t * Math.PI * 6) * map.height) / 3]
  }
  const samples: number[] = []
  const [sx, sy] = point(0)
  editor.pointerDown(sx, sy)
  for (let i = 1; i < events; i++) {
    const [x, y] = point(i)
    dirty = null
    const t0 = now()
    editor.pointerMove(x, y)
    options.onMove?.(dirty, editor)
    samples.push(now() - t0)
  }
  let committedAt = 0
  const off = editor.onCommit(() => {
    committedAt = now()
  })
  const [ex, ey] = point(events - 1)
  const tUp = now()
  editor.pointerUp(ex, ey)
  off()
  unsubscribe()
  editor.undo()
  editor.setBrushSize(prevSize)
  editor.setTool(prevTool)
  const sorted = samples.slice().sort((a, b) => a - b)
  return {
    events,
    brushSize,
    medianMs: percentile(sorted, 0.5),
    p95Ms: percentile(sorted, 0.95),
    maxMs: sorted[sorted.length - 1] ?? 0,
    strokeEndMs: committedAt ? committedAt - tUp : NaN,
    samples
  }
}

/**
 * Time to switch between two loaded frames, median over `rounds`. `onSwitch` runs inside the
 * timing (recolour the whole MaskBitmap and draw, in Chromium) so the number is the user's wait.
 */
export function benchFrameSwitch(
  editor: Editor,
  frameA: number,
  frameB: number,
  rounds = 50,
  now: () => number = () => performance.now(),
  onSwitch?: (frameId: number) => void
): { medianMs: number; p95Ms: number } {
  const samples: number[] = []
  for (let i = 0; i < rounds; i++) {
    const t0 = now()
    const id = i % 2 === 0 ? frameB : frameA
    editor.selectFrame(id)
    onSwitch?.(id)
    samples.push(now() - t0)
  }
  const sorted = samples.sort((a, b) => a - b)
  return { medianMs: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95) }
}

export interface EditorBenchResult {
  width: number
  height: number
  brush: BrushBenchResult
  frameSwitch: { medianMs: number; p95Ms: number }
}

/**
 * The whole editor benchmark on a fresh Editor with two frames of `width`×`height` (default
 * 1920×1080), frame 2 pre-filled with a half-painted mask. Hooks let the caller add rendering.
 */
export function runEditorBenchmark(
  options: { width?: number; height?: number; brush?: BrushBenchOptions; onSwitch?: (editor: Editor, frameId: number) => void } = {}
): EditorBenchResult {
  const width = options.width ?? 1920
  const height = options.height ?? 1080
  const editor = new Editor({ task: 'avss' })
  const half = createLabelMap(width, height)
  half.data.fill(17, 0, (width * height) >> 1)
  editor.loadFrame(2, half, { select: false })
  editor.loadFrame(1, createLabelMap(width, height))
  const brush = benchBrushStroke(editor, options.brush)
  const onSwitch = options.onSwitch
  const frameSwitch = benchFrameSwitch(editor, 1, 2, 50, options.brush?.now, onSwitch ? (id) => onSwitch(editor, id) : undefined)
  return { width, height, brush, frameSwitch }
}
