import type { UseQueryResult } from '@tanstack/react-query'
import { useState } from 'react'
import type { Clip, ProjectSummary, ReviewStatus } from '../../../shared/domain'
import { getApi } from '../apiClient'
import { STATUS_LABEL, byConfidence, formatClock, formatSeconds, plural } from '../format'
import { useVideos } from '../queries/api'
import { FlagBadges, StatusBadge } from './Badges'
import { ErrorNote } from './ErrorNote'
import { AutoSegmentDialog } from './segment/AutoSegmentDialog'

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

export function ClipList({
  project,
  clips,
  onOpen,
  onOpenModels
}: {
  project: ProjectSummary
  clips: UseQueryResult<Clip[]>
  onOpen: (clipId: number) => void
  onOpenModels?: () => void
}) {
  const videos = useVideos(project.dir)
  const videoById = new Map((videos.data ?? []).map((v) => [v.id, v]))
  const [status, setStatus] = useState<ReviewStatus | 'all'>('all')
  const [sort, setSort] = useState<Sort>('video')
  const [picked, setPicked] = useState<ReadonlySet<number>>(() => new Set())
  // What the segment dialog runs on: the selected clips, or null for the whole project.
  const [segmenting, setSegmenting] = useState<{ clipIds: number[] | null } | null>(null)
  const all = clips.data ?? []
  const shown = all.filter((c) => status === 'all' || c.status === status)
  // Clips removed since they were picked drop out of the selection.
  const selected = all.filter((c) => picked.has(c.id)).map((c) => c.id)
  const toggle = (clipId: number, on: boolean): void =>
    setPicked((prev) => {
      const next = new Set(prev)
      if (on) next.add(clipId)
      else next.delete(clipId)
      return next
    })
  const card = (c: Clip) => <ClipCard clip={c} onOpen={onOpen} selected={picked.has(c.id)} onSelect={(on) => toggle(c.id, on)} />
  return (
    <section className="clip-list" data-testid="clip-list" aria-label="Clips">
      <ErrorNote error={clips.error} testId="clip-list-error" />
      {all.length > 0 && (
        <div className="segment-bar" data-testid="segment-bar">
          <button type="button" className="primary" onClick={() => setSegmenting({ clipIds: null })} data-testid="segment-all" title="Auto-segment every clip of the project with the model">
            Auto-segment all ({all.length})
          </button>
          <button
            type="button"
            disabled={selected.length === 0}
            onClick={() => setSegmenting({ clipIds: selected })}
            data-testid="segment-selected"
            title="Auto-segment the clips ticked below"
          >
            Auto-segment selected ({selected.length})
          </button>
          <span className="spacer" />
          <span className="muted" data-testid="selection-count">
            {selected.length ? `${plural(selected.length, 'clip')} selected` : 'Tick clips to segment only some'}
          </span>
          <button type="button" className="ghost" disabled={shown.length === 0} onClick={() => setPicked(new Set([...picked, ...shown.map((c) => c.id)]))} data-testid="select-shown">
            Select {status === 'all' ? 'all' : `all ${status}`}
          </button>
          <button type="button" className="ghost" disabled={selected.length === 0} onClick={() => setPicked(new Set())} data-testid="select-none">
            Clear selection
          </button>
        </div>
      )}
      {segmenting && (
        <AutoSegmentDialog
          project={project}
          clipIds={segmenting.clipIds}
          title={segmenting.clipIds ? `Auto-segment ${plural(segmenting.clipIds.length, 'selected clip')}` : 'Auto-segment the whole project'}
          onClose={() => setSegmenting(null)}
          onOpenModels={
            onOpenModels &&
            (() => {
              setSegmenting(null)
              onOpenModels()
            })
          }
        />
      )}
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
              <li key={c.id} className={`clip-cell${picked.has(c.id) ? ' selected' : ''}`}>
                {card(c)}
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
                <li key={c.id} className={`clip-cell${picked.has(c.id) ? ' selected' : ''}`}>
                  {card(c)}
                </li>
              ))}
            </ul>
          </div>
        )
      })}
    </section>
  )
}

function ClipCard({ clip, onOpen, selected, onSelect }: { clip: Clip; onOpen: (clipId: number) => void; selected: boolean; onSelect: (on: boolean) => void }) {
  return (
    <>
      <label className="clip-select" title={`Select ${clip.name}`}>
        <input type="checkbox" checked={selected} onChange={(e) => onSelect(e.target.checked)} aria-label={`Select ${clip.name}`} data-testid="clip-select" data-clip-id={clip.id} />
      </label>
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
    </>
  )
}
