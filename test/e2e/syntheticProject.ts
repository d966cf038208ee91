import { execFile } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createApp } from '../../src/main/app'
import { resolveTool } from '../../src/main/services/media/ffmpegTools'
import { encodeMask, MASK_ENCODING } from '../../src/main/services/project/maskCodec'
import type { NewClip } from '../../src/main/services/project/ProjectStore'
import type { ReviewStatus } from '../../src/shared/domain'

const run = promisify(execFile)

export interface SyntheticProjectSpec {
  videos: number
  clipsPerVideo: number
  /** S4: 5 frames (one per second of a 5 s clip). */
  framesPerClip?: number
  width?: number
  height?: number
}

export interface SyntheticProject {
  dir: string
  clips: number
  frames: number
}

/**
 * A big S4 project written fast through the real ProjectService/ProjectStore (SQLite), without
 * importing videos: 8 small test-pattern JPEGs from one ffmpeg call serve as every frame and
 * thumbnail, and every frame gets a model mask (a box that moves from clip to clip) with a
 * confidence, so the list has masks to overlay and confidences to sort by. Statuses cycle through
 * auto / accepted / unreviewed / rejected by clip.
 */
export async function writeSyntheticProject(root: string, spec: SyntheticProjectSpec): Promise<SyntheticProject> {
  const { videos, clipsPerVideo, framesPerClip = 5, width = 160, height = 90 } = spec
  const dir = join(root, `project-${videos * clipsPerVideo}`)
  const app = createApp({ mode: 'cli', homeDir: join(root, 'synthetic-home') })
  await app.dispatch('project.create', { dir, task: 's4' })
  const { store, mediaDir } = app.projects.require()
  const images = 8
  mkdirSync(join(mediaDir, 'synthetic'), { recursive: true })
  await run(resolveTool('ffmpeg').path, [
    '-y', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=1:duration=${images}`,
    '-q:v', '5', join(mediaDir, 'synthetic', 'f%d.jpg')
  ])
  const statuses: ReviewStatus[] = ['auto', 'accepted', 'unreviewed', 'rejected']
  let clipNo = 0
  store.db.transaction(() => {
    for (let v = 0; v < videos; v++) {
      const clips: NewClip[] = []
      for (let c = 0; c < clipsPerVideo; c++) {
        const frames = Array.from({ length: framesPerClip }, (_, i) => {
          const image = `synthetic/f${((clipNo + c + i) % images) + 1}.jpg`
          return { index: i, sourceFrame: (c * framesPerClip + i) * 25, time: c * framesPerClip + i + 0.5, width, height, image, thumb: image }
        })
        clips.push({ index: c, name: `video${String(v).padStart(3, '0')}_${c * 5000}_${(c + 1) * 5000}`, start: c * 5, duration: 5, width, height, audio: '', audioSamples: 0, flags: ['no_audio'], frames })
      }
      store.insertVideo(
        { uuid: `synthetic-${v}`, path: `/synthetic/video${v}.mp4`, name: `video${String(v).padStart(3, '0')}.mp4`, sizeBytes: 0, duration: clipsPerVideo * 5, width, height, rotation: 0, fps: 25, vfr: false, hasAudio: false, startOffset: 0, probeJson: '{}' },
        clips
      )
      clipNo += clipsPerVideo
    }
    store.listClips().forEach((clip, n) => {
      const frames = store.listFrames(clip.id)
      for (const f of frames) {
        const labels = new Uint8Array(width * height)
        const x0 = (n * 7) % (width - 40)
        const y0 = (n * 5 + f.index * 3) % (height - 30)
        for (let y = y0; y < y0 + 30; y++) labels.fill(1, y * width + x0, y * width + x0 + 40)
        // Confidence: a spread of values so that "lowest first" reorders clips across videos.
        const confidence = 0.5 + ((n * 37 + f.index * 11) % 100) / 200
        store.addMask(f.id, { source: 'model', width, height, encoding: MASK_ENCODING, data: encodeMask(labels), model: 'synthetic', confidence })
      }
      const status = statuses[n % statuses.length]
      if (status !== 'auto') store.setFrameStatus(frames.map((f) => f.id), status)
    })
  })()
  const counts = store.counts()
  app.projects.close()
  return { dir, clips: counts.clips, frames: counts.frames }
}
