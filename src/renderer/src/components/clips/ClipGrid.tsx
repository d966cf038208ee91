import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import type { Clip, Video } from '../../../../shared/domain'
import { useQueryClient } from '@tanstack/react-query'
import { getApi } from '../../apiClient'
import { prefetchClipThumbMasks, useClipThumbMasks, type ThumbMask } from '../../queries/clipThumbs'
import { formatClock, formatSeconds, plural } from '../../format'
import { FlagBadges, StatusBadge } from '../Badges'
import { GAP, assignSlots, layoutGrid, renderedRows, visibleRows, type GridLayout, type GridRow, type GroupOfClips } from './gridLayout'
import { MaskOverlay } from './MaskOverlay'

/** Pixels rendered above and below the visible part: the compositor scrolls a wheel or touch step before the scroll event reaches the grid, into rows already drawn. */
const OVERSCAN = 480
/** Up to this many clips every row is rendered (a small DOM anyway; find-in-page sees all). */
const RENDER_ALL_UP_TO = 100
/** Thumbnail masks are loaded up to this many view heights beyond the rendered rows, either way (at least one), so rows mount with their masks. */
const PREFETCH_VIEWS = 3

/** The nearest scrolling ancestor (the project view), or null for the window. */
function scrollParent(el: HTMLElement): HTMLElement | null {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowY
    if (o === 'auto' || o === 'scroll') return p
  }
  return null
}

interface Props {
  dir: string
  /** Grouped by video (a header row per video), or one sorted list. */
  list: { groups: GroupOfClips[] } | { clips: Clip[] }
  videoById: ReadonlyMap<number, Video>
  picked: ReadonlySet<number>
  onOpen: (clipId: number) => void
  onSelect: (clipId: number, on: boolean) => void
}

/**
 * The clip list as a virtual grid: as many columns as fit, fixed-height rows, and (above 100
 * clips) only the rows near the visible part of the scrolling project view in the DOM, their
 * elements reused for the rows that scroll in. The grid is one tab stop (the card last focused,
 * its row kept rendered; before that the grid itself, which hands focus to the first card in view):
 * Tab enters and leaves the grid in one step whatever the DOM order of reused rows; arrow keys,
 * Home/End and PageUp/PageDown move between cards, Space selects, Enter opens. The tab stop never
 * moves while scrolling, so scrolling changes no tabindex.
 */
