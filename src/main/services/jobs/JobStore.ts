import type { Database } from 'better-sqlite3'
import type { JobInfo, JobStatus, ProviderChoice, ProviderId } from '../../../shared/inference'

/** What a segmentation job keeps in `jobs.params` (JSON): the request and what it has learnt so far. */
export interface SegmentParams {
  clipIds: number[]
  modelId: string
  requestedProvider: ProviderChoice
  replaceEdits: boolean
  /** AVSS with a binary model: the AVSS class its masks take; null or absent: each clip's category. */
  className?: string | null
  provider: ProviderId | null
  fallbackReason: string | null
  skippedFrames: number
  failedClips: number
  /** Run time of earlier runs of this job (before an interruption). */
  elapsedMs: number
}

interface JobRow {
  id: string
  kind: string
  status: JobStatus
  params: string
  total: number
  done: number
  error: string | null
  created_at: string
  updated_at: string
}

export interface StoredJob {
  id: string
  status: JobStatus
  params: SegmentParams
  total: number
  done: number
  error: string | null
  createdAt: string
  updatedAt: string
}

const KIND = 'segment'
const toJob = (r: JobRow): StoredJob => ({
  id: r.id, status: r.status, params: JSON.parse(r.params) as SegmentParams, total: r.total, done: r.done, error: r.error, createdAt: r.created_at, updatedAt: r.updated_at
})

/** The `jobs` table (migration 0001) for segmentation jobs; synchronous like ProjectStore. */
export class JobStore {
  constructor(private readonly db: Database) {}

  insert(id: string, params: SegmentParams): StoredJob {
    const now = new Date().toISOString()
    this.db.prepare(`INSERT INTO jobs (id, kind, status, params, total, done, error, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?, 0, NULL, ?, ?)`)
      .run(id, KIND, JSON.stringify(params), params.clipIds.length, now, now)
    return this.get(id)!
  }

  get(id: string): StoredJob | null {
    const r = this.db.prepare('SELECT * FROM jobs WHERE id = ? AND kind = ?').get(id, KIND) as JobRow | undefined
    return r ? toJob(r) : null
  }

  list(): StoredJob[] {
    return (this.db.prepare('SELECT * FROM jobs WHERE kind = ? ORDER BY created_at DESC, rowid DESC').all(KIND) as JobRow[]).map(toJob)
  }

  update(id: string, patch: { status?: JobStatus; done?: number; error?: string | null; params?: SegmentParams }): void {
    const cur = this.get(id)
    if (!cur) return
    this.db.prepare('UPDATE jobs SET status = ?, done = ?, error = ?, params = ?, updated_at = ? WHERE id = ?').run(
      patch.status ?? cur.status, patch.done ?? cur.done, patch.error === undefined ? cur.error : patch.error,
      JSON.stringify(patch.params ?? cur.params), new Date().toISOString(), id
    )
  }

  /** Jobs left 'queued' or 'running' by a process that is gone become 'interrupted'. */
  markInterrupted(liveIds: ReadonlySet<string>): number {
    const stale = (this.db.prepare(`SELECT id FROM jobs WHERE kind = ? AND status IN ('queued', 'running')`).all(KIND) as Array<{ id: string }>).filter((r) => !liveIds.has(r.id))
    for (const r of stale) this.update(r.id, { status: 'interrupted' })
    return stale.length
  }
}

export function toJobInfo(j: StoredJob, live?: { currentClipId: number | null; runMs: number; remainingMs: number | null }): JobInfo {
  const p = j.params
  return {
    id: j.id, kind: 'segment', status: j.status, total: j.total, done: j.done, clipIds: p.clipIds, currentClipId: live?.currentClipId ?? null,
    model: p.modelId, provider: p.provider, requestedProvider: p.requestedProvider, fallbackReason: p.fallbackReason, replaceEdits: p.replaceEdits, className: p.className ?? null,
    skippedFrames: p.skippedFrames, failedClips: p.failedClips, elapsedMs: p.elapsedMs + (live?.runMs ?? 0), remainingMs: live?.remainingMs ?? null,
    error: j.error, createdAt: j.createdAt, updatedAt: j.updatedAt
  }
}
