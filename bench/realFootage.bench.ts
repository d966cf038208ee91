// Real-footage benchmark of the auto-segmentation: the ten DAVIS 2016 val sequences of
// ../shared/real-dev (evaluation only, never copied into the repo) as 5.1 s videos with a plausible
// sound and again with silence, imported and segmented through the app's own services (the job
// service `avs segment` uses), each model mask scored against the DAVIS annotation of its source frame.
//
//   npm run bench                     (part of the suite: the default model for this computer, baseline
//                                      ccformer-tiny-s4; the other shipped default against it, figures …@<id>)
//   npx tsx bench/realFootage.bench.ts [--model <id|file.onnx>] [--baseline <id|file.onnx|none>] [--also <id,..|none>]
//       [--seqs a,b] [--provider cpu] [--json out.json] [--write-results] [--keep] [--no-avss] [--real-dev <dir>]
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createApp } from '../src/main/app'
import { decodePng, resizeNearest } from '../src/main/image/png'
import { resolveTool } from '../src/main/services/media/ffmpegTools'
import { decodeMask } from '../src/main/services/project/maskCodec'
import type { Clip, ImportResult } from '../src/shared/domain'
import { ProviderChoice, type JobInfo, type ModelInfo } from '../src/shared/inference'
import { maskIoU } from '../src/shared/metrics/avsMetrics'
import { JOB_STAGES, record, stageTotals, writeResults } from './lib'
import { AVSS_SECONDS, buildClips, DAVIS_SEQUENCES, TARGET_DBFS, type BuiltClip, type Variant } from './realFootageClips'
import { spearman } from './spearman'

const REPO = resolve(__dirname, '..')
/** bench/inference.bench.ts points AVS_MODELS_DIR at its bench model for the rest of the process: this bench uses the models the process started with. */
const MODELS_DIR_AT_START = process.env.AVS_MODELS_DIR
const DEFAULT_BASELINE = 'ccformer-tiny-s4'
/**
 * Other shipped models measured in the same run against the tested one: the two real-footage defaults
 * (the 1024² one where a clip runs in under 2.6 s here, else the 768² one), less the one under test.
 */
const DEFAULT_ALSO = ['ccformer-isnet-s4-1024', 'ccformer-isnet-s4']
/** Seconds per clip the segment job should stay under (the baseline of real_dev_s_per_clip). */
const TARGET_S_PER_CLIP = 3

export interface RealFootageOptions {
  /** Model id (or an .onnx with its .model.json beside it); default: the app's default model for a new S4 project. */
  model?: string
  /** Baseline model id or .onnx, measured in the same run; 'none' for no baseline. Default ccformer-tiny-s4. */
  baseline?: string
  /** More models (ids or .onnx) measured in the same run, their figures as `<figure>@<id>` with the tested model's as baseline; [] for none. Default: the shipped real-footage default that is not under test, where installed. */
  also?: string[]
  seqs?: string[]
  provider?: ProviderChoice
  /** Writes every per-frame figure and the summary here. */
  json?: string
  /** Keeps the temp project (and prints where) instead of removing it. */
  keep?: boolean
  /** ../shared/real-dev; else REAL_DEV, else ../shared/real-dev beside the repo. */
  realDev?: string
  /** Also the AVSS path: the same frames over 10.2 s in an AVSS project, the tested model in 5-frame windows (default true). */
  avss?: boolean
}

export function realDevDir(override?: string): string {
  return resolve(override ?? process.env.REAL_DEV ?? join(REPO, '..', 'shared', 'real-dev'))
}

interface FrameEval {
  index: number
  sourceFrame: number
  j: number
  /** Foreground pixels of the model mask and of the annotation. */
  area: number
  gtArea: number
  pixels: number
  confidence: number | null
}

interface ClipEval {
  seq: string
  variant: Variant
  clipName: string
  flags: string[]
  frames: FrameEval[]
}

interface ModelRun {
  id: string
  name: string
  provider: string | null
  sPerClip: number
  /** Mean ms per clip of each stage of the segment job (decode, features, inference, postprocess, store). */
  stageMs: Record<string, number>
  clips: ClipEval[]
  summary: Summary
}

