// Builds `window.api` from the shared channel list. Nothing else lives here.
import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { channelNames, type ApiClient, type ChannelName, type EventName } from '../shared/api'

const channels = new Set<string>(channelNames)

const api: ApiClient & { openVideos(): Promise<string[]>; openFolder(): Promise<string | null>; pathForFile(file: File): string } = {
  mode: 'electron',
  async call(channel, input) {
    if (!channels.has(channel)) throw new Error(`Unknown API channel ${channel}`)
    const r = (await ipcRenderer.invoke(channel as ChannelName, input)) as { ok?: unknown; error?: { code: string; message: string } }
    if (r.error) {
      const e = new Error(r.error.message) as Error & { code: string }
      e.code = r.error.code
      throw e
    }
    return r.ok as never
  },
  on(event, listener) {
    const wrapped = (_e: unknown, name: EventName, payload: unknown): void => {
      if (name === event) listener(payload as never)
    }
    ipcRenderer.on('event', wrapped)
    return () => ipcRenderer.removeListener('event', wrapped)
  },
  mediaUrl(rel) {
    return `avs-media://media/${rel.split('/').map(encodeURIComponent).join('/')}`
  },
  openVideos: () => ipcRenderer.invoke('dialog.openVideos') as Promise<string[]>,
  openFolder: () => ipcRenderer.invoke('dialog.openFolder') as Promise<string | null>,
  // Since Electron 32 a dropped File has no .path; webUtils gives it.
  pathForFile: (file: File) => webUtils.getPathForFile(file)
}

contextBridge.exposeInMainWorld('api', api)
