import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createApp, type App } from '../../src/main/app'
import { ClipSegmenter, type ClipInput, type SegmenterOptions } from '../../src/main/services/inference/ClipSegmenter'
import { encodeWavPcm16 } from '../../src/main/services/media/wav'
import { decodeMask } from '../../src/main/services/project/maskCodec'
import { releaseSessions } from '../../src/main/services/inference/session'
import { avssClassIndex } from '../../src/shared/avsClasses'
import type { JobInfo } from '../../src/shared/inference'
import { ffmpegPath, makeVideo } from '../fixtures/media'
import { makeAvssRelease } from './avsbenchFixtures'

// A binary 5-frame model on a 10-s AVSS clip: two windows of 5 frames, each with its own seconds of
// audio, the masks taking the AVSS class the job names (or the clip's category). Real parts: the
// shipped ccformer-tiny-s4 (it listens: its masks change with the sound) under onnxruntime-node, a
// clip cut by a real import, frames decoded by ffmpeg.

const root = mkdtempSync(join(tmpdir(), 'avs-seg-windows-'))
const EXAMPLE = 15360 // samples per log-mel example: 96 hops of 160
let app: App
let clip: ClipInput
let options: SegmenterOptions

/** A 16-kHz mono WAV of 10 s whose seconds differ: silence, then a loud chirp-like mix from 4.8 s on. */
function writeAudio(file: string, samples: Int16Array): string {
  writeFileSync(file, encodeWavPcm16(samples, 16000))
  return file
}
const pcm = new Int16Array(160000)
for (let i = 0; i < pcm.length; i++) {
  const t = i / 16000
  const s = Math.floor(t)
  // Each second its own sound: silence, noise bursts, tones of rising pitch.
  pcm[i] = s < 2 ? 0 : Math.round(9000 * Math.sin(2 * Math.PI * (200 + 150 * s) * t) + (s % 2 ? 4000 * Math.sin(2 * Math.PI * 3100 * t) : 0))
}

beforeAll(async () => {
  delete process.env.AVS_MODELS_DIR // the shipped models/ folder
  const video = await makeVideo(root, 'ten.mp4', { duration: 10, width: 96, height: 64, tone: 440 })
  app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
  await app.dispatch('project.create', { dir: join(root, 'p'), task: 'avss' })
  const { jobId } = (await app.dispatch('media.import', { paths: [video] })) as { jobId: string }
  await app.imports.wait(jobId)
  const { store, mediaDir } = app.projects.require()
  const d = store.getClip(store.listClips()[0].id)!
  expect(d.frames).toHaveLength(10)
  clip = {
    clipId: d.id,
    frames: d.frames.map((f) => ({ id: f.id, file: join(mediaDir, f.image), width: f.width, height: f.height })),
    audioFile: writeAudio(join(root, 'full.wav'), pcm),
    audioSamples: pcm.length
  }
  const model = (await app.models.get('ccformer-tiny-s4'))!
  options = { modelPath: model.onnxPath, card: model.card!, provider: 'cpu', threads: 1, ffmpeg: ffmpegPath, padMode: 'repeat-last' }
}, 120_000)

afterAll(async () => {
  await app.segments.close()
  await releaseSessions()
  rmSync(root, { recursive: true, force: true })
})

/** Frames 5–9 of the clip as a 5-frame sequence of their own (f0.jpg … f4.jpg, as the decoder reads a clip). */
function lastFive(): ClipInput['frames'] {
  const dir = join(root, 'last-five')
  mkdirSync(dir, { recursive: true })
  return clip.frames.slice(5).map((f, i) => {
    copyFileSync(f.file, join(dir, `f${i}.jpg`))
    return { ...f, file: join(dir, `f${i}.jpg`) }
  })
}

const maskBytes = (r: { frames: Array<{ mask: Uint8Array }> }): string[] => r.frames.map((f) => Buffer.from(f.mask).toString('base64'))

