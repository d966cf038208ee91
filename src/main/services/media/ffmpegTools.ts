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

/**
 * Where glibc's gconv cache is absent from the environment's view, a static ffprobe survives MPEG-TS.
 *
 * The bundled ffprobe (a static build) crashed (SIGSEGV, a jump to a null address) on every MPEG-TS
 * file (.ts, .m2ts, .mts from AVCHD camcorders), before reading a packet: its mpegts demuxer converts
 * the DVB service names with iconv, and a static glibc that maps the host's `gconv-modules.cache`
 * breaks. With `GCONV_PATH` set, glibc reads the module list instead of that cache, and the static
 * build works. Child processes inherit it; a dynamically linked program still finds its system
 * modules (GCONV_PATH only adds directories searched first; this one does not exist). A GCONV_PATH
 * the user set is kept.
 */
export function avoidStaticGconvCrash(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): void {
  if (platform === 'linux' && env.GCONV_PATH === undefined) env.GCONV_PATH = '/nonexistent/avs-annotator-no-gconv-cache'
}

/** Resolution order: a setting, then FFMPEG_PATH/FFPROBE_PATH, then the bundled binary, then PATH. */
export function resolveTool(name: 'ffmpeg' | 'ffprobe', overrides: ToolOverrides = {}): ResolvedTool {
  avoidStaticGconvCrash()
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
