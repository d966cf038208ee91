import { useEffect, useLayoutEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react'
import type { Editor } from '../editor'
import { StageRenderer } from './StageRenderer'

interface Props {
  editor: Editor
  /** Decoded image of the current frame, null while it loads. */
  image: ImageBitmap | null
  /** Show the model's mask in a second view beside this one. */
  beside: boolean
  frameIndex: number
  /** URL of the current frame's image (shown once `image` is decoded). */
  imageSrc: string
  loading: boolean
}

const pointerInfo = (e: ReactPointerEvent) => ({ button: e.button, shift: e.shiftKey, alt: e.altKey, ctrl: e.ctrlKey, meta: e.metaKey })

/**
 * The mask editor's canvas: three stacked viewport-sized canvases (static frame + mask, active
 * stroke/polygon, overlay) drawn by StageRenderer. Wheel zooms to the cursor, Space-drag or the
 * middle button pans (the Editor decides), the first frame is fitted to the window.
 */
export function EditorStage({ editor, image, beside, frameIndex, imageSrc, loading }: Props) {
  const box = useRef<HTMLDivElement>(null)
  const staticRef = useRef<HTMLCanvasElement>(null)
  const activeRef = useRef<HTMLCanvasElement>(null)
  const overlayRef = useRef<HTMLCanvasElement>(null)
  const besideRef = useRef<HTMLCanvasElement>(null)
  const rendererRef = useRef<StageRenderer | null>(null)
  const fitted = useRef(false)
  const [panning, setPanning] = useState(false)

  useLayoutEffect(() => {
    const renderer = new StageRenderer(editor, {
      static: staticRef.current as HTMLCanvasElement,
      active: activeRef.current as HTMLCanvasElement,
      overlay: overlayRef.current as HTMLCanvasElement
    })
    rendererRef.current = renderer
    const el = box.current as HTMLDivElement
    const measure = (): void => {
      const w = Math.max(1, Math.floor(el.clientWidth))
      const h = Math.max(1, Math.floor(el.clientHeight))
      const s = editor.getSession()
      if (s.viewportWidth === w && s.viewportHeight === h) return
      renderer.resize(w, h)
      editor.setViewport(w, h)
      editor.fitToViewport()
    }
    measure()
    const ro = new ResizeObserver(measure)
    ro.observe(el)
    const off = editor.subscribe((c) => {
      // The first frame that arrives is fitted; later frames keep the camera (same size in a clip).
      if (c.kind === 'frame' && c.frameId !== null && !fitted.current) {
        fitted.current = true
        editor.fitToViewport()
      }
      if (c.kind === 'session' && c.keys.includes('panning')) setPanning(editor.getSession().panning)
    })
    if (editor.getCurrentFrameId() !== null) {
      fitted.current = true
      editor.fitToViewport()
    }
    // Wheel must be non-passive to keep the page from scrolling.
    const onWheel = (e: WheelEvent): void => {
      e.preventDefault()
      const r = el.getBoundingClientRect()
      const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY
      editor.zoomAt(e.clientX - r.left, e.clientY - r.top, Math.exp(-delta * 0.0015))
    }
    el.addEventListener('wheel', onWheel, { passive: false })
    return () => {
      el.removeEventListener('wheel', onWheel)
      off()
      ro.disconnect()
      renderer.dispose()
      rendererRef.current = null
    }
  }, [editor])

  useEffect(() => {
    rendererRef.current?.setFrameImage(image)
  }, [image])

  useEffect(() => {
    const r = rendererRef.current
    if (!r) return
    r.setBeside(beside ? besideRef.current : null)
    if (beside && besideRef.current) {
      const s = editor.getSession()
      besideRef.current.width = s.viewportWidth
      besideRef.current.height = s.viewportHeight
    }
    // The view is split in two: refit into the new width.
    requestAnimationFrame(() => editor.fitToViewport())
  }, [beside, editor])

  const toFrame = (e: ReactPointerEvent): { x: number; y: number } => {
    const r = (overlayRef.current as HTMLCanvasElement).getBoundingClientRect()
    return editor.screenToFrame(e.clientX - r.left, e.clientY - r.top)
  }

  return (
    <div className={`stage editor-stage${beside ? ' split' : ''}`} data-testid="frame-stage">
      <div
        className="stage-layers"
        ref={box}
        data-testid="editor-stage"
        data-frame-index={frameIndex}
        data-loading={loading ? 'true' : 'false'}
        data-image-src={imageSrc}
        data-image-loaded={image ? 'true' : 'false'}
        style={{ cursor: panning ? 'grabbing' : 'crosshair' }}
      >
        <canvas ref={staticRef} className="layer" data-testid="layer-static" />
        <canvas ref={activeRef} className="layer" data-testid="layer-active" />
        <canvas
          ref={overlayRef}
          className="layer"
          data-testid="editor-canvas"
          onPointerDown={(e) => {
            if (e.button === 2) return
            e.preventDefault()
            e.currentTarget.setPointerCapture(e.pointerId)
            // Keys go to the window handler; leave any focused button so Space does not click it.
            if (document.activeElement instanceof HTMLElement) document.activeElement.blur()
            const f = toFrame(e)
            editor.pointerDown(f.x, f.y, pointerInfo(e))
          }}
          onPointerMove={(e) => {
            const f = toFrame(e)
            editor.pointerMove(f.x, f.y, pointerInfo(e))
          }}
          onPointerUp={(e) => {
            const f = toFrame(e)
            editor.pointerUp(f.x, f.y, pointerInfo(e))
          }}
          onPointerCancel={() => editor.cancel()}
          onPointerLeave={() => {
            if (!editor.isPointerDown()) editor.pointerLeave()
          }}
          onContextMenu={(e) => e.preventDefault()}
          onDoubleClick={(e) => e.preventDefault()}
        />
      </div>
      {beside && (
        <div className="stage-layers beside" data-testid="model-beside">
          <canvas ref={besideRef} className="layer" />
          <span className="beside-label">model</span>
        </div>
      )}
    </div>
  )
}