test('a 10-frame clip runs as two 5-frame windows: window 2 is frames 5–9 with log-mel examples 5–9 of the clip', async () => {
  const guitar = avssClassIndex('guitar')!
  const whole = await new ClipSegmenter(options).segment({ ...clip, label: guitar })
  expect(whole.frames.map((f) => f.frameId)).toEqual(clip.frames.map((f) => f.id))
  // The same frames alone, with a WAV that starts at example 5's first sample: its examples 0–4 are the clip's 5–9.
  const tail = pcm.slice(5 * EXAMPLE)
  const second = await new ClipSegmenter(options).segment({
    clipId: clip.clipId, frames: lastFive(), audioFile: writeAudio(join(root, 'tail.wav'), tail), audioSamples: tail.length, label: guitar
  })
  expect(maskBytes(whole).slice(5)).toEqual(maskBytes(second))
  const first = await new ClipSegmenter(options).segment({ ...clip, frames: clip.frames.slice(0, 5), label: guitar })
  expect(maskBytes(whole).slice(0, 5)).toEqual(maskBytes(first))
  // The model listens: frames 5–9 with the clip's first seconds instead give other masks, so the windows' audio is checked above.
  const wrongSound = await new ClipSegmenter(options).segment({ ...clip, frames: lastFive(), label: guitar })
  expect(maskBytes(wrongSound)).not.toEqual(maskBytes(second))
  // The foreground takes the class: only background and guitar, and something is marked.
  const values = new Set<number>()
  for (const f of whole.frames) for (const v of decodeMask(Buffer.from(f.mask), f.width, f.height)) values.add(v)
  expect([...values].sort((a, b) => a - b)).toEqual([0, guitar])
}, 120_000)

test('a clip whose frame count is not a multiple of the model\'s is refused with the reason', async () => {
  await expect(new ClipSegmenter(options).segment({ ...clip, frames: clip.frames.slice(0, 7) })).rejects.toThrow(/has 7 frames but the model takes 5 \(or a multiple of 5\)/)
})

async function segment(input: Record<string, unknown>): Promise<JobInfo> {
  const { jobId } = (await app.dispatch('segment.start', input)) as { jobId: string }
  return app.segments.wait(jobId)
}

const labelsOf = (): Set<number> => {
  const { store } = app.projects.require()
  const values = new Set<number>()
  for (const f of store.getClip(clip.clipId)!.frames) {
    const m = store.latestMask(f.id)!
    expect(m).toMatchObject({ source: 'model', model: 'ccformer-tiny-s4' })
    for (const v of decodeMask(m.data, f.width, f.height)) values.add(v)
  }
  return values
}

test('an AVSS job with a binary model: the class named, else the clip\'s category; refused in words without one', async () => {
  // No class and no category: refused before anything runs, naming the clip and both ways out.
  await expect(segment({ modelId: 'ccformer-tiny-s4', provider: 'cpu' })).rejects.toThrow(
    /binary model: it marks what sounds, and each AVSS mask needs a class\. Clip ten_0_10000 has no class of its own \(a category that names an AVSS class, or one sounding class in an imported AVSBench row\): choose the class for this job .*avs segment --class guitar\) or set the clips' category to an AVSS class \(avs set --category guitar --clips 1\)$/
  )
  await expect(segment({ modelId: 'ccformer-tiny-s4', className: 'gutiar' })).rejects.toThrow(/"gutiar" is not an AVSS class \(did you mean guitar\?\)/)
  await expect(segment({ modelId: 'ccformer-tiny-s4', className: 'vacum cleaner' })).rejects.toThrow(/"vacum cleaner" is not an AVSS class \(did you mean vacuum-cleaner\?\)/)
  await expect(segment({ modelId: 'ccformer-tiny-s4', className: 'background' })).rejects.toThrow(/"background" is not an AVSS class/)
  expect(app.projects.require().store.latestMask(app.projects.require().store.getClip(clip.clipId)!.frames[0].id)).toBeNull()

  const job = await segment({ modelId: 'ccformer-tiny-s4', className: 'Guitar', provider: 'cpu' })
  expect(job).toMatchObject({ status: 'done', total: 1, className: 'guitar', failedClips: 0 })
  expect([...labelsOf()].sort((a, b) => a - b)).toEqual([0, avssClassIndex('guitar')])
  // All 10 frames were segmented, each once.
  for (const f of app.projects.require().store.getClip(clip.clipId)!.frames) expect(app.projects.require().store.listMaskRevisions(f.id)).toHaveLength(1)

  expect(await app.dispatch('segment.classless', {})).toEqual([clip.clipId])
  // The clip's category names a class ("emergency car" → emergency-car): no class needed, and a job's class
  // does not override it (it is for the clips whose category names none).
  await app.dispatch('clip.update', { clipId: clip.clipId, category: 'emergency car' })
  expect(await app.dispatch('segment.classless', {})).toEqual([])
  const byCategory = await segment({ modelId: 'ccformer-tiny-s4', provider: 'cpu' })
  expect(byCategory).toMatchObject({ status: 'done', className: null })
  expect([...labelsOf()].sort((a, b) => a - b)).toEqual([0, avssClassIndex('emergency-car')])
  expect(await segment({ modelId: 'ccformer-tiny-s4', provider: 'cpu', className: 'dog' })).toMatchObject({ status: 'done', className: 'dog' })
  expect([...labelsOf()].sort((a, b) => a - b)).toEqual([0, avssClassIndex('emergency-car')])

  // A job cut short resumes; a clip that lost its category meanwhile refuses the resume up front, naming it.
  const { store } = app.projects.require()
  const last = await segment({ modelId: 'ccformer-tiny-s4', provider: 'cpu' })
  store.db.prepare(`UPDATE jobs SET status = 'interrupted', done = 0 WHERE id = ?`).run(last.id)
  await app.dispatch('clip.update', { clipId: clip.clipId, category: null })
  await expect(app.dispatch('job.resume', { jobId: last.id })).rejects.toThrow(/Clip ten_0_10000 has no class of its own/)
  await app.dispatch('clip.update', { clipId: clip.clipId, category: 'Piano' })
  await app.dispatch('job.resume', { jobId: last.id })
  expect(await app.segments.wait(last.id)).toMatchObject({ status: 'done' })
  expect([...labelsOf()].sort((a, b) => a - b)).toEqual([0, avssClassIndex('piano')])
}, 120_000)

