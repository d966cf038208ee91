import { describe, expect, it } from 'vitest'
import { editorActions } from '../../../src/renderer/src/editor/actions/editorActions'
import { comboFromEvent, displayCombo, normalizeBinding } from '../../../src/renderer/src/editor/actions/keys'
import { ActionRegistry, bindingsOf, defineAction, findDuplicateBindings } from '../../../src/renderer/src/editor/actions/register'
import { TestEditor } from './TestEditor'

describe('action registry', () => {
  it('has no duplicate key bindings and no duplicate ids', () => {
    expect(findDuplicateBindings(editorActions)).toEqual([])
    expect(new Set(editorActions.map((a) => a.id)).size).toBe(editorActions.length)
    expect(() => new ActionRegistry(editorActions)).not.toThrow()
  })

  it('fails on a duplicate binding (the check the test above relies on)', () => {
    const clash = defineAction({ id: 'test.clash', label: 'Clash', group: 'Edit', kbd: 'Ctrl+Y', run: () => undefined })
    const dups = findDuplicateBindings([...editorActions, clash])
    expect(dups).toEqual([{ combo: 'mod+y', actionIds: ['history.redo', 'test.clash'] }])
    expect(() => new ActionRegistry([...editorActions, clash])).toThrow(/duplicate key bindings: mod\+y/)
  })

  it('binds everything the issue asks for', () => {
    const reg = new ActionRegistry(editorActions)
    const expected: Record<string, string> = {
      b: 'tool.brush',
      e: 'tool.eraser',
      p: 'tool.polygon',
      f: 'tool.fill',
      '[': 'brush.smaller',
      ']': 'brush.bigger',
      'mod+z': 'history.undo',
      'mod+shift+z': 'history.redo',
      'mod+y': 'history.redo',
      h: 'view.toggleMask',
      o: 'view.toggleOutline',
      delete: 'mask.clear',
      c: 'mask.copyFromPrevious',
      'shift+c': 'mask.copyFromNext',
      a: 'review.accept',
      r: 'review.reject',
      n: 'review.nextNeedingReview',
      'shift+a': 'review.acceptClip',
      space: 'playback.toggle',
      s: 'playback.playSecond',
      arrowleft: 'frame.previous',
      arrowright: 'frame.next',
      escape: 'edit.cancel',
      '?': 'help.shortcuts'
    }
    for (const [combo, id] of Object.entries(expected)) expect(reg.forCombo(combo)?.id, combo).toBe(id)
    for (let n = 1; n <= 9; n++) expect(reg.forCombo(String(n))?.id).toBe(`class.recent${n}`)
  })

  it('normalises bindings and events the same way', () => {
    expect(normalizeBinding('Ctrl+Shift+Z')).toBe('mod+shift+z')
    expect(comboFromEvent('Z', { meta: true, shift: true })).toBe('mod+shift+z')
    expect(comboFromEvent('?', { shift: true })).toBe('?')
    expect(comboFromEvent(' ', {})).toBe('space')
    expect(comboFromEvent('ArrowLeft', {})).toBe('arrowleft')
    expect(() => normalizeBinding('shift+[')).toThrow()
    expect(() => normalizeBinding('hyper+x')).toThrow()
    expect(() => defineAction({ id: 'NoDomain', label: 'x', group: 'Edit', run: () => undefined })).toThrow()
  })

  it('builds the help sheet from the registry', () => {
    const editor = new TestEditor()
    const sheet = editor.actions.helpSheet()
    const redo = sheet.flatMap((g) => g.items).find((i) => i.id === 'history.redo')
    expect(redo?.keys).toEqual(['Ctrl+Shift+Z', 'Ctrl+Y'])
    expect(sheet.map((g) => g.group)).toContain('Review')
    expect(displayCombo('mod+shift+z', true)).toBe('⌘⇧Z')
    const total = sheet.reduce((n, g) => n + g.items.length, 0)
    expect(total).toBe(editorActions.length)
    expect(bindingsOf(editorActions[0])).toEqual(['b'])
  })
})

