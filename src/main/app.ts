import { homedir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { api, ApiError, type ChannelName, type Output } from '../shared/api'
import { AVSS_CLASS_COUNT, type AppInfo } from '../shared/domain'
import { EventBus } from './events'
import { resolveTool, toolVersion } from './services/media/ffmpegTools'
import { ImportService, type ToolPaths } from './services/media/ImportService'
import { probeVideo } from './services/media/probe'
import { ProjectService } from './services/project/ProjectService'
import { diskFullError } from './services/project/diskFull'
import { checkProjectTarget } from './services/project/targetFolder'
import { RunningTargets, sweepTempsBeside } from './services/project/tempFolders'
import { AvsbenchImporter } from './services/avsbench/AvsbenchImporter'
import { AvsbenchService } from './services/avsbench/AvsbenchService'
import { evaluateProject } from './services/avsbench/evaluate'
import { checkLabels, decodeMask, MASK_ENCODING } from './services/project/maskCodec'
import { projectStats } from './services/project/projectStats'
import { clipThumbMasks } from './services/project/clipThumbnails'
import { ModelRegistry, shippedModelsDir, toModelInfo } from './services/inference/models'
import { readInferenceSettings, writeInferenceSettings } from './services/inference/inferenceSettings'
import { defaultThreads, providerStatusChecked } from './services/inference/session'
import { SpeedProbe, type ClipTiming } from './services/inference/speedProbe'
import { SegmentService } from './services/jobs/SegmentService'
import packageJson from '../../package.json'

export type Handlers = {
  [C in ChannelName]: (input: z.infer<(typeof api)[C]['input']>) => Promise<Output<C>> | Output<C>
}

export interface AppOptions {
  mode: AppInfo['mode']
  /** Where recent projects and settings live (AVS_HOME, else ~/.config/avs-annotator). */
  homeDir?: string
  /** Who writes projects, as a second writer is told: "avs import", "avs serve (browser mode)". */
  owner?: string
  /** Read-only commands (avs info, export, masks, eval): open projects without the writer lock. */
  readOnly?: boolean
}

export function defaultHome(): string {
  return process.env.AVS_HOME || join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'avs-annotator')
}

