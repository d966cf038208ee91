import { useState } from 'react'
import { AVSS_CLASS_NAMES, paletteHex, type Editor } from '../editor'

/** AVSS: pick the class to paint by name (palette colour beside it); recent classes sit on keys 1–9. */
export function ClassPicker({ editor }: { editor: Editor }) {
  const [query, setQuery] = useState('')
  const [open, setOpen] = useState(false)
  const s = editor.getSession()
  const q = query.trim().toLowerCase()
  const matches = AVSS_CLASS_NAMES.map((name, id) => ({ id, name })).filter((c) => c.id > 0 && (!q || c.name.toLowerCase().includes(q) || String(c.id) === q))
  const pick = (id: number): void => {
    editor.setClass(id)
    setQuery('')
    setOpen(false)
  }
  return (
    <div className="class-picker" data-testid="class-picker">
      <div className="recent-classes" aria-label="Recent classes">
        {s.recentClasses.map((id, i) => (
          <button
            key={id}
            type="button"
            className={`class-chip${id === s.classId ? ' current' : ''}`}
            onClick={() => editor.runAction(`class.recent${i + 1}`)}
            title={`${AVSS_CLASS_NAMES[id]} (${i + 1})`}
            data-testid="recent-class"
            data-class-id={id}
          >
            <span className="swatch" style={{ background: paletteHex(id) }} />
            <kbd>{i + 1}</kbd>
            {AVSS_CLASS_NAMES[id]}
          </button>
        ))}
      </div>
      <div className="class-search">
        <input
          type="search"
          placeholder="Find a class…"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value)
            setOpen(true)
          }}
          onFocus={() => setOpen(true)}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && matches[0]) pick(matches[0].id)
            if (e.key === 'Escape') {
              setOpen(false)
              ;(e.target as HTMLInputElement).blur()
            }
          }}
          data-testid="class-search"
          aria-label="Find a class"
        />
        {open && (
          <ul className="class-list" role="listbox" data-testid="class-list">
            {matches.map((c) => (
              <li key={c.id}>
                <button type="button" role="option" aria-selected={c.id === s.classId} onMouseDown={(e) => e.preventDefault()} onClick={() => pick(c.id)} data-class-id={c.id}>
                  <span className="swatch" style={{ background: paletteHex(c.id) }} />
                  {c.name}
                  <span className="muted"> {c.id}</span>
                </button>
              </li>
            ))}
            {matches.length === 0 && <li className="muted">No class matches “{query}”</li>}
          </ul>
        )}
      </div>
    </div>
  )
}
