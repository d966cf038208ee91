import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createApp, type App } from '../../src/main/app'
import { decodeWavPcm16 } from '../../src/main/services/media/wav'
import type { ImportResult } from '../../src/shared/domain'
import { frameNumberOf, makeAudio, makeVideo } from '../fixtures/media'

const root = mkdtempSync(join(tmpdir(), 'avs-import-'))
const media = join(root, 'media files ü')
let n = 0

async function newProject(task: 's4' | 'ms3' | 'avss' = 's4'): Promise<{ app: App; dir: string }> {
  const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
  const dir = join(root, `project ${++n} é`)
  await app.dispatch('project.create', { dir, task })
  return { app, dir }
}

async function importAll(app: App, paths: string[], startOffset = 0): Promise<ImportResult[]> {
  const { jobId } = (await app.dispatch('media.import', { paths, startOffset })) as { jobId: string }
  return app.imports.wait(jobId)
}

function mediaEntries(dir: string): string[] {
  return readdirSync(join(dir, 'media'))
}

beforeAll(async () => {
  const { mkdirSync } = await import('node:fs')
  mkdirSync(media, { recursive: true })
})

afterAll(() => undefined)

describe('import of real videos', () => {
  test('H.264/AAC mp4 at 25 fps: 12 s → 2 S4 clips, spec §5 frame timing, exact PCM length', async () => {
    const video = await makeVideo(media, 'clip 25fps ñ.mp4', { duration: 12, rate: '25', indexed: true })
    const { app, dir } = await newProject()
    const [r] = await importAll(app, [video])
    expect(r.error).toBeNull()
    expect(r.ok).toBe(true)
    expect(r.clips).toBe(2)
    const store = app.projects.require().store
    const clips = store.listClips()
    expect(clips.map((c) => c.start)).toEqual([0, 5])
    expect(clips.map((c) => c.name)).toEqual(['clip-25fps-n_0_5000', 'clip-25fps-n_5000_10000'])
    const first = store.getClip(clips[0].id)!
    expect(first.frames.map((f) => f.sourceFrame)).toEqual([23, 48, 73, 98, 123])
    expect(first.frames.map((f) => f.time)).toEqual([0.92, 1.92, 2.92, 3.92, 4.92])
    const second = store.getClip(clips[1].id)!
    expect(second.frames.map((f) => f.sourceFrame)).toEqual([148, 173, 198, 223, 248])
    // The stored images really are those source frames (the fixture paints its frame number).
    for (const f of [...first.frames, ...second.frames]) {
      expect(await frameNumberOf(join(dir, 'media', f.image))).toBe(f.sourceFrame)
      expect(existsSync(join(dir, 'media', f.thumb))).toBe(true)
    }
    for (const c of clips) {
      const wav = decodeWavPcm16(readFileSync(join(dir, 'media', c.audio)))
      expect(wav.sampleRate).toBe(16000)
      expect(wav.channels).toBe(1)
      expect(wav.samples.length).toBe(80000)
      expect(c.audioSamples).toBe(80000)
      expect(c.flags).toEqual([])
      // The 440 Hz tone is there (not silence).
      expect(Math.max(...wav.samples.subarray(0, 4000))).toBeGreaterThan(2000)
    }
  })

  test('29.97 fps: fi = 30, frames int(l·30 + 28.125) from the clip start', async () => {
    const video = await makeVideo(media, 'ntsc.mp4', { duration: 10.5, rate: '30000/1001', indexed: true })
    const { app, dir } = await newProject('ms3')
    const [r] = await importAll(app, [video])
    expect(r.ok).toBe(true)
    const store = app.projects.require().store
    const clips = store.listClips()
    expect(clips).toHaveLength(2)
    const a = store.getClip(clips[0].id)!
    const b = store.getClip(clips[1].id)!
    expect(a.frames.map((f) => f.sourceFrame)).toEqual([28, 58, 88, 118, 148])
    // Clip 2 starts at 5 s = frame ceil(5 · 29.97) = 150.
    expect(b.frames.map((f) => f.sourceFrame)).toEqual([178, 208, 238, 268, 298])
    expect(a.frames[0].time).toBeCloseTo(28 / (30000 / 1001), 9)
    for (const f of [a.frames[0], a.frames[4], b.frames[4]]) expect(await frameNumberOf(join(dir, 'media', f.image))).toBe(f.sourceFrame)
  })

  test('VP9/Opus webm imports with exact PCM length', async () => {
    const video = await makeVideo(media, 'vp9.webm', { duration: 5.5, codec: 'vp9', audio: 'opus' })
    const { app, dir } = await newProject()
    const [r] = await importAll(app, [video])
    expect(r.error).toBeNull()
    const [clip] = app.projects.require().store.listClips()
    expect(clip.frameCount).toBe(5)
    const wav = decodeWavPcm16(readFileSync(join(dir, 'media', clip.audio)))
    expect(wav.samples.length).toBe(80000)
    expect(Math.max(...wav.samples.subarray(20000, 24000))).toBeGreaterThan(2000)
  })

  // The bundled (static) ffprobe crashed with SIGSEGV on every MPEG-TS file until GCONV_PATH was set
  // for it (ffmpegTools.avoidStaticGconvCrash): camcorders (AVCHD .mts/.m2ts) and broadcast recordings.
  test('MPEG-TS (.ts) and Blu-ray/AVCHD-style .m2ts import with their source frames and exact PCM length', async () => {
    const ts = await makeVideo(media, 'broadcast.ts', { duration: 6, rate: '25', indexed: true })
    const { app, dir } = await newProject()
    const results = await importAll(app, [ts, ts.replace(/\.ts$/, '.m2ts')].map((p, i) => {
      if (i === 1) writeFileSync(p, readFileSync(ts)) // same stream, the camcorder's extension
      return p
    }))
    for (const r of results) expect(r.error, r.path).toBeNull()
    const store = app.projects.require().store
    const clips = store.listClips()
    expect(clips).toHaveLength(2)
    for (const c of clips) {
      const detail = store.getClip(c.id)!
      expect(detail.frames).toHaveLength(5)
      for (const f of detail.frames) expect(Math.abs((await frameNumberOf(join(dir, 'media', f.image))) - f.sourceFrame)).toBeLessThanOrEqual(1)
      const wav = decodeWavPcm16(readFileSync(join(dir, 'media', c.audio)))
      expect(wav.samples.length).toBe(80000)
      expect(Math.max(...wav.samples.subarray(20000, 24000))).toBeGreaterThan(2000)
    }
  })

  test('AVSS projects cut 10 s clips with 10 frames', async () => {
    const video = await makeVideo(media, 'ten.mp4', { duration: 21, rate: '25' })
    const { app } = await newProject('avss')
    const [r] = await importAll(app, [video])
    expect(r.clips).toBe(2)
    const clip = app.projects.require().store.getClip(app.projects.require().store.listClips()[1].id)!
    expect(clip.frames).toHaveLength(10)
    expect(clip.start).toBe(10)
    expect(clip.frames[9].sourceFrame).toBe(250 + 9 * 25 + 23)
  })

  test('a start offset shifts every clip', async () => {
    const video = await makeVideo(media, 'offset.mp4', { duration: 13, rate: '25', indexed: true })
    const { app, dir } = await newProject()
    const [r] = await importAll(app, [video], 2)
    expect(r.clips).toBe(2)
    const store = app.projects.require().store
    const clips = store.listClips()
    expect(clips.map((c) => c.start)).toEqual([2, 7])
    const first = store.getClip(clips[0].id)!
    expect(first.frames[0].sourceFrame).toBe(50 + 23)
    expect(await frameNumberOf(join(dir, 'media', first.frames[0].image))).toBe(73)
  })

  test('a video with no audio is imported with silence and flagged', async () => {
    const video = await makeVideo(media, 'silent.mp4', { duration: 6, audio: 'none' })
    const { app, dir } = await newProject()
    const [r] = await importAll(app, [video])
    expect(r.ok).toBe(true)
    expect(r.flags).toContain('no_audio')
    const [clip] = app.projects.require().store.listClips()
    expect(clip.flags).toContain('no_audio')
    const wav = decodeWavPcm16(readFileSync(join(dir, 'media', clip.audio)))
    expect(wav.samples.length).toBe(80000)
    expect(wav.samples.every((s) => s === 0)).toBe(true)
  })

  test('a video shorter than one clip becomes one padded clip (last frame repeated, audio padded)', async () => {
    const video = await makeVideo(media, 'short.mp4', { duration: 3, rate: '25', indexed: true })
    const { app, dir } = await newProject()
    const [r] = await importAll(app, [video])
    expect(r.ok).toBe(true)
    expect(r.clips).toBe(1)
    expect(r.flags).toContain('padded')
    const store = app.projects.require().store
    const clip = store.getClip(store.listClips()[0].id)!
    expect(clip.flags).toContain('padded')
    expect(clip.frames.map((f) => f.sourceFrame)).toEqual([23, 48, 73, 74, 74])
    expect(await frameNumberOf(join(dir, 'media', clip.frames[1].image))).toBe(48)
    expect(await frameNumberOf(join(dir, 'media', clip.frames[4].image))).toBe(74)
    const wav = decodeWavPcm16(readFileSync(join(dir, 'media', clip.audio)))
    expect(wav.samples.length).toBe(80000)
    expect(clip.audioSamples).toBeGreaterThan(47000)
    expect(clip.audioSamples).toBeLessThan(49500)
    expect(wav.samples.subarray(50000).every((s) => s === 0)).toBe(true)
  })

  test('odd dimensions, rotation metadata and a long side over 1920 px', async () => {
    const odd = await makeVideo(media, 'odd.mp4', { duration: 5, width: 321, height: 241 })
    const rotated = await makeVideo(media, 'rotated.mp4', { duration: 5, width: 320, height: 240, rotate: 90 })
    const big = await makeVideo(media, 'big.mp4', { duration: 5, width: 2560, height: 1440, audio: 'none' })
    const { app, dir } = await newProject()
    const results = await importAll(app, [odd, rotated, big])
    expect(results.map((r) => r.error)).toEqual([null, null, null])
    const clips = app.projects.require().store.listClips()
    expect([clips[0].width, clips[0].height]).toEqual([321, 241])
    expect([clips[1].width, clips[1].height]).toEqual([240, 320])
    expect(clips[1].flags).toContain('rotated')
    expect([clips[2].width, clips[2].height]).toEqual([1920, 1080])
    const { execFileSync } = await import('node:child_process')
    const { ffprobePath } = await import('../fixtures/media')
    const frame = app.projects.require().store.getClip(clips[1].id)!.frames[0]
    const size = execFileSync(ffprobePath, ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', join(dir, 'media', frame.image)]).toString().trim()
    expect(size).toBe('240,320')
  })

  test('variable frame rate input is resampled to its average rate and flagged', async () => {
    const video = await makeVideo(media, 'vfr.mp4', { duration: 6, rate: '25', vfr: true })
    const { app } = await newProject()
    const [r] = await importAll(app, [video])
    expect(r.error).toBeNull()
    const [clip] = app.projects.require().store.listClips()
    expect(clip.flags).toContain('vfr')
    expect(clip.frameCount).toBe(5)
  })
})

describe('bad input never touches the project', () => {
  function snapshot(app: App, dir: string): string {
    return JSON.stringify({ s: app.projects.summary(), clips: app.projects.require().store.listClips(), media: mediaEntries(dir) })
  }

  test('not a media file, a truncated file, an audio-only file, a missing file', async () => {
    const good = await makeVideo(media, 'good.mp4', { duration: 5 })
    const { app, dir } = await newProject()
    await importAll(app, [good])
    const before = snapshot(app, dir)
    const text = join(media, 'notes.mp4')
    writeFileSync(text, 'this is not a video\n'.repeat(100))
    const whole = readFileSync(good)
    const truncated = join(media, 'truncated.mp4')
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 3)))
    const audioOnly = await makeAudio(media, 'song.m4a', 6)
    const empty = join(media, 'empty.mp4')
    writeFileSync(empty, '')
    const results = await importAll(app, [text, truncated, audioOnly, join(media, 'nope.mp4'), empty])
    expect(results.every((r) => !r.ok)).toBe(true)
    expect(results[0].error).toMatch(/notes\.mp4 is not a media file/)
    expect(results[1].error).toMatch(/truncated\.mp4/)
    expect(results[2].error).toMatch(/song\.m4a is an audio-only file/)
    expect(results[3].error).toMatch(/nope\.mp4 does not exist/)
    expect(results[4].error).toMatch(/empty\.mp4 is empty/)
    expect(snapshot(app, dir)).toBe(before)
    expect(existsSync(join(dir, 'media', '.staging'))).toBe(false)
  })

  test('a cancelled import leaves the project as it was', async () => {
    const video = await makeVideo(media, 'long.mp4', { duration: 40, width: 1280, height: 720 })
    const { app, dir } = await newProject()
    const before = snapshot(app, dir)
    const { jobId } = (await app.dispatch('media.import', { paths: [video, video] })) as { jobId: string }
    await new Promise<void>((resolve) => {
      const off = app.events.subscribe((event, p) => {
        if (event === 'import.progress' && (p as { stage: string }).stage === 'decoding') {
          off()
          resolve()
        }
      })
    })
    await app.dispatch('media.cancelImport', { jobId })
    const results = await app.imports.wait(jobId)
    expect(results.map((r) => r.error)).toEqual(['cancelled', 'cancelled'])
    expect(snapshot(app, dir)).toBe(before)
    expect(existsSync(join(dir, 'media', '.staging'))).toBe(false)
  })

  test('a read-only project folder is refused, untouched', async () => {
    const { app, dir } = await newProject()
    app.projects.close()
    const bytes = readFileSync(join(dir, 'project.sqlite'))
    chmodSync(dir, 0o555)
    try {
      await expect(app.dispatch('project.open', { dir })).rejects.toThrow(/read-only/)
    } finally {
      chmodSync(dir, 0o755)
    }
    expect(readFileSync(join(dir, 'project.sqlite')).equals(bytes)).toBe(true)
  })

  test('a corrupt project database is refused and never overwritten', async () => {
    const { app, dir } = await newProject()
    app.projects.close()
    const file = join(dir, 'project.sqlite')
    const garbage = Buffer.from('SQLite format 3\0' + 'garbage '.repeat(600))
    writeFileSync(file, garbage)
    await expect(app.dispatch('project.open', { dir })).rejects.toThrow(/not a readable project database|untouched/)
    expect(readFileSync(file).equals(garbage)).toBe(true)
    expect(existsSync(join(dir, 'project.sqlite-wal'))).toBe(false)
  })

  test('project.create refuses an existing project or a non-empty folder', async () => {
    const { app, dir } = await newProject()
    await expect(app.dispatch('project.create', { dir, task: 's4' })).rejects.toThrow(/already holds a project/)
    const other = join(root, 'not-empty')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(other)
    writeFileSync(join(other, 'thesis.tex'), 'x')
    await expect(app.dispatch('project.create', { dir: other, task: 's4' })).rejects.toThrow(/not empty/)
    await expect(app.dispatch('project.create', { dir: other, task: 'xx' as never })).rejects.toThrow(/task/)
  })

  test('reopening finds everything again; recent projects are remembered', async () => {
    const video = await makeVideo(media, 'again.mp4', { duration: 5 })
    const { app, dir } = await newProject('ms3')
    await importAll(app, [video])
    const clips = app.projects.require().store.listClips()
    app.projects.close()
    const again = createApp({ mode: 'cli', homeDir: join(root, 'home') })
    const s = (await again.dispatch('project.open', { dir })) as { task: string; clipCount: number }
    expect(s.task).toBe('ms3')
    expect(s.clipCount).toBe(1)
    expect(again.projects.require().store.listClips()).toEqual(clips)
    const recent = (await again.dispatch('project.recent', {})) as Array<{ dir: string }>
    expect(recent[0].dir).toBe(dir)
  })
})

test('opening a project removes what a killed import left behind, and nothing else', async () => {
  const video = await makeVideo(media, 'kept.mp4', { duration: 5 })
  const { app, dir } = await newProject()
  await importAll(app, [video])
  const before = mediaEntries(dir)
  const { mkdirSync } = await import('node:fs')
  mkdirSync(join(dir, 'media', '.staging', 'a-run'), { recursive: true })
  mkdirSync(join(dir, 'media', '0b9d3c1e-1111-4222-8333-444455556666', 'c0000'), { recursive: true })
  app.projects.close()
  await app.dispatch('project.open', { dir })
  expect(mediaEntries(dir)).toEqual(before)
  expect(app.projects.summary().clipCount).toBe(1)
})

test('paths with exactly one space work (fluent-ffmpeg would split such an option in two)', async () => {
  const video = await makeVideo(join(root), 'one space.mp4', { duration: 5 })
  const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
  const dir = join(root, 'single spaced')
  await app.dispatch('project.create', { dir, task: 's4' })
  const [r] = await importAll(app, [video])
  expect(r.error).toBeNull()
  expect(r.clips).toBe(1)
})