interface Summary {
  jBySeq: Record<string, number>
  meanJ: number
  muteAreaRatio: number
  soundArea: number
  muteArea: number
  confSpearman: number
  confSpearmanPerClip: number
  perClipDefined: number
  spearmanBySeq: Record<string, number>
}

/** Removes the run folders of earlier runs whose process is gone (an interrupted run cannot clean up after itself). */
function removeAbandonedRuns(root: string): void {
  if (!existsSync(root)) return
  for (const d of readdirSync(root)) {
    const m = /^run-(\d+)-\d+$/.exec(d)
    if (!m || Number(m[1]) === process.pid) continue
    try {
      process.kill(Number(m[1]), 0)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(root, d), { recursive: true, force: true })
    }
  }
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN)

/** The annotation as 0/1 at its own size: nonzero (0/255 in DAVIS; any colour or palette index ≠ 0) is the object. */
function loadAnnotation(file: string): { mask: Uint8Array; width: number; height: number } {
  const img = decodePng(readFileSync(file))
  const ch = { L: 1, LA: 2, RGB: 3, RGBA: 4, P: 1 }[img.mode]
  const colour = img.mode === 'LA' || img.mode === 'RGBA' ? ch - 1 : ch
  const mask = new Uint8Array(img.width * img.height)
  for (let i = 0; i < mask.length; i++) {
    for (let c = 0; c < colour; c++) if (img.data[i * ch + c] !== 0) mask[i] = 1
  }
  return { mask, width: img.width, height: img.height }
}

function summarise(clips: ClipEval[], seqs: readonly string[]): Summary {
  const sound = clips.filter((c) => c.variant === 'sound')
  const mute = clips.filter((c) => c.variant === 'mute')
  const jBySeq: Record<string, number> = {}
  const spearmanBySeq: Record<string, number> = {}
  for (const seq of seqs) {
    const c = sound.find((x) => x.seq === seq)!
    jBySeq[seq] = mean(c.frames.map((f) => f.j))
    spearmanBySeq[seq] = c.frames.some((f) => f.confidence === null) ? NaN : spearman(c.frames.map((f) => f.confidence!), c.frames.map((f) => f.j))
  }
  const soundFrames = sound.flatMap((c) => c.frames)
  const area = (cs: ClipEval[]): number => cs.reduce((a, c) => a + c.frames.reduce((b, f) => b + f.area, 0), 0)
  const soundArea = area(sound)
  const muteArea = area(mute)
  const perClip = Object.values(spearmanBySeq).filter(Number.isFinite)
  return {
    jBySeq,
    meanJ: mean(Object.values(jBySeq)),
    soundArea,
    muteArea,
    muteAreaRatio: soundArea > 0 ? muteArea / soundArea : muteArea > 0 ? Infinity : NaN,
    confSpearman: soundFrames.some((f) => f.confidence === null) ? NaN : spearman(soundFrames.map((f) => f.confidence!), soundFrames.map((f) => f.j)),
    confSpearmanPerClip: mean(perClip),
    perClipDefined: perClip.length,
    spearmanBySeq
  }
}

const fmt = (x: number | undefined, digits = 3): string => (x === undefined ? '—' : Number.isFinite(x) ? x.toFixed(digits) : Number.isNaN(x) ? 'n/a' : String(x))

