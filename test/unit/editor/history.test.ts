import { describe, expect, it } from 'vitest'
import { decodeTile, encodeTile, HistoryManager, type HistoryJSON } from '../../../src/renderer/src/editor/history/HistoryManager'
import { decodeBase64, encodeBase64 } from '../../../src/renderer/src/editor/history/base64'
import { createLabelMap } from '../../../src/renderer/src/editor/types'
import { sameBytes, TestEditor } from './TestEditor'

describe('undo / redo', () => {
  it('undoes and redoes each kind of edit exactly', () => {
    const editor = new TestEditor()
    const states: Uint8Array[] = [editor.bytes()]
    editor.brush.paint([[10, 10], [60, 30]], { size: 7 })
    states.push(editor.bytes())
    editor.eraser.erase([[30, 20]], { size: 9 })
    states.push(editor.bytes())
    editor.polygon.place([[50, 50], [90, 50], [70, 75]], { close: 'enter' })
    states.push(editor.bytes())
    editor.setClass(8)
    editor.bucket.fill(0, 79)
    states.push(editor.bytes())
    editor.clearFrame()
    states.push(editor.bytes())
    for (let i = states.length - 2; i >= 0; i--) {
      expect(editor.undo()).toBe(true)
      expect(sameBytes(editor.bytes(), states[i])).toBe(true)
    }
    expect(editor.undo()).toBe(false)
    for (let i = 1; i < states.length; i++) {
      expect(editor.redo()).toBe(true)
      expect(sameBytes(editor.bytes(), states[i])).toBe(true)
    }
    expect(editor.redo()).toBe(false)
  })

  it('Ctrl+Z, Ctrl+Shift+Z and Ctrl+Y go through the registry', () => {
    const editor = new TestEditor()
    editor.brush.paint([[10, 10]], { size: 5 })
    expect(editor.key('mod+z')).toBe(true)
    expect(editor.count(1)).toBe(0)
    editor.key('mod+shift+z')
    expect(editor.count(1)).toBeGreaterThan(0)
    editor.key('mod+z')
    editor.key('mod+y')
    expect(editor.count(1)).toBeGreaterThan(0)
    editor.key('meta+z')
    expect(editor.count(1)).toBe(0)
  })

  it('a new edit clears the redo stack', () => {
    const editor = new TestEditor()
    editor.brush.paint([[10, 10]], { size: 5 })
    editor.undo()
    editor.brush.paint([[40, 40]], { size: 5 })
    expect(editor.canRedo()).toBe(false)
  })

  it('one stroke of many moves is one undo step; undo and redo commit the frame', () => {
    const editor = new TestEditor()
    const pts: [number, number][] = Array.from({ length: 50 }, (_, i) => [i * 2, 40])
    editor.brush.paint(pts, { size: 5 })
    expect(editor.history.getUndoCount()).toBe(1)
    expect(editor.commits).toHaveLength(1)
    editor.undo()
    expect(editor.commits).toHaveLength(2)
    expect(editor.commits[1].bytes.every((v) => v === 0)).toBe(true)
  })

  it('undo works on a frame other than the current one', () => {
    const editor = new TestEditor()
    editor.brush.paint([[10, 10]], { size: 5 })
    editor.selectFrame(2)
    editor.undo()
    expect(editor.count(1, 1)).toBe(0)
    editor.redo()
    expect(editor.count(1, 1)).toBeGreaterThan(0)
    // Painting on frame 1 again after a redo made while frame 2 was current stays consistent.
    editor.selectFrame(1)
    editor.eraser.erase([[10, 10]], { size: 20 })
    editor.undo()
    expect(editor.count(1, 1)).toBeGreaterThan(0)
  })

  it('review status is undoable document state and is committed', () => {
    const editor = new TestEditor()
    editor.key('a')
    expect(editor.getStatus(1)?.status).toBe('accepted')
    expect(editor.statusCommits.at(-1)).toEqual([{ frameId: 1, status: 'accepted', comment: null }])
    editor.key('mod+z')
    expect(editor.getStatus(1)?.status).toBe('auto')
    expect(editor.statusCommits.at(-1)).toEqual([{ frameId: 1, status: 'auto', comment: null }])
    editor.key('mod+y')
    expect(editor.getStatus(1)?.status).toBe('accepted')
  })
})

