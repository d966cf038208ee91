import { describe, expect, it } from 'vitest'
import { benchBrushStroke, benchFrameSwitch, runEditorBenchmark } from '../../../src/renderer/src/editor/bench'
import { AVSS_CLASS_NAMES, CLASS_COUNT, PALETTE_RGB, buildLut, className, packRGBA, paletteColor, paletteHex } from '../../../src/renderer/src/editor/palette'
import { MaskBitmap, TiledMaskLayer, renderActive, renderOverlay, renderStatic, type Ctx2D, type ImageDataLike } from '../../../src/renderer/src/editor/render'
import { createLabelMap } from '../../../src/renderer/src/editor/types'
import { sameBytes, TestEditor } from './TestEditor'

describe('palette (spec §3.5)', () => {
  it('matches the official table', () => {
    const table: Record<number, [string, number, number, number]> = {
      0: ['background', 0, 0, 0],
      1: ['accordion', 128, 0, 0],
      7: ['bird', 128, 128, 128],
      8: ['boat', 64, 0, 0],
      17: ['dog', 128, 64, 0],
      31: ['hair-dryer', 192, 192, 128],
      36: ['hen', 0, 0, 192],
      63: ['trumpet', 192, 192, 192],
      64: ['tuba', 32, 0, 0],
      70: ['woman', 32, 128, 128]
    }
    for (const [i, [name, r, g, b]] of Object.entries(table)) {
      expect(AVSS_CLASS_NAMES[Number(i)]).toBe(name)
      expect(paletteColor(Number(i))).toEqual([r, g, b])
    }
    expect(AVSS_CLASS_NAMES).toHaveLength(71)
    expect(CLASS_COUNT).toBe(71)
    expect(PALETTE_RGB).toHaveLength(213)
    const colours = new Set(Array.from({ length: 71 }, (_, i) => paletteHex(i)))
    expect(colours.size).toBe(71)
    expect(paletteHex(1)).toBe('#800000')
    expect(className(1, true)).toBe('sounding object')
    expect(className(17, false)).toBe('dog')
  })
})

class FakeCtx implements Ctx2D {
  globalAlpha = 1
  lineWidth = 1
  strokeStyle: unknown = ''
  fillStyle: unknown = ''
  imageSmoothingEnabled = true
  calls: string[] = []
  save(): void {}
  restore(): void {}
  setTransform(...a: number[]): void {
    this.calls.push(`setTransform(${a.join(',')})`)
  }
  clearRect(): void {
    this.calls.push('clearRect')
  }
  fillRect(): void {
    this.calls.push('fillRect')
  }
  strokeRect(): void {}
  beginPath(): void {}
  moveTo(): void {}
  lineTo(): void {
    this.calls.push('lineTo')
  }
  closePath(): void {}
  arc(x: number, y: number, r: number): void {
    this.calls.push(`arc(${x},${y},${r})`)
  }
  stroke(): void {}
  fill(): void {
    this.calls.push('fill')
  }
  setLineDash(): void {}
  drawImage(_img: object, ...a: number[]): void {
    this.calls.push(`drawImage(${a.join(',')})@${this.globalAlpha}`)
  }
  createImageData(width: number, height: number): ImageDataLike {
    return { width, height, data: new Uint8ClampedArray(width * height * 4) }
  }
  putImageData(_img: ImageDataLike, ...a: number[]): void {
    this.calls.push(`putImageData(${a.join(',')})`)
  }
}

