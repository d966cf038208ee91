import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { sep } from 'node:path'
import { promisify } from 'node:util'
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg'
import ffprobeInstaller from '@ffprobe-installer/ffprobe'

const run = promisify(execFile)

export interface ResolvedTool {
  path: string
  /** 'setting' | 'env' | 'bundled' | 'system' */
  source: string
}

export interface ToolOverrides {
  ffmpegPath?: string | null
  ffprobePath?: string | null
}

/** Inside a packaged app the binaries live in app.asar.unpacked. */
const unpacked = (p: string): string => p.replace(`app.asar${sep}`, `app.asar.unpacked${sep}`)

function bundled(name: 'ffmpeg' | 'ffprobe'): string | null {
  const p = unpacked((name === 'ffmpeg' ? ffmpegInstaller : ffprobeInstaller).path)
  return existsSync(p) ? p : null
}

/** Resolution order: a setting, then FFMPEG_PATH/FFPROBE_PATH, then the bundled binary, then PATH. */
export function resolveTool(name: 'ffmpeg' | 'ffprobe', overrides: ToolOverrides = {}): ResolvedTool {
  const setting = name === 'ffmpeg' ? overrides.ffmpegPath : overrides.ffprobePath
  if (setting) return { path: setting, source: 'setting' }
  const env = process.env[name === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH']
  if (env) return { path: env, source: 'env' }
  const b = bundled(name)
  if (b) return { path: b, source: 'bundled' }
  return { path: name, source: 'system' }
}

export async function toolVersion(path: string): Promise<string> {
  try {
    const { stdout } = await run(path, ['-version'], { timeout: 10_000 })
    const first = stdout.split('\n')[0] ?? ''
    return first.replace(/ Copyright.*$/, '').trim()
  } catch (err) {
    return `unavailable (${(err as Error).message.split('\n')[0]})`
  }
}