describe('Escape mid-gesture', () => {
  it('restores the exact bytes from before the stroke, records and commits nothing', () => {
    const editor = new TestEditor({ width: 300, height: 200 })
    editor.brush.paint([[50, 50], [250, 150]], { size: 25 })
    const before = editor.bytes()
    const commits = editor.commits.length
    editor.setClass(4)
    editor.brush.paint([[10, 190], [150, 10], [290, 190], [20, 100]], { size: 60, end: false })
    expect(sameBytes(editor.bytes(), before)).toBe(false)
    expect(editor.getToolPath()).toBe('brush.painting')
    expect(editor.key('escape')).toBe(true)
    expect(editor.getToolPath()).toBe('brush.idle')
    expect(sameBytes(editor.bytes(), before)).toBe(true)
    expect(editor.history.getUndoCount()).toBe(1)
    expect(editor.commits).toHaveLength(commits)
    // Later moves/ups of the cancelled pointer do nothing.
    editor.pointerMove(100, 100)
    editor.pointerUp(100, 100)
    expect(sameBytes(editor.bytes(), before)).toBe(true)
    editor.undo()
    expect(editor.count(0)).toBe(300 * 200)
  })

  it('undo during a stroke cancels the stroke only', () => {
    const editor = new TestEditor()
    editor.brush.paint([[10, 10]], { size: 5 })
    const after1 = editor.bytes()
    editor.eraser.erase([[10, 10], [50, 50]], { size: 30, end: false })
    editor.key('mod+z')
    expect(sameBytes(editor.bytes(), after1)).toBe(true)
    expect(editor.history.getUndoCount()).toBe(1)
  })
})

describe('history limit', () => {
  it('keeps 200 steps: the 201st drops the oldest', () => {
    const editor = new TestEditor({ width: 300, height: 10 })
    for (let i = 0; i < 201; i++) editor.brush.paint([[i + 0.5, 5]], { size: 1 })
    expect(editor.history.getUndoCount()).toBe(200)
    while (editor.undo());
    // The first dab is no longer undoable; all others are.
    expect(editor.pixel(0, 5)).toBe(1)
    expect(editor.count(1)).toBe(1)
  })

  it('the limit is configurable', () => {
    const editor = new TestEditor({ historyLimit: 3 })
    for (let i = 0; i < 5; i++) editor.brush.paint([[i * 10 + 5, 5]], { size: 1 })
    expect(editor.history.getUndoCount()).toBe(3)
    editor.history.setLimit(2)
    expect(editor.history.getUndoCount()).toBe(2)
  })

  it('a long stroke does not evict older steps while it is in progress', () => {
    const editor = new TestEditor({ historyLimit: 3, width: 400 })
    for (let i = 0; i < 3; i++) editor.brush.paint([[i * 10 + 5, 5]], { size: 1 })
    const pts: [number, number][] = Array.from({ length: 300 }, (_, i) => [i, 50])
    editor.brush.paint(pts, { size: 3, end: false })
    expect(editor.history.getUndoCount()).toBeLessThanOrEqual(4)
    editor.key('escape')
    expect(editor.history.getUndoCount()).toBe(3)
  })
})

describe('dirty tiles', () => {
  it('stores before and after of the touched 64×64 tiles only', () => {
    const editor = new TestEditor({ width: 1920, height: 1080, frames: 1 })
    editor.brush.paint([[300, 300]], { size: 10 })
    expect(editor.history.byteSize()).toBe(2 * 64 * 64)
    editor.brush.paint([[64, 64]], { size: 10 })
    expect(editor.history.byteSize()).toBe(2 * 64 * 64 + 4 * 2 * 64 * 64)
    editor.brush.paint([[1919, 1079]], { size: 4 })
    // Bottom-right tile is 64 × 56 (1080 = 16·64 + 56).
    expect(editor.history.byteSize()).toBe(5 * 2 * 64 * 64 + 2 * 64 * 56)
    // Clearing an almost empty frame stores only tiles that held paint.
    editor.clearFrame()
    expect(editor.history.byteSize()).toBe(2 * (5 * 2 * 64 * 64 + 2 * 64 * 56))
  })

  it('a stroke that paints over its own pixels stores each tile once', () => {
    const editor = new TestEditor({ width: 640, height: 640, frames: 1 })
    const pts: [number, number][] = []
    for (let i = 0; i < 100; i++) pts.push([10 + (i % 2) * 40, 10])
    editor.brush.paint(pts, { size: 5 })
    expect(editor.history.byteSize()).toBe(2 * 64 * 64)
  })
})