test("an imported AVSBench AVSS release: a clip's one sounding class (a_obj) labels its masks; a clip with two needs the job's class", async () => {
  const release = join(root, 'avss-release')
  makeAvssRelease(release) // v1s "bird" (5 frames, frame 0 labelled), v1m "guitar_violin" (5), v2 "bird" (10)
  const imp = createApp({ mode: 'cli', homeDir: join(root, 'home-release') })
  try {
    await imp.dispatch('avsbench.import', { dir: release, format: 'avss', projectDir: join(root, 'release-project') })
    const store = imp.projects.require().store
    const [v1s, v1m, v2] = store.listClips().map((c) => store.getClip(c.id)!)
    expect(await imp.dispatch('segment.classless', {})).toEqual([v1m.id])
    expect(await imp.dispatch('segment.classless', { clipIds: [v1s.id, v2.id] })).toEqual([])
    const start = async (input: Record<string, unknown>): Promise<JobInfo> => imp.segments.wait(((await imp.dispatch('segment.start', input)) as { jobId: string }).jobId)
    await expect(start({ modelId: 'ccformer-tiny-s4', provider: 'cpu' })).rejects.toThrow(/Clip ms3video_1 has no class of its own/)
    // The release's own masks are kept (16 frames); v1s's unlabelled frames 1–4 get model masks, as bird.
    const fill = await start({ modelId: 'ccformer-tiny-s4', provider: 'cpu', className: 'man' })
    expect(fill).toMatchObject({ status: 'done', total: 3, skippedFrames: 16, className: 'man' })
    expect(v1s.frames.map((f) => store.latestMask(f.id)!.source)).toEqual(['import', 'model', 'model', 'model', 'model'])
    const labels = (c: typeof v1s): Set<number> => {
      const seen = new Set<number>()
      for (const f of c.frames) for (const v of decodeMask(store.latestMask(f.id)!.data, f.width, f.height)) seen.add(v)
      return seen
    }
    const bird = avssClassIndex('bird')!
    expect([...labels(v1s)].every((v) => v === 0 || v === bird)).toBe(true)
    // Replacing every mask: v1m (two sounding classes) takes the job's class, v2 its own.
    expect(await start({ modelId: 'ccformer-tiny-s4', provider: 'cpu', className: 'man', replaceEdits: true })).toMatchObject({ status: 'done', skippedFrames: 0 })
    expect([...labels(v1m)].filter((v) => v !== 0)).toEqual([avssClassIndex('man')])
    expect([...labels(v2)].filter((v) => v !== 0)).toEqual([bird])
  } finally {
    await imp.segments.close()
  }
}, 120_000)