export function ClipGrid({ dir, list, videoById, picked, onOpen, onSelect }: Props) {
  const ref = useRef<HTMLDivElement>(null)
  const [width, setWidth] = useState(0)
  const [range, setRange] = useState<[number, number]>([0, 0])
  // The video whose rows are at the top of the view once its header row has scrolled away (a sticky header).
  const [stickyGroup, setStickyGroup] = useState<number>(-1)
  // The clip whose card was focused last: the grid's one tab stop (null, or a clip no longer
  // listed: the grid itself is). Its row stays rendered while scrolled away, so its cells are never
  // reused for other clips while it has the focus, and the focus follows it when the layout changes.
  const [activeClip, setActiveClip] = useState<number | null>(null)
  const layout = useMemo(() => (width > 0 ? layoutGrid(width, list) : null), [width, list])
  const layoutRef = useRef<GridLayout | null>(layout)
  layoutRef.current = layout
  const scrollerRef = useRef<HTMLElement | null>(null)
  const focusPos = useRef<number | null>(null)
  const client = useQueryClient()
  // Which slot each rendered clip row has (assignSlots), from the last render.
  const slots = useRef<Map<string, number>>(new Map())
  const posOf = useMemo(() => new Map(layout?.order.map((c, i) => [c.id, i]) ?? []), [layout])
  // The rows whose masks were last asked for ahead of the view (indexes into `layout`).
  const prefetched = useRef<{ layout: GridLayout | null; dir: string; a: number; b: number }>({ layout: null, dir, a: 0, b: 0 })

  const viewport = useCallback((): { top: number; height: number } => {
    const el = ref.current
    if (!el) return { top: 0, height: 0 }
    const scroller = scrollerRef.current
    const viewTop = scroller ? scroller.getBoundingClientRect().top : 0
    return { top: viewTop - el.getBoundingClientRect().top, height: scroller ? scroller.clientHeight : window.innerHeight }
  }, [])

  const update = useCallback((): void => {
    const l = layoutRef.current
    if (!l) return
    const v = viewport()
    const [a, b] = l.order.length <= RENDER_ALL_UP_TO ? [0, l.rows.length] : renderedRows(l.rows, v.top - OVERSCAN, v.top + v.height + OVERSCAN, l.rowHeight + GAP)
    setRange((prev) => (prev[0] === a && prev[1] === b ? prev : [a, b]))
    // Masks ahead of the view, in either direction: asked for only when the rendered rows come
    // within one view of the rows already asked for, then PREFETCH_VIEWS views beyond them in one
    // call, so that scrolling costs one request every couple of views, not a lookup every frame.
    if (l.order.length > RENDER_ALL_UP_TO) {
      const pf = prefetched.current
      const [na, nb] = visibleRows(l.rows, v.top - OVERSCAN - v.height, v.top + v.height + OVERSCAN + v.height)
      if (pf.layout !== l || pf.dir !== dir || na < pf.a || nb > pf.b) {
        const ahead = OVERSCAN + PREFETCH_VIEWS * v.height
        const [pa, pb] = visibleRows(l.rows, v.top - ahead, v.top + v.height + ahead)
        prefetched.current = { layout: l, dir, a: pa, b: pb }
        const rows: number[][] = []
        for (let i = pa; i < pb; i++) {
          const row = l.rows[i]
          if (row.kind === 'clips') rows.push(row.ids)
        }
        prefetchClipThumbMasks(client, dir, rows)
      }
    }
    let g = -1
    if (v.top > 0) {
      const [top] = visibleRows(l.rows, v.top, v.top + 1)
      for (let i = Math.min(top, l.rows.length - 1); i >= 0; i--)
        if (l.rows[i].kind === 'group') {
          if (l.rows[i].top < v.top) g = i
          break
        }
    }
    setStickyGroup(g)
  }, [viewport, client, dir])

  useLayoutEffect(() => {
    const el = ref.current
    if (!el) return
    const scroller = scrollParent(el)
    scrollerRef.current = scroller
    setWidth(el.clientWidth)
    const target: HTMLElement | Window = scroller ?? window
    target.addEventListener('scroll', update, { passive: true })
    const ro = new ResizeObserver(() => {
      setWidth(el.clientWidth)
      update()
    })
    ro.observe(el)
    if (scroller) ro.observe(scroller)
    return () => {
      target.removeEventListener('scroll', update)
      ro.disconnect()
    }
  }, [update])

  useLayoutEffect(update, [layout, update])

  // Focus the card that the keyboard moved to once its row is rendered.
  useEffect(() => {
    if (focusPos.current === null) return
    const card = ref.current?.querySelector<HTMLElement>(`[data-testid="clip-card"][data-pos="${focusPos.current}"]`)
    if (!card) return
    focusPos.current = null
    card.focus({ preventScroll: true })
  })

  // A new layout (filter, sort, columns, new data) may show another clip in the focused cell: the
  // focus goes to the focused clip's card, or leaves the grid when that clip is no longer listed.
  useLayoutEffect(() => {
    const active = document.activeElement as HTMLElement | null
    if (activeClip === null || !active || !ref.current?.contains(active)) return
    if (active.closest('[data-testid="clip-cell"]')?.getAttribute('data-clip-id') === String(activeClip)) return
    const card = ref.current.querySelector<HTMLElement>(`[data-testid="clip-card"][data-clip-id="${activeClip}"]`)
    if (card) card.focus({ preventScroll: true })
    else active.blur()
    // Only a new layout moves clips between cells (focusing a card changes activeClip, not the cells).
  }, [layout])

  const moveFocus = (pos: number): void => {
    const l = layoutRef.current
    if (!l || l.order.length === 0) return
    const p = Math.max(0, Math.min(l.order.length - 1, pos))
    const row = l.rows[l.rowOf[p]]
    const v = viewport()
    const scroller = scrollerRef.current
    const scrollBy = row.top < v.top ? row.top - v.top - (l.rows[l.rowOf[p] - 1]?.kind === 'group' ? l.rows[l.rowOf[p] - 1].height : 0) : row.top + row.height > v.top + v.height ? row.top + row.height - (v.top + v.height) : 0
    if (scrollBy) {
      if (scroller) scroller.scrollTop += scrollBy
      else window.scrollBy(0, scrollBy)
    }
    focusPos.current = p
    update()
    // The row may already be rendered (no state change, no render): focus now.
    const card = ref.current?.querySelector<HTMLElement>(`[data-testid="clip-card"][data-pos="${p}"]`)
    if (card) {
      focusPos.current = null
      card.focus({ preventScroll: true })
    }
  }

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const l = layoutRef.current
    const pos = Number((e.target as HTMLElement).closest<HTMLElement>('[data-pos]')?.dataset.pos ?? NaN)
    if (!l || Number.isNaN(pos)) return
    const rowIdx = l.rowOf[pos]
    const row = l.rows[rowIdx] as Extract<GridRow, { kind: 'clips' }>
    const col = pos - row.first
    const clipRow = (from: number, step: number): Extract<GridRow, { kind: 'clips' }> | null => {
      for (let i = from + step; i >= 0 && i < l.rows.length; i += step) {
        const r = l.rows[i]
        if (r.kind === 'clips') return r
      }
      return null
    }
    if (e.key === ' ') {
      // Space selects the focused clip (a button would open it: Enter does that).
      e.preventDefault()
      const clip = l.order[pos]
      if (clip) onSelect(clip.id, !picked.has(clip.id))
      return
    }
    let next: number | null = null
    if (e.key === 'ArrowRight') next = pos + 1
    else if (e.key === 'ArrowLeft') next = pos - 1
    else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const r = clipRow(rowIdx, e.key === 'ArrowDown' ? 1 : -1)
      if (r) next = r.first + Math.min(col, r.clips.length - 1)
    } else if (e.key === 'PageDown' || e.key === 'PageUp') {
      const rowsPerPage = Math.max(1, Math.floor(viewport().height / (l.rowHeight + 12)))
      next = pos + (e.key === 'PageDown' ? 1 : -1) * rowsPerPage * l.columns
    } else if (e.key === 'Home' && e.ctrlKey) next = 0
    else if (e.key === 'End' && e.ctrlKey) next = l.order.length - 1
    else if (e.key === 'Home') next = row.first
    else if (e.key === 'End') next = row.first + row.clips.length - 1
    if (next === null) return
    e.preventDefault()
    moveFocus(next)
  }

  const total = layout?.order.length ?? 0
  // Clip rows are keyed by slot (assignSlots): a row scrolling in reuses the elements of one that
  // scrolled out. Slots render in slot order (React never moves a row), header rows after them;
  // rows are placed absolutely, and the keyboard moves by position (onKeyDown), not by DOM order.
  const shown = layout ? layout.rows.slice(range[0], range[1]) : []
  const clipRows = shown.filter((r): r is Extract<GridRow, { kind: 'clips' }> => r.kind === 'clips')
  const tabPos = activeClip === null ? -1 : (posOf.get(activeClip) ?? -1)
  if (layout && tabPos >= 0) {
    // The tab stop's row stays rendered out of range.
    const row = layout.rows[layout.rowOf[tabPos]] as Extract<GridRow, { kind: 'clips' }>
    if (!clipRows.includes(row)) clipRows.push(row)
  }
  const slotOf = assignSlots(slots.current, clipRows.map((r) => r.key))
  slots.current = slotOf
  const bySlot: Array<Extract<GridRow, { kind: 'clips' }> | undefined> = []
  for (const r of clipRows) bySlot[slotOf.get(r.key) as number] = r

  return (
    <div
      ref={ref}
      className="clip-vgrid"
      style={{ height: layout?.height ?? 0 }}
      onKeyDown={onKeyDown}
      tabIndex={tabPos < 0 ? 0 : -1}
      aria-label="Clips"
      onFocus={(e) => {
        if (e.target === e.currentTarget) {
          // The grid itself (no card focused yet): focus goes to the first card in view.
          const l = layoutRef.current
          const v = viewport()
          const first = l?.rows.slice(...visibleRows(l.rows, v.top, v.top + v.height)).find((r) => r.kind === 'clips')
          if (first?.kind === 'clips') moveFocus(first.first)
          return
        }
        const id = (e.target as HTMLElement).closest('[data-testid="clip-cell"]')?.getAttribute('data-clip-id')
        if (id) setActiveClip(Number(id))
      }}
      data-testid="clip-grid"
      data-total={total}
      data-columns={layout?.columns ?? 0}
    >
      {layout && layout.rows[stickyGroup]?.kind === 'group' && (
        <div className="clip-group-sticky" data-testid="video-group-current">
          <GroupHeader row={layout.rows[stickyGroup] as Extract<GridRow, { kind: 'group' }>} video={videoById.get((layout.rows[stickyGroup] as Extract<GridRow, { kind: 'group' }>).videoId)} sticky />
        </div>
      )}
      {layout &&
        bySlot.map((row, slot) =>
          row ? (
            <ClipRowView
              key={`s${slot}`}
              row={row}
              columns={layout.columns}
              total={total}
              tabCol={tabPos >= row.first && tabPos < row.first + row.clips.length ? tabPos - row.first : -1}
              dir={dir}
              picked={picked}
              onOpen={onOpen}
              onSelect={onSelect}
            />
          ) : null
        )}
      {shown.map((row) => (row.kind === 'group' ? <GroupHeader key={row.key} row={row} video={videoById.get(row.videoId)} /> : null))}
    </div>
  )
}

