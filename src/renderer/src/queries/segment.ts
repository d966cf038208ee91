import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import type { Input } from '../../../shared/api'
import type { InferenceSettings, JobInfo } from '../../../shared/inference'
import { getApi } from '../apiClient'
import { call } from './api'
import { keys } from './keys'

/** Query keys of auto-segmentation; jobs and revisions belong to the open project (under projectData). */
export const segmentKeys = {
  models: () => ['models', 'list'] as const,
  providers: () => ['models', 'providers'] as const,
  settings: () => ['models', 'settings'] as const,
  /** The model a job gets when none is chosen: it depends on the project and the settings (provider, threads, default model). */
  defaultModel: (dir: string, s: InferenceSettings | undefined) => ['models', 'default', dir, s?.provider, s?.modelId, s?.threads] as const,
  /** AVSS: the clips (of a selection, else all) with no class of their own for a binary model's masks. */
  classless: (dir: string, clipIds: number[] | null) => ['projectData', dir, 'classless', clipIds] as const,
  jobs: (dir: string) => ['projectData', dir, 'jobs'] as const,
  revisions: (dir: string, frameId: number) => ['projectData', dir, 'revisions', frameId] as const
}

export const ACTIVE_JOB = new Set<JobInfo['status']>(['queued', 'running'])
export const RESUMABLE_JOB = new Set<JobInfo['status']>(['interrupted', 'cancelled'])

export const useModels = () => useQuery({ queryKey: segmentKeys.models(), queryFn: () => call('model.list', {}) })
export const useProviders = () => useQuery({ queryKey: segmentKeys.providers(), queryFn: () => call('model.providers', {}), staleTime: 60_000 })
export const useInferenceSettings = () => useQuery({ queryKey: segmentKeys.settings(), queryFn: () => call('model.settings', {}) })
/** The settings' model, else the default for the open project and this computer (timed once per computer: a few seconds the first time). */
export const useDefaultModel = (dir: string, settings: InferenceSettings | undefined) => {
  const qc = useQueryClient()
  return useQuery({
    queryKey: segmentKeys.defaultModel(dir, settings),
    queryFn: async () => {
      const d = await call('model.default', {})
      // Choosing may have timed a model: the models list shows that time.
      void qc.invalidateQueries({ queryKey: segmentKeys.models() })
      return d
    },
    enabled: settings !== undefined,
    // Asked again each time the dialog opens: cheap once timed, and an answer given while a job ran is not kept.
    staleTime: 0
  })
}
/** AVSS: the clips (of `clipIds`, else all) with no class of their own for a binary model's masks; asked each time the dialog opens. */
export const useClassless = (dir: string, clipIds: number[] | null, enabled: boolean) =>
  useQuery({
    queryKey: segmentKeys.classless(dir, clipIds),
    queryFn: () => call('segment.classless', clipIds ? { clipIds } : {}),
    enabled,
    staleTime: 0
  })
export const useJobs = (dir: string) => useQuery({ queryKey: segmentKeys.jobs(dir), queryFn: () => call('job.list', {}) })

/** Mask revisions of a frame (no pixel data): which model made its model mask, with what confidence. */
export const useFrameRevisions = (dir: string, frameId: number | null) =>
  useQuery({
    queryKey: segmentKeys.revisions(dir, frameId ?? -1),
    queryFn: () => call('mask.revisions', { frameId: frameId as number }),
    enabled: frameId !== null
  })

export const useSetInferenceSettings = () => {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (patch: Input<'model.setSettings'>) => call('model.setSettings', patch),
    // Applied to the cache before the server answers (a fetch under way is dropped so it cannot put the old
    // value back); put back if the server refuses. The dialog's radio also holds its click locally: this
    // cache update reaches React a task later.
    onMutate: async (patch) => {
      await qc.cancelQueries({ queryKey: segmentKeys.settings() })
      const before = qc.getQueryData<InferenceSettings>(segmentKeys.settings())
      if (before) qc.setQueryData<InferenceSettings>(segmentKeys.settings(), { ...before, ...patch })
      return { before }
    },
    onError: (_err, _patch, context) => {
      if (context?.before) qc.setQueryData(segmentKeys.settings(), context.before)
    },
    onSuccess: (s) => {
      qc.setQueryData(segmentKeys.settings(), s)
      // The models list shows clip times measured with the provider and threads settings.
      void qc.invalidateQueries({ queryKey: segmentKeys.models() })
    }
  })
}

/** Forgets this computer's clip times: the models list and the default choice are asked again (and time again when needed). */
export const useRetimeModels = () => {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: () => call('model.retime', {}),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['models'] })
  })
}

export const useAddModel = () => {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (onnxPath: string) => call('model.add', { onnxPath }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: segmentKeys.models() })
  })
}

function upsertJob(qc: QueryClient, dir: string, job: JobInfo): JobInfo | undefined {
  let previous: JobInfo | undefined
  qc.setQueryData<JobInfo[]>(segmentKeys.jobs(dir), (list) => {
    const jobs = list ?? []
    previous = jobs.find((j) => j.id === job.id)
    return previous ? jobs.map((j) => (j.id === job.id ? job : j)) : [job, ...jobs]
  })
  return previous
}

export const useStartSegment = (dir: string) => {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (req: Input<'segment.start'>) => call('segment.start', req),
    onSuccess: () => void qc.invalidateQueries({ queryKey: segmentKeys.jobs(dir) })
  })
}

export const useCancelJob = (dir: string) => {
  const qc = useQueryClient()
  return useMutation({ mutationFn: (jobId: string) => call('job.cancel', { jobId }), onSettled: () => void qc.invalidateQueries({ queryKey: segmentKeys.jobs(dir) }) })
}

export const useResumeJob = (dir: string) => {
  const qc = useQueryClient()
  return useMutation({ mutationFn: (jobId: string) => call('job.resume', { jobId }), onSettled: () => void qc.invalidateQueries({ queryKey: segmentKeys.jobs(dir) }) })
}

/** The clip whose results a progress event reports as just stored (null: none yet). */
export const landedClip = (job: JobInfo): number | null => (job.done > 0 ? (job.clipIds[job.done - 1] ?? null) : null)

/**
 * 'job.progress' → the jobs list in the cache, and when a clip's results land: that clip, the
 * clip list (statuses, confidence) and the stats refetch, so people keep working while a job runs.
 */
export function useJobProgressEvents(dir: string): void {
  const qc = useQueryClient()
  useEffect(
    () =>
      getApi().on('job.progress', (job) => {
        const previous = upsertJob(qc, dir, job)
        if (previous && previous.done === job.done && previous.status === job.status) return
        const clipId = landedClip(job)
        if (clipId !== null && previous?.done !== job.done) {
          void qc.invalidateQueries({ queryKey: keys.clip(dir, clipId) })
          void qc.invalidateQueries({ queryKey: ['projectData', dir, 'revisions'] })
        }
        void qc.invalidateQueries({ queryKey: keys.clips(dir) })
        void qc.invalidateQueries({ queryKey: keys.stats(dir) })
      }),
    [qc, dir]
  )
}

/**
 * Calls `onLanded` when a job stores the results of `clipId` (once per job and clip count), so the
 * open clip view can refresh the masks its editor holds.
 */
export function useClipSegmented(clipId: number, onLanded: () => void): void {
  useEffect(() => {
    const seen = new Set<string>()
    return getApi().on('job.progress', (job) => {
      if (landedClip(job) !== clipId) return
      const key = `${job.id}:${job.done}`
      if (seen.has(key)) return
      seen.add(key)
      onLanded()
    })
  }, [clipId, onLanded])
}