/** The composition root: builds every service by hand and the one handler table both transports serve. */
export function createApp(opts: AppOptions) {
  const events = new EventBus()
  const projects = new ProjectService(opts.homeDir ?? defaultHome(), {
    owner: opts.owner ?? (opts.mode === 'browser' ? 'avs serve (browser mode)' : opts.mode === 'cli' ? 'avs' : 'the AVS Annotator app'),
    readOnly: opts.readOnly,
    // Another writer took the project over while this process was not heard from: it is read-only now.
    onLockLost: () => events.emit('project.changed', { reason: 'lock_lost' })
  })
  // Temp folders of exports whose process was killed are swept at the next start (and at the next export there).
  const running = new RunningTargets(opts.homeDir ?? defaultHome())
  const swept = running.sweep().catch(() => undefined)
  const tools = async (): Promise<ToolPaths> => {
    const s = await projects.settings()
    return { ffmpeg: resolveTool('ffmpeg', s).path, ffprobe: resolveTool('ffprobe', s).path }
  }
  const imports = new ImportService(projects, tools, (p) => events.emit('import.progress', p))
  const avsbench = new AvsbenchService(
    projects,
    async () => (await tools()).ffmpeg,
    (p) => events.emit('export.progress', p),
    (p) => {
      events.emit('avsbench.importProgress', p)
      if (p.stage === 'done') events.emit('project.changed', { reason: 'created' })
    }
  )
  const avsbenchImporter = new AvsbenchImporter(projects, async () => (await tools()).ffmpeg)

  // --- Auto-segmentation (inference helper) ---
  const home = opts.homeDir ?? defaultHome()
  const models = new ModelRegistry({ shipped: shippedModelsDir(), user: join(home, 'models') })
  // One clip of a model timed once per computer, for the cards that are the default only where that is fast enough.
  // The clip is timed in the inference worker: onnxruntime-node runs a session on its caller's thread.
  const speed: SpeedProbe = new SpeedProbe(join(home, 'speed.json'), (...args): Promise<ClipTiming> => segments.timeClip(...args))
  const segments: SegmentService = new SegmentService({
    projects,
    models,
    speed,
    busy: () => (imports.running() ? 'an import is running' : null),
    ffmpeg: async () => (await tools()).ffmpeg,
    settings: () => readInferenceSettings(home),
    emit: (job) => {
      events.emit('job.progress', job)
      if (job.status !== 'queued' && job.status !== 'running') events.emit('project.changed', { reason: 'segmented' })
    }
  })

  const handlers: Handlers = {
    'app.info': async () => {
      const s = await projects.settings()
      const ff = resolveTool('ffmpeg', s)
      const fp = resolveTool('ffprobe', s)
      return {
        appVersion: packageJson.version,
        mode: opts.mode,
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
        ffmpeg: { ...ff, version: await toolVersion(ff.path) },
        ffprobe: { ...fp, version: await toolVersion(fp.path) }
      }
    },
    'settings.get': () => projects.settings(),
    'settings.set': (patch) => projects.updateSettings(patch),
    'project.create': async ({ dir, task, name }) => {
      const p = await projects.create(dir, task, name)
      events.emit('project.changed', { reason: 'created' })
      return p
    },
    'project.open': async ({ dir }) => {
      const p = await projects.openProject(dir)
      events.emit('project.changed', { reason: 'opened' })
      return p
    },
    'project.current': () => (projects.current ? projects.summary() : null),
    'project.recent': () => projects.recent(),
    'project.close': () => {
      projects.close()
      events.emit('project.changed', { reason: 'closed' })
      return { ok: true as const }
    },
    'media.probe': async ({ path }) => probeVideo(path, (await tools()).ffprobe),
    'media.import': ({ paths, startOffset }) => {
      projects.require()
      const jobId = imports.start(paths, startOffset ?? 0)
      void imports.wait(jobId).then(() => events.emit('project.changed', { reason: 'imported' }))
      return { jobId }
    },
    'media.importResult': ({ jobId }) => imports.result(jobId),
    'media.cancelImport': ({ jobId }) => {
      imports.cancel(jobId)
      return { ok: true as const }
    },
    'video.list': () => projects.require().store.listVideos(),
    'clip.list': () => projects.require().store.listClips(),
    'clip.get': ({ clipId }) => {
      const clip = projects.require().store.getClip(clipId)
      if (!clip) throw new ApiError('not_found', `No clip ${clipId}`)
      return clip
    },
    'clip.thumbMasks': ({ clipIds }) => clipThumbMasks(projects.require().store, clipIds),
    'clip.update': ({ clipId, ...patch }) => {
      const { store } = projects.require()
      if (!store.getClip(clipId)) throw new ApiError('not_found', `No clip ${clipId}`)
      store.updateClip(clipId, patch)
      return store.listClips().find((c) => c.id === clipId)!
    },
    'mask.get': ({ frameId, source }) => {
      const m = projects.require().store.latestMask(frameId, source)
      return m ? { ...m, data: m.data.toString('base64') } : null
    },
    'mask.save': ({ frameId, width, height, data }) => {
      const { store } = projects.require()
      const frame = store.getFrame(frameId)
      if (!frame) throw new ApiError('not_found', `No frame ${frameId}`)
      if (width !== frame.width || height !== frame.height) {
        throw new ApiError('bad_mask', `Mask is ${width}×${height} but the frame is ${frame.width}×${frame.height}`)
      }
      const bytes = Buffer.from(data, 'base64')
      checkLabels(decodeMask(bytes, width, height), store.task === 'avss' ? AVSS_CLASS_COUNT - 1 : 1)
      const revision = store.addMask(frameId, { source: 'human', width, height, encoding: MASK_ENCODING, data: bytes })
      const { data: _d, ...rest } = store.latestMask(frameId)!
      return { ...rest, revision }
    },
    'mask.revisions': ({ frameId }) => projects.require().store.listMaskRevisions(frameId),
    'mask.revertToModel': ({ frameId }) => {
      const { store } = projects.require()
      const model = store.latestMask(frameId, 'model')
      if (!model) throw new ApiError('no_model_mask', `Frame ${frameId} has no model mask to revert to`)
      store.addMask(frameId, { source: 'human', width: model.width, height: model.height, encoding: model.encoding, data: model.data })
      const { data: _d, ...rest } = store.latestMask(frameId)!
      return rest
    },
    'frame.setStatus': ({ frameIds, status, comment }) => ({ updated: projects.require().store.setFrameStatus(frameIds, status, comment ?? null) }),
    'clip.setSecond': ({ clipId, second, state }) => {
      const { store } = projects.require()
      const clip = store.getClip(clipId)
      if (!clip) throw new ApiError('not_found', `No clip ${clipId}`)
      if (second >= clip.frameCount) throw new ApiError('bad_input', `Clip ${clip.name} has seconds 0–${clip.frameCount - 1}, not ${second}`)
      store.setSecond(clipId, second, state)
      return store.listSeconds(clipId)
    },
    'review.next': ({ afterFrameId }) => projects.require().store.nextFrameNeedingReview(afterFrameId),
    'project.stats': () => projectStats(projects.require().store),
    'history.get': ({ clipId }) => ({ data: projects.require().store.getClipHistory(clipId) }),
    'history.save': ({ clipId, data }) => {
      const { store } = projects.require()
      if (!store.getClip(clipId)) throw new ApiError('not_found', `No clip ${clipId}`)
      store.setClipHistory(clipId, data)
      return { ok: true as const }
    },

    // --- AVSBench export, import and evaluation (avsbench helper) ---
    'export.start': async (req) => {
      await checkProjectTarget(req.out, 'export')
      await sweepTempsBeside(req.out)
      const record = await running.add(req.out).catch(() => null)
      const jobId = avsbench.startExport(req)
      if (record) void avsbench.waitExport(jobId).finally(() => running.remove(record)).catch(() => undefined)
      return { jobId }
    },
    'export.result': ({ jobId }) => avsbench.exportResult(jobId),
    'export.cancel': ({ jobId }) => {
      avsbench.cancelExport(jobId)
      return { ok: true as const }
    },
    'avsbench.importStart': (req) => ({ jobId: avsbench.startImport(req) }),
    'avsbench.importResult': ({ jobId }) => avsbench.importResult(jobId),
    'avsbench.importCancel': ({ jobId }) => {
      avsbench.cancelImport(jobId)
      return { ok: true as const }
    },
    'avsbench.import': (req) => avsbench.importBlocking(req),
    'avsbench.importPredictions': async (req) => {
      const report = await avsbenchImporter.importPredictions(req)
      events.emit('project.changed', { reason: 'imported' })
      return report
    },
    'eval.project': () => evaluateProject(projects.require().store),
    // --- end AVSBench ---

    // --- Auto-segmentation (inference helper) ---
    'model.list': async () => {
      const s = await readInferenceSettings(home)
      return Promise.all(
        (await models.list()).map(async (m) => {
          const timed = m.defaultMaxClipSeconds !== null ? await speed.cached(m, s.provider, s.threads ?? defaultThreads()) : null
          return { ...toModelInfo(m), clipSeconds: timed && { seconds: timed.seconds, provider: timed.provider } }
        })
      )
    },
    'model.retime': async () => ({ dropped: await speed.forget() }),
    'model.default': async ({ provider }) => {
      const d = await segments.defaultModel(projects.require(), provider)
      return { modelId: d.model.id, reason: d.reason }
    },
    'model.add': async ({ onnxPath }) => toModelInfo(await models.add(onnxPath)),
    'model.providers': () => providerStatusChecked(),
    'model.settings': () => readInferenceSettings(home),
    'model.setSettings': (patch) => writeInferenceSettings(home, patch),
    'segment.classless': ({ clipIds }) => segments.classless(clipIds),
    'segment.start': (req) => segments.start(req),
    'job.list': () => segments.list(),
    'job.cancel': ({ jobId }) => {
      segments.cancel(jobId)
      return { ok: true as const }
    },
    'job.resume': ({ jobId }) => segments.resume(jobId)
    // --- end auto-segmentation ---
  }

  /** Parses the input against the contract, runs the handler, and returns its output. */
  async function dispatch(channel: string, rawInput: unknown): Promise<unknown> {
    if (!Object.hasOwn(api, channel)) throw new ApiError('unknown_channel', `Unknown API channel ${channel}`)
    const c = channel as ChannelName
    const parsed = api[c].input.safeParse(rawInput ?? {})
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new ApiError('bad_input', `${channel}: ${issue?.path.join('.') || 'input'} ${issue?.message ?? 'is invalid'}`)
    }
    const handler = handlers[c] as (input: unknown) => unknown
    try {
      return await handler(parsed.data)
    } catch (err) {
      // A full disk (ENOSPC, EDQUOT, SQLite's "database or disk is full") is its own error, naming the disk;
      // so is a write refused because another writer took the project's lock over.
      throw diskFullError(projects.writeError(err), projects.current?.dir ?? null)
    }
  }

  return { handlers, dispatch, events, projects, imports, tools, avsbench, models, segments, speed, swept }
}

export type App = ReturnType<typeof createApp>