/** Runs the whole benchmark; records nothing (and says why) where real-dev is absent. */
export async function benchRealFootage(opts: RealFootageOptions = {}): Promise<Record<string, unknown> | null> {
  const say = (s: string): void => void process.stdout.write(s)
  const realDev = realDevDir(opts.realDev)
  const davis = join(realDev, 'davis')
  if (!existsSync(davis)) {
    say('skipped: ../shared/real-dev not found\n')
    return null
  }
  const seqs = opts.seqs?.length ? opts.seqs : [...DAVIS_SEQUENCES]
  const unknown = seqs.filter((s) => !(DAVIS_SEQUENCES as readonly string[]).includes(s) || !existsSync(join(davis, s, 'JPEGImages')))
  if (unknown.length) throw new Error(`unknown or missing sequence(s): ${unknown.join(', ')} (known: ${DAVIS_SEQUENCES.join(', ')})`)
  const provider = opts.provider ?? 'cpu'

  const root = join(tmpdir(), 'avs-real-footage')
  removeAbandonedRuns(root)
  const run = join(root, `run-${process.pid}-${Date.now()}`)
  mkdirSync(run, { recursive: true })
  const ffmpeg = resolveTool('ffmpeg').path
  const modelsDirNow = process.env.AVS_MODELS_DIR
  if (MODELS_DIR_AT_START === undefined) delete process.env.AVS_MODELS_DIR
  else process.env.AVS_MODELS_DIR = MODELS_DIR_AT_START
  const app = createApp({ mode: 'cli', homeDir: join(run, 'home') })
  try {
    // 1. The clips: cached by content (frames, recipe, encoder) across runs.
    const t0 = performance.now()
    const built = await buildClips({ davisDir: davis, seqs, cacheDir: join(root, 'clips'), scratchDir: join(run, 'scratch'), ffmpeg, log: say })
    say(`${built.length} clips ready (${built.filter((c) => c.cached).length} from the cache ${join(root, 'clips')}) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)

    // 2. A temp S4 project; the videos go in through the app's import.
    const projectDir = join(run, 'project')
    await app.dispatch('project.create', { dir: projectDir, task: 's4', name: 'real-footage bench' })
    const { jobId: importId } = (await app.dispatch('media.import', { paths: built.map((c) => c.path) })) as { jobId: string }
    const imported: ImportResult[] = await app.imports.wait(importId)
    const failed = imported.filter((r) => !r.ok)
    if (failed.length) throw new Error(`import failed: ${failed.map((r) => `${r.path}: ${r.error}`).join('; ')}`)
    const store = app.projects.require().store
    const byVideo = new Map<number, BuiltClip>(imported.map((r, i) => [r.videoId!, built[i]]))
    const clips = store.listClips().map((c) => ({ clip: c, built: byVideo.get(c.videoId)! }))
    if (clips.length !== built.length) throw new Error(`expected one 5 s clip per video, got ${clips.length} clips from ${built.length} videos`)

    // 3. Models: the one under test and the baseline, each run through the segment job service.
    const addIfFile = async (m: string | undefined): Promise<string | undefined> => {
      if (!m || !m.endsWith('.onnx')) return m
      return ((await app.dispatch('model.add', { onnxPath: resolve(m) })) as ModelInfo).id
    }
    const project = app.projects.require()
    // No --model: the default for a new S4 project on this computer, chosen with the provider this bench runs on.
    const tested = await app.segments.resolveModel(await addIfFile(opts.model), project, provider)
    if (!opts.model) {
      // Why that default: each shipped card that is the default only where fast, with its clip time here.
      for (const m of (await app.models.list()).filter((x) => x.valid && x.defaultMaxClipSeconds !== null)) {
        const s = await app.speed.cached(m, provider)
        if (!s) continue
        const verdict = s.seconds < m.defaultMaxClipSeconds! ? 'fast enough to be the default here' : 'not the default here'
        say(`default choice: ${m.id} ran one clip in ${s.seconds.toFixed(3)} s on ${s.provider} (${verdict}; its card's limit ${m.defaultMaxClipSeconds} s)\n`)
        record(`default_choice_clip_s@${m.id}`, s.seconds, 's', m.defaultMaxClipSeconds, `one clip's inference timed once per computer (SpeedProbe, ${s.provider}, ${s.threads} threads); baseline = the card's default_max_clip_seconds: ${verdict}`)
      }
    }
    let baselineId: string | null = null
    let baselineNote = ''
    const wanted = opts.baseline ?? DEFAULT_BASELINE
    if (wanted !== 'none') {
      try {
        const b = await app.segments.resolveModel(await addIfFile(wanted), project)
        if (b.id === tested.id) baselineNote = `the model under test is the baseline ${b.id}`
        else baselineId = b.id
      } catch (err) {
        baselineNote = `baseline ${wanted} not available: ${(err as Error).message}`
      }
    }
    const alsoIds: string[] = []
    for (const m of opts.also ?? DEFAULT_ALSO) {
      try {
        const r = await app.segments.resolveModel(await addIfFile(m), project)
        if (r.id !== tested.id && r.id !== baselineId && !alsoIds.includes(r.id)) alsoIds.push(r.id)
      } catch (err) {
        // An explicitly named model must be there; the default extra one may be absent (a user build without it).
        if (opts.also) throw err
        say(`(${m} not measured: ${(err as Error).message})\n`)
      }
    }
    say(`model: ${tested.id} (${tested.card?.name ?? '?'} ${tested.card?.version ?? ''}); baseline: ${baselineId ?? `none (${baselineNote || 'disabled'})`}${alsoIds.length ? `; also: ${alsoIds.join(', ')}` : ''}; provider ${provider}\n`)

    const gtCache = new Map<string, ReturnType<typeof loadAnnotation>>()
    const annotation = (seq: string, sourceFrame: number): ReturnType<typeof loadAnnotation> => {
      const key = `${seq}/${sourceFrame}`
      let a = gtCache.get(key)
      if (!a) gtCache.set(key, (a = loadAnnotation(join(davis, seq, 'Annotations', `${String(sourceFrame).padStart(5, '0')}.png`))))
      return a
    }

    /** Each clip's latest model masks scored against the annotation of each frame's source frame. */
    const evaluate = (list: Array<{ clip: Clip; built: BuiltClip }>): ClipEval[] => {
      const st = app.projects.require().store
      return list.map(({ clip, built: b }) => {
        const detail = st.getClip(clip.id)!
        const frames = detail.frames.map((f): FrameEval => {
          const m = st.latestMask(f.id, 'model')
          if (!m) throw new Error(`${b.seq} (${b.variant}) frame ${f.index} has no model mask`)
          const gt = annotation(b.seq, f.sourceFrame)
          let pred = decodeMask(m.data, m.width, m.height)
          // The model mask is at the frame's source size (854×480 here), as the annotation.
          if (m.width !== gt.width || m.height !== gt.height) pred = resizeNearest(pred, m.width, m.height, gt.width, gt.height)
          let area = 0
          let gtArea = 0
          for (let i = 0; i < pred.length; i++) {
            if (pred[i] !== 0) area++
            if (gt.mask[i] !== 0) gtArea++
          }
          // A class label (AVSS) counts as the object: J of label ≠ 0 against the annotation.
          for (let i = 0; i < pred.length; i++) if (pred[i] > 1) pred[i] = 1
          const j = maskIoU([pred], [gt.mask], gt.width, gt.height)
          return { index: f.index, sourceFrame: f.sourceFrame, j, area, gtArea, pixels: pred.length, confidence: m.confidence }
        })
        return { seq: b.seq, variant: b.variant, clipName: clip.name, flags: clip.flags, frames }
      })
    }

    const runModel = async (modelId: string): Promise<ModelRun> => {
      // One warm-up clip (worker thread, session), then the timed job over every clip.
      const warm = await app.segments.wait(((await app.dispatch('segment.start', { clipIds: [clips[0].clip.id], modelId, provider })) as { jobId: string }).jobId)
      if (warm.status !== 'done') throw new Error(`${modelId}: warm-up job ${warm.status}: ${warm.error}`)
      const t = performance.now()
      const { jobId } = (await app.dispatch('segment.start', { modelId, provider, replaceEdits: true })) as { jobId: string }
      const job: JobInfo = await app.segments.wait(jobId)
      const wallMs = performance.now() - t
      if (job.status !== 'done') throw new Error(`${modelId}: segment job ${job.status}: ${job.error}`)
      if (job.fallbackReason) say(`${modelId}: ${job.fallbackReason}\n`)
      const timings = app.segments.timings(jobId)
      const total = stageTotals(timings)
      const perClip = (ms: number): number => ms / Math.max(1, timings.length)
      const stageMs: Record<string, number> = Object.fromEntries(JOB_STAGES.map((k) => [k, perClip(total[k])]))
      stageMs.other = perClip(wallMs - total.staged)
      say(`${modelId}: ms per clip by stage: ${Object.entries(stageMs).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}\n`)
      const evals = evaluate(clips)
      return { id: modelId, name: job.model ?? modelId, provider: job.provider, sPerClip: wallMs / 1000 / clips.length, stageMs, clips: evals, summary: summarise(evals, seqs) }
    }

    const main = await runModel(tested.id)
    const base = baselineId ? await runModel(baselineId) : null
    const extra: ModelRun[] = []
    for (const id of alsoIds) extra.push(await runModel(id))

    // 3b. The AVSS path: the same frames over 10.2 s (sound looped) in an AVSS project, the tested model in
    // two 5-frame windows per clip, its masks as one class (J counts any class as the object).
    let avssRun: { sPerClip: number; clips: ClipEval[]; summary: Summary } | null = null
    if (opts.avss !== false) {
      const long = await buildClips({ davisDir: davis, seqs, cacheDir: join(root, 'clips'), scratchDir: join(run, 'scratch'), ffmpeg, log: say, seconds: AVSS_SECONDS })
      await app.dispatch('project.create', { dir: join(run, 'project-avss'), task: 'avss', name: 'real-footage bench (AVSS)' })
      const { jobId: longImport } = (await app.dispatch('media.import', { paths: long.map((c) => c.path) })) as { jobId: string }
      const longDone: ImportResult[] = await app.imports.wait(longImport)
      const bad = longDone.filter((r) => !r.ok)
      if (bad.length) throw new Error(`AVSS import failed: ${bad.map((r) => `${r.path}: ${r.error}`).join('; ')}`)
      const avssStore = app.projects.require().store
      const longByVideo = new Map<number, BuiltClip>(longDone.map((r, i) => [r.videoId!, long[i]]))
      const longClips = avssStore.listClips().map((c) => ({ clip: c, built: longByVideo.get(c.videoId)! }))
      if (longClips.length !== long.length || longClips.some((c) => avssStore.getClip(c.clip.id)!.frames.length !== 10)) throw new Error(`expected one 10-frame AVSS clip per video, got ${longClips.length} clips from ${long.length} videos`)
      const avssModel = await app.segments.resolveModel(tested.id, app.projects.require(), provider)
      const warm = await app.segments.wait(((await app.dispatch('segment.start', { clipIds: [longClips[0].clip.id], modelId: avssModel.id, provider, className: 'man' })) as { jobId: string }).jobId)
      if (warm.status !== 'done') throw new Error(`AVSS warm-up job ${warm.status}: ${warm.error}`)
      const t = performance.now()
      const job = await app.segments.wait(((await app.dispatch('segment.start', { modelId: avssModel.id, provider, className: 'man', replaceEdits: true })) as { jobId: string }).jobId)
      if (job.status !== 'done') throw new Error(`AVSS segment job ${job.status}: ${job.error}`)
      const evals = evaluate(longClips)
      avssRun = { sPerClip: (performance.now() - t) / 1000 / longClips.length, clips: evals, summary: summarise(evals, seqs) }
      say(`AVSS (${avssModel.id}, 10 frames a clip in two 5-frame windows, as "man"): J by sequence ${seqs.map((q) => `${q} ${fmt(avssRun!.summary.jBySeq[q])}`).join(', ')}\n`)
    }

    // 4. Report.
    const pct = (area: number, px: number): string => `${((100 * area) / px).toFixed(1)}%`
    const clipArea = (r: ModelRun, seq: string, v: Variant): string => {
      const c = r.clips.find((x) => x.seq === seq && x.variant === v)!
      return pct(c.frames.reduce((a, f) => a + f.area, 0), c.frames.reduce((a, f) => a + f.pixels, 0))
    }
    const snd = (seq: string): BuiltClip => built.find((c) => c.seq === seq && c.variant === 'sound')!
    say(`\nJ = IoU with the annotation of each clip frame's source frame (5 frames per clip); area = model mask / frame\n`)
    const head = ['sequence', 'sound', `J ${main.id}`.slice(0, 24), ...(base ? [`J ${base.id}`.slice(0, 24)] : []), 'GT area', 'area sound', 'area mute', 'ρ(conf,J)']
    const widths = [15, 44, 24, ...(base ? [24] : []), 8, 10, 10, 9]
    const row = (cells: string[]): void => say(`${cells.map((c, i) => (i < 2 ? c.slice(0, widths[i]).padEnd(widths[i]) : c.padStart(widths[i]))).join(' ')}\n`)
    row(head)
    for (const seq of seqs) {
      const c = main.clips.find((x) => x.seq === seq && x.variant === 'sound')!
      row([
        seq, snd(seq).sound, fmt(main.summary.jBySeq[seq]), ...(base ? [fmt(base.summary.jBySeq[seq])] : []),
        pct(c.frames.reduce((a, f) => a + f.gtArea, 0), c.frames.reduce((a, f) => a + f.pixels, 0)), clipArea(main, seq, 'sound'), clipArea(main, seq, 'mute'), fmt(main.summary.spearmanBySeq[seq], 2)
      ])
    }
    row(['mean', '', fmt(main.summary.meanJ), ...(base ? [fmt(base.summary.meanJ)] : []), '', '', '', fmt(main.summary.confSpearmanPerClip, 2)])
    const flagged = main.clips.filter((c) => c.flags.length)
    if (flagged.length) say(`clip flags: ${flagged.map((c) => `${c.seq}/${c.variant} [${c.flags.join(', ')}]`).join('; ')}\n`)
    say('\n')

    const b = base?.summary
    const label = `${main.id}${base ? `; baseline ${base.id}` : ''}`
    const figures: Record<string, { value: number; unit: string; baseline: number | null }> = {}
    const figure = (name: string, value: number, unit: string, baseline: number | null | undefined, note: string): void => {
      if (!Number.isFinite(value)) {
        say(`${name.padEnd(44)} ${'n/a'.padStart(10)} ${unit}  (${note}; undefined for this model)\n`)
        return
      }
      record(name, value, unit, baseline !== undefined && baseline !== null && Number.isFinite(baseline) ? baseline : null, note)
      figures[name] = { value, unit, baseline: baseline ?? null }
    }
    for (const seq of seqs) figure(`real_dev_j.${seq}`, main.summary.jBySeq[seq], 'J', b?.jBySeq[seq], `sounding clip, 5 frames, ${label}`)
    figure('real_dev_mean_j', main.summary.meanJ, 'J', b?.meanJ, `mean over ${seqs.length} DAVIS sequences with a plausible sound, ${label}${baselineNote ? `; no baseline: ${baselineNote}` : ''}`)
    figure('real_dev_mute_area_ratio', main.summary.muteAreaRatio, '×', b?.muteAreaRatio,
      `mask area with silence / with sound (${main.summary.muteArea} / ${main.summary.soundArea} px); a sound-aware model gives ≈ 0`)
    figure('real_dev_conf_spearman', main.summary.confSpearman, 'ρ', b?.confSpearman, `stored confidence vs frame J over the ${seqs.length * 5} sounding frames`)
    figure('real_dev_conf_spearman_per_clip', main.summary.confSpearmanPerClip, 'ρ', b?.confSpearmanPerClip,
      `mean of per-clip ρ over the ${main.summary.perClipDefined} of ${seqs.length} clips where it is defined`)
    figure('real_dev_s_per_clip', main.sPerClip, 's', TARGET_S_PER_CLIP,
      `segment job over ${clips.length} clips after one warm-up clip, ${main.provider ?? provider}; baseline = the ${TARGET_S_PER_CLIP} s target${base ? `; ${base.id}: ${base.sPerClip.toFixed(3)} s` : ''}`)
    if (avssRun) {
      const a = avssRun.summary
      const vs = `${main.id} on AVSS clips (the same frames over 10.2 s, two 5-frame windows a clip); baseline = its S4 figure in the same run`
      figure('real_dev_avss_mean_j', a.meanJ, 'J', main.summary.meanJ, `mean over ${seqs.length} DAVIS sequences, 10 frames a clip, ${vs}`)
      figure('real_dev_avss_mute_area_ratio', a.muteAreaRatio, '×', main.summary.muteAreaRatio, `mask area with silence / with sound (${a.muteArea} / ${a.soundArea} px), ${vs}`)
      figure('real_dev_avss_conf_spearman', a.confSpearman, 'ρ', main.summary.confSpearman, `stored confidence vs frame J over the ${seqs.length * 10} sounding frames, ${vs}`)
      figure('real_dev_avss_s_per_clip', avssRun.sPerClip, 's', 2 * TARGET_S_PER_CLIP,
        `segment job over ${avssRun.clips.length} 10-s clips after one warm-up clip, ${main.id}; baseline = twice the ${TARGET_S_PER_CLIP} s target (two 5-frame windows)`)
    }
    // Each extra model against the tested one, measured in the same run (the trade-off a user picks in the model list).
    for (const x of extra) {
      const s = x.summary
      say(`${x.id}: J by sequence ${seqs.map((q) => `${q} ${fmt(s.jBySeq[q])}`).join(', ')}\n`)
      const vs = `${x.id}; baseline = ${main.id} in the same run`
      figure(`real_dev_mean_j@${x.id}`, s.meanJ, 'J', main.summary.meanJ, `mean over ${seqs.length} DAVIS sequences, ${vs}`)
      figure(`real_dev_mute_area_ratio@${x.id}`, s.muteAreaRatio, '×', main.summary.muteAreaRatio, `mask area with silence / with sound (${s.muteArea} / ${s.soundArea} px), ${vs}`)
      figure(`real_dev_conf_spearman@${x.id}`, s.confSpearman, 'ρ', main.summary.confSpearman, `stored confidence vs frame J, ${vs}`)
      figure(`real_dev_s_per_clip@${x.id}`, x.sPerClip, 's', main.sPerClip, `segment job over ${clips.length} clips, ${x.provider ?? provider}, ${vs}`)
    }

    const report = {
      realDev,
      seqs,
      provider,
      targetDbfs: TARGET_DBFS,
      clips: built.map(({ seq, variant, frames, rate, sound, meanDb }) => ({ seq, variant, frames, rate, sound, meanDb })),
      figures,
      models: [main, ...(base ? [base] : []), ...extra].map((r) => ({ id: r.id, name: r.name, provider: r.provider, sPerClip: r.sPerClip, stageMs: r.stageMs, summary: r.summary, clips: r.clips })),
      baselineNote: baselineNote || null,
      avss: avssRun
    }
    if (opts.json) {
      writeFileSync(opts.json, `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`)
      say(`wrote ${opts.json}\n`)
    }
    return report
  } finally {
    await app.segments.close()
    app.projects.close()
    if (modelsDirNow === undefined) delete process.env.AVS_MODELS_DIR
    else process.env.AVS_MODELS_DIR = modelsDirNow
    if (opts.keep) say(`kept the temp projects: ${join(run, 'project')}${opts.avss !== false ? ` and ${join(run, 'project-avss')}` : ''} (remove ${run} when done)\n`)
    else rmSync(run, { recursive: true, force: true })
  }
}

