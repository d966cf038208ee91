import { describe, expect, it } from 'vitest'
import { createLabelMap } from '../../../src/renderer/src/editor/types'
import { sameBytes, TestEditor } from './TestEditor'

describe('brush', () => {
  it('paints the current class along the stroke, with no gaps between far-apart events', () => {
    const editor = new TestEditor({ width: 600, height: 100 })
    editor.brush.paint([[0, 50], [500, 50]], { size: 3 })
    for (let x = 1; x <= 499; x++) expect(editor.pixel(x, 50)).toBe(1)
    expect(editor.pixel(250, 48)).toBe(0)
    expect(editor.pixel(250, 49)).toBe(1)
    expect(editor.pixel(250, 51)).toBe(1)
    expect(editor.pixel(250, 52)).toBe(0)
    expect(editor.commits).toHaveLength(1)
    expect(editor.commits[0].frameId).toBe(1)
  })

  it('size n covers n pixels across; a 200 px dab is a disc of the right area', () => {
    const editor = new TestEditor({ width: 400, height: 400 })
    editor.brush.paint([[10, 10]], { size: 1 })
    expect(editor.count(1)).toBe(1)
    expect(editor.pixel(10, 10)).toBe(1)
    editor.brush.paint([[30, 30]], { size: 2 })
    expect(editor.count(1)).toBe(5)
    editor.clearFrame()
    editor.brush.paint([[200, 200]], { size: 200 })
    const area = Math.PI * 100 * 100
    expect(Math.abs(editor.count(1) - area) / area).toBeLessThan(0.01)
  })

  it('[ and ] change the size within 1..200', () => {
    const editor = new TestEditor()
    editor.setBrushSize(1)
    editor.key('[')
    expect(editor.getSession().brushSize).toBe(1)
    editor.key(']')
    expect(editor.getSession().brushSize).toBe(2)
    editor.setBrushSize(500)
    expect(editor.getSession().brushSize).toBe(200)
    editor.key(']')
    expect(editor.getSession().brushSize).toBe(200)
    editor.key('[')
    expect(editor.getSession().brushSize).toBe(180)
  })

  it('shift-click draws a straight line from the end of the previous stroke', () => {
    const editor = new TestEditor({ width: 200, height: 100 })
    editor.brush.paint([[10, 10]], { size: 1 })
    editor.brush.paint([[110, 10]], { size: 1, shift: true })
    for (let x = 10; x <= 110; x++) expect(editor.pixel(x, 10)).toBe(1)
  })
})

describe('eraser', () => {
  it('erases to background and is undoable', () => {
    const editor = new TestEditor({ width: 100, height: 100 })
    editor.polygon.place([[0, 0], [100, 0], [100, 100], [0, 100]], { close: 'enter' })
    expect(editor.count(1)).toBe(10000)
    const before = editor.bytes()
    editor.eraser.erase([[20, 50], [80, 50]], { size: 10 })
    expect(editor.pixel(50, 50)).toBe(0)
    expect(editor.pixel(50, 40)).toBe(1)
    editor.undo()
    expect(sameBytes(editor.bytes(), before)).toBe(true)
    editor.redo()
    expect(editor.pixel(50, 50)).toBe(0)
  })
})

