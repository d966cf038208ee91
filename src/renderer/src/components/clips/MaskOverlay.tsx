import { memo, useEffect, useRef } from 'react'
import { BINARY_COLOR, buildLut } from '../../editor/palette'
import { useClipThumbMask } from '../../queries/clipThumbs'

const LUTS = { binary: buildLut(BINARY_COLOR), classes: buildLut() }

/** The clip's current mask over its thumbnail, in the editor's class colours (canvas of the scaled-down label map). */
export const MaskOverlay = memo(function MaskOverlay({ dir, clipId, binary }: { dir: string; clipId: number; binary: boolean }) {
  const mask = useClipThumbMask(dir, clipId)
  const ref = useRef<HTMLCanvasElement>(null)
  const labels = mask.data?.labels ?? null
  useEffect(() => {
    const canvas = ref.current
    const ctx = canvas?.getContext('2d')
    if (!ctx || !labels) return
    const lut = binary ? LUTS.binary : LUTS.classes
    const image = ctx.createImageData(labels.width, labels.height)
    const px = new Uint32Array(image.data.buffer)
    for (let i = 0; i < labels.data.length; i++) px[i] = lut[labels.data[i]]
    ctx.putImageData(image, 0, 0)
  }, [labels, binary])
  if (!labels)
    return <span hidden data-testid="clip-mask" data-state={mask.isPending ? 'loading' : mask.isError ? 'error' : 'none'} />
  return (
    <canvas
      ref={ref}
      className="thumb-mask"
      width={labels.width}
      height={labels.height}
      aria-hidden
      data-testid="clip-mask"
      data-state="mask"
      data-revision={mask.data?.revision ?? ''}
    />
  )
})
