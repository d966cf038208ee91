import { mkdtempSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createApp, type App } from '../../src/main/app'
import { ClipSegmenter, type ClipInput, type ClipReader, type SegmenterOptions } from '../../src/main/services/inference/ClipSegmenter'
import { decodeClipFrames } from '../../src/main/services/inference/decodeFrames'
import { releaseSessions } from '../../src/main/services/inference/session'
import { ffmpegPath, makeVideo } from '../fixtures/media'

// The segment job reads the next clip's frames and audio while the model runs the current one.
// Real parts: the shipped ccformer-tiny-s4 under onnxruntime-node, clips cut by a real import,
// frames decoded by ffmpeg. The reader seam only counts the reads it passes on to the real one.

const root = mkdtempSync(join(tmpdir(), 'avs-seg-prefetch-'))
let app: App
let clips: ClipInput[] = []
let options: SegmenterOptions

beforeAll(async () => {
  delete process.env.AVS_MODELS_DIR // the shipped models/ folder
  const video = await makeVideo(root, 'three-clips.mp4', { duration: 15, width: 96, height: 64, tone: 440 })
  app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
  await app.dispatch('project.create', { dir: join(root, 'p'), task: 's4' })
  const { jobId } = (await app.dispatch('media.import', { paths: [video] })) as { jobId: string }
  await app.imports.wait(jobId)
  const { store, mediaDir } = app.projects.require()
  clips = store.listClips().map((c) => {
    const d = store.getClip(c.id)!
    return {
      clipId: d.id,
      frames: d.frames.map((f) => ({ id: f.id, file: join(mediaDir, f.image), width: f.width, height: f.height })),
      audioFile: join(mediaDir, d.audio),
      audioSamples: d.audioSamples
    }
  })
  expect(clips).toHaveLength(3)
  const model = (await app.models.get('ccformer-tiny-s4'))!
  options = { modelPath: model.onnxPath, card: model.card!, provider: 'cpu', threads: 1, ffmpeg: ffmpegPath, padMode: 'repeat-last' }
}, 120_000)

afterAll(async () => {
  await releaseSessions()
  rmSync(root, { recursive: true, force: true })
})

/** The real read (ffmpeg decode + WAV bytes), each call logged by clip id. */
function countingReader(): { read: ClipReader; reads: number[] } {
  const reads: number[] = []
  const read: ClipReader = (clip, W, H, ffmpeg, signal) => {
    reads.push(clip.clipId)
    return Promise.all([decodeClipFrames(ffmpeg, clip.frames.map((f) => f.file), W, H, signal), import('node:fs/promises').then((fs) => fs.readFile(clip.audioFile))])
  }
  return { read, reads }
}

const masks = (r: { frames: Array<{ mask: Uint8Array; confidence: number }> }): string[] =>
  r.frames.map((f) => `${Buffer.from(f.mask).toString('base64')}:${f.confidence.toFixed(6)}`)

test('the next clip is read while the current one runs, once, and gives the same masks as a read of its own', async () => {
  const [a, b, c] = clips
  const alone = new ClipSegmenter(options)
  const want = { b: masks(await alone.segment(b)), c: masks(await alone.segment(c)) }

  const { read, reads } = countingReader()
  const seg = new ClipSegmenter(options, undefined, read)
  await seg.segment({ ...a, next: b })
  expect(reads).toEqual([a.clipId, b.clipId]) // b read during a's call
  expect(masks(await seg.segment({ ...b, next: c }))).toEqual(want.b)
  expect(reads).toEqual([a.clipId, b.clipId, c.clipId]) // b not read again; c read ahead
  expect(masks(await seg.segment(c))).toEqual(want.c)
  expect(reads).toHaveLength(3)
}, 120_000)

test('a prefetch for another clip is not used, and a prefetched read that fails fails on its own clip', async () => {
  const [a, b, c] = clips
  const alone = new ClipSegmenter(options)
  const wantC = masks(await alone.segment(c))

  const { read, reads } = countingReader()
  const seg = new ClipSegmenter(options, undefined, read)
  await seg.segment({ ...a, next: b })
  // The job went another way (a clip deleted, a cancel and resume): c is read for itself, b's read is dropped.
  expect(masks(await seg.segment(c))).toEqual(wantC)
  expect(reads).toEqual([a.clipId, b.clipId, c.clipId])

  // b's frames vanish before its read: a's call still succeeds, b's call says what is missing.
  const moved = b.frames[2].file + '.away'
  renameSync(b.frames[2].file, moved)
  try {
    await expect(seg.segment({ ...a, next: b })).resolves.toMatchObject({ clipId: a.clipId })
    await expect(seg.segment(b)).rejects.toThrow(/1 of 5 frame image\(s\) are missing from the media cache \(f2\.jpg/)
  } finally {
    renameSync(moved, b.frames[2].file)
  }
}, 120_000)
