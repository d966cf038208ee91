import type { HistoryJSON } from '../editor'

/**
 * The editor's undo history per clip (its last 200 steps), kept in localStorage so that it
 * survives a reload or restart. Browser mode's origin changes with the server's port, so there it
 * lasts as long as one `avs serve`.
 */
const PREFIX = 'avs.history.v1:'
const key = (dir: string, clipId: number): string => `${PREFIX}${dir}:${clipId}`

export function loadHistory(dir: string, clipId: number): HistoryJSON | null {
  try {
    const text = window.localStorage.getItem(key(dir, clipId))
    return text ? (JSON.parse(text) as HistoryJSON) : null
  } catch {
    return null
  }
}

export function saveHistory(dir: string, clipId: number, json: HistoryJSON): void {
  const k = key(dir, clipId)
  try {
    if (json.undos.length === 0 && json.redos.length === 0) window.localStorage.removeItem(k)
    else window.localStorage.setItem(k, JSON.stringify(json))
  } catch {
    // Over the storage quota: make room by dropping other clips' histories, then try once more.
    for (let i = window.localStorage.length - 1; i >= 0; i--) {
      const other = window.localStorage.key(i)
      if (other && other.startsWith(PREFIX) && other !== k) window.localStorage.removeItem(other)
    }
    try {
      window.localStorage.setItem(k, JSON.stringify(json))
    } catch {
      window.localStorage.removeItem(k)
    }
  }
}