describe('keyboard dispatch', () => {
  it('switches tools', () => {
    const editor = new TestEditor()
    for (const [key, tool] of [['e', 'eraser'], ['p', 'polygon'], ['f', 'fill'], ['b', 'brush']] as const) {
      expect(editor.key(key)).toBe(true)
      expect(editor.getTool()).toBe(tool)
    }
    expect(editor.key('x')).toBe(false)
  })

  it('view toggles are session state: not undoable', () => {
    const editor = new TestEditor()
    editor.key('h')
    editor.key('o')
    editor.key('m')
    const s = editor.getSession()
    expect([s.maskHidden, s.outlineOnly, s.modelMaskMode]).toEqual([true, true, 'over'])
    expect(editor.canUndo()).toBe(false)
  })

  it('review keys: accept, reject with comment, accept clip, next needing review', async () => {
    const editor = new TestEditor({ frames: 3 })
    editor.key('a')
    expect(editor.getStatus(1)).toEqual({ status: 'accepted', comment: null })
    editor.selectFrame(2)
    editor.mockHost.rejectComment = 'dog is silent here'
    editor.key('r')
    await new Promise((r) => setTimeout(r, 0))
    expect(editor.getStatus(2)).toEqual({ status: 'rejected', comment: 'dog is silent here' })
    editor.mockHost.rejectComment = null
    editor.selectFrame(3)
    editor.key('r')
    await new Promise((r) => setTimeout(r, 0))
    expect(editor.getStatus(3)?.status).toBe('auto')
    editor.key('shift+a')
    expect(editor.frameIds.map((id) => editor.getStatus(id)?.status)).toEqual(['accepted', 'accepted', 'accepted'])
    expect(editor.statusCommits.at(-1)?.map((c) => c.frameId)).toEqual([2, 3])
    editor.key('mod+z')
    expect(editor.frameIds.map((id) => editor.getStatus(id)?.status)).toEqual(['accepted', 'rejected', 'auto'])
    editor.key('n')
    expect(editor.mockHost.called('goToNextNeedingReview')).toHaveLength(1)
  })

  it('navigation, playback and help go to the host', () => {
    const editor = new TestEditor()
    editor.key('arrowleft')
    editor.key('arrowright')
    editor.key('s')
    editor.key('?', { shift: true })
    expect(editor.mockHost.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['goToFrame', 'previous'],
      ['goToFrame', 'next'],
      ['playCurrentSecond'],
      ['showHelp']
    ])
  })

  it('space tapped toggles playback; space-drag pans instead', () => {
    const editor = new TestEditor()
    editor.key('space')
    expect(editor.mockHost.called('togglePlay')).toHaveLength(1)
    editor.keyDown(' ')
    editor.keyDown(' ', { repeat: true })
    editor.pointerDown(10, 10)
    editor.pointerMove(20, 15)
    editor.pointerUp(20, 15)
    editor.keyUp(' ')
    expect(editor.mockHost.called('togglePlay')).toHaveLength(1)
    expect(editor.count(1)).toBe(0)
    expect(editor.getSession().panX).toBe(10)
    expect(editor.getSession().panY).toBe(5)
  })

  it('the tool state sees keys first (Enter/Backspace while placing), then the registry', () => {
    const editor = new TestEditor()
    editor.polygon.place([[10, 10], [40, 10], [40, 40]], { close: 'none' })
    editor.key('backspace')
    expect(editor.getSession().preview?.points).toHaveLength(2)
    editor.key('b')
    expect(editor.getTool()).toBe('brush')
    expect(editor.getSession().preview).toBeNull()
    expect(editor.count(1)).toBe(0)
  })

  it('held keys repeat only where repeating makes sense', () => {
    const editor = new TestEditor()
    editor.setBrushSize(10)
    editor.key(']', { repeat: true })
    expect(editor.getSession().brushSize).toBe(11)
    editor.key('a', { repeat: true })
    expect(editor.getStatus(1)?.status).toBe('auto')
  })

  it('errors from async actions reach the host', async () => {
    const editor = new TestEditor({ frames: 1 })
    editor.mockHost.getNeighborMask = () => {
      throw new Error('offline')
    }
    editor.key('c')
    await new Promise((r) => setTimeout(r, 0))
    expect(editor.mockHost.called('reportError')).toHaveLength(1)
  })
})

describe('camera', () => {
  it('zooms to the cursor and fits the frame', () => {
    const editor = new TestEditor({ width: 200, height: 100 })
    editor.setViewport(400, 400)
    editor.fitToViewport()
    expect(editor.getSession().zoom).toBe(2)
    expect(editor.frameToScreen(0, 0)).toEqual({ x: 0, y: 100 })
    const before = editor.screenToFrame(123, 222)
    editor.zoomAt(123, 222, 1.7)
    const after = editor.screenToFrame(123, 222)
    expect(after.x).toBeCloseTo(before.x, 9)
    expect(after.y).toBeCloseTo(before.y, 9)
    expect(editor.getCloseDistance()).toBeCloseTo(8 / 3.4, 9)
  })
})

describe('unhandled keys', () => {
  it('Escape with nothing in progress is not consumed (dialogs may use it)', () => {
    const editor = new TestEditor()
    expect(editor.key('escape')).toBe(false)
    editor.brush.paint([[10, 10]], { end: false })
    expect(editor.key('escape')).toBe(true)
  })
})

describe('focus loss', () => {
  it('releaseKeys forgets a held Space so clicks paint again', () => {
    const editor = new TestEditor()
    editor.keyDown(' ')
    editor.releaseKeys()
    editor.brush.paint([[10, 10]], { size: 3 })
    expect(editor.count(1)).toBe(9)
  })
})
