import type { UseQueryResult } from '@tanstack/react-query'
import { useState } from 'react'
import type { Clip, ProjectSummary, ReviewStatus } from '../../../shared/domain'
import { getApi } from '../apiClient'
import { STATUS_LABEL, byConfidence, formatClock, formatSeconds, plural } from '../format'
import { useVideos } from '../queries/api'
import { FlagBadges, StatusBadge } from './Badges'
import { ErrorNote } from './ErrorNote'

interface Group {
  videoId: number
  videoName: string
  clips: Clip[]
}

function groupByVideo(clips: Clip[]): Group[] {
  const groups = new Map<number, Group>()
  for (const c of clips) {
    let g = groups.get(c.videoId)
    if (!g) groups.set(c.videoId, (g = { videoId: c.videoId, videoName: c.videoName, clips: [] }))
    g.clips.push(c)
  }
  for (const g of groups.values()) g.clips.sort((a, b) => a.index - b.index)
  return [...groups.values()]
}

type Sort = 'video' | 'confidence'

export function ClipList({ project, clips, onOpen }: { project: ProjectSummary; clips: UseQueryResult<Clip[]>; onOpen: (clipId: number) => void }) {
  const videos = useVideos(project.dir)
  const videoById = new Map((videos.data ?? []).map((v) => [v.id, v]))
  const [status, setStatus] = useState<ReviewStatus | 'all'>('all')
  const [sort, setSort] = useState<Sort>('video')
  const all = clips.data ?? []
  const shown = all.filter((c) => status === 'all' || c.status === status)
  return (
    <section className="clip-list" data-testid="clip-list" aria-label="Clips">
      <ErrorNote error={clips.error} testId="clip-list-error" />
      {all.length > 0 && (
        <div className="clip-filters">
          <label>
            Status{' '}
            <select value={status} onChange={(e) => setStatus(e.target.value as ReviewStatus | 'all')} data-testid="filter-status">
              <option value="all">all ({all.length})</option>
              {(Object.keys(STATUS_LABEL) as ReviewStatus[]).map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABEL[s]} ({all.filter((c) => c.status === s).length})
                </option>
              ))}
            </select>
          </label>
          <label>
            Order{' '}
            <select value={sort} onChange={(e) => setSort(e.target.value as Sort)} data-testid="sort-clips">
              <option value="video">by video</option>
              <option value="confidence">model confidence, lowest first</option>
            </select>
          </label>
          {shown.length === 0 && <span className="muted" data-testid="filter-empty">No clip is {status}.</span>}
        </div>
      )}
      {sort === 'confidence' && (
        <ul className="clip-grid" data-testid="clip-grid-sorted">
          {shown
            .slice()
            .sort(byConfidence)
            .map((c) => (
              <li key={c.id}>
                <ClipCard clip={c} onOpen={onOpen} />
              </li>
            ))}
        </ul>
      )}
      {clips.isPending && <p className="muted">Loading clips…</p>}
      {clips.data?.length === 0 && (
        <p className="empty" data-testid="clip-list-empty">
          No clips yet. Import videos above: each is cut into {project.clipSeconds} s clips.
        </p>
      )}
      {sort === 'video' && groupByVideo(shown).map((g) => {
        const v = videoById.get(g.videoId)
        return (
          <div key={g.videoId} className="video-group" data-testid="video-group">
            <h3 title={v?.path}>
              {g.videoName}
              <span className="muted">
                {v && ` · ${formatClock(v.duration, 2)} · ${v.width}×${v.height} · ${v.fps.toFixed(2)} fps`}
                {v && v.startOffset > 0 && ` · offset ${formatSeconds(v.startOffset)}`} · {plural(g.clips.length, 'clip')}
              </span>
            </h3>
            <ul className="clip-grid">
              {g.clips.map((c) => (
                <li key={c.id}>
                  <ClipCard clip={c} onOpen={onOpen} />
                </li>
              ))}
            </ul>
          </div>
        )
      })}
    </section>
  )
}

function ClipCard({ clip, onOpen }: { clip: Clip; onOpen: (clipId: number) => void }) {
  return (
    <button type="button" className="clip-card" onClick={() => onOpen(clip.id)} data-testid="clip-card" data-clip-id={clip.id} title={`Open ${clip.name} (${plural(clip.frameCount, 'frame')})`}>
      <span className="thumb-box">
        <img src={getApi().mediaUrl(clip.thumb)} alt="" loading="lazy" decoding="async" data-testid="clip-thumb" />
        <span className="thumb-duration">{formatSeconds(clip.duration)}</span>
      </span>
      <span className="clip-name" data-testid="clip-name">
        {clip.name}
      </span>
      <span className="clip-meta">
        <span className="muted">
          {formatClock(clip.start, 1)}–{formatClock(clip.start + clip.duration, 1)}
        </span>
        {clip.confidence !== null && (
          <span className="muted" title="Lowest model confidence over the clip's frames" data-testid="clip-confidence">
            {(clip.confidence * 100).toFixed(0)} %
          </span>
        )}
        <StatusBadge status={clip.status} />
      </span>
      <FlagBadges flags={clip.flags} />
    </button>
  )
}
