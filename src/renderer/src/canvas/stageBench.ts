import { benchBrushStroke, benchFrameSwitch, createLabelMap, Editor } from '../editor'
import { StageRenderer } from './StageRenderer'

export interface StageBenchResult {
  pointerMoveMedianMs: number
  pointerMoveP95Ms: number
  pointerMoveMaxMs: number
  /** The same stroke without drawing: Editor.pointerMove alone (rasterise, tiles, events). */
  editorOnlyMedianMs: number
  editorOnlyP95Ms: number
  frameSwitchMedianMs: number
  frameSwitchP95Ms: number
  width: number
  height: number
  viewport: { width: number; height: number }
  brushSize: number
  events: number
}

function canvas(width: number, height: number): HTMLCanvasElement {
  const c = document.createElement('canvas')
  c.width = width
  c.height = height
  return c
}

/**
 * The editor benchmark in the browser (`window.__avsBench` with `?bench=1`): a 1920×1080 frame on
 * the app's real StageRenderer (three canvases, dirty-rect mask recolouring, render functions).
 * Each pointer-move sample is Editor.pointerMove plus the redraw the next animation frame would
 * do, run synchronously and rasterised (a one-pixel read); a frame switch is selectFrame plus the full recolour and redraw.
 */
export async function runStageBench(options: { width?: number; height?: number; events?: number; brushSize?: number } = {}): Promise<StageBenchResult> {
  const width = options.width ?? 1920
  const height = options.height ?? 1080
  const viewport = { width: 1280, height: 720 }
  const host = document.createElement('div')
  host.style.cssText = `position:fixed;left:-10000px;top:0;width:${viewport.width}px;height:${viewport.height}px`
  const layers = { static: canvas(1, 1), active: canvas(1, 1), overlay: canvas(1, 1) }
  host.append(layers.static, layers.active, layers.overlay)
  document.body.append(host)
  const editor = new Editor({ task: 'avss' })
  const renderer = new StageRenderer(editor, layers)
  try {
    renderer.resize(viewport.width, viewport.height)
    editor.setViewport(viewport.width, viewport.height)
    const frame = canvas(width, height)
    const g = frame.getContext('2d') as CanvasRenderingContext2D
    const grad = g.createLinearGradient(0, 0, width, height)
    grad.addColorStop(0, '#203040')
    grad.addColorStop(1, '#c08040')
    g.fillStyle = grad
    g.fillRect(0, 0, width, height)
    renderer.setFrameImage(await createImageBitmap(frame))
    const half = createLabelMap(width, height)
    half.data.fill(17, 0, (width * height) >> 1)
    editor.loadFrame(2, half, { select: false })
    editor.loadFrame(1, createLabelMap(width, height))
    editor.fitToViewport()
    // Canvas 2D records draw calls and rasterises later: read one pixel so each sample pays for it.
    const staticCtx = layers.static.getContext('2d') as CanvasRenderingContext2D
    const draw = (): void => {
      renderer.renderNow()
      staticCtx.getImageData(0, 0, 1, 1)
    }
    draw()
    const brush = benchBrushStroke(editor, { events: options.events ?? 200, brushSize: options.brushSize ?? 200, onMove: draw })
    const bare = benchBrushStroke(editor, { events: options.events ?? 200, brushSize: options.brushSize ?? 200 })
    const sw = benchFrameSwitch(editor, 1, 2, 50, undefined, draw)
    return {
      pointerMoveMedianMs: brush.medianMs,
      pointerMoveP95Ms: brush.p95Ms,
      pointerMoveMaxMs: brush.maxMs,
      editorOnlyMedianMs: bare.medianMs,
      editorOnlyP95Ms: bare.p95Ms,
      frameSwitchMedianMs: sw.medianMs,
      frameSwitchP95Ms: sw.p95Ms,
      width,
      height,
      viewport,
      brushSize: brush.brushSize,
      events: brush.events
    }
  } finally {
    renderer.dispose()
    host.remove()
  }
}
