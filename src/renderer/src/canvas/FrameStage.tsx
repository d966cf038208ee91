import { useEffect, useLayoutEffect, useRef, useState } from 'react'
import type { Frame } from '../../../shared/domain'

/** The largest size with the frame's aspect ratio that fits the box. */
export function fitSize(boxW: number, boxH: number, w: number, h: number): { width: number; height: number } {
  if (boxW <= 0 || boxH <= 0 || w <= 0 || h <= 0) return { width: 0, height: 0 }
  const scale = Math.min(boxW / w, boxH / h)
  return { width: Math.floor(w * scale), height: Math.floor(h * scale) }
}

/**
 * The current frame, as large as the area allows with its aspect ratio kept. The image box has
 * the exact displayed size, so mask layers can later be stacked on it pixel for pixel.
 */
export function FrameStage({ frame, src, neighbours }: { frame: Frame; src: string; neighbours: string[] }) {
  const box = useRef<HTMLDivElement>(null)
  const [size, setSize] = useState({ width: 0, height: 0 })
  const [failed, setFailed] = useState<string | null>(null)

  useLayoutEffect(() => {
    const el = box.current
    if (!el) return
    const measure = (): void => setSize({ width: el.clientWidth, height: el.clientHeight })
    measure()
    const ro = new ResizeObserver(measure)
    ro.observe(el)
    return () => ro.disconnect()
  }, [])

  // Decode the neighbouring frames ahead of time so stepping with the arrow keys is instant.
  useEffect(() => {
    const imgs = neighbours.map((u) => {
      const i = new Image()
      i.decoding = 'async'
      i.src = u
      return i
    })
    return () => imgs.forEach((i) => (i.src = ''))
  }, [neighbours])

  const fit = fitSize(size.width, size.height, frame.width, frame.height)
  return (
    <div className="stage" ref={box} data-testid="frame-stage">
      <img
        src={src}
        alt={`Frame ${frame.index + 1}`}
        width={fit.width || undefined}
        height={fit.height || undefined}
        style={{ width: fit.width || undefined, height: fit.height || undefined }}
        draggable={false}
        onLoad={() => setFailed(null)}
        onError={() => setFailed(src)}
        data-testid="frame-image"
        data-frame-index={frame.index}
      />
      {failed === src && (
        <div className="stage-error error-note" role="alert">
          Cannot load frame {frame.index + 1} ({frame.image})
        </div>
      )}
    </div>
  )
}
