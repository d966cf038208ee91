/** Every editor command, once. Shortcuts, menus and the help sheet all come from this list. */
import { defineAction, type Action } from './register'

const tool = (id: 'brush' | 'eraser' | 'polygon' | 'fill', label: string, kbd: string): Action =>
  defineAction({ id: `tool.${id}`, label, group: 'Tools', kbd, run: (e) => e.setTool(id) })

const recentClass = (n: number): Action =>
  defineAction({
    id: `class.recent${n}`,
    label: `Recent class ${n}`,
    group: 'Classes',
    kbd: String(n),
    enabled: (e) => e.getSession().recentClasses.length >= n,
    run: (e) => e.selectRecentClass(n)
  })

export const editorActions: readonly Action[] = [
  tool('brush', 'Brush', 'b'),
  tool('eraser', 'Eraser', 'e'),
  tool('polygon', 'Polygon', 'p'),
  tool('fill', 'Bucket fill', 'f'),

  defineAction({ id: 'brush.smaller', label: 'Smaller brush', group: 'Brush', kbd: '[', run: (e) => e.stepBrushSize(-1) }),
  defineAction({ id: 'brush.bigger', label: 'Bigger brush', group: 'Brush', kbd: ']', run: (e) => e.stepBrushSize(1) }),

  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map(recentClass),

  defineAction({ id: 'history.undo', label: 'Undo', group: 'Edit', kbd: 'mod+z', enabled: (e) => e.canUndo() || e.isInGesture(), run: (e) => void e.undo() }),
  defineAction({ id: 'history.redo', label: 'Redo', group: 'Edit', kbd: ['mod+shift+z', 'mod+y'], enabled: (e) => e.canRedo(), run: (e) => void e.redo() }),
  defineAction({ id: 'edit.cancel', label: 'Cancel stroke / polygon', group: 'Edit', kbd: 'escape', enabled: (e) => e.isInGesture() || e.getSession().panning, run: (e) => void e.cancel() }),
  defineAction({ id: 'mask.clear', label: 'Clear frame', group: 'Edit', kbd: 'delete', enabled: (e) => e.getCurrentFrameId() !== null, run: (e) => e.clearFrame() }),
  defineAction({
    id: 'mask.copyFromPrevious',
    label: 'Copy mask from previous frame',
    group: 'Edit',
    kbd: 'c',
    run: async (e) => {
      const map = await e.requireHost().getNeighborMask('previous')
      if (map) e.copyMaskFrom(map)
    }
  }),
  defineAction({
    id: 'mask.copyFromNext',
    label: 'Copy mask from next frame',
    group: 'Edit',
    kbd: 'shift+c',
    run: async (e) => {
      const map = await e.requireHost().getNeighborMask('next')
      if (map) e.copyMaskFrom(map)
    }
  }),
  defineAction({
    id: 'mask.revertToModel',
    label: "Revert frame to the model's mask",
    group: 'Edit',
    enabled: (e) => e.getModelMask() !== null,
    run: (e) => e.revertToModel()
  }),

  defineAction({ id: 'view.toggleMask', label: 'Hide / show mask', group: 'View', kbd: 'h', run: (e) => e.toggleMaskHidden() }),
  defineAction({ id: 'view.toggleOutline', label: 'Outline only', group: 'View', kbd: 'o', run: (e) => e.toggleOutlineOnly() }),
  defineAction({ id: 'view.cycleModelMask', label: "Model's mask: off / over / beside", group: 'View', kbd: 'm', run: (e) => e.cycleModelMaskMode() }),
  defineAction({ id: 'view.fit', label: 'Fit frame to window', group: 'View', kbd: 'shift+f', run: (e) => e.fitToViewport() }),

  defineAction({
    id: 'review.accept',
    label: 'Accept frame',
    group: 'Review',
    kbd: 'a',
    enabled: (e) => e.getCurrentFrameId() !== null,
    run: (e) => e.setStatus([e.getCurrentFrameId() as number], 'accepted')
  }),
  defineAction({
    id: 'review.reject',
    label: 'Reject frame (with comment)',
    group: 'Review',
    kbd: 'r',
    enabled: (e) => e.getCurrentFrameId() !== null,
    run: async (e) => {
      const frameId = e.getCurrentFrameId()
      if (frameId === null) return
      const host = e.requireHost()
      const comment = host.promptRejectComment ? await host.promptRejectComment() : ''
      if (comment === null) return
      e.setStatus([frameId], 'rejected', comment === '' ? null : comment)
    }
  }),
  defineAction({ id: 'review.nextNeedingReview', label: 'Next frame needing review', group: 'Review', kbd: 'n', run: (e) => e.requireHost().goToNextNeedingReview() }),
  defineAction({
    id: 'review.acceptClip',
    label: 'Accept whole clip',
    group: 'Review',
    kbd: 'shift+a',
    run: (e) => {
      const ids = e.requireHost().getClipFrameIds()
      if (ids.length > 0) e.setStatus(ids, 'accepted')
    }
  }),

  // Space is dispatched on key-up so that space-drag can pan instead (see Editor.keyUp).
  defineAction({ id: 'playback.toggle', label: 'Play / pause audio', group: 'Playback', kbd: 'space', run: (e) => e.requireHost().togglePlay() }),
  defineAction({ id: 'playback.playSecond', label: 'Play the current second', group: 'Playback', kbd: 's', run: (e) => e.requireHost().playCurrentSecond() }),

  defineAction({ id: 'frame.previous', label: 'Previous frame', group: 'Navigation', kbd: 'arrowleft', run: (e) => e.requireHost().goToFrame('previous') }),
  defineAction({ id: 'frame.next', label: 'Next frame', group: 'Navigation', kbd: 'arrowright', run: (e) => e.requireHost().goToFrame('next') }),

  defineAction({ id: 'help.shortcuts', label: 'Keyboard shortcuts', group: 'Help', kbd: '?', run: (e) => e.requireHost().showHelp?.() })
]
