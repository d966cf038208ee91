import type { ApiClient, ChannelName, EventName, EventPayload, Input, Output } from '../../shared/api'
import { events as eventSchemas } from '../../shared/api'

/** An Error from the API: `code` is for programs, `message` (the server's) is for people. */
export interface ApiCallError extends Error {
  code: string
}

export function apiError(code: string, message: string): ApiCallError {
  const e = new Error(message) as ApiCallError
  e.name = 'ApiError'
  e.code = code
  return e
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err))

/** The Electron preload's extras beside the shared ApiClient (native dialogs, dropped-file paths). */
export interface ElectronExtras {
  openVideos(): Promise<string[]>
  openFolder(): Promise<string | null>
  /** Optional: `webUtils.getPathForFile` exposed by the preload (File.path is gone since Electron 32). */
  pathForFile?(file: File): string
}

type Listener = (payload: unknown) => void

/** Browser mode: POST /api/<channel>, one shared EventSource on /events, media under /media/. */
export class HttpApiClient implements ApiClient {
  readonly mode = 'browser' as const
  private source: EventSource | null = null
  private readonly listeners = new Map<string, Set<Listener>>()
  private hadError = false

  async call<C extends ChannelName>(channel: C, input: Input<C>): Promise<Output<C>> {
    let res: Response
    try {
      res = await fetch(`/api/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input ?? {}),
        credentials: 'same-origin'
      })
    } catch (err) {
      throw apiError('network', `Cannot reach the AVS Annotator server (${errorMessage(err)}). Is \`avs serve\` still running?`)
    }
    const text = await res.text()
    let body: unknown = null
    try {
      body = text ? JSON.parse(text) : null
    } catch {
      throw apiError('bad_response', `${channel}: the server answered ${res.status} with a body that is not JSON`)
    }
    if (!res.ok) {
      const e = (body as { error?: { code?: string; message?: string } } | null)?.error
      throw apiError(e?.code ?? `http_${res.status}`, e?.message ?? `${channel} failed with HTTP ${res.status}`)
    }
    return body as Output<C>
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event)
    if (!set) {
      set = new Set()
      this.listeners.set(event, set)
      this.ensureSource().addEventListener(event, (e) => this.dispatch(event, (e as MessageEvent<string>).data))
    }
    set.add(listener as Listener)
    return () => set.delete(listener as Listener)
  }

  mediaUrl(relPath: string): string {
    return `/media/${relPath.split('/').map(encodeURIComponent).join('/')}`
  }

  private dispatch(event: string, data: string): void {
    let payload: unknown
    try {
      payload = JSON.parse(data)
    } catch {
      return
    }
    const schema = eventSchemas[event as EventName]
    const parsed = schema ? schema.safeParse(payload) : null
    if (parsed && !parsed.success) return
    for (const l of this.listeners.get(event) ?? []) l(parsed ? parsed.data : payload)
  }

  private ensureSource(): EventSource {
    if (this.source) return this.source
    const source = new EventSource('/events')
    source.addEventListener('error', () => {
      this.hadError = true
    })
    // Events sent while the stream was down are lost: tell listeners to refetch.
    source.addEventListener('open', () => {
      if (!this.hadError) return
      this.hadError = false
      for (const l of this.listeners.get('project.changed') ?? []) l({ reason: 'reconnected' })
    })
    this.source = source
    return source
  }
}

/**
 * Browser mode's drag-and-drop: the dropped file's bytes go to POST /upload, which stores them in
 * the project and answers with a path to import. XHR rather than fetch for upload progress.
 */
export function uploadFile(file: File, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', `/upload?name=${encodeURIComponent(file.name)}`)
    xhr.setRequestHeader('content-type', 'application/octet-stream')
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded / e.total)
    }
    xhr.onload = () => {
      let body: { path?: string; error?: { code: string; message: string } } | null = null
      try {
        body = JSON.parse(xhr.responseText)
      } catch {
        /* handled below */
      }
      if (xhr.status >= 200 && xhr.status < 300 && body?.path) resolve(body.path)
      else reject(apiError(body?.error?.code ?? `http_${xhr.status}`, body?.error?.message ?? `Upload of ${file.name} failed (HTTP ${xhr.status})`))
    }
    xhr.onerror = () => reject(apiError('network', `Upload of ${file.name} failed: the server could not be reached`))
    xhr.onabort = () => reject(apiError('cancelled', `Upload of ${file.name} was cancelled`))
    signal?.addEventListener('abort', () => xhr.abort())
    xhr.send(file)
  })
}

let client: ApiClient | null = null

/** `window.api` in Electron (the preload), else the HTTP client of browser mode. */
export function getApi(): ApiClient {
  client ??= window.api ?? new HttpApiClient()
  return client
}

/** The Electron extras, or null in browser mode. */
export function electronExtras(): ElectronExtras | null {
  return window.api ? (window.api as unknown as ElectronExtras) : null
}
