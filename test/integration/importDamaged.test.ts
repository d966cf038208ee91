import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, test } from 'vitest'
import { createApp, type App } from '../../src/main/app'
import { decodeWavPcm16 } from '../../src/main/services/media/wav'
import type { ImportProgress, ImportResult } from '../../src/shared/domain'
import { ffmpegPath, frameNumberOf, makeVideo, redQuarter, truncated } from '../fixtures/media'

const run = promisify(execFile)
const root = mkdtempSync(join(tmpdir(), 'avs-damaged-'))
const media = join(root, 'media')
mkdirSync(media)
let n = 0

async function newProject(): Promise<{ app: App; dir: string }> {
  const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
  const dir = join(root, `project-${++n}`)
  await app.dispatch('project.create', { dir, task: 's4' })
  return { app, dir }
}

async function importAll(app: App, paths: string[]): Promise<{ results: ImportResult[]; events: ImportProgress[] }> {
  const events: ImportProgress[] = []
  const off = app.events.subscribe((event, p) => {
    if (event === 'import.progress') events.push(p as ImportProgress)
  })
  const { jobId } = (await app.dispatch('media.import', { paths, startOffset: 0 })) as { jobId: string }
  const results = await app.imports.wait(jobId)
  off()
  return { results, events }
}

function snapshot(app: App, dir: string): string {
  const store = app.projects.require().store
  return JSON.stringify({ s: app.projects.summary(), videos: store.listVideos(), clips: store.listClips(), media: readdirSync(join(dir, 'media')) })
}

describe('a truncated video keeps its whole clips', () => {
  // 22 s make four S4 clips; cut after 60 % of its bytes, a file decodes to about 13 s: clips 0–5 s and 5–10 s are whole.
  const cases = [
    { file: 'faststart.mp4', spec: { movflags: '+faststart' }, kept: '2 of its 4 clips were whole and kept \\(0 s–10 s\\); the rest cannot be decoded' },
    // One-second fragments, as a live recorder writes them. There is no index of the whole: the
    // duration is what ffprobe finds in the fragments that are there (about 14 s), so 2 clips are planned.
    { file: 'fragmented.mp4', spec: { movflags: '+frag_keyframe+empty_moov', keyint: 25 }, kept: 'its 2 clips were whole and kept \\(0 s–10 s\\)' },
    { file: 'h264.mkv', spec: {}, kept: '2 of its 4 clips were whole and kept \\(0 s–10 s\\); the rest cannot be decoded' },
    { file: 'vp9.webm', spec: { codec: 'vp9', audio: 'opus' }, kept: '2 of its 4 clips were whole and kept \\(0 s–10 s\\); the rest cannot be decoded' }
  ] as const

  for (const { file, spec, kept } of cases) {
    test(`${file} cut in the middle: the whole clips before the cut, frames and audio intact, and a warning`, async () => {
      const indexed = !('codec' in spec)
      const whole = await makeVideo(media, `whole-${file}`, { duration: 22, indexed, ...spec })
      const cut = await truncated(whole, 0.6, join(media, `cut-${file}`))
      const { app, dir } = await newProject()
      const { results, events } = await importAll(app, [cut])
      const [r] = results
      expect(r.error).toBeNull()
      expect(r.ok).toBe(true)
      expect(r.clips).toBe(2)
      expect(r.flags).toEqual([])
      expect(r.warning).toMatch(new RegExp(`^cut-${file.replace('.', '\\.')} is truncated or damaged after 1[0-9](\\.\\d+)? s of its \\d+(\\.\\d+)? s: ${kept}$`))
      expect(events[events.length - 1]).toMatchObject({ stage: 'done', clips: 2, error: null, warning: r.warning })
      const store = app.projects.require().store
      // The warning stays with the video (the clip list's "damaged file" badge, `avs info`), after a reopen too.
      expect(store.listVideos().map((v) => v.importNote)).toEqual([r.warning])
      const clips = store.listClips()
      expect(clips.map((c) => c.start)).toEqual([0, 5])
      for (const c of clips) {
        expect(c.flags).toEqual([])
        expect(c.audioSamples).toBe(80000)
        const wav = decodeWavPcm16(readFileSync(join(dir, 'media', c.audio)))
        expect(wav.samples.length).toBe(80000)
        // The tone runs to the clip's end: its audio is whole, not padded with silence.
        expect(Math.max(...wav.samples.subarray(76000))).toBeGreaterThan(2000)
      }
      if (indexed) {
        const frames = clips.flatMap((c) => store.getClip(c.id)!.frames)
        expect(frames.map((f) => f.sourceFrame)).toEqual([23, 48, 73, 98, 123, 148, 173, 198, 223, 248])
        for (const f of frames) expect(await frameNumberOf(join(dir, 'media', f.image))).toBe(f.sourceFrame)
      }
      // The same cut file again is the same import, not a second copy.
      const again = await importAll(app, [cut])
      expect(again.results[0].error).toMatch(/is already in the project/)
    })
  }

  test('a whole file says nothing; one with nothing whole, or no index, is refused and leaves the project as it was', async () => {
    const whole = await makeVideo(media, 'rec.mp4', { duration: 22, indexed: true, movflags: '+faststart' })
    const { app, dir } = await newProject()
    const first = await importAll(app, [whole])
    expect(first.results[0]).toMatchObject({ ok: true, clips: 4, warning: null })
    expect(first.events[first.events.length - 1].warning).toBeNull()
    expect(app.projects.require().store.listVideos().map((v) => v.importNote)).toEqual([null])
    const before = snapshot(app, dir)
    // About 2 s decode: less than one clip.
    const early = await truncated(whole, 0.1, join(media, 'early.mp4'))
    // The index is in front but not one frame made it: cut right after the data box's header.
    const bytes = readFileSync(whole)
    expect(bytes.indexOf('moov')).toBeLessThan(bytes.indexOf('mdat'))
    const headerOnly = join(media, 'header-only.mp4')
    writeFileSync(headerOnly, bytes.subarray(0, bytes.indexOf('mdat') + 4))
    // moov at the end, as a camera writes it: cut inside the data, there is no index at all.
    const plain = await makeVideo(media, 'camera.mp4', { duration: 22 })
    const noIndex = await truncated(plain, 0.5, join(media, 'no-index.mp4'))
    const notVideo = join(media, 'notes.mp4')
    writeFileSync(notVideo, 'not a video\n'.repeat(100))
    const { results } = await importAll(app, [early, headerOnly, noIndex, notVideo])
    expect(results.map((r) => r.ok)).toEqual([false, false, false, false])
    expect(results[0].error).toMatch(/^early\.mp4 is truncated or damaged after [1-3](\.\d+)? s of its 22 s: no whole 5 s clip can be decoded; nothing was imported$/)
    expect(results[1].error).toBe('header-only.mp4 is truncated or damaged: none of its 22 s can be decoded; nothing was imported')
    expect(results[2].error).toMatch(/^no-index\.mp4 is truncated: its index \(the moov atom\) is missing or cut short/)
    expect(results[3].error).toMatch(/^notes\.mp4 is not a media file/)
    expect(snapshot(app, dir)).toBe(before)
    expect(readdirSync(join(dir, 'media'))).not.toContain('.staging')
  })
})

