/**
 * Canvas rendering for the three layers, as plain functions over a minimal structural 2D-context
 * type (so this module compiles without DOM types and a real CanvasRenderingContext2D or
 * OffscreenCanvasRenderingContext2D fits it):
 * - static: frame bitmap + committed mask (palette colour at the overlay opacity, or outlines);
 * - active: the polygon in progress (brush strokes are rasterised live into the mask);
 * - overlay: brush cursor, polygon handles.
 * Mask pixels are converted to RGBA through a 256-entry LUT, only inside the dirty rect.
 */
import type { Editor, Preview, SessionState } from './Editor'
import { buildLut, packRGBA, paletteColor } from './palette'
import { snapToBrush } from './tools/shared/StrokeState'
import type { LabelMap, Rect } from './types'

export interface ImageDataLike {
  readonly width: number
  readonly height: number
  readonly data: Uint8ClampedArray
}

/** The subset of CanvasRenderingContext2D the renderers use. */
export interface Ctx2D {
  globalAlpha: number
  lineWidth: number
  strokeStyle: unknown
  fillStyle: unknown
  imageSmoothingEnabled: boolean
  save(): void
  restore(): void
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void
  clearRect(x: number, y: number, w: number, h: number): void
  fillRect(x: number, y: number, w: number, h: number): void
  strokeRect(x: number, y: number, w: number, h: number): void
  beginPath(): void
  moveTo(x: number, y: number): void
  lineTo(x: number, y: number): void
  closePath(): void
  arc(x: number, y: number, r: number, start: number, end: number): void
  stroke(): void
  fill(): void
  setLineDash(segments: number[]): void
  drawImage(image: object, dx: number, dy: number, dw: number, dh: number): void
  drawImage(image: object, sx: number, sy: number, sw: number, sh: number, dx: number, dy: number, dw: number, dh: number): void
  createImageData(width: number, height: number): ImageDataLike
  putImageData(image: ImageDataLike, dx: number, dy: number, dirtyX: number, dirtyY: number, dirtyW: number, dirtyH: number): void
}

export interface Camera {
  zoom: number
  panX: number
  panY: number
}

/**
 * RGBA image of a label map, updated incrementally. Keep one per frame size on a frame-sized
 * (offscreen) canvas: `update` the dirty rect, then `flush` it with putImageData.
 */
export class MaskBitmap {
  readonly image: ImageDataLike
  private readonly pixels: Uint32Array
  private lut: Uint32Array

  constructor(
    ctx: Pick<Ctx2D, 'createImageData'>,
    readonly width: number,
    readonly height: number,
    lut: Uint32Array = buildLut()
  ) {
    this.image = ctx.createImageData(width, height)
    this.pixels = new Uint32Array(this.image.data.buffer, this.image.data.byteOffset, width * height)
    this.lut = lut
  }

  setLut(lut: Uint32Array): void {
    this.lut = lut
  }

  /**
   * Recolours `rect` (null = all) from `map`. Outline mode keeps only pixels with a 4-neighbour
   * of another label (or at the frame edge), so the rect grows by one pixel. Returns the rect written.
   */
  update(map: LabelMap, rect: Rect | null, outlineOnly = false): Rect {
    if (map.width !== this.width || map.height !== this.height) throw new RangeError('mask bitmap size differs from the label map')
    const w = this.width
    const h = this.height
    const r = rect ?? { x0: 0, y0: 0, x1: w, y1: h }
    const grow = outlineOnly ? 1 : 0
    const x0 = Math.max(0, r.x0 - grow)
    const y0 = Math.max(0, r.y0 - grow)
    const x1 = Math.min(w, r.x1 + grow)
    const y1 = Math.min(h, r.y1 + grow)
    const d = map.data
    const px = this.pixels
    const lut = this.lut
    if (!outlineOnly) {
      for (let y = y0; y < y1; y++) {
        for (let i = y * w + x0, end = y * w + x1; i < end; i++) px[i] = lut[d[i]]
      }
    } else {
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = y * w + x
          const l = d[i]
          const edge =
            l !== 0 &&
            (x === 0 || x === w - 1 || y === 0 || y === h - 1 || d[i - 1] !== l || d[i + 1] !== l || d[i - w] !== l || d[i + w] !== l)
          px[i] = edge ? lut[l] : 0
        }
      }
    }
    return { x0, y0, x1, y1 }
  }

  /** Copies the rect into a frame-sized canvas context (no scaling; drawImage that canvas later). */
  flush(ctx: Pick<Ctx2D, 'putImageData'>, rect: Rect): void {
    if (rect.x1 <= rect.x0 || rect.y1 <= rect.y0) return
    ctx.putImageData(this.image, 0, 0, rect.x0, rect.y0, rect.x1 - rect.x0, rect.y1 - rect.y0)
  }
}

