import type { ReactNode } from 'react'

/** The top bar: app name, whatever the current view puts in the middle, and the About button. */
export function AppBar({ children, actions, onAbout }: { children?: ReactNode; actions?: ReactNode; onAbout: () => void }) {
  return (
    <header className="appbar" data-testid="appbar">
      <div className="appbar-brand">
        <span className="logo" aria-hidden>
          ◧
        </span>
        AVS Annotator
      </div>
      <div className="appbar-main">{children}</div>
      <div className="appbar-actions">
        {actions}
        <button type="button" className="ghost" onClick={onAbout} data-testid="about-open" title="About and diagnostics">
          About
        </button>
      </div>
    </header>
  )
}
