import { realpath, stat } from 'node:fs/promises'
import { extname, isAbsolute, join, normalize, sep } from 'node:path'
import { ApiError } from '../shared/api'

export const MIME: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.wav': 'audio/wav',
  '.json': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2'
}

export const mimeOf = (file: string): string => MIME[extname(file).toLowerCase()] ?? 'application/octet-stream'

/**
 * Resolves a path relative to a root and refuses anything that would leave it (.., absolute
 * paths, symlinks pointing out). Used for the media protocol and browser-mode media URLs.
 */
export async function resolveInside(root: string, rel: string): Promise<string> {
  let decoded: string
  try {
    decoded = decodeURIComponent(rel)
  } catch {
    throw new ApiError('bad_path', 'Malformed path')
  }
  if (decoded.includes('\0') || isAbsolute(decoded)) throw new ApiError('forbidden', 'Path outside the project')
  const candidate = normalize(join(root, decoded))
  const realRoot = await realpath(root)
  const real = await realpath(candidate).catch(() => {
    throw new ApiError('not_found', `No such media file: ${decoded}`)
  })
  if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new ApiError('forbidden', 'Path outside the project')
  const st = await stat(real)
  if (!st.isFile()) throw new ApiError('not_found', `No such media file: ${decoded}`)
  return real
}