/** A canvas the UI creates (`OffscreenCanvas` or a detached `<canvas>`) and its 2D context. */
export interface CanvasLike {
  canvas: object
  ctx: Ctx2D
}

export const MASK_TILE = 256

/**
 * The committed mask as a grid of small canvases (256²). A stroke re-uploads only the tiles it
 * touched, and drawing reuses the browser's cached bitmaps of the others: one frame-sized canvas
 * would be re-snapshotted whole after every putImageData (≈60 ms per draw at 1080p in software
 * Chromium, against well under a millisecond for a few tiles).
 */
export class TiledMaskLayer {
  private readonly tiles: { x: number; y: number; w: number; h: number; canvas: CanvasLike; image: ImageDataLike; px: Uint32Array }[] = []
  private readonly cols: number
  private lut: Uint32Array

  constructor(
    readonly width: number,
    readonly height: number,
    createCanvas: (w: number, h: number) => CanvasLike,
    lut: Uint32Array = buildLut(),
    readonly tileSize = MASK_TILE
  ) {
    this.lut = lut
    this.cols = Math.ceil(width / tileSize)
    for (let y = 0; y < height; y += tileSize) {
      for (let x = 0; x < width; x += tileSize) {
        const w = Math.min(tileSize, width - x)
        const h = Math.min(tileSize, height - y)
        const canvas = createCanvas(w, h)
        const image = canvas.ctx.createImageData(w, h)
        this.tiles.push({ x, y, w, h, canvas, image, px: new Uint32Array(image.data.buffer, image.data.byteOffset, w * h) })
      }
    }
  }

  setLut(lut: Uint32Array): void {
    this.lut = lut
  }

  /** Recolours `rect` (null = all) and uploads the touched tiles; outline mode as MaskBitmap. */
  update(map: LabelMap, rect: Rect | null, outlineOnly = false): void {
    if (map.width !== this.width || map.height !== this.height) throw new RangeError('mask layer size differs from the label map')
    const grow = outlineOnly ? 1 : 0
    const r = rect ?? { x0: 0, y0: 0, x1: this.width, y1: this.height }
    const x0 = Math.max(0, r.x0 - grow)
    const y0 = Math.max(0, r.y0 - grow)
    const x1 = Math.min(this.width, r.x1 + grow)
    const y1 = Math.min(this.height, r.y1 + grow)
    if (x0 >= x1 || y0 >= y1) return
    const s = this.tileSize
    const W = this.width
    const H = this.height
    const d = map.data
    const lut = this.lut
    for (let ty = Math.floor(y0 / s); ty * s < y1; ty++) {
      for (let tx = Math.floor(x0 / s); tx * s < x1; tx++) {
        const t = this.tiles[ty * this.cols + tx]
        const ax = Math.max(x0, t.x)
        const ay = Math.max(y0, t.y)
        const bx = Math.min(x1, t.x + t.w)
        const by = Math.min(y1, t.y + t.h)
        for (let y = ay; y < by; y++) {
          let o = (y - t.y) * t.w + (ax - t.x)
          for (let x = ax, i = y * W + ax; x < bx; x++, i++, o++) {
            const l = d[i]
            if (!outlineOnly) t.px[o] = lut[l]
            else {
              const edge = l !== 0 && (x === 0 || x === W - 1 || y === 0 || y === H - 1 || d[i - 1] !== l || d[i + 1] !== l || d[i - W] !== l || d[i + W] !== l)
              t.px[o] = edge ? lut[l] : 0
            }
          }
        }
        t.canvas.ctx.putImageData(t.image, 0, 0, ax - t.x, ay - t.y, bx - ax, by - ay)
      }
    }
  }