function GroupHeader({ row, video: v, sticky }: { row: Extract<GridRow, { kind: 'group' }>; video: Video | undefined; sticky?: boolean }) {
  return (
    <h3
      className="clip-group"
      style={sticky ? { height: row.height } : { top: row.top, height: row.height }}
      title={v?.path}
      aria-hidden={sticky}
      data-testid={sticky ? undefined : 'video-group'}
      data-video-id={row.videoId}
    >
      {row.videoName}
      <span className="muted">
        {v && ` · ${formatClock(v.duration, 2)} · ${v.width}×${v.height} · ${v.fps.toFixed(2)} fps`}
        {v && v.startOffset > 0 && ` · offset ${formatSeconds(v.startOffset)}`} · {plural(row.count, 'clip')}
      </span>
      {v?.importNote && (
        <>
          {' '}
          <span className="badge flag" title={v.importNote} data-testid="video-import-note">
            damaged file
          </span>
        </>
      )}
    </h3>
  )
}

interface RowProps {
  row: Extract<GridRow, { kind: 'clips' }>
  columns: number
  total: number
  /** The cell that is the grid's tab stop, or -1. */
  tabCol: number
  dir: string
  picked: ReadonlySet<number>
  onOpen: (clipId: number) => void
  onSelect: (clipId: number, on: boolean) => void
}