describe('serialisation', () => {
  it('round-trips through JSON and keeps undo/redo working after a "restart"', () => {
    const a = new TestEditor({ frames: 2 })
    a.brush.paint([[10, 10], [90, 70]], { size: 9 })
    a.setClass(6)
    a.polygon.place([[5, 60], [40, 60], [20, 75]], { close: 'enter' })
    a.key('a')
    a.selectFrame(2)
    a.bucket.fill(3, 3)
    a.undo()
    const json = JSON.parse(JSON.stringify(a.exportHistory())) as HistoryJSON
    expect(json.undos).toHaveLength(3)
    expect(json.redos).toHaveLength(1)

    // Restart: the frames come back from the database in their saved state, then the history.
    const b = new TestEditor({ frames: 2 })
    b.loadFrame(1, { ...a.map, data: a.bytes(1) }, { select: false })
    b.loadStatuses([{ frameId: 1, status: 'accepted' }])
    b.importHistory(json)
    b.redo()
    expect(b.count(6, 2)).toBe(100 * 80)
    b.undo()
    b.undo()
    expect(b.getStatus(1)?.status).toBe('auto')
    b.undo()
    a.selectFrame(1)
    a.undo()
    a.undo()
    expect(sameBytes(b.bytes(1), a.bytes(1))).toBe(true)
    b.undo()
    expect(b.count(0, 1)).toBe(100 * 80)
    expect(new HistoryManager(() => undefined).toJSON().undos).toEqual([])
  })

  it('refuses a corrupt history', () => {
    const editor = new TestEditor()
    expect(() => editor.importHistory({ version: 99, limit: 200, undos: [], redos: [] })).toThrow()
    const bad = { version: 1, limit: 200, undos: [[{ kind: 'mask', frameId: 1, width: 100, height: 80, tiles: [{ x: 0, y: 0, w: 64, h: 64, before: 'b:AAAA', after: 'b:AAAA' }] }]], redos: [] }
    expect(() => editor.importHistory(bad as HistoryJSON)).toThrow()
  })

  it('tiles are run-length encoded when that is shorter', () => {
    const flat = new Uint8Array(4096).fill(3)
    expect(encodeTile(flat).length).toBeLessThan(60)
    expect(decodeTile(encodeTile(flat), 4096)).toEqual(flat)
    const noisy = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 71)
    expect(encodeTile(noisy).startsWith('b:')).toBe(true)
    expect(decodeTile(encodeTile(noisy), 4096)).toEqual(noisy)
    const runs = Uint8Array.from({ length: 4096 }, (_, i) => (i % 64 < 20 ? 0 : 5))
    expect(decodeTile(encodeTile(runs), 4096)).toEqual(runs)
    expect(() => decodeTile('r:' + encodeBase64(new Uint8Array([1, 255])), 4096)).toThrow()
  })

  it('a memory budget drops the oldest steps but keeps the newest', () => {
    let h = 0
    const history = new HistoryManager(() => h++, { limit: 200, maxBytes: 3 * 2 * 4096 })
    const tile = { x: 0, y: 0, w: 64, h: 64, before: new Uint8Array(4096), after: new Uint8Array(4096).fill(1) }
    for (let i = 0; i < 5; i++) history.record({ kind: 'mask', frameId: 1, width: 64, height: 64, tiles: [{ ...tile }] })
    expect(history.getUndoCount()).toBe(3)
    const big = new HistoryManager(() => h++, { maxBytes: 10 })
    big.record({ kind: 'mask', frameId: 1, width: 64, height: 64, tiles: [{ ...tile }] })
    expect(big.getUndoCount()).toBe(1)
  })

  it('base64 round-trips every length', () => {
    for (let n = 0; n < 20; n++) {
      const bytes = Uint8Array.from({ length: n * 7 + (n % 3) }, (_, i) => (i * 37 + n) & 255)
      expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes)
    }
    expect(encodeBase64(new Uint8Array([0, 1, 2, 3]))).toBe('AAECAw==')
  })

  it('a frame loaded at another size ignores stale patches instead of corrupting', () => {
    const editor = new TestEditor()
    editor.brush.paint([[10, 10]], { size: 5 })
    editor.loadFrame(1, createLabelMap(50, 50))
    expect(() => editor.undo()).not.toThrow()
    expect(editor.count(0)).toBe(2500)
  })
})

describe('frame switches mid-gesture', () => {
  it('loading another frame during a stroke cancels the stroke on the frame it belongs to', () => {
    const editor = new TestEditor({ frames: 2 })
    editor.brush.paint([[10, 10]], { size: 5 })
    const before = editor.bytes(1)
    editor.brush.paint([[30, 30], [60, 60]], { size: 9, end: false })
    editor.loadFrame(2, createLabelMap(100, 80))
    expect(sameBytes(editor.bytes(1), before)).toBe(true)
    expect(editor.getCurrentFrameId()).toBe(2)
    expect(editor.getHistoryFrameIds()).toEqual([1])
    editor.undo()
    expect(editor.count(1, 1)).toBe(0)
  })
})

describe('background loads', () => {
  it('loading another frame with select: false keeps the stroke in progress', () => {
    const editor = new TestEditor({ frames: 2 })
    editor.brush.paint([[30, 30], [60, 60]], { size: 9, end: false })
    editor.loadFrame(3, createLabelMap(100, 80), { select: false })
    editor.pointerMove(80, 60)
    editor.pointerUp(80, 60)
    expect(editor.pixel(80, 60)).toBe(1)
    expect(editor.getCurrentFrameId()).toBe(1)
    expect(editor.history.getUndoCount()).toBe(1)
  })
})