describe('render', () => {
  it('MaskBitmap colours only the dirty rect through the LUT', () => {
    const ctx = new FakeCtx()
    const map = createLabelMap(8, 4)
    map.data.fill(17)
    const bmp = new MaskBitmap(ctx, 8, 4)
    const rect = bmp.update(map, { x0: 2, y0: 1, x1: 4, y1: 3 })
    expect(rect).toEqual({ x0: 2, y0: 1, x1: 4, y1: 3 })
    const px = new Uint32Array(bmp.image.data.buffer)
    expect(px[1 * 8 + 2]).toBe(packRGBA(128, 64, 0, 255))
    expect(px[0]).toBe(0)
    expect(Array.from(bmp.image.data.slice((1 * 8 + 3) * 4, (1 * 8 + 3) * 4 + 4))).toEqual([128, 64, 0, 255])
    bmp.flush(ctx, rect)
    expect(ctx.calls).toContain('putImageData(0,0,2,1,2,2)')
    expect(buildLut()[0]).toBe(0)
  })

  it('outline mode keeps only boundary pixels', () => {
    const ctx = new FakeCtx()
    const map = createLabelMap(7, 7)
    for (let y = 1; y < 6; y++) map.data.fill(1, y * 7 + 1, y * 7 + 6)
    const bmp = new MaskBitmap(ctx, 7, 7)
    bmp.update(map, null, true)
    const px = new Uint32Array(bmp.image.data.buffer)
    expect(px[3 * 7 + 3]).toBe(0)
    expect(px[1 * 7 + 3]).not.toBe(0)
    expect(px[0]).toBe(0)
  })

  it('TiledMaskLayer uploads only the tiles a change touched and draws clipped parts', () => {
    const canvases: FakeCtx[] = []
    const layer = new TiledMaskLayer(600, 300, () => {
      const ctx = new FakeCtx()
      canvases.push(ctx)
      return { canvas: ctx, ctx }
    })
    expect(canvases).toHaveLength(3 * 2)
    const map = createLabelMap(600, 300)
    map.data.fill(5)
    layer.update(map, { x0: 250, y0: 10, x1: 270, y1: 20 })
    expect(canvases.map((c) => c.calls.length)).toEqual([1, 1, 0, 0, 0, 0])
    expect(canvases[0].calls[0]).toBe('putImageData(0,0,250,10,6,10)')
    expect(canvases[1].calls[0]).toBe('putImageData(0,0,0,10,14,10)')
    const view = new FakeCtx()
    layer.draw(view, { x0: 250, y0: 10, x1: 270, y1: 20 })
    expect(view.calls).toEqual(['drawImage(250,10,6,10,250,10,6,10)@1', 'drawImage(0,10,14,10,256,10,14,10)@1'])
    view.calls = []
    renderStatic(view, { camera: { zoom: 1, panX: 0, panY: 0 }, viewportWidth: 600, viewportHeight: 300, frameWidth: 600, frameHeight: 300, frameImage: null, maskImage: layer, overlayOpacity: 0.5, maskHidden: false })
    expect(view.calls.filter((c) => c.startsWith('drawImage'))).toHaveLength(6)
  })

  it('draws the three layers with the camera', () => {
    const editor = new TestEditor({ width: 100, height: 80 })
    editor.setCamera(2, 10, 20)
    const ctx = new FakeCtx()
    renderStatic(ctx, { camera: { zoom: 2, panX: 10, panY: 20 }, viewportWidth: 300, viewportHeight: 200, frameWidth: 100, frameHeight: 80, frameImage: {}, maskImage: {}, overlayOpacity: 0.4, maskHidden: false })
    expect(ctx.calls).toContain('setTransform(2,0,0,2,10,20)')
    expect(ctx.calls).toContain('drawImage(0,0,100,80)@0.4')
    editor.setBrushSize(9)
    editor.pointerMove(30.2, 40.7)
    const overlay = new FakeCtx()
    renderOverlay(overlay, { camera: { zoom: 2, panX: 10, panY: 20 }, viewportWidth: 300, viewportHeight: 200, session: editor.getSession() })
    expect(overlay.calls).toContain('arc(71,101,9)')
    editor.polygon.place([[10, 10], [40, 10], [40, 40]], { close: 'none' })
    const active = new FakeCtx()
    renderActive(active, { zoom: 2, panX: 10, panY: 20 }, editor.getSession().preview, 1, { width: 300, height: 200 })
    expect(active.calls.filter((c) => c === 'lineTo').length).toBeGreaterThanOrEqual(2)
    expect(active.calls).toContain('fill')
  })
})

describe('bench', () => {
  it('times a 200-event 200 px stroke on a 1920×1080 frame and leaves the mask as it was', () => {
    const editor = new TestEditor({ width: 1920, height: 1080, frames: 2 })
    const before = editor.bytes()
    const r = benchBrushStroke(editor, { events: 200, brushSize: 200 })
    expect(r.samples).toHaveLength(199)
    expect(r.p95Ms).toBeGreaterThanOrEqual(r.medianMs)
    expect(Number.isFinite(r.strokeEndMs)).toBe(true)
    expect(sameBytes(editor.bytes(), before)).toBe(true)
    const s = benchFrameSwitch(editor, 1, 2, 10)
    expect(s.medianMs).toBeGreaterThanOrEqual(0)
    const full = runEditorBenchmark({ width: 640, height: 360, brush: { events: 50 } })
    expect(full.brush.samples).toHaveLength(49)
    expect(full.frameSwitch.p95Ms).toBeGreaterThanOrEqual(full.frameSwitch.medianMs)
    console.log(`bench (node, shared CPU): move median ${r.medianMs.toFixed(3)} ms, p95 ${r.p95Ms.toFixed(3)} ms, max ${r.maxMs.toFixed(3)} ms; frame switch median ${s.medianMs.toFixed(3)} ms`)
  })
})
