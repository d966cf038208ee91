import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react'
import type { Input } from '../../../shared/api'
import type {
  AvsbenchImportProgress,
  AvsbenchImportReport,
  AvsbenchImportRequest,
  AvsbenchImportResult,
  ExportProgress,
  ExportRequest,
  ExportResult
} from '../../../shared/avsbench'
import { getApi } from '../apiClient'
import { call } from './api'
import { keys } from './keys'

/** Query keys of the dataset actions (export, evaluation, AVSBench import). */
export const datasetKeys = {
  /** The evaluation is computed on request, not kept fresh: under projectData so edits mark it stale. */
  evaluation: (dir: string) => [...keys.projectData(dir), 'evaluation'] as const,
  exportResult: (jobId: string) => ['export', jobId, 'result'] as const,
  importResult: (jobId: string) => ['avsbench-import', jobId, 'result'] as const
}

/** Model vs human masks of the open project; runs when `enabled` (the panel is open). */
export const useProjectEval = (dir: string, enabled: boolean) =>
  useQuery({ queryKey: datasetKeys.evaluation(dir), queryFn: () => call('eval.project', {}), enabled, staleTime: Infinity })

export const useUpdateClip = (dir: string) => {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (input: Input<'clip.update'>) => call('clip.update', input),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.clips(dir) })
  })
}

export const useImportPredictions = (dir: string) => {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (input: Input<'avsbench.importPredictions'>) => call('avsbench.importPredictions', input),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.projectData(dir) })
  })
}

// The report of an AVSBench import outlives the start screen (the new project opens at once), so
// it is kept here until the project view has shown it.
let pendingImport: AvsbenchImportReport | null = null
const importListeners = new Set<() => void>()
const setPendingImport = (r: AvsbenchImportReport | null): void => {
  pendingImport = r
  for (const l of importListeners) l()
}

/** The last AVSBench import's report, until dismissed. */
export function useAvsbenchImportReport(): [AvsbenchImportReport | null, () => void] {
  const report = useSyncExternalStore(
    (cb) => {
      importListeners.add(cb)
      return () => importListeners.delete(cb)
    },
    () => pendingImport
  )
  return [report, useCallback(() => setPendingImport(null), [])]
}

/**
 * Waits for an import job outside any component: the start screen unmounts as soon as the server
 * announces the new project, and the report must still reach the project view.
 */
async function followImport(jobId: string, qc: ReturnType<typeof useQueryClient>): Promise<void> {
  let wake = (): void => undefined
  const off = getApi().on('avsbench.importProgress', (p) => {
    if (p.jobId === jobId && (p.stage === 'done' || p.stage === 'failed' || p.stage === 'cancelled')) wake()
  })
  try {
    for (;;) {
      let r: AvsbenchImportResult
      try {
        r = await call('avsbench.importResult', { jobId })
      } catch {
        return // the server forgot the job (restarted): the card shows that
      }
      if (r.done) {
        if (r.report) {
          setPendingImport(r.report)
          qc.setQueryData(keys.currentProject(), r.report.project)
          void qc.invalidateQueries({ queryKey: keys.recentProjects() })
        }
        return
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000)
        wake = () => {
          clearTimeout(t)
          resolve()
        }
      })
    }
  } finally {
    off()
  }
}

export type ImportPhase = 'idle' | 'starting' | 'running' | 'done' | 'failed' | 'cancelled'

export interface AvsbenchImportJobState {
  phase: ImportPhase
  jobId: string | null
  progress: AvsbenchImportProgress | null
  /** Cancel was asked for and the job has not stopped yet. */
  cancelling: boolean
  /** Why it could not start, or why it failed (the server's message). */
  error: unknown
  start(req: AvsbenchImportRequest): void
  cancel(): void
}

/**
 * Imports an official release into a new project, which the server opens: starts the job, follows
 * 'avsbench.importProgress' events and polls 'avsbench.importResult' until it is done (an event can
 * be missed, the poll cannot). The report waits for the project view.
 */
