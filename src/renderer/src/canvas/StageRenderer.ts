import {
  MaskBitmap,
  buildLut,
  cameraOf,
  renderActive,
  renderOverlay,
  renderStatic,
  singleColorLut,
  type Ctx2D,
  type Editor,
  type EditorChange,
  type LabelMap,
  type Rect
} from '../editor'

import { BINARY_COLOR } from '../editor/palette'

export { BINARY_COLOR }
const MODEL_OUTLINE: [number, number, number] = [255, 216, 77]

export interface StageCanvases {
  /** Frame image + committed mask. */
  static: HTMLCanvasElement
  /** Polygon in progress. */
  active: HTMLCanvasElement
  /** Brush cursor, handles. */
  overlay: HTMLCanvasElement
  /** The model's mask drawn beside the current one (same camera), when shown. */
  beside?: HTMLCanvasElement | null
}

type Frameish = object

interface FrameSizedLayer {
  canvas: HTMLCanvasElement
  ctx: CanvasRenderingContext2D
  bitmap: MaskBitmap
}

function frameLayer(width: number, height: number, lut: Uint32Array): FrameSizedLayer {
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D
  return { canvas, ctx, bitmap: new MaskBitmap(ctx, width, height, lut) }
}

const union = (a: Rect | null, b: Rect): Rect =>
  a ? { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) } : { ...b }

/**
 * Draws an Editor onto three stacked viewport-sized canvases with the editor's render functions,
 * at most once per animation frame: mask changes recolour only their dirty rect of a frame-sized
 * bitmap; session changes redraw only the layers they concern.
 */
export class StageRenderer {
  private readonly ctx: { static: Ctx2D; active: Ctx2D; overlay: Ctx2D }
  private readonly lut: Uint32Array
  private mask: FrameSizedLayer | null = null
  private model: FrameSizedLayer | null = null
  private modelColors: FrameSizedLayer | null = null
  private frameImage: Frameish | null = null
  private dirtyMask: Rect | null = null
  private fullMask = true
  private fullModel = true
  private dirty = { static: true, active: true, overlay: true }
  /** Frame-pixel rect of the static layer to redraw, or null for all of it. */
  private staticClip: Rect | null = null
  private raf = 0
  private readonly unsubscribe: () => void

  constructor(
    private readonly editor: Editor,
    private readonly canvases: StageCanvases
  ) {
    const get = (c: HTMLCanvasElement): Ctx2D => c.getContext('2d') as unknown as Ctx2D
    this.ctx = { static: get(canvases.static), active: get(canvases.active), overlay: get(canvases.overlay) }
    this.lut = editor.task === 'avss' ? buildLut() : buildLut(BINARY_COLOR)
    this.unsubscribe = editor.subscribe((c) => this.onChange(c))
  }

  dispose(): void {
    this.unsubscribe()
    cancelAnimationFrame(this.raf)
    this.raf = 0
  }

  setBeside(canvas: HTMLCanvasElement | null): void {
    this.canvases.beside = canvas
    this.fullModel = true
    this.invalidate('static')
  }

  /** The decoded image of the current frame (null while it loads). */
  setFrameImage(image: Frameish | null): void {
    if (image === this.frameImage) return
    this.frameImage = image
    this.invalidate('static')
  }

  /** Canvas pixel sizes follow the viewport (CSS pixels). */
  resize(width: number, height: number): void {
    for (const c of [this.canvases.static, this.canvases.active, this.canvases.overlay]) {
      if (c.width !== width) c.width = width
      if (c.height !== height) c.height = height
    }
    const b = this.canvases.beside
    if (b && (b.width !== width || b.height !== height)) {
      b.width = width
      b.height = height
    }
    this.invalidate('static', 'active', 'overlay')
  }

  private onChange(c: EditorChange): void {
    switch (c.kind) {
      case 'mask':
        if (c.frameId !== this.editor.getCurrentFrameId()) return
        if (c.rect) {
          this.dirtyMask = union(this.dirtyMask, c.rect)
          // Only the stroke's rect changed on screen: redraw just that (a full redraw costs ms per move).
          if (!this.dirty.static) this.staticClip = union(this.staticClip, c.rect)
          else if (this.staticClip) this.staticClip = union(this.staticClip, c.rect)
        } else this.fullMask = true
        this.invalidateStatic(!c.rect)
        return
      case 'frame':
        this.fullMask = true
        this.fullModel = true
        this.invalidate('static', 'active', 'overlay')
        return
      case 'session': {
        const k = new Set(c.keys)
        if (k.has('outlineOnly')) this.fullMask = true
        if (k.has('modelMaskMode')) this.fullModel = true
        if (['zoom', 'panX', 'panY', 'viewportWidth', 'viewportHeight'].some((x) => k.has(x as never))) this.invalidate('static', 'active', 'overlay')
        if (['overlayOpacity', 'maskHidden', 'outlineOnly', 'modelMaskMode'].some((x) => k.has(x as never))) this.invalidate('static')
        if (k.has('preview') || k.has('classId')) this.invalidate('active', 'overlay')
        if (k.has('cursor') || k.has('brushSize') || k.has('tool') || k.has('panning')) this.invalidate('overlay')
        return
      }
      default:
        return
    }
  }

