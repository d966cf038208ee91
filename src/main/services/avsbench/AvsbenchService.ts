import { randomUUID } from 'node:crypto'
import { ApiError } from '../../../shared/api'
import type {
  AvsbenchImportProgress,
  AvsbenchImportReport,
  AvsbenchImportRequest,
  AvsbenchImportResult,
  ExportProgress,
  ExportReport,
  ExportRequest,
  ExportResult
} from '../../../shared/avsbench'
import type { ProjectService } from '../project/ProjectService'
import { AvsbenchExporter } from './AvsbenchExporter'
import { AvsbenchImporter } from './AvsbenchImporter'

interface ExportJob {
  id: string
  controller: AbortController
  done: boolean
  report: ExportReport | null
  error: string | null
  promise: Promise<ExportReport | null>
}

interface ImportJob {
  id: string
  controller: AbortController
  done: boolean
  report: AvsbenchImportReport | null
  error: string | null
  /** The ApiError code of the failure, for the blocking call. */
  code: string | null
  promise: Promise<void>
}

/** Export jobs of the open project and release import jobs: start, progress events, cancel, result. */
export class AvsbenchService {
  private readonly jobs = new Map<string, ExportJob>()
  private readonly importJobs = new Map<string, ImportJob>()

  constructor(
    private readonly projects: ProjectService,
    private readonly ffmpeg: () => Promise<string>,
    private readonly emit: (p: ExportProgress) => void,
    private readonly emitImport: (p: AvsbenchImportProgress) => void = () => undefined
  ) {}

  /**
   * Starts importing a release into a new project; one import at a time (each opens its project).
   * Bad input found before the project exists (not a release, folder not empty) fails the job too.
   */
  startImport(req: AvsbenchImportRequest): string {
    if ([...this.importJobs.values()].some((j) => !j.done)) throw new ApiError('busy', 'An AVSBench import is already running; wait for it or cancel it')
    const id = randomUUID()
    const controller = new AbortController()
    const job: ImportJob = { id, controller, done: false, report: null, error: null, code: null, promise: Promise.resolve() }
    let last: Omit<AvsbenchImportProgress, 'jobId' | 'error'> = { stage: 'reading', clips: 0, total: 0 }
    const progress = (p: Omit<AvsbenchImportProgress, 'jobId' | 'error'>, error: string | null = null): void => {
      last = p
      this.emitImport({ jobId: id, ...p, error })
    }
    const importer = new AvsbenchImporter(this.projects, this.ffmpeg)
    job.promise = (async () => {
      // Let start() return the job id before the first event.
      await Promise.resolve()
      try {
        const report = await importer.importRelease(req, controller.signal, (p) => progress(p))
        job.report = report
        job.done = true
        progress({ stage: 'done', clips: last.total, total: last.total })
      } catch (err) {
        const cancelled = controller.signal.aborted || (err instanceof ApiError && err.code === 'cancelled')
        job.error = cancelled ? 'cancelled' : (err as Error).message
        job.code = cancelled ? 'cancelled' : err instanceof ApiError ? err.code : 'import_failed'
        job.done = true
        progress({ stage: cancelled ? 'cancelled' : 'failed', clips: last.clips, total: last.total }, job.error)
      }
    })()
    this.importJobs.set(id, job)
    return id
  }

  private importJob(jobId: string): ImportJob {
    const job = this.importJobs.get(jobId)
    if (!job) throw new ApiError('unknown_job', `No AVSBench import job ${jobId}`)
    return job
  }

  cancelImport(jobId: string): void {
    this.importJob(jobId).controller.abort()
  }

  importResult(jobId: string): AvsbenchImportResult {
    const { done, report, error } = this.importJob(jobId)
    return { done, report, error }
  }

  /** Resolves when the import job has finished (CLI, tests). */
  async waitImport(jobId: string): Promise<AvsbenchImportResult> {
    await this.importJob(jobId).promise
    return this.importResult(jobId)
  }

  /** An import in one call: the report, or the job's error with its code. */
  async importBlocking(req: AvsbenchImportRequest): Promise<AvsbenchImportReport> {
    const job = this.importJob(this.startImport(req))
    await job.promise
    if (!job.report) throw new ApiError(job.code ?? 'import_failed', job.code === 'cancelled' ? 'Import cancelled' : (job.error ?? 'The import failed'))
    return job.report
  }

  startExport(req: ExportRequest): string {
    const project = this.projects.require()
    const id = randomUUID()
    const controller = new AbortController()
    const job: ExportJob = { id, controller, done: false, report: null, error: null, promise: Promise.resolve(null) }
    // The last counts, so the final event of a failed or cancelled export says how far it got.
    let last: Omit<ExportProgress, 'jobId' | 'error'> = { stage: 'preparing', fraction: 0, clips: 0, total: 0 }
    const progress = (p: Omit<ExportProgress, 'jobId' | 'error'>, error: string | null = null): void => {
      last = p
      this.emit({ jobId: id, ...p, error })
    }
    job.promise = (async () => {
      try {
        const exporter = new AvsbenchExporter(await this.ffmpeg())
        const report = await exporter.export(project, req, controller.signal, (p) => progress(p))
        job.report = report
        progress({ stage: 'done', fraction: 1, clips: report.clips, total: last.total })
        return report
      } catch (err) {
        const cancelled = controller.signal.aborted || (err instanceof ApiError && err.code === 'cancelled')
        job.error = cancelled ? 'cancelled' : (err as Error).message
        progress({ stage: cancelled ? 'cancelled' : 'failed', fraction: last.fraction, clips: last.clips, total: last.total }, job.error)
        return null
      } finally {
        job.done = true
      }
    })()
    this.jobs.set(id, job)
    return id
  }

  private job(jobId: string): ExportJob {
    const job = this.jobs.get(jobId)
    if (!job) throw new ApiError('unknown_job', `No export job ${jobId}`)
    return job
  }

  cancelExport(jobId: string): void {
    this.job(jobId).controller.abort()
  }

  exportResult(jobId: string): ExportResult {
    const { done, report, error } = this.job(jobId)
    return { done, report, error }
  }

  /** Resolves when the job has finished (CLI and tests). */
  async waitExport(jobId: string): Promise<ExportResult> {
    await this.job(jobId).promise
    return this.exportResult(jobId)
  }
}
