import { useEffect, useRef } from 'react'
import type { Frame, ReviewStatus } from '../../../shared/domain'
import { formatClock } from '../format'

/**
 * The clip's T frames, one per second, left to right. The playhead shows where the clip's audio
 * is; frame i covers seconds [i, i+1) of it.
 */
export function Filmstrip({
  frames,
  current,
  onSelect,
  thumbUrl,
  statusOf = (f) => f.status,
  playhead
}: {
  frames: Frame[]
  current: number
  onSelect: (index: number) => void
  thumbUrl: (f: Frame) => string
  /** Review status to colour the frame with (the editor's, which may be ahead of the server's). */
  statusOf?: (f: Frame) => ReviewStatus
  /** Audio position as a fraction of the clip, or null when not playing. */
  playhead: number | null
}) {
  const strip = useRef<HTMLOListElement>(null)
  useEffect(() => {
    strip.current?.querySelector('[aria-current="true"]')?.scrollIntoView({ block: 'nearest', inline: 'nearest' })
  }, [current])
  return (
    <div className="filmstrip-wrap">
      <ol className="filmstrip" ref={strip} data-testid="filmstrip" style={{ gridTemplateColumns: `repeat(${frames.length}, minmax(64px, 1fr))`, maxWidth: frames.length * 142 }}>
        {frames.map((f) => (
          <li key={f.id}>
            <button
              type="button"
              className={`filmstrip-item status-${statusOf(f)}`}
              aria-current={f.index === current}
              onClick={() => onSelect(f.index)}
              title={`Frame ${f.index + 1}: ${formatClock(f.time)} in the video (source frame ${f.sourceFrame})`}
              data-testid="filmstrip-item"
              data-frame-index={f.index}
              data-status={statusOf(f)}
            >
              <img src={thumbUrl(f)} alt="" loading="lazy" decoding="async" draggable={false} />
              <span className="filmstrip-label">
                {f.index + 1}
                <span className={`status-dot status-${statusOf(f)}`} title={statusOf(f)} />
                {f.hasMask && <span className="dot" title="Has a mask" />}
              </span>
            </button>
          </li>
        ))}
        {playhead !== null && <li className="playhead" style={{ left: `${playhead * 100}%` }} data-testid="playhead" aria-hidden />}
      </ol>
    </div>
  )
}
