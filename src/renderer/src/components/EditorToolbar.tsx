import { useMemo } from 'react'
import { MAX_BRUSH, MIN_BRUSH, type Editor, type ModelMaskMode, type ToolId } from '../editor'
import type { WriteState } from '../queries/maskWrites'
import { ClassPicker } from './ClassPicker'

const TOOLS: { id: ToolId; label: string; icon: string }[] = [
  { id: 'brush', label: 'Brush', icon: '🖌' },
  { id: 'eraser', label: 'Eraser', icon: '⌫' },
  { id: 'polygon', label: 'Polygon', icon: '⬠' },
  { id: 'fill', label: 'Bucket fill', icon: '▨' }
]

/** Every toolbar button runs an action of the editor's registry; titles show its keys. */
export function EditorToolbar({ editor, saveState, hasModelMask }: { editor: Editor; saveState: WriteState; hasModelMask: boolean }) {
  const keysById = useMemo(() => {
    const m = new Map<string, string>()
    for (const g of editor.actions.helpSheet()) for (const i of g.items) if (i.keys.length) m.set(i.id, i.keys.join(' / '))
    return m
  }, [editor])
  const tip = (id: string, label: string): string => (keysById.has(id) ? `${label} (${keysById.get(id)})` : label)
  const s = editor.getSession()
  const run = (id: string) => () => void editor.runAction(id)

  return (
    <div className="editor-toolbar" data-testid="editor-toolbar" role="toolbar" aria-label="Mask tools">
      <div className="tool-group">
        {TOOLS.map((t) => (
          <button
            key={t.id}
            type="button"
            className={s.tool === t.id ? 'primary' : 'ghost'}
            aria-pressed={s.tool === t.id}
            onClick={run(`tool.${t.id}`)}
            title={tip(`tool.${t.id}`, t.label)}
            data-testid={`tool-${t.id}`}
          >
            <span aria-hidden>{t.icon}</span> {t.label}
          </button>
        ))}
      </div>
      <label className="slider" title={tip('brush.bigger', 'Brush size')}>
        Size
        <input type="range" min={MIN_BRUSH} max={MAX_BRUSH} value={s.brushSize} onChange={(e) => editor.setBrushSize(Number(e.target.value))} data-testid="brush-size" />
        <span className="num">{s.brushSize}</span>
      </label>
      {editor.task === 'avss' ? <ClassPicker editor={editor} /> : <span className="badge binary-class" title="Binary project: paint the sounding object">sounding object</span>}
      <div className="tool-group">
        <button type="button" className="ghost" disabled={!editor.canUndo()} onClick={run('history.undo')} title={tip('history.undo', 'Undo')} data-testid="undo">
          ↶
        </button>
        <button type="button" className="ghost" disabled={!editor.canRedo()} onClick={run('history.redo')} title={tip('history.redo', 'Redo')} data-testid="redo">
          ↷
        </button>
        <button type="button" className="ghost" onClick={run('mask.clear')} title={tip('mask.clear', 'Clear frame')} data-testid="mask-clear">
          Clear
        </button>
        <button type="button" className="ghost" onClick={run('mask.copyFromPrevious')} title={tip('mask.copyFromPrevious', 'Copy mask from previous frame')} data-testid="copy-prev">
          ⇤ Copy prev
        </button>
        <button type="button" className="ghost" onClick={run('mask.copyFromNext')} title={tip('mask.copyFromNext', 'Copy mask from next frame')} data-testid="copy-next">
          Copy next ⇥
        </button>
        <button type="button" className="ghost" disabled={!hasModelMask} onClick={run('mask.revertToModel')} title="Revert frame to the model's mask" data-testid="revert-model">
          Revert to model
        </button>
      </div>
      <div className="tool-group view-group">
        <label className="slider" title="Mask opacity">
          Opacity
          <input type="range" min={0} max={100} value={Math.round(s.overlayOpacity * 100)} onChange={(e) => editor.setOverlayOpacity(Number(e.target.value) / 100)} data-testid="mask-opacity" />
        </label>
        <label title={tip('view.toggleOutline', 'Outline only')}>
          <input type="checkbox" checked={s.outlineOnly} onChange={run('view.toggleOutline')} data-testid="outline-only" /> Outline
        </label>
        <label title={tip('view.toggleMask', 'Hide mask')}>
          <input type="checkbox" checked={s.maskHidden} onChange={run('view.toggleMask')} data-testid="mask-hidden" /> Hide
        </label>
        <label title={tip('view.cycleModelMask', "The model's mask")}>
          Model
          <select value={s.modelMaskMode} onChange={(e) => editor.setModelMaskMode(e.target.value as ModelMaskMode)} data-testid="model-mode">
            <option value="off">off</option>
            <option value="over">over</option>
            <option value="beside">beside</option>
          </select>
        </label>
        <button type="button" className="ghost" onClick={run('view.fit')} title={tip('view.fit', 'Fit to window')} data-testid="fit">
          Fit <span className="num muted" data-testid="zoom" data-zoom={s.zoom}>{Math.round(s.zoom * 100)} %</span>
        </button>
        <button type="button" className="ghost" onClick={run('help.shortcuts')} title={tip('help.shortcuts', 'Keyboard shortcuts')} data-testid="help-open">
          ?
        </button>
      </div>
      <span
        className={`save-state${saveState.error ? ' error' : ''}`}
        data-testid="save-state"
        data-state={saveState.error ? 'error' : saveState.pending > 0 ? 'saving' : 'saved'}
        title={saveState.error ?? 'Every edit is saved as a new revision'}
      >
        {saveState.error ? 'Not saved' : saveState.pending > 0 ? 'Saving…' : 'Saved'}
      </span>
    </div>
  )
}