describe('rotation metadata', () => {
  const turned = { 90: 'top-right', 180: 'bottom-right', 270: 'bottom-left' } as const

  test('the reported rotation is the clockwise turn a player gives the picture, and the stored frames are turned so', async () => {
    const { app, dir } = await newProject()
    for (const degrees of [90, 180, 270] as const) {
      const video = await makeVideo(media, `phone-${degrees}.mp4`, { duration: 5, width: 320, height: 240, marked: true, rotate: degrees })
      const { results } = await importAll(app, [video])
      expect(results[0].error).toBeNull()
      const store = app.projects.require().store
      const v = store.listVideos().find((x) => x.name === `phone-${degrees}.mp4`)!
      expect(v.rotation).toBe(degrees)
      expect([v.width, v.height]).toEqual(degrees === 180 ? [320, 240] : [240, 320])
      const clip = store.getClip(store.listClips().find((c) => c.name.startsWith(`phone-${degrees}`))!.id)!
      expect(clip.flags).toContain('rotated')
      expect(await redQuarter(join(dir, 'media', clip.frames[2].image))).toBe(turned[degrees])
      expect(await redQuarter(join(dir, 'media', clip.frames[2].thumb))).toBe(turned[degrees])
    }
  })

  test("a file tagged with ffmpeg's -metadata:s:v rotate= reports the turn its frames were given", async () => {
    const plain = await makeVideo(media, 'untagged.mp4', { duration: 5, width: 320, height: 240, marked: true })
    const tagged = join(media, 'tagged-rotate-90.mp4')
    await run(ffmpegPath, ['-y', '-hide_banner', '-loglevel', 'error', '-i', plain, '-map', '0', '-c', 'copy', '-metadata:s:v:0', 'rotate=90', tagged])
    const { app, dir } = await newProject()
    const { results } = await importAll(app, [tagged])
    expect(results[0].error).toBeNull()
    const store = app.projects.require().store
    const clip = store.getClip(store.listClips()[0].id)!
    const quarter = await redQuarter(join(dir, 'media', clip.frames[0].image))
    // Which way this is depends on the ffmpeg that wrote the file (the bundled 4.1-dev writes 270): the number and the picture agree.
    const degrees = (Object.keys(turned) as Array<`${keyof typeof turned}`>).find((d) => turned[Number(d) as keyof typeof turned] === quarter)
    expect(store.listVideos()[0].rotation).toBe(Number(degrees))
  })
})
