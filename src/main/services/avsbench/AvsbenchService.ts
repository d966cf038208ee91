import { randomUUID } from 'node:crypto'
import { ApiError } from '../../../shared/api'
import type { ExportProgress, ExportReport, ExportRequest, ExportResult } from '../../../shared/avsbench'
import type { ProjectService } from '../project/ProjectService'
import { AvsbenchExporter } from './AvsbenchExporter'

interface ExportJob {
  id: string
  controller: AbortController
  done: boolean
  report: ExportReport | null
  error: string | null
  promise: Promise<ExportReport | null>
}

/** Export jobs of the open project: start, progress events, cancel, result. */
export class AvsbenchService {
  private readonly jobs = new Map<string, ExportJob>()

  constructor(
    private readonly projects: ProjectService,
    private readonly ffmpeg: () => Promise<string>,
    private readonly emit: (p: ExportProgress) => void
  ) {}

  startExport(req: ExportRequest): string {
    const project = this.projects.require()
    const id = randomUUID()
    const controller = new AbortController()
    const job: ExportJob = { id, controller, done: false, report: null, error: null, promise: Promise.resolve(null) }
    const progress = (stage: ExportProgress['stage'], fraction: number, clips: number, error: string | null = null): void =>
      this.emit({ jobId: id, stage, fraction, clips, error })
    job.promise = (async () => {
      try {
        const exporter = new AvsbenchExporter(await this.ffmpeg())
        const report = await exporter.export(project, req, controller.signal, (p) => progress(p.stage, p.fraction, p.clips))
        job.report = report
        progress('done', 1, report.clips)
        return report
      } catch (err) {
        const cancelled = controller.signal.aborted || (err instanceof ApiError && err.code === 'cancelled')
        job.error = cancelled ? 'cancelled' : (err as Error).message
        progress(cancelled ? 'cancelled' : 'failed', 0, 0, job.error)
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
