import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { isIP, type AddressInfo } from 'node:net'
import { hostname, networkInterfaces } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { ApiError } from '../../shared/api'
import type { App } from '../app'
import { mimeOf, resolveInside } from '../mediaFiles'
import { safeStem } from '../services/media/ImportService'
import { newUploadDir, removeUpload } from '../services/project/uploads'
import { diskFullError } from '../services/project/diskFull'

export interface WebHostOptions {
  app: App
  /** The built renderer (out/renderer). */
  rendererDir: string
  port?: number
  host?: string
  /** Serving beyond loopback (plain HTTP: the login token and cookie cross the network) needs this opt-in. */
  allowNetwork?: boolean
}

export interface WebHost {
  server: Server
  url: string
  /** The URL with the one-time token that logs a browser in. */
  loginUrl: string
  /** Set when serving beyond loopback: what the user must know about it. */
  warning: string | null
  close(): Promise<void>
}

/** Loopback interfaces: the only ones served without --allow-network. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1'
}

/** `host:port` as a Host header spells it (IPv6 in brackets). */
const hostPort = (host: string, port: number): string => `${isIP(host) === 6 ? `[${host}]` : host}:${port}`.toLowerCase()

/**
 * A loopback name with any port (or none): what an SSH tunnel's local end (`ssh -L 9000:127.0.0.1:8080`)
 * or a port-forward sends. A rebinding page cannot send these: its Host is its own name.
 */
function loopbackHostHeader(h: string): boolean {
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(h)
  return m !== null && ['localhost', '127.0.0.1', '[::1]'].includes(m[1])
}

/** The Host headers this server answers: loopback names, the --host value, and for a wildcard bind this machine's names. */
function allowedHosts(bind: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '::1', bind.replace(/^\[|\]$/g, '')])
  if (bind === '0.0.0.0' || bind === '::' || bind === '[::]') {
    names.add(hostname())
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address.split('%')[0])
  }
  return new Set([...names].map((n) => hostPort(n, port)))
}

const COOKIE = 'avs_session'
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'"
].join('; ')

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function cookieOf(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return v.join('=')
  }
  return null
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body))
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': data.length, 'cache-control': 'no-store' })
  res.end(data)
}

function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof ApiError ? err : new ApiError('internal', (err as Error)?.message ?? String(err))
  const status =
    e.code === 'forbidden'
      ? 403
      : e.code === 'not_found' || e.code === 'unknown_channel'
        ? 404
        : e.code === 'project_in_use' || e.code === 'segment_running'
          ? 409
          : e.code === 'disk_full'
            ? 507
            : e.code === 'internal'
              ? 500
              : 400
  if (!res.headersSent) sendJson(res, status, { error: { code: e.code, message: e.message } })
  else res.end()
}