/** One row of cards; it loads its cells' thumbnail masks in one query. */
const ClipRowView = memo(function ClipRowView({ row, columns, total, tabCol, dir, picked, onOpen, onSelect }: RowProps) {
  const masks = useClipThumbMasks(dir, row.ids)
  const state = masks.data ? 'ready' : masks.isError ? 'error' : 'loading'
  return (
    <ul className="clip-row" style={{ top: row.top, height: row.height, gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}>
      {row.clips.map((c, i) => (
        <ClipCell key={i} clip={c} pos={row.first + i} total={total} tabbable={i === tabCol} selected={picked.has(c.id)} mask={masks.data?.[i]} maskState={state} onOpen={onOpen} onSelect={onSelect} />
      ))}
    </ul>
  )
})

interface CellProps {
  clip: Clip
  pos: number
  total: number
  /** In the tab order (the grid's one tab stop). */
  tabbable: boolean
  selected: boolean
  mask: ThumbMask | undefined
  maskState: 'loading' | 'error' | 'ready'
  onOpen: (clipId: number) => void
  onSelect: (clipId: number, on: boolean) => void
}

const ClipCell = memo(function ClipCell({ clip, pos, total, tabbable, selected, mask, maskState, onOpen, onSelect }: CellProps) {
  return (
    <li className={`clip-cell${selected ? ' selected' : ''}`} aria-posinset={pos + 1} aria-setsize={total} data-testid="clip-cell" data-clip-id={clip.id}>
      <label className="clip-select" title={`Select ${clip.name}`}>
        <input
          type="checkbox"
          tabIndex={-1}
          checked={selected}
          onChange={(e) => onSelect(clip.id, e.target.checked)}
          aria-label={`Select ${clip.name}`}
          data-testid="clip-select"
          data-clip-id={clip.id}
        />
      </label>
      <button
        type="button"
        tabIndex={tabbable ? 0 : -1}
        className="clip-card"
        onClick={() => onOpen(clip.id)}
        data-testid="clip-card"
        data-clip-id={clip.id}
        data-pos={pos}
        title={`Open ${clip.name} (${plural(clip.frameCount, 'frame')}); Space selects it`}
      >
        {/* The frame as a background, not an <img>: a reused cell shows nothing until the new clip's frame has loaded (an <img> keeps showing the old one), and no load event reaches React. */}
        <span className="thumb-box" style={{ backgroundImage: `url("${getApi().mediaUrl(clip.thumb)}")` }} data-testid="clip-thumb">
          <MaskOverlay mask={mask} state={maskState} />
          {clip.flags.length > 0 && (
            <span className="thumb-flags">
              <FlagBadges flags={clip.flags} />
            </span>
          )}
          <span className="thumb-duration">{formatSeconds(clip.duration)}</span>
        </span>
        <span className="clip-name" data-testid="clip-name">
          {clip.name}
        </span>
        <span className="clip-meta">
          {/* One text node per line part: a reused cell changes each with one write. */}
          <span className="muted">{`${formatClock(clip.start, 1)}–${formatClock(clip.start + clip.duration, 1)}`}</span>
          {clip.confidence !== null && (
            <span className="muted" title="Lowest model confidence over the clip's frames" data-testid="clip-confidence">
              {`${(clip.confidence * 100).toFixed(0)} %`}
            </span>
          )}
          <StatusBadge status={clip.status} />
        </span>
      </button>
    </li>
  )
})
