import type { UseQueryResult } from '@tanstack/react-query'
import type { Clip, ProjectSummary } from '../../../shared/domain'
import { getApi } from '../apiClient'
import { formatClock, formatSeconds, plural } from '../format'
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

export function ClipList({ project, clips, onOpen }: { project: ProjectSummary; clips: UseQueryResult<Clip[]>; onOpen: (clipId: number) => void }) {
  const videos = useVideos(project.dir)
  const videoById = new Map((videos.data ?? []).map((v) => [v.id, v]))
  return (
    <section className="clip-list" data-testid="clip-list" aria-label="Clips">
      <ErrorNote error={clips.error} testId="clip-list-error" />
      {clips.isPending && <p className="muted">Loading clips…</p>}
      {clips.data?.length === 0 && (
        <p className="empty" data-testid="clip-list-empty">
          No clips yet. Import videos above: each is cut into {project.clipSeconds} s clips.
        </p>
      )}
      {groupByVideo(clips.data ?? []).map((g) => {
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
        <StatusBadge status={clip.status} />
      </span>
      <FlagBadges flags={clip.flags} />
    </button>
  )
}