describe('polygon', () => {
  const square: [number, number][] = [[10, 10], [50, 10], [50, 50], [10, 50]]

  it('adds the inside when closed on the first point', () => {
    const editor = new TestEditor()
    editor.polygon.place(square, { close: 'first' })
    expect(editor.count(1)).toBe(40 * 40)
    expect(editor.pixel(10, 10)).toBe(1)
    expect(editor.pixel(49, 49)).toBe(1)
    expect(editor.pixel(50, 50)).toBe(0)
    expect(editor.getToolPath()).toBe('polygon.idle')
    expect(editor.getSession().preview).toBeNull()
  })

  it('closes with Enter, the same as on the first point', () => {
    const a = new TestEditor()
    a.polygon.place(square, { close: 'first' })
    const b = new TestEditor()
    b.polygon.place(square, { close: 'enter' })
    expect(sameBytes(b.bytes(), a.bytes())).toBe(true)
  })

  it('subtracts with Alt (or Shift)', () => {
    const editor = new TestEditor()
    editor.bucket.fill(0, 0)
    expect(editor.count(1)).toBe(100 * 80)
    editor.polygon.place(square, { close: 'enter', alt: true })
    expect(editor.count(0)).toBe(1600)
    editor.undo()
    expect(editor.count(0)).toBe(0)
    editor.polygon.place(square, { close: 'first', shift: true })
    expect(editor.count(0)).toBe(1600)
  })

  it('Backspace removes the last point', () => {
    const editor = new TestEditor()
    editor.polygon.place([...square, [90, 70]], { close: 'none' })
    expect(editor.getSession().preview?.points).toHaveLength(5)
    editor.key('backspace')
    expect(editor.getSession().preview?.points).toHaveLength(4)
    editor.key('enter')
    const ref = new TestEditor()
    ref.polygon.place(square, { close: 'enter' })
    expect(sameBytes(editor.bytes(), ref.bytes())).toBe(true)
  })

  it('Escape cancels the polygon without touching the mask or history', () => {
    const editor = new TestEditor()
    editor.polygon.place(square, { close: 'none' })
    expect(editor.getToolPath()).toBe('polygon.placing')
    editor.key('escape')
    expect(editor.getToolPath()).toBe('polygon.idle')
    expect(editor.count(1)).toBe(0)
    expect(editor.canUndo()).toBe(false)
  })

  it('even-odd fill of a self-intersecting outline; huge coordinates are clipped', () => {
    const editor = new TestEditor()
    editor.polygon.place([[-1e6, -1e6], [1e6, -1e6], [1e6, 1e6], [-1e6, 1e6]], { close: 'enter' })
    expect(editor.count(1)).toBe(100 * 80)
  })
})

describe('bucket fill', () => {
  it('fills the inside of a closed outline and stops at it', () => {
    const editor = new TestEditor({ width: 100, height: 100 })
    editor.setClass(3)
    editor.brush.paint([[20, 20], [80, 20], [80, 80], [20, 80], [20, 20]], { size: 3 })
    const outline = editor.count(3)
    editor.setClass(5)
    editor.bucket.fill(50, 50)
    expect(editor.pixel(50, 50)).toBe(5)
    expect(editor.pixel(5, 5)).toBe(0)
    expect(editor.pixel(95, 50)).toBe(0)
    expect(editor.count(3)).toBe(outline)
    expect(editor.count(5)).toBe(57 * 57)
    editor.undo()
    expect(editor.count(5)).toBe(0)
    editor.redo()
    expect(editor.count(5)).toBe(57 * 57)
  })

  it('does nothing (and records nothing) on a region that already has the class', () => {
    const editor = new TestEditor()
    editor.bucket.fill(1, 1)
    editor.bucket.fill(2, 2)
    expect(editor.history.getUndoCount()).toBe(1)
  })
})

describe('clear and copy', () => {
  it('clears the frame, undoably', () => {
    const editor = new TestEditor()
    editor.brush.paint([[50, 40]], { size: 30 })
    const painted = editor.bytes()
    editor.key('delete')
    expect(editor.count(0)).toBe(100 * 80)
    editor.key('mod+z')
    expect(sameBytes(editor.bytes(), painted)).toBe(true)
  })

  it('copies the mask from the previous and the next frame', async () => {
    const editor = new TestEditor({ frames: 3 })
    editor.brush.paint([[20, 20]], { size: 9 })
    const first = editor.bytes(1)
    editor.selectFrame(2)
    editor.key('c')
    await Promise.resolve()
    expect(sameBytes(editor.bytes(2), first)).toBe(true)
    expect(editor.mockHost.called('getNeighborMask')[0].args).toEqual(['previous'])
    editor.undo()
    expect(editor.count(1, 2)).toBe(0)
    editor.selectFrame(3)
    editor.setClass(7)
    editor.brush.paint([[60, 60]], { size: 5 })
    editor.selectFrame(2)
    editor.key('shift+c')
    await Promise.resolve()
    expect(sameBytes(editor.bytes(2), editor.bytes(3))).toBe(true)
  })

  it('copyMaskFrom resamples a map of another size', () => {
    const editor = new TestEditor({ width: 100, height: 80 })
    const src = createLabelMap(50, 40)
    src.data.fill(2)
    editor.copyMaskFrom(src)
    expect(editor.count(2)).toBe(8000)
  })

  it('reverts to the model mask as an undoable edit', () => {
    const editor = new TestEditor()
    const model = createLabelMap(100, 80)
    model.data.fill(4, 0, 800)
    editor.setModelMask(1, model)
    editor.brush.paint([[50, 50]], { size: 10 })
    editor.runAction('mask.revertToModel')
    expect(sameBytes(editor.bytes(), model.data)).toBe(true)
    editor.undo()
    expect(editor.pixel(50, 50)).toBe(1)
  })
})

