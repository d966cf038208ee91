// Shared setup of the avsbench*.test.ts files: real projects with imported fixture videos and
// masks saved through the store, plus a runner for Python checks with Debian's /usr/bin/python3.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { createApp, type App } from '../../src/main/app'
import { encodeMask, MASK_ENCODING } from '../../src/main/services/project/maskCodec'
import type { ClipDetail, Split, TaskType } from '../../src/shared/domain'
import { encodePng } from '../../src/main/image/png'
import { encodeWavPcm16 } from '../../src/main/services/media/wav'
import { AVSS_PALETTE, label2idxJson } from '../../src/shared/avsClasses'
import { ffmpegPath, makeVideo } from '../fixtures/media'

export const PY = '/usr/bin/python3'

/** Runs a Python snippet with arguments; returns stdout. Throws with Python's stderr on failure. */
export function python(code: string, args: string[] = []): string {
  return execFileSync(PY, ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
}

export const hasPython = ((): boolean => {
  if (!existsSync(PY)) return false
  try {
    execFileSync(PY, ['-c', 'import torch, numpy, PIL'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

/** All files under dir, relative, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e)
      if (statSync(p).isDirectory()) walk(p)
      else out.push(relative(dir, p))
    }
  }
  walk(dir)
  return out.sort()
}

/** A deterministic label map: a rectangle of `label` whose place depends on the seed. */
export function rectMask(w: number, h: number, seed: number, label = 1): Uint8Array {
  const m = new Uint8Array(w * h)
  const x0 = (seed * 7) % Math.max(1, w - w / 3)
  const y0 = (seed * 5) % Math.max(1, h - h / 3)
  for (let y = Math.floor(y0); y < Math.floor(y0 + h / 3); y++) for (let x = Math.floor(x0); x < Math.floor(x0 + w / 3); x++) m[y * w + x] = label
  return m
}

let counter = 0

export interface ClipSpec {
  split?: Split | null
  category?: string | null
  /** 0-based frames to annotate; default all. */
  annotate?: number[]
  /** Review status given to annotated frames; default accepted. */
  status?: 'accepted' | 'edited'
  /** Label of the rectangles (AVSS classes); per frame via a function. */
  label?: (frame: number) => number
}

/**
 * A project of `task` with one imported video per clip spec (5 s, or 10 s for AVSS), masks saved
 * as human revisions and their frames set to `status`.
 */
export async function makeProject(root: string, task: TaskType, specs: ClipSpec[], size = { width: 96, height: 72 }): Promise<{ app: App; dir: string; clips: ClipDetail[] }> {
  const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
  const dir = join(root, `project-${task}-${++counter}`)
  await app.dispatch('project.create', { dir, task })
  const seconds = task === 'avss' ? 10 : 5
  const videos: string[] = []
  for (let i = 0; i < specs.length; i++) {
    videos.push(await makeVideo(root, `v${counter}-${i}.mp4`, { duration: seconds, width: size.width, height: size.height, tone: 300 + 100 * i }))
  }
  const { jobId } = (await app.dispatch('media.import', { paths: videos })) as { jobId: string }
  const results = await app.imports.wait(jobId)
  const failed = results.find((r) => !r.ok)
  if (failed) throw new Error(`fixture import failed: ${failed.error}`)
  const store = app.projects.require().store
  const clips = store.listClips()
  if (clips.length !== specs.length) throw new Error(`fixture: expected ${specs.length} clips, got ${clips.length}`)
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]
    const clip = store.getClip(clips[i].id)!
    store.updateClip(clip.id, { split: spec.split ?? null, category: spec.category ?? null })
    const annotate = spec.annotate ?? clip.frames.map((f) => f.index)
    for (const k of annotate) {
      const f = clip.frames[k]
      const label = spec.label ? spec.label(k) : 1
      store.addMask(f.id, { source: 'human', width: f.width, height: f.height, encoding: MASK_ENCODING, data: encodeMask(rectMask(f.width, f.height, i * 10 + k, label)) })
      store.setFrameStatus([f.id], spec.status ?? 'accepted')
    }
  }
  return { app, dir, clips: store.listClips().map((c) => store.getClip(c.id)!) }
}

/** A small AVSS release made by hand: a v1s train clip (labels for frame 0 only), a v1m test clip, a v2 val clip. */
export function makeAvssRelease(dir: string, opts: { semantic?: boolean } = {}): string[] {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'label2idx.json'), label2idxJson())
  const clips: Array<[string, string, string, string, number]> = [
    ['abcDEF12345', 'abcDEF12345_4000_9000', 'train', 'v1s', 5],
    ['ms3video_1', 'ms3video_1', 'test', 'v1m', 5],
    ['xyzXYZ98765', 'xyzXYZ98765_60000_70000', 'val', 'v2', 10]
  ]
  const rows = ['vid,uid,s_min,s_sec,a_obj,split,label']
  const w = 40
  const h = 30
  for (const [vid, uid, split, label, t] of clips) {
    const base = join(dir, label, uid)
    mkdirSync(join(base, 'frames'), { recursive: true })
    mkdirSync(join(base, 'labels_rgb'))
    execFileSync(ffmpegPath, ['-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=1:duration=${t}`, '-start_number', '0', join(base, 'frames', '%d.jpg')])
    const annotated = split === 'train' && label === 'v1s' ? 1 : t
    for (let k = 0; k < annotated; k++) {
      const labels = rectMask(w, h, k, label === 'v1m' ? 28 + (k % 2) * 40 : 7)
      const rgb = new Uint8Array(w * h * 3)
      for (let i = 0; i < labels.length; i++) rgb.set(AVSS_PALETTE.subarray(labels[i] * 3, labels[i] * 3 + 3), i * 3)
      // an anti-aliased pixel that is no palette colour: read as background, counted
      if (label === 'v2' && k === 3) rgb.set([1, 2, 3], 0)
      writeFileSync(join(base, 'labels_rgb', `${k}.png`), encodePng({ width: w, height: h, mode: 'RGB', data: rgb }))
      if (opts.semantic) {
        mkdirSync(join(base, 'labels_semantic'), { recursive: true })
        writeFileSync(join(base, 'labels_semantic', `${k}.png`), encodePng({ width: w, height: h, mode: 'L', data: labels }))
      }
    }
    // 44.1 kHz stereo: converted to 16 kHz mono on import
    const pcm = new Int16Array(44100 * t * 2)
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin(i / 20))
    writeFileSync(join(base, 'audio.wav'), encodeWavPcm16(pcm, 44100, 2))
    const start = Number(/_(\d+)_\d+$/.exec(uid)?.[1] ?? 0) / 1000
    rows.push([vid, uid, Math.floor(start / 60), start % 60, label === 'v1m' ? 'guitar_violin' : 'bird', split, label].join(','))
  }
  writeFileSync(join(dir, 'metadata.csv'), rows.join('\n') + '\n')
  return clips.map((c) => c[1])
}


/** A hand-made S4 release of `n` small clips (16 kHz mono WAV, PNG frames and masks; no ffmpeg needed). */
export function makeS4Release(dir: string, n: number, size = { width: 32, height: 24 }): string[] {
  const { width: w, height: h } = size
  const rows = ['name,start,category,split']
  const names: string[] = []
  for (let i = 0; i < n; i++) {
    const name = `clip${String(i).padStart(4, '0')}`
    const split = (['train', 'val', 'test'] as const)[i % 3]
    const cat = i % 2 ? 'dog_barking' : 'cat_meowing'
    const frames = join(dir, 's4_data/visual_frames', split, cat, name)
    const masks = join(dir, 's4_data/gt_masks', split, cat, name)
    const wavDir = join(dir, 's4_data/audio_wav', split, cat)
    for (const d of [frames, masks, wavDir]) mkdirSync(d, { recursive: true })
    for (let k = 1; k <= 5; k++) {
      const rgb = new Uint8Array(w * h * 3).fill((i * 5 + k) % 256)
      writeFileSync(join(frames, `${name}_${k}.png`), encodePng({ width: w, height: h, mode: 'RGB', data: rgb }))
      if (split !== 'train' || k === 1) {
        const m = rectMask(w, h, i + k)
        for (let p = 0; p < m.length; p++) m[p] *= 255
        writeFileSync(join(masks, `${name}_${k}.png`), encodePng({ width: w, height: h, mode: 'L', data: m }))
      }
    }
    const pcm = new Int16Array(16000 * 5)
    for (let s = 0; s < pcm.length; s++) pcm[s] = Math.round(4000 * Math.sin((s * (i + 1)) / 30))
    writeFileSync(join(wavDir, `${name}.wav`), encodeWavPcm16(pcm, 16000, 1))
    rows.push(`${name},0,${cat},${split}`)
    names.push(name)
  }
  writeFileSync(join(dir, 's4_meta_data.csv'), rows.join('\n') + '\n')
  return names
}