async function readBody(req: IncomingMessage, limit = 4 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw new ApiError('too_large', 'Request body too large')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Serves a file with single-range support (audio elements seek with Range requests). */
async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, extraHeaders: Record<string, string> = {}): Promise<void> {
  const { size } = await stat(file)
  const headers: Record<string, string | number> = { 'content-type': mimeOf(file), 'accept-ranges': 'bytes', ...extraHeaders }
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '')
  if (range && (range[1] || range[2])) {
    let start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]))
    let end = range[1] && range[2] ? Number(range[2]) : size - 1
    end = Math.min(end, size - 1)
    if (start > end || start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` })
      return void res.end()
    }
    start = Math.max(0, start)
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 })
    if (req.method === 'HEAD') return void res.end()
    await pipeline(createReadStream(file, { start, end }), res)
    return
  }
  res.writeHead(200, { ...headers, 'content-length': size })
  if (req.method === 'HEAD') return void res.end()
  await pipeline(createReadStream(file), res)
}

/**
 * Browser mode: the same handler table as Electron's IPC, over HTTP on loopback. A one-time token
 * in the printed URL is exchanged for an HttpOnly session cookie; everything else needs that cookie.
 */
export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const { app } = opts
  const host = opts.host ?? '127.0.0.1'
  if (!isLoopback(host) && !opts.allowNetwork) {
    throw new ApiError(
      'network_bind_refused',
      `Refusing to serve on ${host}: beyond loopback the login token and session cookie travel as plain HTTP to anyone on the network. ` +
        'Tunnel over SSH instead (ssh -L 8080:127.0.0.1:8080 <this machine>, then avs serve --port 8080), or add --allow-network to do it anyway.'
    )
  }
  let allowed = new Set<string>()
  let loginToken: string | null = randomBytes(24).toString('base64url')
  const session = randomBytes(32).toString('base64url')
  const sseClients = new Set<ServerResponse>()

  const unsubscribe = app.events.subscribe((event, payload) => {
    const data = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`
    for (const c of sseClients) c.write(data)
  })

  const authed = (req: IncomingMessage): boolean => {
    const c = cookieOf(req, COOKIE) ?? (req.headers['x-avs-session'] as string | undefined) ?? null
    return c !== null && safeEqual(c, session)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // DNS rebinding: a page of another site that resolves to us sends its own Host; refuse it on every request.
    const hostHeader = (req.headers.host ?? '').toLowerCase()
    if (!allowed.has(hostHeader) && !loopbackHostHeader(hostHeader)) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
      return void res.end('Misdirected request: this AVS Annotator server answers only under the address it printed.')
    }
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname
    const token = url.searchParams.get('token')
    if (token !== null) {
      if (loginToken && safeEqual(token, loginToken)) {
        loginToken = null
        url.searchParams.delete('token')
        res.writeHead(303, {
          'set-cookie': `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
          location: url.pathname + (url.search || '')
        })
        return void res.end()
      }
      if (!authed(req)) {
        res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' })
        return void res.end('This login link was already used or is wrong. Restart `avs serve` for a new one.')
      }
    }
    if (path.startsWith('/api/') || path.startsWith('/media/') || path === '/events' || path === '/upload') {
      if (!authed(req)) return sendError(res, new ApiError('forbidden', 'Not logged in: open the URL printed by `avs serve`'))
      const origin = req.headers.origin
      if (origin && origin !== `http://${req.headers.host}`) return sendError(res, new ApiError('forbidden', 'Cross-origin request refused'))
    }
    if (path.startsWith('/api/')) {
      if (req.method !== 'POST') return sendError(res, new ApiError('bad_method', 'Use POST'))
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return sendError(res, new ApiError('bad_input', 'Content-Type must be application/json'))
      // Masks and undo histories of 1080p/4K frames are large JSON bodies.
      const body = await readBody(req, 256 * 1024 * 1024)
      let input: unknown = {}
      try {
        input = body ? JSON.parse(body) : {}
      } catch {
        return sendError(res, new ApiError('bad_input', 'Body is not JSON'))
      }
      const out = await app.dispatch(decodeURIComponent(path.slice(5)), input)
      return sendJson(res, 200, out === undefined ? null : out)
    }
    if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
      res.write(': connected\n\n')
      sseClients.add(res)
      req.on('close', () => sseClients.delete(res))
      return
    }
    if (path.startsWith('/media/')) {
      const project = app.projects.require()
      // Missing and outside paths get the same answer: no oracle for what exists beyond the project.
      const file = await resolveInside(project.mediaDir, path.slice('/media/'.length)).catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 'bad_path') throw err
        throw new ApiError('not_found', 'No such media file')
      })
      return sendFile(req, res, file, { 'cache-control': 'private, max-age=3600' })
    }
    if (path === '/upload') {
      // Drag-and-drop in a browser gives bytes, not a path: store them in the project, then import by
      // path. The import that consumes the file removes it (project/uploads.ts).
      if (req.method !== 'POST') return sendError(res, new ApiError('bad_method', 'Use POST'))
      const project = app.projects.require()
      const name = basename(url.searchParams.get('name') ?? 'upload.bin')
      // One folder per upload keeps the user's file name (clip names derive from it) without collisions.
      const dir = newUploadDir(project.dir)
      await mkdir(dirname(dir), { recursive: true })
      await mkdir(dir)
      const ext = /\.[A-Za-z0-9]{1,8}$/.exec(name)?.[0] ?? ''
      const file = join(dir, `${safeStem(name)}${ext}`)
      try {
        await pipeline(req, createWriteStream(file))
      } catch (err) {
        await removeUpload(project.dir, file)
        const full = diskFullError(err, project.dir, `The upload of ${name} was not saved`)
        throw full instanceof ApiError ? full : new ApiError('upload_failed', `Upload of ${name} failed: ${(err as Error).message}`)
      }
      return sendJson(res, 200, { path: file })
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, new ApiError('bad_method', 'Method not allowed'))
    // The built renderer; unknown paths fall back to index.html (client-side routing).
    let file: string
    try {
      file = await resolveInside(opts.rendererDir, path === '/' ? 'index.html' : path.slice(1))
    } catch {
      file = join(opts.rendererDir, 'index.html')
      await stat(file).catch(() => {
        throw new ApiError('not_found', `The renderer is not built (${file} missing): run \`npm run build\``)
      })
    }
    const headers: Record<string, string> = { 'cache-control': file.endsWith('index.html') ? 'no-store' : 'public, max-age=600' }
    if (file.endsWith('.html')) {
      headers['content-security-policy'] = CSP
      headers['x-content-type-options'] = 'nosniff'
      headers['referrer-policy'] = 'no-referrer'
    }
    return sendFile(req, res, file, headers)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => sendError(res, err))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  allowed = allowedHosts(host, port)
  const base = `http://${hostPort(host, port)}`
  return {
    server,
    url: `${base}/`,
    loginUrl: `${base}/?token=${loginToken}`,
    warning: isLoopback(host)
      ? null
      : `serving on ${host}:${port} over plain HTTP: the login token and the session cookie can be read by anyone on the network path. Prefer an SSH tunnel (ssh -L ${port}:127.0.0.1:${port} <this machine>) to a loopback-only avs serve.`,
    async close() {
      unsubscribe()
      for (const c of sseClients) c.end()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    }
  }
}