describe('clipping', () => {
  it('painting outside the frame is clipped: no throw, no wrap-around', () => {
    const editor = new TestEditor({ width: 100, height: 80 })
    editor.brush.paint([[-500, -500], [-20, -20]], { size: 20 })
    expect(editor.count(1)).toBe(0)
    expect(editor.canUndo()).toBe(false)
    editor.brush.paint([[105, 40]], { size: 20 })
    // Only columns 95..99 may be painted; a wrap would show up at the start of the next rows.
    let painted = 0
    for (let y = 0; y < 80; y++) for (let x = 0; x < 95; x++) painted += editor.pixel(x, y)
    expect(painted).toBe(0)
    expect(editor.pixel(99, 40)).toBe(1)
    editor.brush.paint([[50, 85]], { size: 20 })
    expect(editor.pixel(50, 79)).toBe(1)
    expect(() => editor.brush.paint([[NaN, 3], [Infinity, 4]], { size: 5 })).not.toThrow()
    expect(() => editor.bucket.fill(-5, 500)).not.toThrow()
  })

  it('a stroke that leaves and re-enters the frame paints the inside parts', () => {
    const editor = new TestEditor({ width: 100, height: 80 })
    editor.brush.paint([[10, 40], [-50, 40], [-50, 10], [10, 10]], { size: 3 })
    expect(editor.pixel(0, 40)).toBe(1)
    expect(editor.pixel(0, 10)).toBe(1)
    expect(editor.pixel(5, 25)).toBe(0)
  })
})

describe('classes', () => {
  it('AVSS paints a class id and refuses classes that do not exist', () => {
    const editor = new TestEditor({ task: 'avss' })
    editor.setClass(17)
    editor.brush.paint([[50, 40]], { size: 5 })
    expect(editor.pixel(50, 40)).toBe(17)
    editor.setClass(70)
    expect(() => editor.setClass(71)).toThrow(RangeError)
    expect(() => editor.setClass(0)).toThrow(RangeError)
    expect(() => editor.setClass(2.5)).toThrow(RangeError)
    expect(editor.getCurrentClass()).toBe(70)
    const bad = createLabelMap(100, 80)
    bad.data[5] = 71
    expect(() => editor.copyMaskFrom(bad)).toThrow(RangeError)
    expect(() => editor.loadFrame(9, bad)).toThrow(RangeError)
  })

  it('binary projects paint 1 and refuse any class above 1', () => {
    for (const task of ['s4', 'ms3'] as const) {
      const editor = new TestEditor({ task })
      expect(() => editor.setClass(2)).toThrow(RangeError)
      editor.brush.paint([[50, 40]], { size: 5 })
      expect(editor.pixel(50, 40)).toBe(1)
      const bad = createLabelMap(100, 80)
      bad.data[0] = 2
      expect(() => editor.loadFrame(1, bad)).toThrow(RangeError)
      expect(() => editor.fill(3, 3, 2)).toThrow(RangeError)
    }
  })

  it('number keys select recent classes without reordering them', () => {
    const editor = new TestEditor()
    editor.setClass(5)
    editor.setClass(9)
    editor.setClass(12)
    expect(editor.getSession().recentClasses).toEqual([12, 9, 5, 1])
    editor.key('3')
    expect(editor.getCurrentClass()).toBe(5)
    editor.key('1')
    expect(editor.getCurrentClass()).toBe(12)
    expect(editor.getSession().recentClasses).toEqual([12, 9, 5, 1])
    editor.key('9')
    expect(editor.getCurrentClass()).toBe(12)
  })
})

describe('change events and commits', () => {
  it('each move reports its dirty rect; each finished gesture commits once', () => {
    const editor = new TestEditor({ width: 200, height: 100 })
    const rects: unknown[] = []
    const off = editor.subscribe((c) => {
      if (c.kind === 'mask') rects.push(c.rect)
    })
    editor.brush.paint([[10, 10], [20, 10], [30, 10]], { size: 5, end: false })
    expect(rects).toEqual([
      { x0: 8, y0: 8, x1: 13, y1: 13 },
      { x0: 8, y0: 8, x1: 23, y1: 13 },
      { x0: 18, y0: 8, x1: 33, y1: 13 }
    ])
    expect(editor.commits).toHaveLength(0)
    editor.pointerUp(30, 10)
    expect(editor.commits).toHaveLength(1)
    editor.polygon.place([[50, 50], [90, 50], [70, 90]], { close: 'enter' })
    editor.bucket.fill(150, 20)
    expect(editor.commits.map((c) => c.frameId)).toEqual([1, 1, 1])
    off()
  })
})