  /** Draws the tiles (or only the part inside `clip`) in frame coordinates, under the camera transform. */
  draw(ctx: Ctx2D, clip: Rect | null = null): void {
    for (const t of this.tiles) {
      if (!clip) {
        ctx.drawImage(t.canvas.canvas, t.x, t.y, t.w, t.h)
        continue
      }
      const ax = Math.max(clip.x0, t.x)
      const ay = Math.max(clip.y0, t.y)
      const bx = Math.min(clip.x1, t.x + t.w)
      const by = Math.min(clip.y1, t.y + t.h)
      if (ax < bx && ay < by) ctx.drawImage(t.canvas.canvas, ax - t.x, ay - t.y, bx - ax, by - ay, ax, ay, bx - ax, by - ay)
    }
  }
}

/** A LUT painting every label > 0 in one colour (the model's mask drawn over the current one). */
export function singleColorLut(r: number, g: number, b: number): Uint32Array {
  const lut = new Uint32Array(256)
  lut.fill(packRGBA(r, g, b, 255), 1)
  return lut
}

export interface StaticLayerState {
  camera: Camera
  viewportWidth: number
  viewportHeight: number
  frameWidth: number
  frameHeight: number
  /** The decoded frame (ImageBitmap / HTMLImageElement / canvas), or null while loading. */
  frameImage: object | null
  /** The committed mask: a TiledMaskLayer (preferred) or a frame-sized canvas of MaskBitmap pixels. */
  maskImage: TiledMaskLayer | object | null
  overlayOpacity: number
  maskHidden: boolean
  /** The model's mask drawn over ('over' mode, e.g. a TiledMaskLayer with singleColorLut + outline), or null. */
  modelMaskImage?: TiledMaskLayer | object | null
}

/**
 * Draws the static layer. With `dirty` (frame pixels, e.g. the union of a frame's mask changes)
 * only that region is cleared and redrawn — what keeps painting cheap on large frames; pass null
 * after camera, opacity or frame changes.
 */
export function renderStatic(ctx: Ctx2D, s: StaticLayerState, dirty: Rect | null = null): void {
  const { zoom, panX, panY } = s.camera
  let clip: Rect | null = null
  if (dirty) {
    // Whole pixels plus a margin, so smoothing at the edge of the region cannot leave seams.
    clip = {
      x0: Math.max(0, Math.floor(dirty.x0) - 2),
      y0: Math.max(0, Math.floor(dirty.y0) - 2),
      x1: Math.min(s.frameWidth, Math.ceil(dirty.x1) + 2),
      y1: Math.min(s.frameHeight, Math.ceil(dirty.y1) + 2)
    }
    if (clip.x0 >= clip.x1 || clip.y0 >= clip.y1) return
    ctx.setTransform(zoom, 0, 0, zoom, panX, panY)
    ctx.clearRect(clip.x0, clip.y0, clip.x1 - clip.x0, clip.y1 - clip.y0)
  } else {
    ctx.setTransform(1, 0, 0, 1, 0, 0)
    ctx.clearRect(0, 0, s.viewportWidth, s.viewportHeight)
    ctx.setTransform(zoom, 0, 0, zoom, panX, panY)
  }
  ctx.imageSmoothingEnabled = zoom < 1
  if (s.frameImage) {
    if (clip) ctx.drawImage(s.frameImage, clip.x0, clip.y0, clip.x1 - clip.x0, clip.y1 - clip.y0, clip.x0, clip.y0, clip.x1 - clip.x0, clip.y1 - clip.y0)
    else ctx.drawImage(s.frameImage, 0, 0, s.frameWidth, s.frameHeight)
  }
  // Labels are exact: show mask pixels as crisp squares when zoomed in.
  ctx.imageSmoothingEnabled = false
  const drawMask = (image: TiledMaskLayer | object): void => {
    if (image instanceof TiledMaskLayer) image.draw(ctx, clip)
    else if (clip) ctx.drawImage(image, clip.x0, clip.y0, clip.x1 - clip.x0, clip.y1 - clip.y0, clip.x0, clip.y0, clip.x1 - clip.x0, clip.y1 - clip.y0)
    else ctx.drawImage(image, 0, 0, s.frameWidth, s.frameHeight)
  }
  if (s.maskImage && !s.maskHidden) {
    ctx.globalAlpha = s.overlayOpacity
    drawMask(s.maskImage)
    ctx.globalAlpha = 1
  }
  if (s.modelMaskImage) drawMask(s.modelMaskImage)
  ctx.setTransform(1, 0, 0, 1, 0, 0)
}

