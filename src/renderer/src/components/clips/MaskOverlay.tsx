import { memo } from 'react'
import type { ThumbMask } from '../../queries/clipThumbs'

/**
 * The clip's current mask over its thumbnail, in the editor's class colours: a PNG the main process
 * colours once per mask revision (clip.thumbMasks), shown as an <img>. The row loads the masks of
 * its cells (useClipThumbMasks): mounting a cell costs one small image, no query, canvas or Blob.
 */
export const MaskOverlay = memo(function MaskOverlay({ mask: m, state }: { mask: ThumbMask | undefined; state: 'loading' | 'error' | 'ready' }) {
  if (!m?.url) return <span hidden data-testid="clip-mask" data-state={state === 'ready' ? 'none' : state} data-revision={m?.revision ?? ''} />
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
