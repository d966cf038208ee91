import { useEffect, useState } from 'react'
import type { Editor, EditorChange, SessionState } from '../editor'

const SESSION_UI_KEYS = new Set<keyof SessionState>([
  'tool',
  'brushSize',
  'classId',
  'recentClasses',
  'overlayOpacity',
  'outlineOnly',
  'maskHidden',
  'modelMaskMode',
  'zoom'
])

/** What React shows from the editor (toolbar, badges) — never the per-pointer-move cursor/preview. */
export function isUiChange(c: EditorChange): boolean {
  if (c.kind === 'session') return c.keys.some((k) => SESSION_UI_KEYS.has(k))
  return c.kind !== 'mask'
}

/** Re-renders the caller when the editor changes in a way `filter` cares about. */
export function useEditorTick(editor: Editor, filter: (c: EditorChange) => boolean = isUiChange): number {
  const [tick, setTick] = useState(0)
  useEffect(() => editor.subscribe((c) => filter(c) && setTick((t) => t + 1)), [editor, filter])
  return tick
}
