import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { ApiError } from '../../../shared/api'
import type { InferenceSettings, JobInfo, ProviderChoice, SegmentRequest } from '../../../shared/inference'
import type { ClipInput, ClipResult, SegmenterOptions } from '../inference/ClipSegmenter'
import { clipLengthMismatch, taskMismatch, taskNative, type ModelCard } from '../inference/modelCard'
import type { ModelEntry, ModelRegistry } from '../inference/models'
import { PROVIDER_LABEL, defaultThreads } from '../inference/session'
import { timeClip, type ClipTiming, type SpeedProbe } from '../inference/speedProbe'
import { padModeOf } from '../inference/preprocess'
import { projectWriteError, type OpenProject, type ProjectService } from '../project/ProjectService'
import { MASK_ENCODING } from '../project/maskCodec'
import { JobStore, toJobInfo, type SegmentParams } from './JobStore'
import { ClipRunError, WorkerClipRunner, type ClipRunner } from './WorkerClipRunner'
import { diskFullError } from '../project/diskFull'
import { CLIP_SECONDS, type ClipDetail, type TaskType } from '../../../shared/domain'
import { AVSS_CLASSES, avssClassIndex, avssClassKey } from '../../../shared/avsClasses'
import { closest } from '../../../shared/closest'

export interface SegmentServiceDeps {
  projects: ProjectService
  models: ModelRegistry
  ffmpeg: () => Promise<string>
  settings: () => Promise<InferenceSettings>
  emit: (job: JobInfo) => void
  /** Where clips run; a worker thread unless a test or bench passes another. */
  runner?: ClipRunner
  /** Times a model once on this computer, for cards that are the default only where a clip runs fast enough; without it such cards are passed over. */
  speed?: SpeedProbe
  /** What else is running in the app that would slow a timing down (an import), or null. */
  busy?: () => string | null
}

/** The model a job gets when it names none, and why that one (null: the settings name it, or no model was passed over). */
export interface DefaultChoice {
  model: ModelEntry
  reason: string | null
}

/** Seconds as measured (2 decimals), and a card's limit as the card gives it (2.6 stays 2.6). */
const secs = (s: number): string => `${s.toFixed(2)} s`
const limitSecs = (s: number): string => `${Number(s.toFixed(3))} s`

interface LiveJob {
  id: string
  project: OpenProject
  jobs: JobStore
  model: ModelEntry
  cancelled: boolean
  currentClipId: number | null
  runStart: number
  /** Run time of earlier runs (stored elapsedMs when this run started) and when this run last stored its time. */
  baseElapsedMs: number
  savedAt: number
  runClips: number
  remainingMs: number | null
  settled: Promise<JobInfo>
  settle: (j: JobInfo) => void
  /** The last progress sent, for the final event of a job whose project was closed. */
  lastInfo?: JobInfo | null
  /** Per-clip timings of this run (for the bench and the log). */
  timings: Array<ClipResult['ms'] & { store: number; threadId: number }>
}

const EMPTY_INFO: JobInfo = {
  id: '', kind: 'segment', status: 'interrupted', total: 0, done: 0, clipIds: [], currentClipId: null, model: null, provider: null, requestedProvider: 'auto',
  fallbackReason: null, replaceEdits: false, className: null, skippedFrames: 0, failedClips: 0, elapsedMs: 0, remainingMs: null, error: null, createdAt: '', updatedAt: ''
}

/**
 * The one AVSS class an AVSBench `a_obj` names ("bird"; "guitar_violin" names two; "background" and
 * "off-the-screen" none), or null.
 */
export function soleSoundingClass(aObj: string | null | undefined): number | null {
  const classes = new Set((aObj ?? '').split('_').map((t) => avssClassIndex(t)).filter((i): i is number => i !== null))
  return classes.size === 1 ? [...classes][0] : null
}

/** Review states a person set: a model run leaves these frames alone unless asked to replace edits. */
const PERSON_STATES = new Set(['edited', 'accepted', 'rejected'])

/** A stored clip as the segmenter reads it: absolute frame and audio paths. */
function clipInput(mediaDir: string, c: ClipDetail): ClipInput {
  return {
    clipId: c.id,
    frames: c.frames.map((f) => ({ id: f.id, file: join(mediaDir, f.image), width: f.width, height: f.height })),
    audioFile: join(mediaDir, c.audio),
    audioSamples: c.audioSamples
  }
}