// --- standalone -------------------------------------------------------------------------------

const USAGE = `usage: npx tsx bench/realFootage.bench.ts [options]
  --model <id|file.onnx>     model to test (default: the app's default for a new S4 project)
  --baseline <id|file|none>  measured in the same run for the baselines (default ${DEFAULT_BASELINE})
  --also <id,..|none>        more models measured in the same run against --model (default ${DEFAULT_ALSO.join(',')} where installed)
  --seqs a,b                 DAVIS sequences (default all: ${DAVIS_SEQUENCES.join(',')})
  --provider <p>             ${ProviderChoice.options.join('|')} (default cpu)
  --json <file>              every per-frame figure and the summary as JSON
  --write-results            also merge the figures into bench/results.json
  --keep                     keep the temp projects for inspection (avs info / avs serve)
  --no-avss                  skip the AVSS path (the same frames over 10.2 s, the tested model in two 5-frame windows)
  --real-dev <dir>           default $REAL_DEV, else ../shared/real-dev beside the repo
`

async function cli(argv: string[]): Promise<number> {
  const opts: RealFootageOptions = {}
  let writeAll = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value\n${USAGE}`)
      return v
    }
    if (a === '--model') opts.model = value()
    else if (a === '--baseline') opts.baseline = value()
    else if (a === '--also') {
      const v = value()
      opts.also = v === 'none' ? [] : v.split(',').map((x) => x.trim()).filter(Boolean)
    }
    else if (a === '--seqs') opts.seqs = value().split(',').map((s) => s.trim()).filter(Boolean)
    else if (a === '--provider') opts.provider = ProviderChoice.parse(value())
    else if (a === '--json') opts.json = resolve(value())
    else if (a === '--real-dev') opts.realDev = value()
    else if (a === '--keep') opts.keep = true
    else if (a === '--no-avss') opts.avss = false
    else if (a === '--write-results') writeAll = true
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE)
      return 0
    } else throw new Error(`unknown argument ${a}\n${USAGE}`)
  }
  const report = await benchRealFootage(opts)
  if (report && writeAll) writeResults()
  return 0
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`realFootage bench failed: ${(err as Error).stack ?? String(err)}\n`)
      process.exit(1)
    }
  )
}
