import { memo } from 'react'
import { useClipThumbMask } from '../../queries/clipThumbs'

/**
 * The clip's current mask over its thumbnail, in the editor's class colours. The coloured image is
 * made once per mask revision (queries/clipThumbs.ts) and shown as an <img>: mounting a row while
 * scrolling costs one cached image per cell, not a canvas and a pixel loop.
 */
export const MaskOverlay = memo(function MaskOverlay({ dir, clipId, binary }: { dir: string; clipId: number; binary: boolean }) {
  const mask = useClipThumbMask(dir, clipId, binary)
  const m = mask.data
  if (!m?.url)
    return <span hidden data-testid="clip-mask" data-state={mask.isPending ? 'loading' : mask.isError ? 'error' : 'none'} data-revision={m?.revision ?? ''} />
  return (
    <img
      className="thumb-mask"
      src={m.url}
      width={m.width}
      height={m.height}
      alt=""
      decoding="async"
      aria-hidden
      data-testid="clip-mask"
      data-state="mask"
      data-revision={m.revision ?? ''}
    />
  )
})
