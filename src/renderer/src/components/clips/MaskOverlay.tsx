import { memo } from 'react'
import type { ThumbMask } from '../../queries/clipThumbs'

/**
 * The clip's current mask over its thumbnail, in the editor's class colours: a palette PNG the main
 * process makes once per mask revision (clip.thumbMasks), drawn as the background of one element
 * that stays while the grid reuses the cell for other clips. A background, not an <img>: no element
 * comes and goes with the mask, and no load event per image reaches React while scrolling.
 */
export const MaskOverlay = memo(function MaskOverlay({ mask: m, state }: { mask: ThumbMask | undefined; state: 'loading' | 'error' | 'ready' }) {
  return (
    <span
      className="thumb-mask"
      style={m?.url ? { backgroundImage: `url(${m.url})` } : undefined}
      aria-hidden
      data-testid="clip-mask"
      data-state={m?.url ? 'mask' : state === 'ready' ? 'none' : state}
      data-revision={m?.revision ?? ''}
    />
  )
})