export function useAvsbenchImportJob(): AvsbenchImportJobState {
  const qc = useQueryClient()
  const [jobId, setJobId] = useState<string | null>(null)
  const [starting, setStarting] = useState(false)
  const [startError, setStartError] = useState<unknown>(null)
  const [progress, setProgress] = useState<Record<string, AvsbenchImportProgress>>({})
  const [cancelError, setCancelError] = useState<unknown>(null)
  const [cancelled, setCancelled] = useState<string | null>(null)

  // Progress can arrive before importStart answers with the job id: keep every job's last event.
  useEffect(() => getApi().on('avsbench.importProgress', (p) => setProgress((prev) => ({ ...prev, [p.jobId]: p }))), [])

  const last = jobId ? progress[jobId] : undefined
  const ended = last?.stage === 'done' || last?.stage === 'failed' || last?.stage === 'cancelled'
  const result = useQuery({
    queryKey: datasetKeys.importResult(jobId ?? ''),
    queryFn: () => call('avsbench.importResult', { jobId: jobId as string }),
    enabled: jobId !== null,
    refetchInterval: (q) => (q.state.data?.done || (q.state.error as { code?: string } | null)?.code === 'unknown_job' ? false : ended ? 100 : 1000),
    retry: false
  })
  const { refetch } = result
  const r: AvsbenchImportResult | null = result.data?.done ? result.data : null
  useEffect(() => {
    if (ended && !r) void refetch()
  }, [ended, r, refetch])

  const start = useCallback((req: AvsbenchImportRequest) => {
    setStartError(null)
    setCancelError(null)
    setStarting(true)
    setJobId(null)
    call('avsbench.importStart', req)
      .then(({ jobId }) => {
        setJobId(jobId)
        void followImport(jobId, qc)
      })
      .catch(setStartError)
      .finally(() => setStarting(false))
  }, [qc])

  const cancel = useCallback(() => {
    if (!jobId) return
    setCancelled(jobId)
    call('avsbench.importCancel', { jobId }).catch((err: unknown) => {
      setCancelled(null)
      setCancelError(err)
    })
  }, [jobId])

  let phase: ImportPhase = 'idle'
  if (starting) phase = 'starting'
  else if (startError) phase = 'failed'
  else if (jobId && r) phase = r.report ? 'done' : r.error === 'cancelled' ? 'cancelled' : 'failed'
  // The server restarted and forgot the job: it is gone, not running.
  else if (jobId && (result.error as { code?: string } | null)?.code === 'unknown_job') phase = 'failed'
  else if (jobId) phase = 'running'

  const error = startError ?? (phase === 'failed' ? (r ? new Error(r.error ?? 'The import failed') : result.error) : null) ?? cancelError ?? (phase === 'running' ? result.error : null)
  return { phase, jobId, progress: last ?? null, cancelling: phase === 'running' && cancelled === jobId, error, start, cancel }
}

export type ExportPhase = 'idle' | 'starting' | 'running' | 'done' | 'failed' | 'cancelled'

export interface ExportJobState {
  phase: ExportPhase
  jobId: string | null
  progress: ExportProgress | null
  result: ExportResult | null
  /** Cancel was asked for and the job has not stopped yet. */
  cancelling: boolean
  /** Why it could not start, or why it failed (the server's message). */
  error: unknown
  start(req: ExportRequest): void
  cancel(): void
  reset(): void
}

/**
 * One export of the open project: starts it, follows 'export.progress' events and polls
 * 'export.result' until it is done (an event can be missed, the poll cannot).
 */
export function useExportJob(dir: string): ExportJobState {
  const qc = useQueryClient()
  const [jobId, setJobId] = useState<string | null>(null)
  const [starting, setStarting] = useState(false)
  const [startError, setStartError] = useState<unknown>(null)
  const [progress, setProgress] = useState<Record<string, ExportProgress>>({})
  const [cancelError, setCancelError] = useState<unknown>(null)
  const [cancelled, setCancelled] = useState<string | null>(null)

  // Progress can arrive before export.start answers with the job id: keep every job's last event.
  useEffect(() => getApi().on('export.progress', (p) => setProgress((prev) => ({ ...prev, [p.jobId]: p }))), [])

  const last = jobId ? progress[jobId] : undefined
  const ended = last?.stage === 'done' || last?.stage === 'failed' || last?.stage === 'cancelled'
  const result = useQuery({
    queryKey: datasetKeys.exportResult(jobId ?? ''),
    queryFn: () => call('export.result', { jobId: jobId as string }),
    enabled: jobId !== null,
    refetchInterval: (q) => (q.state.data?.done || (q.state.error as { code?: string } | null)?.code === 'unknown_job' ? false : ended ? 100 : 1000),
    retry: false
  })
  const { refetch } = result
  const done = result.data?.done ?? false
  useEffect(() => {
    if (ended && !done) void refetch()
  }, [ended, done, refetch])

  useEffect(() => {
    if (done) void qc.invalidateQueries({ queryKey: keys.projectData(dir) })
  }, [done, qc, dir])

  const start = useCallback((req: ExportRequest) => {
    setStartError(null)
    setCancelError(null)
    setStarting(true)
    setJobId(null)
    call('export.start', req)
      .then(({ jobId }) => setJobId(jobId))
      .catch(setStartError)
      .finally(() => setStarting(false))
  }, [])

  const cancel = useCallback(() => {
    if (!jobId) return
    setCancelled(jobId)
    call('export.cancel', { jobId }).catch((err: unknown) => {
      setCancelled(null)
      setCancelError(err)
    })
  }, [jobId])

  const reset = useCallback(() => {
    setJobId(null)
    setStartError(null)
    setCancelError(null)
  }, [])

  let phase: ExportPhase = 'idle'
  const r = done ? (result.data ?? null) : null
  if (starting) phase = 'starting'
  else if (startError) phase = 'failed'
  else if (jobId && r) phase = r.report ? 'done' : r.error === 'cancelled' ? 'cancelled' : 'failed'
  // The server restarted and forgot the job: it is gone, not running.
  else if (jobId && (result.error as { code?: string } | null)?.code === 'unknown_job') phase = 'failed'
  else if (jobId) phase = 'running'

  const error = startError ?? (phase === 'failed' ? (r ? new Error(r.error ?? 'The export failed') : result.error) : null) ?? cancelError ?? (phase === 'running' ? result.error : null)
  return { phase, jobId, progress: last ?? null, result: r, cancelling: phase === 'running' && cancelled === jobId, error, start, cancel, reset }
}
