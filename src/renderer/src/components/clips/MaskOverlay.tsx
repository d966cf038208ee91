import { memo } from 'react'
import { useClipThumbMask } from '../../queries/clipThumbs'

/**
 * The clip's current mask over its thumbnail, in the editor's class colours: a PNG the main process
 * colours once per mask revision (clip.thumbMasks), shown as an <img>. Mounting a row while scrolling
 * costs one small image per cell: no canvas, no pixel loop, no Blob.
 */
export const MaskOverlay = memo(function MaskOverlay({ dir, clipId }: { dir: string; clipId: number }) {
  const mask = useClipThumbMask(dir, clipId)
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
