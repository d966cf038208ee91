import type { ApiClient } from '../../../shared/api'
import type { HistoryJSON } from '../editor'

/**
 * The editor's undo history per clip (its last 200 steps), kept in the project database through
 * the API, so it survives a reload, a restart of the app or of `avs serve`, and a change of port.
 */
export async function loadHistory(api: ApiClient, clipId: number): Promise<HistoryJSON | null> {
  try {
    const { data } = await api.call('history.get', { clipId })
    return data ? (JSON.parse(data) as HistoryJSON) : null
  } catch {
    return null
  }
}

export function saveHistory(api: ApiClient, clipId: number, json: HistoryJSON): Promise<void> {
  const empty = json.undos.length === 0 && json.redos.length === 0
  return api.call('history.save', { clipId, data: empty ? null : JSON.stringify(json) }).then(
    () => undefined,
    () => undefined
  )
}
