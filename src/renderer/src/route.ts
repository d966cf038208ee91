import { useCallback, useSyncExternalStore } from 'react'

/** Session state in the URL hash (`#/clip/<id>/<frame>`), so a reload returns to the same frame. */
export interface Route {
  clipId: number | null
  frame: number
}

export function parseRoute(hash: string): Route {
  const m = /^#\/clip\/(\d+)(?:\/(\d+))?$/.exec(hash)
  return m ? { clipId: Number(m[1]), frame: m[2] ? Number(m[2]) : 0 } : { clipId: null, frame: 0 }
}

export const formatRoute = (r: Route): string => (r.clipId === null ? '#/' : `#/clip/${r.clipId}/${r.frame}`)

const subscribe = (cb: () => void): (() => void) => {
  window.addEventListener('hashchange', cb)
  return () => window.removeEventListener('hashchange', cb)
}

export function useRoute(): [Route, (next: Route, opts?: { replace?: boolean }) => void] {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash)
  const navigate = useCallback((next: Route, opts?: { replace?: boolean }) => {
    const h = formatRoute(next)
    if (h === window.location.hash) return
    // Stepping frames replaces the entry so Back leaves the clip instead of undoing frame steps.
    if (opts?.replace) window.history.replaceState(null, '', h)
    else window.history.pushState(null, '', h)
    window.dispatchEvent(new HashChangeEvent('hashchange'))
  }, [])
  return [parseRoute(hash), navigate]
}