/**
 * Auto-segmentation jobs: persisted in the project's `jobs` table, one job running at a time,
 * one clip per worker call, progress events, cancel, and resume of an interrupted job.
 *
 * Human edits: a frame whose newest mask is not the model's, or whose status a person set
 * (edited, accepted, rejected), is skipped — no model revision is added, since the newest
 * revision is what the editor shows; 'revert to model' then restores the older model mask.
 * With `replaceEdits` the model mask becomes the newest revision and the frame goes to 'auto'.
 */
export class SegmentService {
  private readonly live = new Map<string, LiveJob>()
  private readonly queue: LiveJob[] = []
  private pumping = false
  /** Models being timed for the default choice, one after another: jobs wait for them, so neither slows the other. */
  private timingChain: Promise<unknown> = Promise.resolve()
  private runnerInstance: ClipRunner | null

  constructor(private readonly deps: SegmentServiceDeps) {
    this.runnerInstance = deps.runner ?? null
  }

  private get runner(): ClipRunner {
    return (this.runnerInstance ??= new WorkerClipRunner())
  }

  /**
   * One clip of a model timed where jobs run (the inference worker), for `SpeedProbe`. A timing that
   * hangs (a GPU driver that never returns) would hold every job back: after a minute, or 20 times the
   * model's limit, the worker is stopped (the next job starts a new one) and the timing fails.
   */
  async timeClip(modelPath: string, choice: ProviderChoice, threads: number, secondRunUnder: number): Promise<ClipTiming> {
    const r = this.runner
    if (!r.time) return timeClip(modelPath, choice, threads, secondRunUnder)
    const limitMs = Math.max(60_000, Number.isFinite(secondRunUnder) ? (20 * 1000 * secondRunUnder) / 1.5 : 0)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void r.close()
        reject(new Error(`timing one clip took over ${Math.round(limitMs / 1000)} s; the inference worker was stopped`))
      }, limitMs)
    })
    try {
      return await Promise.race([r.time(modelPath, choice, threads, secondRunUnder), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private jobStore(project: OpenProject): JobStore {
    const jobs = new JobStore(project.store.db)
    jobs.markInterrupted(new Set([...this.live.values()].filter((j) => j.project === project).map((j) => j.id)))
    return jobs
  }

  /** The project's task and frames per clip, and why a model's card does not fit them (null: it fits). */
  private fitOf(project: OpenProject): { task: TaskType; frames: number; misfit: (card: ModelCard) => string | null } {
    const task = project.store.task
    const frames = Number(project.store.getMeta('clip_seconds') ?? CLIP_SECONDS[task])
    return { task, frames, misfit: (card) => clipLengthMismatch(card, frames, task) ?? taskMismatch(card, task) }
  }

  /**
   * The class a job's masks take where a binary model segments an AVSS project (it marks what sounds,
   * not what it is) and a clip's category names no AVSS class: the request's class, checked, else null.
   * A class asked of any other job is refused rather than ignored.
   */
  private jobClass(project: OpenProject, model: ModelEntry, className: string | null | undefined): string | null {
    const task = project.store.task
    if (className == null) return null
    if (task !== 'avss') throw new ApiError('bad_class', `A class is for AVSS projects segmented by a binary model; this ${task.toUpperCase()} project's masks are binary (the sounding object)`)
    if (model.card?.task !== 'binary') throw new ApiError('bad_class', `Model "${model.id}" is a semantic model: it gives each pixel its own class, so no class is chosen for it`)
    const i = avssClassIndex(className)
    if (i === null) {
      const near = closest(avssClassKey(className), AVSS_CLASSES.slice(1))
      throw new ApiError('bad_class', `"${className}" is not an AVSS class${near ? ` (did you mean ${near}?)` : ''}; the 70 classes are label2idx.json's, e.g. man, woman, guitar, piano, dog, car`)
    }
    return AVSS_CLASSES[i]
  }

  /**
   * An AVSS clip's own class, for a binary model's masks: its category where it names an AVSS class
   * (what a person said of this clip), else the one sounding class of its imported AVSBench row
   * (`a_obj`, e.g. a v1s clip's "bird"); null if neither.
   */
  private ownClass(clip: { category: string | null }, aObj: string | undefined): number | null {
    return avssClassIndex(clip.category) ?? soleSoundingClass(aObj)
  }

  /**
   * The label a clip's masks take: 1, unless a binary model segments an AVSS project: then the clip's
   * own class (`aObj`: its AVSBench row's, if imported), else the job's class; or why the clip has none (a string).
   */
  private clipLabel(project: OpenProject, card: ModelCard, className: string | null | undefined, clip: { category: string | null }, aObj: string | undefined): number | string {
    if (project.store.task !== 'avss' || card.task !== 'binary') return 1
    const i = this.ownClass(clip, aObj) ?? avssClassIndex(className)
    return i ?? `no AVSS class (its category ${clip.category ? `"${clip.category}" is not one` : 'is not set'}, and the job names none)`
  }

  /**
   * The clips (of `clipIds`, else all) that have no class of their own for a binary model's masks on
   * this AVSS project (no category naming an AVSS class, no single sounding class from AVSBench): a job
   * on them needs a class. Empty for S4/MS3 projects.
   */
  classless(clipIds?: number[]): number[] {
    const project = this.deps.projects.require()
    if (project.store.task !== 'avss') return []
    const wanted = clipIds ? new Set(clipIds) : null
    const objs = project.store.avsbenchSoundingObjects()
    return project.store.listClips().filter((c) => (!wanted || wanted.has(c.id)) && this.ownClass(c, objs.get(c.id)) === null).map((c) => c.id)
  }

  /** Refuses a binary-model AVSS job some of whose clips would get no class, before anything runs: which clips, and both ways out. */
  private refuseClassless(project: OpenProject, model: ModelEntry, className: string | null, clips: Array<{ id: number; name: string; category: string | null }>): void {
    const objs = project.store.avsbenchSoundingObjects()
    const classless = clips.filter((c) => typeof this.clipLabel(project, model.card!, className, c, objs.get(c.id)) === 'string')
    if (!classless.length) return
    const one = classless.length === 1
    const names = classless.slice(0, 5).map((c) => c.name).join(', ') + (classless.length > 5 ? `, … (${classless.length} in all)` : '')
    throw new ApiError('no_class', `Model "${model.id}" is a binary model: it marks what sounds, and each AVSS mask needs a class. ${one ? 'Clip' : `${classless.length} clips`} ${names} ${one ? 'has no class of its own' : 'have no class of their own'} (a category that names an AVSS class, or one sounding class in an imported AVSBench row): choose the class for this job (Auto-segment's "Class of the masks", avs segment --class guitar) or set the clips' category to an AVSS class (avs set --category guitar --clips ${classless.slice(0, 5).map((c) => c.id).join(',')})`)
  }

  /** The model a request names, else the settings' default, else `defaultModel`'s choice for the project and this computer. */
  async resolveModel(modelId: string | undefined, project: OpenProject, provider?: ProviderChoice): Promise<ModelEntry> {
    const all = await this.deps.models.list()
    let model: ModelEntry
    if (modelId) {
      const named = all.find((m) => m.id === modelId)
      if (!named) throw new ApiError('unknown_model', `No model "${modelId}"; available: ${all.filter((m) => m.valid).map((m) => m.id).join(', ') || 'none'}`)
      model = named
    } else {
      model = (await this.defaultModel(project, provider)).model
    }
    if (!model.valid || !model.card) throw new ApiError('invalid_model', `Model "${model.id}" cannot be used: ${model.reason}`)
    const bad = this.fitOf(project).misfit(model.card)
    if (bad) throw new ApiError('model_mismatch', bad)
    return model
  }

  /**
   * The model a job on this project gets when it names none: the settings' model where it fits the
   * project; else the default model that made the project's latest model masks (one model per
   * project, whatever computer it is opened on); else the first valid model that fits (cards marked
   * `default` first), except that a card that is the default only where a clip runs in under
   * `default_max_clip_seconds` is taken only where it does: it is timed once on this computer with the
   * provider and threads a job would use (`SpeedProbe`), in the inference worker, never beside a job.
   */
  async defaultModel(project: OpenProject, provider?: ProviderChoice): Promise<DefaultChoice> {
    const settings = await this.deps.settings()
    let note: string | null = null
    if (settings.modelId) {
      try {
        return { model: await this.resolveModel(settings.modelId, project), reason: null }
      } catch (err) {
        if (!(err instanceof ApiError)) throw err
        note = `your default model cannot be used here (${err.message})`
      }
    }
    const d = await this.choose(await this.deps.models.list(), project, provider)
    return note ? { model: d.model, reason: [note, d.reason].filter(Boolean).join('; ') } : d
  }

  private async choose(all: ModelEntry[], project: OpenProject, provider?: ProviderChoice): Promise<DefaultChoice> {
    const { task, frames, misfit } = this.fitOf(project)
    const settings = await this.deps.settings()
    const choice = provider ?? settings.provider
    const threads = settings.threads ?? defaultThreads()
    const fits = (m: ModelEntry): boolean => m.valid && !!m.card && misfit(m.card) === null
    // A dataset made by one model: the default that made this project's latest model masks stays its default
    // (masks record the card's name; imported predictions and non-default models do not count).
    // A model that gives the project's own kind of mask (semantic for AVSS) before one that only fits it,
    // also before the pinned one: a semantic model installed after a binary one made an AVSS project's masks.
    const native = (m: ModelEntry): boolean => !!m.card && taskNative(m.card, task)
    const nativeFits = all.some((m) => native(m) && fits(m))
    for (const used of project.store.maskModels()) {
      const same = all.find((m) => m.isDefault && fits(m) && (m.card?.name === used || m.id === used))
      if (same && (native(same) || !nativeFits)) return { model: same, reason: `${same.id} made this project's latest model masks (a project keeps one default model; choose another to change it)` }
    }
    const passed: string[] = []
    let slow: ModelEntry | null = null
    for (const m of [...all.filter(native), ...all.filter((m) => !native(m))]) {
      if (!fits(m)) continue
      const limit = m.defaultMaxClipSeconds
      if (limit === null) return { model: m, reason: passed.length ? passed.join('; ') : null }
      const speed = this.deps.speed
      if (!speed) {
        passed.push(`${m.id} not timed on this computer`)
        continue
      }
      try {
        // Timed only while nothing else runs here: a clip timed beside a job or an import would be slow, and the time is kept.
        const busy = this.live.size > 0 || this.pumping ? 'a segmentation job is running' : (this.deps.busy?.() ?? null)
        if (busy && !(await speed.cached(m, choice, threads))) {
          passed.push(`${m.id} not timed on this computer yet (${busy}; it is timed when the app is idle)`)
          continue
        }
        // One timing at a time, and jobs started meanwhile wait for it (pump); a time taken while an
        // import ran is used for this answer but not kept.
        let importRan = false
        const watch = setInterval(() => (importRan ||= this.deps.busy?.() != null), 200)
        const timing = this.timingChain.then(() => speed.measure(m, choice, threads, () => !importRan && this.deps.busy?.() == null))
        this.timingChain = timing.catch(() => undefined)
        const s = await timing.finally(() => clearInterval(watch))
        // The limit is per run of the model (a 5-frame clip); a 10-frame AVSS clip takes two runs.
        const runs = m.card ? frames / m.card.clip_frames : 1
        const timed = `${m.id} runs a clip in ${secs(s.seconds)} on ${PROVIDER_LABEL[s.provider]} here${runs > 1 ? ` (this project's ${frames}-frame clips take ${runs} runs of ${m.card!.clip_frames} frames)` : ''}`
        if (s.seconds < limit) return { model: m, reason: `${timed}, under the ${limitSecs(limit)} it needs to be the default` }
        passed.push(`${timed}, over the ${limitSecs(limit)} it needs to be the default`)
        slow ??= m
      } catch (err) {
        passed.push(`${m.id} could not be timed: ${(err as Error).message.split('\n')[0]}`)
      }
    }
    // Nothing else fits: a model too slow to be the default here still beats none.
    if (slow) return { model: slow, reason: `${passed.join('; ')}; no other model fits this project` }
    throw new ApiError('no_model', `No usable ${task === 'avss' ? 'semantic or binary' : 'binary'} model for ${frames}-frame clips${passed.length ? ` (${passed.join('; ')})` : ''}; add a .onnx + .model.json pair to ${this.deps.models.userDir}`)
  }

  /** One running segmentation job per project: a second request is refused and names the running one. */
  private refuseIfRunning(project: OpenProject): void {
    const running = [...this.live.values()].find((j) => j.project === project || j.project.dir === project.dir)
    if (!running) return
    const info = this.stillOpen(running) ? this.info(running.id, project) : null
    const where = info ? ` (job ${running.id}, ${info.done}/${info.total} clips done)` : ` (job ${running.id})`
    throw new ApiError('segment_running', `A segmentation job is already running for this project${where}; wait for it to finish or cancel it before starting another`)
  }

  async start(req: SegmentRequest): Promise<{ jobId: string }> {
    const project = this.deps.projects.require()
    this.refuseIfRunning(project)
    const requestedProvider = req.provider ?? (await this.deps.settings()).provider
    const model = await this.resolveModel(req.modelId, project, requestedProvider)
    const clips = new Map(project.store.listClips().map((c) => [c.id, c]))
    const all = [...clips.keys()]
    const clipIds = req.clipIds ? [...new Set(req.clipIds)] : all
    const unknown = clipIds.filter((id) => !clips.has(id))
    if (unknown.length) throw new ApiError('not_found', `No clip${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} in this project`)
    if (clipIds.length === 0) throw new ApiError('no_clips', 'The project has no clips to segment; import a video first')
    const className = this.jobClass(project, model, req.className)
    this.refuseClassless(project, model, className, clipIds.map((id) => clips.get(id)!))
    const params: SegmentParams = {
      clipIds, modelId: model.id, requestedProvider, replaceEdits: req.replaceEdits ?? false, className,
      provider: null, fallbackReason: null, skippedFrames: 0, failedClips: 0, elapsedMs: 0
    }
    this.refuseIfRunning(project)
    const jobs = this.jobStore(project)
    const id = randomUUID()
    jobs.insert(id, params)
    this.enqueue(id, project, jobs, model)
    return { jobId: id }
  }

  /** Continues an interrupted or cancelled job from its first unfinished clip. */
  async resume(jobId: string): Promise<{ jobId: string }> {
    const project = this.deps.projects.require()
    const jobs = this.jobStore(project)
    const job = jobs.get(jobId)
    if (!job) throw new ApiError('unknown_job', `No job ${jobId} in this project`)
    if (this.live.has(jobId)) throw new ApiError('job_active', `Job ${jobId} is already ${job.status}`)
    if (job.status !== 'interrupted' && job.status !== 'cancelled') throw new ApiError('not_resumable', `Job ${jobId} is ${job.status}; only interrupted or cancelled jobs resume`)
    this.refuseIfRunning(project)
    const model = await this.resolveModel(job.params.modelId, project)
    // A clip that lost its category since the job started: refused now, not clip by clip.
    const clips = new Map(project.store.listClips().map((c) => [c.id, c]))
    const left = job.params.clipIds.slice(job.done).flatMap((id) => clips.get(id) ?? [])
    this.refuseClassless(project, model, job.params.className ?? null, left)
    jobs.update(jobId, { status: 'queued', error: null })
    this.enqueue(jobId, project, jobs, model)
    return { jobId }
  }

  cancel(jobId: string): void {
    const job = this.live.get(jobId)
    if (!job) {
      const project = this.deps.projects.require()
      if (!this.jobStore(project).get(jobId)) throw new ApiError('unknown_job', `No job ${jobId} in this project`)
      return // already finished: nothing to cancel
    }
    job.cancelled = true
    const i = this.queue.indexOf(job)
    if (i >= 0) {
      this.queue.splice(i, 1)
      this.finish(job, 'cancelled', null)
    }
  }

  list(): JobInfo[] {
    const project = this.deps.projects.current
    if (!project) return []
    return this.jobStore(project).list().map((j) => this.info(j.id, project) ?? toJobInfo(j))
  }

  /** Resolves when the job stops (done, failed, cancelled or interrupted). */
  wait(jobId: string): Promise<JobInfo> {
    const job = this.live.get(jobId)
    if (job) return job.settled
    const project = this.deps.projects.require()
    const stored = this.jobStore(project).get(jobId)
    if (!stored) throw new ApiError('unknown_job', `No job ${jobId} in this project`)
    return Promise.resolve(toJobInfo(stored))
  }

  /** Per-clip stage timings of a job run in this process (bench). */
  timings(jobId: string): LiveJob['timings'] {
    return this.lastTimings.get(jobId) ?? []
  }
  private readonly lastTimings = new Map<string, LiveJob['timings']>()

  async close(): Promise<void> {
    for (const j of this.live.values()) j.cancelled = true
    await this.runnerInstance?.close()
    this.runnerInstance = this.deps.runner ?? null
  }

  private info(jobId: string, project: OpenProject): JobInfo | null {
    const live = this.live.get(jobId)
    const stored = new JobStore(project.store.db).get(jobId)
    if (!stored) return null
    if (!live) return toJobInfo(stored)
    // The stored elapsed time is updated after every clip; add the time since then.
    return toJobInfo(stored, { currentClipId: live.currentClipId, runMs: live.runStart ? performance.now() - live.savedAt : 0, remainingMs: live.remainingMs })
  }

  private emit(job: LiveJob): void {
    if (!this.stillOpen(job)) return
    const info = this.info(job.id, job.project)
    job.lastInfo = info
    if (info) this.deps.emit(info)
  }

  private enqueue(id: string, project: OpenProject, jobs: JobStore, model: ModelEntry): void {
    let settle: (j: JobInfo) => void = () => undefined
    const settled = new Promise<JobInfo>((r) => (settle = r))
    const job: LiveJob = { id, project, jobs, model, cancelled: false, currentClipId: null, runStart: 0, baseElapsedMs: 0, savedAt: 0, runClips: 0, remainingMs: null, settled, settle, timings: [] }
    this.live.set(id, job)
    this.queue.push(job)
    this.emit(job)
    void this.pump()
  }

  private async pump(): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        await this.timingChain
        try {
          await this.run(job)
        } catch (err) {
          this.finish(job, 'failed', (diskFullError(projectWriteError(job.project, err), job.project.dir, 'The job stopped') as Error).message)
        }
      }
    } finally {
      this.pumping = false
    }
  }

  private finish(job: LiveJob, status: 'done' | 'failed' | 'cancelled' | 'interrupted', error: string | null): void {
    const runMs = job.runStart ? performance.now() - job.runStart : 0
    // A closed project's database is closed too: its row stays 'running' and reads as interrupted on reopen.
    const open = this.stillOpen(job)
    const stored = open ? job.jobs.get(job.id) : null
    if (stored) job.jobs.update(job.id, { status, error, params: { ...stored.params, elapsedMs: job.runStart ? job.baseElapsedMs + runMs : stored.params.elapsedMs } })
    const info: JobInfo | null = stored
      ? toJobInfo(job.jobs.get(job.id)!)
      : job.lastInfo ? { ...job.lastInfo, status, error, currentClipId: null, remainingMs: null } : null
    job.currentClipId = null
    job.remainingMs = null
    job.runStart = 0
    this.live.delete(job.id)
    this.lastTimings.set(job.id, job.timings)
    if (info) this.deps.emit(info)
    job.settle(info ?? { ...EMPTY_INFO, id: job.id, status, error })
  }

  private stillOpen(job: LiveJob): boolean {
    return this.deps.projects.current === job.project
  }

  private async run(job: LiveJob): Promise<void> {
    const { store, mediaDir } = job.project
    const card = job.model.card!
    if (!this.stillOpen(job)) return this.finish(job, 'interrupted', 'the project was closed')
    const first = job.jobs.get(job.id)
    if (!first) return
    job.jobs.update(job.id, { status: 'running' })
    job.runStart = job.savedAt = performance.now()
    job.baseElapsedMs = first.params.elapsedMs
    this.emit(job)
    const options: SegmenterOptions = {
      modelPath: job.model.onnxPath, card, provider: first.params.requestedProvider,
      threads: (await this.deps.settings()).threads ?? undefined, ffmpeg: await this.deps.ffmpeg(),
      // Missing seconds are padded as the model was trained: a binary model as S4/MS3 (the last second repeated), even on an AVSS project.
      padMode: padModeOf(card.task === 'binary' ? 's4' : store.task),
      runId: `${job.id}:${randomUUID()}`
    }
    const errors: string[] = []
    // Imported AVSBench clips' sounding classes, read once for the run (a binary model's class on AVSS).
    const soundingObjects = store.avsbenchSoundingObjects()
    for (let i = first.done; i < first.total; i++) {
      if (job.cancelled) return this.finish(job, 'cancelled', null)
      if (!this.stillOpen(job)) return this.finish(job, 'interrupted', 'the project was closed')
      const clipId = first.params.clipIds[i]
      job.currentClipId = clipId
      this.emit(job)
      const clip = store.getClip(clipId)
      let result: ClipResult | null = null
      let failure: string | null = null
      if (!clip) failure = `clip ${clipId} no longer exists`
      else {
        try {
          const label = this.clipLabel(job.project, card, first.params.className, clip, soundingObjects.get(clip.id))
          if (typeof label === 'string') throw new Error(label)
          const nextClip = i + 1 < first.total ? store.getClip(first.params.clipIds[i + 1]) : null
          result = await this.runner.segment(options, { ...clipInput(mediaDir, clip), label, next: nextClip ? clipInput(mediaDir, nextClip) : null })
        } catch (err) {
          if (err instanceof ClipRunError && err.fatal) return this.finish(job, 'failed', err.message)
          failure = `${clip.name}: ${(err as Error).message}`
        }
      }
      // A cancel that arrives mid-clip drops that clip's result: finished clips stay, the rest is untouched.
      if (job.cancelled) return this.finish(job, 'cancelled', null)
      if (!this.stillOpen(job)) return this.finish(job, 'interrupted', 'the project was closed')
      const params = job.jobs.get(job.id)!.params
      const t0 = performance.now()
      if (result) params.skippedFrames += this.storeResult(job, result)
      else {
        params.failedClips++
        errors.push(failure ?? `clip ${clipId} failed`)
      }
      if (result) {
        params.provider = result.provider
        params.fallbackReason = result.fallbackReason
        job.timings.push({ ...result.ms, store: performance.now() - t0, threadId: result.threadId })
      }
      job.runClips++
      const runMs = performance.now() - job.runStart
      job.remainingMs = (runMs / job.runClips) * (first.total - i - 1)
      // Stored per clip, so a job whose process dies still shows how long it ran.
      params.elapsedMs = job.baseElapsedMs + runMs
      job.savedAt = performance.now()
      job.jobs.update(job.id, { done: i + 1, params, error: errors.length ? errors.join('\n') : null })
      this.emit(job)
    }
    const failed = job.jobs.get(job.id)!.params.failedClips
    this.finish(job, failed ? 'failed' : 'done', failed ? `${failed} of ${first.total} clip(s) failed:\n${errors.join('\n')}` : null)
  }

  /** Stores one clip's masks in one transaction; returns how many frames were left to a person's edit. */
  private storeResult(job: LiveJob, result: ClipResult): number {
    const { store } = job.project
    const replace = job.jobs.get(job.id)!.params.replaceEdits
    const model = job.model.card!.name
    return store.db.transaction(() => {
      let skipped = 0
      for (const f of result.frames) {
        const frame = store.getFrame(f.frameId)
        if (!frame) continue
        const latest = store.latestMask(f.frameId)
        const person = (latest !== null && latest.source !== 'model') || PERSON_STATES.has(frame.status)
        if (person && !replace) {
          skipped++
          continue
        }
        store.addMask(f.frameId, { source: 'model', width: f.width, height: f.height, encoding: MASK_ENCODING, data: Buffer.from(f.mask.buffer, f.mask.byteOffset, f.mask.byteLength), model, confidence: f.confidence })
        // Direct update, not setFrameStatus: a reviewer's comment on the frame is kept.
        if (person) store.db.prepare(`UPDATE frames SET status = 'auto' WHERE id = ?`).run(f.frameId)
      }
      return skipped
    })()
  }
}