function rgba(classId: number, alpha: number): string {
  const [r, g, b] = classId === 0 ? [255, 255, 255] : paletteColor(classId)
  return `rgba(${r},${g},${b},${alpha})`
}

/** The polygon being placed, in screen space (call after clearing the active canvas). */
export function renderActive(ctx: Ctx2D, camera: Camera, preview: Preview | null, classId: number, viewport: { width: number; height: number }): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0)
  ctx.clearRect(0, 0, viewport.width, viewport.height)
  if (!preview || preview.points.length === 0) return
  const { zoom, panX, panY } = camera
  const pts = preview.points.map((p) => ({ x: p.x * zoom + panX, y: p.y * zoom + panY }))
  const hover = preview.hover ? { x: preview.hover.x * zoom + panX, y: preview.hover.y * zoom + panY } : null
  ctx.beginPath()
  ctx.moveTo(pts[0].x, pts[0].y)
  for (const p of pts.slice(1)) ctx.lineTo(p.x, p.y)
  if (hover && !preview.closable) ctx.lineTo(hover.x, hover.y)
  ctx.closePath()
  ctx.fillStyle = preview.subtract ? 'rgba(0,0,0,0.35)' : rgba(classId, 0.35)
  ctx.fill()
  ctx.lineWidth = 1.5
  ctx.setLineDash(preview.subtract ? [6, 4] : [])
  ctx.strokeStyle = preview.subtract ? '#ff4d4d' : '#ffffff'
  ctx.stroke()
  ctx.setLineDash([])
}

export interface OverlayState {
  camera: Camera
  viewportWidth: number
  viewportHeight: number
  session: Pick<SessionState, 'tool' | 'brushSize' | 'cursor' | 'preview' | 'panning'>
}

/** Brush cursor (the exact footprint the next dab will cover) and polygon handles. */
export function renderOverlay(ctx: Ctx2D, s: OverlayState): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0)
  ctx.clearRect(0, 0, s.viewportWidth, s.viewportHeight)
  const { zoom, panX, panY } = s.camera
  const { tool, brushSize, cursor, preview, panning } = s.session
  if (cursor && !panning && (tool === 'brush' || tool === 'eraser')) {
    const cx = snapToBrush(cursor.x, brushSize) * zoom + panX
    const cy = snapToBrush(cursor.y, brushSize) * zoom + panY
    const r = Math.max(1, (brushSize / 2) * zoom)
    ctx.lineWidth = 1
    ctx.beginPath()
    ctx.arc(cx, cy, r, 0, Math.PI * 2)
    ctx.strokeStyle = 'rgba(0,0,0,0.8)'
    ctx.stroke()
    ctx.beginPath()
    ctx.arc(cx, cy, r + 1, 0, Math.PI * 2)
    ctx.strokeStyle = tool === 'eraser' ? 'rgba(255,120,120,0.9)' : 'rgba(255,255,255,0.9)'
    ctx.stroke()
  }
  if (preview && preview.kind === 'polygon') {
    preview.points.forEach((p, i) => {
      const x = p.x * zoom + panX
      const y = p.y * zoom + panY
      const size = i === 0 && preview.closable ? 10 : 6
      ctx.fillStyle = i === 0 ? (preview.closable ? '#ffd84d' : '#ffffff') : '#ffffff'
      ctx.strokeStyle = '#000000'
      ctx.lineWidth = 1
      ctx.fillRect(x - size / 2, y - size / 2, size, size)
      ctx.strokeRect(x - size / 2, y - size / 2, size, size)
    })
  }
}

/** Convenience: everything the three renderers need from an editor, read once per animation frame. */
export function cameraOf(editor: Editor): Camera {
  const s = editor.getSession()
  return { zoom: s.zoom, panX: s.panX, panY: s.panY }
}
