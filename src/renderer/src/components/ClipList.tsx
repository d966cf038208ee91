import type { UseQueryResult } from '@tanstack/react-query'
import { useCallback, useMemo, useRef, useState } from 'react'
import type { Clip, ProjectSummary, ReviewStatus } from '../../../shared/domain'
import { STATUS_LABEL, byConfidence, plural } from '../format'
import { useVideos } from '../queries/api'
import { ClipGrid } from './clips/ClipGrid'
import { groupByVideo } from './clips/gridLayout'
import { ErrorNote } from './ErrorNote'
import { AutoSegmentDialog } from './segment/AutoSegmentDialog'

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
  const videoById = useMemo(() => new Map((videos.data ?? []).map((v) => [v.id, v])), [videos.data])
  const [status, setStatus] = useState<ReviewStatus | 'all'>('all')
  const [videoId, setVideoId] = useState<number | 'all'>('all')
  const [sort, setSort] = useState<Sort>('video')
  const [picked, setPicked] = useState<ReadonlySet<number>>(() => new Set())
  // What the segment dialog runs on: the selected clips, or null for the whole project.
  const [segmenting, setSegmenting] = useState<{ clipIds: number[] | null } | null>(null)
  const all = useMemo(() => clips.data ?? [], [clips.data])
  const statusCounts = useMemo(() => {
    const n: Partial<Record<ReviewStatus, number>> = {}
    for (const c of all) n[c.status] = (n[c.status] ?? 0) + 1
    return n
  }, [all])
  const videoCounts = useMemo(() => groupByVideo(all).map((g) => ({ videoId: g.videoId, videoName: g.videoName, count: g.clips.length })), [all])
  const shown = useMemo(() => all.filter((c) => (status === 'all' || c.status === status) && (videoId === 'all' || c.videoId === videoId)), [all, status, videoId])
  const list = useMemo(() => (sort === 'confidence' ? { clips: shown.slice().sort(byConfidence) } : { groups: groupByVideo(shown) }), [shown, sort])
  // Clips removed since they were picked drop out of the selection.
  const selected = all.filter((c) => picked.has(c.id)).map((c) => c.id)
  const toggle = useCallback(
    (clipId: number, on: boolean): void =>
      setPicked((prev) => {
        const next = new Set(prev)
        if (on) next.add(clipId)
        else next.delete(clipId)
        return next
      }),
    []
  )
  // A stable callback, so that the grid's cells do not re-render when the parent does.
  const openRef = useRef(onOpen)
  openRef.current = onOpen
  const open = useCallback((clipId: number) => openRef.current(clipId), [])
  const filtered = status !== 'all' || videoId !== 'all'
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
            Select {filtered ? 'all shown' : 'all'}
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
                  {STATUS_LABEL[s]} ({statusCounts[s] ?? 0})
                </option>
              ))}
            </select>
          </label>
          {videoCounts.length > 1 && (
            <label>
              Video{' '}
              <select value={videoId} onChange={(e) => setVideoId(e.target.value === 'all' ? 'all' : Number(e.target.value))} data-testid="filter-video">
                <option value="all">all ({videoCounts.length})</option>
                {videoCounts.map((v) => (
                  <option key={v.videoId} value={v.videoId}>
                    {v.videoName} ({v.count})
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            Order{' '}
            <select value={sort} onChange={(e) => setSort(e.target.value as Sort)} data-testid="sort-clips">
              <option value="video">by video</option>
              <option value="confidence">model confidence, lowest first</option>
            </select>
          </label>
          <span className="muted" data-testid="shown-count">
            {filtered ? `${shown.length} of ${plural(all.length, 'clip')}` : plural(all.length, 'clip')}
          </span>
          {shown.length === 0 && (
            <span className="muted" data-testid="filter-empty">
              No clip is {status === 'all' ? 'in this video' : status}.
            </span>
          )}
        </div>
      )}
      {clips.isPending && <p className="muted">Loading clips…</p>}
      {clips.data?.length === 0 && (
        <p className="empty" data-testid="clip-list-empty">
          No clips yet. Import videos above: each is cut into {project.clipSeconds} s clips.
        </p>
      )}
      {shown.length > 0 && (
        <ClipGrid dir={project.dir} list={list} videoById={videoById} picked={picked} onOpen={open} onSelect={toggle} />
      )}
    </section>
  )
}
