import { memo, useEffect, useRef } from 'react'
import { BINARY_COLOR, CLASS_COUNT, packRGBA, paletteColor } from '../../editor/palette'
import { useClipThumbMask } from '../../queries/clipThumbs'

/** The editor's overlay opacity (0.55), baked into the pixels: no CSS opacity layer per cell to paint. */
const MASK_ALPHA = 140

function thumbLut(binary: boolean): Uint32Array {
  const lut = new Uint32Array(256)
  for (let i = 1; i < 256; i++) {
    const [r, g, b] = binary && i === 1 ? BINARY_COLOR : i < CLASS_COUNT ? paletteColor(i) : [255, 0, 255]
    lut[i] = packRGBA(r, g, b, MASK_ALPHA)
  }
  return lut
}

const LUTS = { binary: thumbLut(true), classes: thumbLut(false) }

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
