// Electron entry: window, IPC binding, dialogs and the media protocol. Everything else is plain Node.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { app as electronApp, BrowserWindow, dialog, ipcMain, net, protocol, shell } from 'electron'
import { channelNames, type ApiErrorBody } from '../shared/api'
import { createApp } from './app'
import { resolveInside } from './mediaFiles'

protocol.registerSchemesAsPrivileged([
  { scheme: 'avs-media', privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }
])

const services = createApp({ mode: 'electron', homeDir: process.env.AVS_HOME || join(electronApp.getPath('userData')) })
let mainWindow: BrowserWindow | null = null

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1440,
    height: 900,
    title: 'AVS Annotator',
    webPreferences: {
      preload: join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false
    }
  })
  mainWindow.webContents.setWindowOpenHandler(({ url }) => {
    void shell.openExternal(url)
    return { action: 'deny' }
  })
  if (process.env.ELECTRON_RENDERER_URL) void mainWindow.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void mainWindow.loadFile(join(__dirname, '../renderer/index.html'))
}

/** Every channel goes through one handler that checks the sender and parses the input. */
function bindIpc(): void {
  for (const channel of channelNames) {
    ipcMain.handle(channel, async (event, input: unknown): Promise<unknown> => {
      if (!mainWindow || event.sender !== mainWindow.webContents) return { error: { code: 'forbidden', message: 'Unknown sender' } }
      try {
        return { ok: await services.dispatch(channel, input) }
      } catch (err) {
        const e = err as { code?: string; message?: string }
        const body: ApiErrorBody = { error: { code: e.code ?? 'internal', message: e.message ?? String(err) } }
        return body
      }
    })
  }
  ipcMain.handle('dialog.openVideos', async () => {
    const r = await dialog.showOpenDialog({
      properties: ['openFile', 'multiSelections'],
      filters: [{ name: 'Videos', extensions: ['mp4', 'mov', 'mkv', 'webm', 'avi', 'm4v', 'mpg', 'mpeg', 'ts', 'm2ts', 'mts', 'flv', 'wmv', '3gp'] }, { name: 'All files', extensions: ['*'] }]
    })
    return r.canceled ? [] : r.filePaths
  })
  ipcMain.handle('dialog.openFolder', async () => {
    const r = await dialog.showOpenDialog({ properties: ['openDirectory', 'createDirectory'] })
    return r.canceled ? null : r.filePaths[0]
  })
  services.events.subscribe((event, payload) => mainWindow?.webContents.send('event', event, payload))
}

void electronApp.whenReady().then(() => {
  // Frames and audio reach the renderer only through this protocol, and only from the open project's cache.
  protocol.handle('avs-media', async (request) => {
    try {
      const project = services.projects.require()
      const rel = new URL(request.url).pathname.replace(/^\//, '')
      const file = await resolveInside(project.mediaDir, rel)
      return net.fetch(pathToFileURL(file).toString())
    } catch {
      return new Response('not found', { status: 404 })
    }
  })
  bindIpc()
  createWindow()
  electronApp.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
})

electronApp.on('window-all-closed', () => {
  services.projects.close()
  if (process.platform !== 'darwin') electronApp.quit()
})
