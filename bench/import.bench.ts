import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createApp } from '../src/main/app'
import { resolveTool } from '../src/main/services/media/ffmpegTools'
import { planClips } from '../src/shared/frameTiming'
import { record, time, withPeakMemory, WORK_DIR } from './lib'

const run = promisify(execFile)

/** Import of a 60 s 1080p H.264 video into 12 S4 clips vs one plain ffmpeg command extracting the same 60 frames. */
export async function benchImport(): Promise<void> {
  const ffmpeg = resolveTool('ffmpeg').path
  const video = join(WORK_DIR, 'bench-60s-1080p.mp4')
  if (!existsSync(video)) {
    process.stdout.write('making a 60 s 1080p H.264/AAC test video (once)…\n')
    await run(ffmpeg, [
      '-y', '-hide_banner', '-loglevel', 'error',
      '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=25:duration=60',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=60',
      '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', video
    ])
  }
  const frames = planClips({ duration: 60, fps: 25, clipSeconds: 5 }).flatMap((c) => c.frames.map((f) => f.sourceFrame))
  const select = frames.map((n) => `eq(n\\,${n})`).join('+')

  const samples: number[] = []
  const base: number[] = []
  let peak = { selfMB: 0, childrenMB: 0 }
  for (let i = 0; i < 3; i++) {
    const out = mkdtempSync(join(WORK_DIR, 'plain-'))
    base.push((await time(() => run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-i', video, '-vf', `select=${select}`, '-vsync', '0', '-q:v', '2', join(out, '%d.jpg')]))).ms)
    rmSync(out, { recursive: true, force: true })

    const dir = mkdtempSync(join(WORK_DIR, 'project-'))
    const app = createApp({ mode: 'cli', homeDir: join(dir, 'home') })
    await app.dispatch('project.create', { dir: join(dir, 'p'), task: 's4' })
    const measured = await withPeakMemory(() =>
      time(async () => {
        const { jobId } = (await app.dispatch('media.import', { paths: [video] })) as { jobId: string }
        const [r] = await app.imports.wait(jobId)
        if (!r.ok || r.clips !== 12) throw new Error(`bench import failed: ${r.error}`)
      })
    )
    samples.push(measured.result.ms)
    peak = { selfMB: Math.max(peak.selfMB, measured.selfMB), childrenMB: Math.max(peak.childrenMB, measured.childrenMB) }
    app.projects.close()
    rmSync(dir, { recursive: true, force: true })
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  record('import.60s_1080p_12clips.wall', median(samples), 'ms', median(base), 'median of 3; baseline: one plain ffmpeg command extracting the same 60 frames; target ratio ≤ 1.5')
  record('import.peak_rss.node', peak.selfMB, 'MB')
  record('import.peak_rss.ffmpeg', peak.childrenMB, 'MB')
}