  private invalidateStatic(full: boolean): void {
    if (full) this.staticClip = null
    this.dirty.static = true
    if (!this.raf) this.raf = requestAnimationFrame(() => this.renderNow())
  }

  private invalidate(...layers: ('static' | 'active' | 'overlay')[]): void {
    for (const l of layers) this.dirty[l] = true
    if (layers.includes('static')) this.staticClip = null
    if (!this.raf) this.raf = requestAnimationFrame(() => this.renderNow())
  }

  /** Draws what changed now (the animation-frame callback; the benchmark calls it directly). */
  renderNow(): void {
    if (this.raf) cancelAnimationFrame(this.raf)
    this.raf = 0
    const editor = this.editor
    const map = editor.getLabelMap()
    const s = editor.getSession()
    const camera = cameraOf(editor)
    const viewport = { width: this.canvases.static.width, height: this.canvases.static.height }

    if (map) this.updateMask(map, s.outlineOnly)
    if (this.dirty.static) {
      this.dirty.static = false
      const clip = this.staticClip
      this.staticClip = null
      const modelMask = editor.getModelMask()
      if (map && this.fullModel) this.updateModel(modelMask, s.modelMaskMode)
      const base = {
        camera,
        viewportWidth: viewport.width,
        viewportHeight: viewport.height,
        frameWidth: map?.width ?? 0,
        frameHeight: map?.height ?? 0,
        frameImage: this.frameImage,
        overlayOpacity: s.overlayOpacity,
        maskHidden: s.maskHidden
      }
      const ctx = this.canvases.static.getContext('2d') as CanvasRenderingContext2D
      if (clip) {
        // Clip to the dirty rect on screen (+2 px for smoothing); renderStatic's clear and draws obey it.
        const x0 = Math.floor(clip.x0 * camera.zoom + camera.panX) - 2
        const y0 = Math.floor(clip.y0 * camera.zoom + camera.panY) - 2
        const x1 = Math.ceil(clip.x1 * camera.zoom + camera.panX) + 2
        const y1 = Math.ceil(clip.y1 * camera.zoom + camera.panY) + 2
        ctx.save()
        ctx.beginPath()
        ctx.rect(x0, y0, x1 - x0, y1 - y0)
        ctx.clip()
      }
      renderStatic(this.ctx.static, {
        ...base,
        maskImage: map ? (this.mask?.canvas ?? null) : null,
        modelMaskImage: s.modelMaskMode === 'over' && modelMask ? (this.model?.canvas ?? null) : null
      })
      if (clip) ctx.restore()
      const beside = this.canvases.beside
      if (beside) {
        const ctx = beside.getContext('2d') as unknown as Ctx2D
        renderStatic(ctx, { ...base, maskHidden: false, maskImage: modelMask ? (this.modelColors?.canvas ?? null) : null })
      }
    }
    if (this.dirty.active) {
      this.dirty.active = false
      renderActive(this.ctx.active, camera, s.preview, s.classId, viewport)
    }
    if (this.dirty.overlay) {
      this.dirty.overlay = false
      renderOverlay(this.ctx.overlay, { camera, viewportWidth: viewport.width, viewportHeight: viewport.height, session: s })
    }
  }

  private updateMask(map: LabelMap, outlineOnly: boolean): void {
    if (!this.mask || this.mask.bitmap.width !== map.width || this.mask.bitmap.height !== map.height) {
      this.mask = frameLayer(map.width, map.height, this.lut)
      this.fullMask = true
    }
    if (this.fullMask) {
      this.fullMask = false
      this.dirtyMask = null
      this.mask.bitmap.flush(this.mask.ctx, this.mask.bitmap.update(map, null, outlineOnly))
      this.dirty.static = true
    } else if (this.dirtyMask) {
      const r = this.dirtyMask
      this.dirtyMask = null
      this.mask.bitmap.flush(this.mask.ctx, this.mask.bitmap.update(map, r, outlineOnly))
      this.dirty.static = true
    }
  }

  /** The model's mask: a yellow outline for 'over', palette colours for 'beside'. */
  private updateModel(modelMask: LabelMap | null, mode: 'off' | 'over' | 'beside'): void {
    this.fullModel = false
    if (!modelMask || mode === 'off') return
    if (mode === 'over') {
      if (!this.model || this.model.bitmap.width !== modelMask.width || this.model.bitmap.height !== modelMask.height) {
        this.model = frameLayer(modelMask.width, modelMask.height, singleColorLut(...MODEL_OUTLINE))
      }
      this.model.bitmap.flush(this.model.ctx, this.model.bitmap.update(modelMask, null, true))
    } else {
      if (!this.modelColors || this.modelColors.bitmap.width !== modelMask.width || this.modelColors.bitmap.height !== modelMask.height) {
        this.modelColors = frameLayer(modelMask.width, modelMask.height, this.lut)
      }
      this.modelColors.bitmap.flush(this.modelColors.ctx, this.modelColors.bitmap.update(modelMask, null, false))
    }
  }
}
