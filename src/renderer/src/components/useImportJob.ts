import { useQueryClient } from '@tanstack/react-query'
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ClipFlag, ImportProgress, ImportStage } from '../../../shared/domain'
import { electronExtras, getApi, uploadFile } from '../apiClient'
import { basename } from '../format'
import { call, useImportResult } from '../queries/api'
import { keys } from '../queries/keys'

export type RowStage = ImportStage | 'uploading'

/** One video of the current import, as the panel shows it. */
export interface ImportRow {
  path: string
  name: string
  stage: RowStage
  fraction: number
  clips: number
  flags: ClipFlag[]
  error: string | null
  /** The video was imported only in part (a truncated file). */
  warning: string | null
}

export interface ImportJob {
  rows: ImportRow[]
  running: boolean
  /** Set while the job runs on the server (null during uploads). */
  jobId: string | null
  error: unknown
  /** Resolves true when the job started. */
  startPaths(paths: string[], startOffset: number): Promise<boolean>
  startFiles(files: File[], startOffset: number): Promise<void>
  cancel(): void
  clear(): void
}

const key = (jobId: string, path: string): string => `${jobId}\n${path}`
const TERMINAL = new Set<ImportStage>(['done', 'failed', 'cancelled'])

/**
 * The import of the open project: one job at a time, per-video progress from 'import.progress'
 * events, results polled from media.importResult. Lives in ProjectView so it survives navigation.
 */
export function useImportJob(projectDir: string): ImportJob {
  const qc = useQueryClient()
  const [jobId, setJobId] = useState<string | null>(null)
  const [paths, setPaths] = useState<string[]>([])
  const [names, setNames] = useState<Record<string, string>>({})
  const [uploads, setUploads] = useState<ImportRow[]>([])
  const [uploading, setUploading] = useState(false)
  const [progress, setProgress] = useState<Record<string, ImportProgress>>({})
  const [error, setError] = useState<unknown>(null)
  const uploadAbort = useRef<AbortController | null>(null)
  const result = useImportResult(jobId)
  // The last progress event of every video can come before the next results poll: don't wait for it.
  const settled = jobId !== null && paths.length > 0 && paths.every((p) => TERMINAL.has(progress[key(jobId, p)]?.stage ?? 'queued'))
  const done = result.data?.done ?? false
  const { refetch } = result

  useEffect(() => {
    if (settled && !done) void refetch()
  }, [settled, done, refetch])

  // Progress can arrive before media.import answers with the job id, so keep every job's events.
  useEffect(() => getApi().on('import.progress', (p) => setProgress((prev) => ({ ...prev, [key(p.jobId, p.path)]: p }))), [])

  useEffect(() => {
    if (!jobId || !done) return
    void qc.invalidateQueries({ queryKey: keys.projectData(projectDir) })
    void qc.invalidateQueries({ queryKey: keys.currentProject() })
  }, [jobId, done, qc, projectDir])

  const begin = useCallback(async (list: string[], startOffset: number, afterUpload: boolean) => {
    setError(null)
    try {
      const { jobId } = await call('media.import', { paths: list, startOffset })
      // Failed uploads of this drop stay listed beside the job; older rows go.
      setUploads((prev) => (afterUpload ? prev.filter((r) => r.stage !== 'uploading') : []))
      setPaths(list)
      setJobId(jobId)
      return true
    } catch (err) {
      setError(err)
      if (afterUpload) setUploads((prev) => prev.map((r) => (r.stage === 'uploading' ? { ...r, stage: 'failed' } : r)))
      return false
    }
  }, [])

  const startPaths = useCallback((list: string[], startOffset: number) => begin(list, startOffset, false), [begin])

  const startFiles = useCallback(
    async (files: File[], startOffset: number) => {
      setError(null)
      const extras = electronExtras()
      if (extras) {
        // Electron: a dropped File has a path on disk; nothing to upload.
        const list = files.map((f) => extras.pathForFile?.(f) ?? (f as File & { path?: string }).path ?? '').filter(Boolean)
        if (list.length < files.length) setError(new Error('The dropped files have no path on disk: use “Choose videos…” instead'))
        if (list.length) await startPaths(list, startOffset)
        return
      }
      const abort = new AbortController()
      uploadAbort.current = abort
      setJobId(null)
      setPaths([])
      setUploading(true)
      const rows: ImportRow[] = files.map((f) => ({ path: f.name, name: f.name, stage: 'uploading', fraction: 0, clips: 0, flags: [], error: null, warning: null }))
      setUploads(rows)
      const update = (i: number, patch: Partial<ImportRow>): void => setUploads((prev) => prev.map((r, j) => (j === i ? { ...r, ...patch } : r)))
      const stored: string[] = []
      const storedNames: Record<string, string> = {}
      for (const [i, f] of files.entries()) {
        if (abort.signal.aborted) {
          update(i, { stage: 'cancelled', error: 'cancelled' })
          continue
        }
        try {
          const path = await uploadFile(f, (fraction) => update(i, { fraction }), abort.signal)
          stored.push(path)
          storedNames[path] = f.name
          update(i, { fraction: 1 })
        } catch (err) {
          update(i, { stage: abort.signal.aborted ? 'cancelled' : 'failed', error: (err as Error).message })
        }
      }
      setUploading(false)
      uploadAbort.current = null
      setNames((prev) => ({ ...prev, ...storedNames }))
      if (stored.length) await begin(stored, startOffset, true)
    },
    [begin, startPaths]
  )

  const cancel = useCallback(() => {
    uploadAbort.current?.abort()
    if (jobId) call('media.cancelImport', { jobId }).catch(setError)
  }, [jobId])

  const clear = useCallback(() => {
    setJobId(null)
    setPaths([])
    setUploads([])
    setError(null)
  }, [])

  const rows: ImportRow[] = [
    ...uploads,
    ...paths.map((path, i): ImportRow => {
      const name = names[path] ?? basename(path)
      const r = result.data?.results[i]
      if (r && r.path === path) {
        return { path, name, stage: r.ok ? 'done' : r.error === 'cancelled' ? 'cancelled' : 'failed', fraction: r.ok ? 1 : 0, clips: r.clips, flags: r.flags, error: r.error, warning: r.warning }
      }
      const p = jobId ? progress[key(jobId, path)] : undefined
      return { path, name, stage: p?.stage ?? 'queued', fraction: p?.fraction ?? 0, clips: p?.clips ?? 0, flags: [], error: p?.error ?? null, warning: p?.warning ?? null }
    })
  ]

  return {
    rows,
    running: uploading || (jobId !== null && !done && !settled),
    jobId,
    error: error ?? result.error,
    startPaths,
    startFiles,
    cancel,
    clear
  }
}
